"""HTML pages of notifications: the list (which marks them read) and which kinds a person gets."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from photos.cursors import InvalidCursor, cursor_decode, cursor_encode, row_id
from photos.limits import NOTIFICATION_PAGE_SIZE
from photos.models import Notification
from photos.notifications import selectors, services


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """List the visitor's notifications, latest first; opening the list marks what it shows read."""
    before_id = None
    if "cursor" in request.GET:
        try:
            (before_id,) = cursor_decode(request.GET["cursor"], row_id)
        except InvalidCursor:
            before_id = None
    groups, next_before = selectors.notification_groups(request.user, before_id=before_id, size=NOTIFICATION_PAGE_SIZE)
    if groups and any(group.unread for group in groups):
        # The groups already carry their unread flags, so this page still shows what was new.
        services.notifications_mark_read(user=request.user, up_to_id=groups[0].latest_id)
    context = {
        "groups": groups,
        "next_cursor": cursor_encode([next_before]) if next_before is not None else None,
    }
    return render(request, "photos/notifications.html", context)


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    """Let the visitor turn each kind of notification on or off."""
    if request.method == "POST":
        kinds_on = set(request.POST.getlist("kinds"))
        kinds_off = [kind for kind in Notification.Kind.values if kind not in kinds_on]
        services.notification_settings_update(user=request.user, kinds_off=kinds_off)
        messages.success(request, "Notification settings saved.")
        return redirect("notification_settings")
    kinds = [
        (kind, label, kind not in request.user.notifications_off)
        for kind, label in Notification.Kind.choices
        if kind not in selectors.ALWAYS_ON
    ]
    return render(request, "photos/notification_settings.html", {"kinds": kinds})
