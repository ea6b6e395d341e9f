"""Local media, served only to people who may see the photo (the files of object storage are signed)."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.static import serve
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from photos import selectors


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
    if not selectors.media_visible(viewer=_viewer(request), name=path):
        raise Http404("No such file.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = "private, max-age=3600"
    return response
