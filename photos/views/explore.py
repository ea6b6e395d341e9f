"""HTML pages for Explore, and the buttons that pause, resume and clear a person's history."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from photos.cursors import InvalidCursor
from photos.explore import services as explore_services
from photos.explore.selectors import Cursor, explore_for
from photos.people import services as account_services


def explore(request: HttpRequest) -> HttpResponse:
    try:
        after = Cursor.decode(request.GET["cursor"]) if request.GET.get("cursor") else None
    except InvalidCursor:
        # A mangled cursor in a shared link: show the first page rather than an error.
        after = None
    page = explore_for(request.user, after=after)
    return render(request, "photos/explore.html", {"page": page})


@require_POST
@login_required
def history_pause(request: HttpRequest) -> HttpResponse:
    paused = request.POST.get("paused") == "1"
    account_services.user_update(user=request.user, history_paused=paused)
    if paused:
        messages.success(request, "History paused: the photos you open are no longer recorded.")
    else:
        messages.success(request, "History resumed: Explore learns from the photos you open again.")
    return redirect(request.user)


@require_http_methods(["GET", "POST"])
@login_required
def history_clear(request: HttpRequest) -> HttpResponse:
    # Clearing cannot be undone: without the confirmation (the JavaScript dialog sends it as a
    # field), this page asks first.
    if request.method == "GET" or request.POST.get("confirmed") != "1":
        return render(request, "photos/history_clear.html")
    count = explore_services.view_history_clear(user=request.user)
    messages.success(request, f"History cleared: {count} viewed photo{'s' if count != 1 else ''} forgotten.")
    return redirect(request.user)
