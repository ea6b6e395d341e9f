"""Local media, served only to people who may see the photo (the files of object storage are signed)."""

import logging
import mimetypes
from urllib.parse import quote

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.static import serve
from rest_framework.exceptions import AuthenticationFailed

from photos import media_selectors
from photos.api_tokens import TokenAuthentication

audit = logging.getLogger("socialsite.audit")


def _viewer(request: HttpRequest):
    # API clients send their token rather than a session cookie; both may fetch their files.
    if not request.user.is_authenticated:
        try:
            authenticated = TokenAuthentication().authenticate(request)
        except AuthenticationFailed:
            authenticated = None
        if authenticated:
            return authenticated[0]
    return request.user


def media(request: HttpRequest, path: str) -> HttpResponse:
    # A file name is random but not a secret once shared: check it like the photo page does.
    # The path is checked and served as written or not at all: a spelling that normalises to
    # another name (``avatars/../photos/...``) would pass the check as one file and serve another.
    name = media_selectors.media_name(path)
    if name is None:
        raise Http404("No such file.")
    viewer = _viewer(request)
    if not media_selectors.media_visible(viewer=viewer, name=name) and not _staff_look(viewer, name):
        raise Http404("No such file.")
    if settings.MEDIA_ACCEL_REDIRECT:
        response = _handed_to_front_server(name)
    else:
        response = serve(request, name, document_root=settings.MEDIA_ROOT)
    # Revalidate on every use: a photo made private must not stay in browsers. The check above
    # runs before serve() answers a conditional request, so a 304 is only ever given to a viewer.
    response["Cache-Control"] = "private, no-cache"
    return response


def _handed_to_front_server(name: str) -> HttpResponse:
    """Answer with an internal path for nginx to send the bytes from (``X-Accel-Redirect``); no file is read here.

    nginx keeps this response's Content-Type and Cache-Control, and answers conditional requests
    itself, after this check: a stranger gets the 404 above, never a 304.
    """
    response = HttpResponse(content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
    response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT + quote(name)
    return response


def _staff_look(viewer, name: str) -> bool:
    """Let staff with ``photos.view_private`` fetch any photo's files (admin shows them), and log each look."""
    if not (viewer.is_authenticated and viewer.is_staff and viewer.has_perm("photos.view_private")):
        return False
    photo_id = media_selectors.media_photo_id(name)
    if photo_id is None:
        return False
    audit.info("staff %s fetched %s of photo %s", viewer.username, name, photo_id)
    return True
