"""A photo's detected faces. Imported by photos.models, so the table stays in the photos app."""

from django.db import models


class PhotoFaces(models.Model):
    """How many faces the worker found on a photo, and their boxes (relative: 0..1 of width and height).

    Detection only: nothing here says whose face it is, and nothing compares faces between photos.
    """

    photo = models.OneToOneField("photos.Photo", on_delete=models.CASCADE, primary_key=True, related_name="faces")
    count = models.PositiveSmallIntegerField()
    boxes = models.JSONField(default=list, help_text="[[left, top, right, bottom], ...], each 0..1, best first.")
    model = models.CharField(max_length=64, help_text="The detector that found them.")
    detected_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "photo faces"

    def __str__(self) -> str:
        return f"photo {self.photo_id}: {self.count} faces"
