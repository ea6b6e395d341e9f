"""A "Download my data" zip: its progress while a worker builds it, then its file until it expires."""

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class _ExportsStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = storages["exports"]


_exports = _ExportsStorage()


@receiver(setting_changed)
def _exports_reset(*, setting: str, **kwargs) -> None:
    if setting == "STORAGES":
        _exports._wrapped = empty


def exports_storage() -> Storage:
    """Return the storage of data exports (settings STORAGES["exports"]): never public media."""
    return _exports


class DataExport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        READY = "ready"
        FAILED = "failed"

    # Dies with the account, and its file with it (django-cleanup, once committed).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    file = models.FileField(upload_to="exports/", storage=exports_storage, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One export in progress per person: asking again while one is built returns that one.
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(status__in=["queued", "running"]), name="data_export_one_at_a_time"
            )
        ]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.user_id} ({self.status} {self.progress}%)"
