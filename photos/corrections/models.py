"""The owner's verdicts on their photos' tags (imported by photos.models, so Django sees the model)."""

from django.db import models


class TagCorrection(models.Model):
    """What the owner last said about one tag on one of their photos: confirmed, removed or added.

    One row per (photo, tag): the latest verdict wins. A ``removed`` row is the tombstone that keeps
    the CNN from bringing the tag back when the photo is tagged again; ``confirmed`` and ``added``
    rows keep the CNN from writing a second copy beside the owner's. ``rule`` and ``confidence`` copy
    the corrected tag's provenance, so the admin can tell which taxonomy rules people disagree with.
    """

    class Action(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed by the owner"
        REMOVED = "removed", "Removed by the owner"
        ADDED = "added", "Added by the owner"

    photo = models.ForeignKey("photos.Photo", on_delete=models.CASCADE, related_name="tag_corrections")
    tag = models.ForeignKey("photos.Tag", on_delete=models.CASCADE, related_name="corrections")
    action = models.CharField(max_length=10, choices=Action.choices)
    # The corrected tag as the site had it: its source (PhotoTag.Source), CNN confidence and rule.
    source = models.CharField(max_length=10, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    rule = models.CharField(max_length=120, blank=True, db_index=True)
    taxonomy_version = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "photos"
        constraints = [models.UniqueConstraint(fields=["photo", "tag"], name="tag_correction_once_per_photo")]

    def __str__(self) -> str:
        return f"{self.tag_id} on photo {self.photo_id}: {self.action}"
