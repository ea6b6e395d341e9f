"""Learned tags: a person's own tag, learned from their example photos (imported by photos.models)."""

from django.conf import settings
from django.db import models
from django.urls import reverse


class LearnedTag(models.Model):
    """A tag its owner taught by example; once switched on, the worker puts it on their photos."""

    class State(models.TextChoices):
        TRAINING = "training", "Learning from your examples"
        READY = "ready", "Learned"
        FAILED = "failed", "Could not learn"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learned_tags")
    tag = models.ForeignKey("photos.Tag", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.TRAINING)
    state_reason = models.CharField(max_length=255, blank=True)
    progress = models.FloatField(default=0.0, help_text="Share of the training done, 0 to 1.")
    is_active = models.BooleanField(default=False, help_text="Switched on: tags the owner's photos.")
    current = models.ForeignKey(
        "photos.LearnedTagVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Feedback moves this forward; a retraining task that wakes before it leaves the work to a later one.
    retrain_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tag__name"]
        constraints = [models.UniqueConstraint(fields=["owner", "tag"], name="learned_tag_once_per_owner")]

    def __str__(self) -> str:
        return f"{self.tag.name} learned by {self.owner_id}"

    def get_absolute_url(self) -> str:
        return reverse("learned_tag_detail", args=[self.pk])

    @property
    def name(self) -> str:
        return self.tag.name


class LearnedTagVersion(models.Model):
    """One training of a learned tag: its weights, threshold, validation figures and what it would tag."""

    learned_tag = models.ForeignKey(LearnedTag, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # The Dense unit on the embedding: 1280 float32 kernel values, then the bias (recognition.learned_heads).
    weights = models.BinaryField()
    threshold = models.FloatField()
    precision = models.FloatField(help_text="Cross-validated precision at the threshold.")
    recall = models.FloatField(help_text="Cross-validated recall at the threshold.")
    target_met = models.BooleanField(help_text="Whether the precision target could be reached on validation.")
    positives = models.PositiveIntegerField()
    negatives = models.PositiveIntegerField()
    folds = models.PositiveSmallIntegerField()
    epochs = models.PositiveSmallIntegerField()
    train_seconds = models.FloatField(help_text="CPU seconds of the fit.")
    embedding_model = models.CharField(max_length=64, help_text="The CNN whose embeddings it was trained on.")
    # Of the owner's photos that are not examples, best first (capped): what switching on would do.
    would_tag = models.JSONField(default=list, blank=True)
    unsure = models.JSONField(default=list, blank=True)
    would_tag_count = models.PositiveIntegerField(default=0)
    unsure_count = models.PositiveIntegerField(default=0)
    trained_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["learned_tag", "number"], name="learned_tag_version_once")]

    def __str__(self) -> str:
        return f"{self.learned_tag_id} v{self.number} (p={self.precision:.2f}, r={self.recall:.2f})"

    @property
    def label(self) -> str:
        """Return the version as stamped on the tags it gave (PhotoTag.model_version)."""
        return f"learned:{self.learned_tag_id}:v{self.number}"


class LearnedTagExample(models.Model):
    """A photo its owner said is (or is not) an instance of the learned tag."""

    class Origin(models.TextChoices):
        PICKED = "picked", "Picked as an example"
        CONFIRMED = "confirmed", "Tag confirmed"
        REMOVED = "removed", "Tag removed"

    learned_tag = models.ForeignKey(LearnedTag, on_delete=models.CASCADE, related_name="examples")
    photo = models.ForeignKey("photos.Photo", on_delete=models.CASCADE, related_name="+")
    positive = models.BooleanField(default=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.PICKED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learned_tag", "photo"], name="learned_example_once")]

    def __str__(self) -> str:
        return f"photo {self.photo_id} {'is' if self.positive else 'is not'} {self.learned_tag_id}"
