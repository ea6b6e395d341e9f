"""Reads of data exports: a person's own, and the signed download links that expire with them."""

from django.conf import settings
from django.core import signing
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from photos.export.models import DataExport
from photos.models import User

SALT = "photos.export.download"


def data_exports_of(user: User) -> QuerySet[DataExport]:
    """Return ``user``'s exports, newest first (expired ones are deleted hourly; hidden here already)."""
    return DataExport.objects.filter(user=user).exclude(expires_at__lt=timezone.now())


def data_export_get(*, user: User, export_id: int) -> DataExport:
    """Return ``user``'s export by id, or raise Http404 (another person's answers as missing)."""
    return get_object_or_404(data_exports_of(user), pk=export_id)


def data_export_link(export: DataExport, *, api: bool = False) -> str | None:
    """Return the signed path of a ready export's download, valid until the export expires."""
    if export.status != DataExport.Status.READY:
        return None
    signed = signing.dumps({"export": export.pk, "user": export.user_id}, salt=SALT)
    return reverse("api_data_export_download" if api else "data_export_download", args=[signed])


def data_export_download_get(*, user: User, signed: str) -> DataExport:
    """Return the ready, unexpired export a signed link names, if it is ``user``'s; else raise Http404.

    The link is signed (not guessable), lasts no longer than the export, and works only for the
    person who owns it, signed in: a forwarded link is useless to anyone else.
    """
    try:
        claims = signing.loads(signed, salt=SALT, max_age=settings.DATA_EXPORT_HOURS * 3600)
    except signing.BadSignature:  # includes SignatureExpired
        raise Http404("This download link is not valid or has expired.") from None
    if claims.get("user") != user.pk:
        raise Http404("No such export.")
    return get_object_or_404(data_exports_of(user), pk=claims.get("export"), status=DataExport.Status.READY)
