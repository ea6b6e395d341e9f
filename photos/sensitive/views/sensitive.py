"""HTML actions about sensitive content: an owner marking a photo, a person's "always show" choice."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from photos import selectors
from photos.sensitive import services

OUTCOMES = {
    "marked": "Marked sensitive: shown blurred.",
    "unmarked": "No longer sensitive.",
    "review": "The nudity detector was confident about this photo, so a moderator will look at it before "
    "the mark goes; it stays blurred until then, and you will be told the outcome.",
}


@require_POST
@login_required
def photo_sensitive(request: HttpRequest, photo_id: int) -> HttpResponse:
    """Mark (``sensitive=1``) or unmark (``0``) the visitor's own photo as sensitive."""
    photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
    if photo.owner_id != request.user.pk:
        raise PermissionDenied("Only the owner can mark this photo.")
    try:
        outcome = services.photo_sensitive_owner_set(
            photo=photo, sensitive=request.POST.get("sensitive") == "1", note=request.POST.get("note", "")[:500]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.message_dict["sensitive"]))
        return redirect(photo)
    messages.success(request, OUTCOMES[outcome])
    return redirect(photo)


@require_POST
@login_required
def sensitive_preference(request: HttpRequest) -> HttpResponse:
    """Choose to always see sensitive photos sharp (``show_sensitive=1``) or blurred (``0``)."""
    services.sensitive_preference_set(user=request.user, show=request.POST.get("show_sensitive") == "1")
    messages.success(request, "Sensitive content setting saved.")
    return redirect("account_settings")
