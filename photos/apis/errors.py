"""Turn domain errors into 4xx JSON answers that say what was wrong; API URLs never answer in HTML."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from photos.cursors import InvalidCursor
from photos.imaging import UploadRejected


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Map Django validation errors, rejected uploads and foreign cursors to DRF responses."""
    if isinstance(exc, DjangoValidationError):
        # A message about the request as a whole is one string, as in DRF's own errors.
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": " ".join(exc.messages)}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, UploadRejected):
        return Response({"image": [exc.message]}, status=exc.status)
    elif isinstance(exc, InvalidCursor):
        return Response({"cursor": [exc.message]}, status=400)
    return drf_exception_handler(exc, context)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer an unknown API URL in JSON, like every other API error; pages get the site's HTML 404."""
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer a refusal in JSON under /api/; pages get the site's HTML 403."""
    if _is_api(request):
        return JsonResponse({"detail": str(exception) or "You do not have permission to do this."}, status=403)
    return defaults.permission_denied(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Answer a server error in JSON under /api/; pages get the site's HTML 500."""
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
