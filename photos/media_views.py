"""Local media, served only to people who may see the photo (the files of object storage are signed)."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.static import serve

from photos import selectors


def media(request: HttpRequest, path: str) -> HttpResponse:
    # A file name is random but not a secret once shared: check it like the photo page does.
    if not selectors.media_visible(viewer=request.user, name=path):
        raise Http404("No such file.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = "private, max-age=3600"
    return response
