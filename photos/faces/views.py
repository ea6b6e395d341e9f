"""HTML action: the owner blurs or unblurs the faces found on their photo."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from photos import selectors
from photos.faces.blur import faces_blur_set


@require_POST
@login_required
def photo_faces_blur(request: HttpRequest, photo_id: int) -> HttpResponse:
    """Blur (``blur=1``) or unblur (``0``) the faces on the visitor's own photo."""
    photo = selectors.photo_get(viewer=request.user, photo_id=photo_id)
    if photo.owner_id != request.user.pk:
        raise PermissionDenied("Only the owner can blur the faces on this photo.")
    blur = request.POST.get("blur") == "1"
    try:
        faces_blur_set(photo=photo, blur=blur)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(photo)
    done = "Blurring the faces: done in a moment." if blur else "Restoring the faces: done in a moment."
    messages.success(request, done)
    return redirect(photo)
