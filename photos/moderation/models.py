"""Reports, the cases they open (one per reported thing), and the log of what moderators did."""

from django.conf import settings
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import models
from django.db.models import Q

from photos.limits import MODERATION_REASON_MAX_LENGTH, REPORT_TEXT_MAX_LENGTH

TARGETS = ("photo", "comment", "account")


def _one_target(field: str) -> Q:
    return Q(**{f"{field}__isnull": False}) & Q(
        *(Q(**{f"{other}__isnull": True}) for other in TARGETS if other != field)
    )


class ModerationCase(models.Model):
    """One reported photo, comment or account while staff look at it: the queue's row.

    Reports of the same thing gather here, so the queue shows each target once with its count.
    A target has at most one open case (database constraint); a report after it is closed opens
    a new one.
    """

    class Status(models.TextChoices):
        OPEN = "open"
        ACTIONED = "actioned"
        DISMISSED = "dismissed"

    # The target dies with its case: a deleted photo or account leaves nothing to look at
    # (what was done stays in ModerationAction).
    photo = models.ForeignKey("photos.Photo", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    comment = models.ForeignKey("photos.Comment", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    report_count = models.PositiveIntegerField(default=0)
    last_reported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_reported_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=_one_target("photo") | _one_target("comment") | _one_target("account"),
                name="moderation_case_one_target",
            ),
            *(
                models.UniqueConstraint(
                    fields=[field], condition=Q(status="open"), name=f"moderation_case_open_once_per_{field}"
                )
                for field in TARGETS
            ),
        ]
        indexes = [models.Index(fields=["status", "-report_count", "-last_reported_at"])]

    def __str__(self) -> str:
        return f"{self.target_kind} {self.target_id} ({self.status}, {self.report_count} reports)"

    @property
    def target_kind(self) -> str:
        """Return ``photo``, ``comment`` or ``account``."""
        return next(field for field in TARGETS if getattr(self, f"{field}_id") is not None)

    @property
    def target_id(self) -> int:
        return getattr(self, f"{self.target_kind}_id")

    @property
    def target(self):
        return getattr(self, self.target_kind)


class Report(models.Model):
    """One person's report of a case's target. One per person per case: one open report per target."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam"
        NUDITY = "nudity", "Nudity or sexual content"
        HARASSMENT = "harassment", "Harassment or bullying"
        VIOLENCE = "violence", "Violence or threats"
        OTHER = "other", "Something else"
        # Not one a person picks: the owner of a photo the nudity detector was confident about asked
        # to remove its sensitive mark (photos.sensitive.services.photo_sensitive_owner_set).
        UNMARK = "unmark", "The owner asks to remove the sensitive mark"

    case = models.ForeignKey(ModerationCase, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    text = models.TextField(
        max_length=REPORT_TEXT_MAX_LENGTH,
        blank=True,
        validators=[ProhibitNullCharactersValidator(), MaxLengthValidator(REPORT_TEXT_MAX_LENGTH)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["case", "reporter"], name="report_once_per_case")]

    def __str__(self) -> str:
        return f"{self.reporter_id} reported case {self.case_id} ({self.reason})"

    @classmethod
    def reason_choices(cls) -> list[tuple[str, str]]:
        """Return the reasons a person may give when reporting (not an owner's unmark request)."""
        return [(value, label) for value, label in cls.Reason.choices if value != cls.Reason.UNMARK]


class ModerationAction(models.Model):
    """What a moderator did, to what, when and why: kept after the target and its case are gone."""

    class Kind(models.TextChoices):
        HIDE = "hide", "Hide"
        DELETE = "delete", "Delete"
        WARN = "warn", "Warn"
        SUSPEND = "suspend", "Suspend account"
        DISMISS = "dismiss", "Dismiss"
        UNHIDE = "unhide", "Show again"
        UNSUSPEND = "unsuspend", "Lift suspension"
        UNMARK = "unmark", "Remove the sensitive mark"

    case = models.ForeignKey(ModerationCase, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The person whose content or account was acted on.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    target_kind = models.CharField(max_length=10)
    target_id = models.PositiveBigIntegerField()
    reason = models.TextField(
        max_length=MODERATION_REASON_MAX_LENGTH,
        validators=[ProhibitNullCharactersValidator(), MaxLengthValidator(MODERATION_REASON_MAX_LENGTH)],
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.target_kind} {self.target_id} by {self.moderator_id}"
