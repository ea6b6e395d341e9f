"""A photo's detected faces. Imported by photos.models, so the table stays in the photos app."""

from django.db import models

from photos.models import originals_storage


class PhotoFaces(models.Model):
    """How many faces the worker found on a photo, and their boxes (relative: 0..1 of width and height).

    Detection only: nothing here says whose face it is, and nothing compares faces between photos.
    """

    photo = models.OneToOneField("photos.Photo", on_delete=models.CASCADE, primary_key=True, related_name="faces")
    count = models.PositiveSmallIntegerField()
    boxes = models.JSONField(default=list, help_text="[[left, top, right, bottom], ...], each 0..1, best first.")
    model = models.CharField(max_length=64, help_text="The detector that found them.")
    detected_at = models.DateTimeField(auto_now=True)
    blur = models.BooleanField(default=False, help_text="The owner chose to blur the faces in the served copies.")
    # While the faces are blurred: the copies as they were, so that unblurring restores them. On the
    # originals' storage (never served, by any view, to anyone); deleted with the row (django-cleanup).
    unblurred_image = models.FileField(
        upload_to="unblurred/photos/", storage=originals_storage, blank=True, db_index=True
    )
    unblurred_thumbnail = models.FileField(
        upload_to="unblurred/thumbs/", storage=originals_storage, blank=True, db_index=True
    )

    class Meta:
        verbose_name_plural = "photo faces"

    def __str__(self) -> str:
        return f"photo {self.photo_id}: {self.count} faces"
