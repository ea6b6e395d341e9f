"""What the nudity detector found on a photo. Imported by photos.models, so the table stays in the photos app."""

from django.db import models


class NudityCheck(models.Model):
    """The worker's look at a photo for nudity (NudeNet), kept as the reason for its mark, or for none.

    ``marked`` says the detector marked the photo sensitive, on its first look only: a later look
    (a retry, a new model) updates the figures but never overrides what the owner or a moderator chose.
    """

    class Review(models.TextChoices):
        NONE = "", "Not asked"
        PENDING = "pending", "Waiting for a moderator"
        UNMARKED = "unmarked", "A moderator removed the mark"
        KEPT = "kept", "A moderator kept the mark"

    photo = models.OneToOneField("photos.Photo", on_delete=models.CASCADE, primary_key=True, related_name="nudity")
    score = models.FloatField(
        help_text="The highest score of a detection that counts (an exposed part whose box shows skin); 0 if none."
    )
    detections = models.JSONField(
        default=list, help_text='[{"label", "score", "box": [left, top, right, bottom] 0..1, "skin"}, ...]'
    )
    model = models.CharField(max_length=64, help_text="The detector and its settings.")
    marked = models.BooleanField(default=False, help_text="The detector marked the photo sensitive.")
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.NONE, blank=True)
    checked_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"photo {self.photo_id}: nudity {self.score:.2f}{' (marked)' if self.marked else ''}"
