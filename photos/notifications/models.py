"""Notifications: what another person did that concerns someone, or a notice from the site (moderation)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Notification(models.Model):
    """Something another person did that concerns ``recipient``; grouped per (kind, photo) when read."""

    class Kind(models.TextChoices):
        LIKE = "like", "Likes of your photos"
        COMMENT = "comment", "Comments on your photos"
        FOLLOW = "follow", "New followers"
        FOLLOW_REQUEST = "follow_request", "Requests to follow you"
        FOLLOW_APPROVED = "follow_approved", "Approved follow requests"
        MENTION = "mention", "Mentions of you"
        MODERATION = "moderation", "Moderation: outcomes of your reports, warnings"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    # None for a notice from the site (moderation), which names no moderator.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    message = models.CharField(max_length=1200, blank=True, help_text="The text of a notice from the site.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # A notification dies with the photo or comment it is about (CASCADE): nothing left to show.
    photo = models.ForeignKey("photos.Photo", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    comment = models.ForeignKey("photos.Comment", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=~Q(actor=F("recipient")), name="notification_not_self")]
        indexes = [
            models.Index(fields=["recipient", "kind", "photo"]),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id} by {self.actor_id}"
