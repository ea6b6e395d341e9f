"""Turn domain errors into 4xx JSON answers that say what was wrong."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from photos.imaging import UploadRejected


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Map Django validation errors and rejected uploads to DRF responses."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, UploadRejected):
        return Response({"image": [exc.message]}, status=exc.status)
    return drf_exception_handler(exc, context)

