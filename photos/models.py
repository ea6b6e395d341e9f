"""The social domain: people, photos, tags, follows, blocks, likes, comments, views; the wings' models at the end."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Lower
from django.dispatch import receiver
from django.urls import reverse
from django.utils.functional import LazyObject, empty

from photos.limits import (
    ALT_TEXT_MAX_LENGTH,
    BIO_MAX_LENGTH,
    CAPTION_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
)

USERNAME_TAKEN = "That username is taken."


class UserManager(DjangoUserManager):
    def get_by_natural_key(self, username: str) -> "User":
        """Return the user by name whatever its case (``Bob`` signs in as ``bob``): names are unique so."""
        username = self.model.normalize_username(username)
        return self.alias(lowered=Lower("username")).get(lowered=Lower(Value(username)))


class User(AbstractUser):
    display_name = models.CharField(max_length=DISPLAY_NAME_MAX_LENGTH, blank=True)
    bio = models.TextField(
        max_length=BIO_MAX_LENGTH,
        blank=True,
        validators=[ProhibitNullCharactersValidator(), MaxLengthValidator(BIO_MAX_LENGTH)],
    )
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    is_private = models.BooleanField(default=False, help_text="Only approved followers see this account's photos.")
    history_paused = models.BooleanField(default=False, help_text="Stop recording viewed photos for recommendations.")
    show_sensitive = models.BooleanField(default=False, help_text="Always show sensitive photos unblurred.")
    # Kinds of Notification.Kind this person turned off in settings; none are made for them.
    notifications_off = models.JSONField(default=list, blank=True)

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        constraints = [
            # ``bob`` and ``BOB`` would be two people nobody can tell apart. Names are NFKC-normalised
            # on the way in (AbstractUser.clean), so compatibility forms meet here too.
            models.UniqueConstraint(
                Lower("username"), name="username_unique_ignoring_case", violation_error_message=USERNAME_TAKEN
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def get_absolute_url(self) -> str:
        return reverse("profile", args=[self.username])

    @property
    def name(self) -> str:
        """Return the name to show: the display name, else the username."""
        return self.display_name or self.username


class _OriginalsStorage(LazyObject):
    """The storage of uploads as sent (settings STORAGES["originals"]), looked up when first used."""

    def _setup(self) -> None:
        self._wrapped = storages["originals"]


_originals = _OriginalsStorage()


@receiver(setting_changed)
def _originals_reset(*, setting: str, **kwargs) -> None:
    # As Django does for default_storage: a test that points STORAGES elsewhere gets that storage.
    if setting == "STORAGES":
        _originals._wrapped = empty


def originals_storage() -> Storage:
    """Return the storage of uploads as sent: never served, by any view, to anyone."""
    return _originals


class Follow(models.Model):
    class Status(models.TextChoices):
        ACCEPTED = "accepted"
        PENDING = "pending"

    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following_set")
    followee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower_set")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACCEPTED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_once"),
            models.CheckConstraint(condition=~Q(follower=F("followee")), name="follow_not_self"),
        ]
        indexes = [models.Index(fields=["followee", "status"])]

    def __str__(self) -> str:
        return f"{self.follower} -> {self.followee} ({self.status})"


class Block(models.Model):
    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocking_set")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by_set")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="block_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker} blocks {self.blocked}"


class Photo(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public"
        FOLLOWERS = "followers"
        PRIVATE = "private"

    class Status(models.TextChoices):
        PROCESSING = "processing"
        TAGGED = "tagged"
        FAILED = "failed"

    class AltTextSource(models.TextChoices):
        NONE = "", "None yet"
        AUTO = "auto", "Drafted from the CNN's tags"
        OWNER = "owner", "Written or accepted by the owner"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photos")
    # Indexed: local media is served only after looking the file up (photos.views.media).
    # The copies a worker makes from the original; empty while the photo is processing.
    image = models.ImageField(upload_to="photos/", db_index=True, blank=True)
    thumbnail = models.ImageField(upload_to="thumbs/", db_index=True, blank=True)
    # The upload as sent, on its own storage that no view serves; gone once the copies are made
    # (unless settings.PHOTO_KEEP_ORIGINALS), kept while processing has not yet succeeded.
    original = models.FileField(upload_to="originals/", storage=originals_storage, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    caption = models.TextField(
        max_length=CAPTION_MAX_LENGTH,
        blank=True,
        # TextField's max_length is not enforced by the model or the database: check it here.
        validators=[ProhibitNullCharactersValidator(), MaxLengthValidator(CAPTION_MAX_LENGTH)],
    )
    # What a screen reader says for the image. Drafted by the worker from the CNN's tags while the
    # owner has written none (photos.accessibility); the owner's text always wins and is never redrafted.
    alt_text = models.TextField(
        max_length=ALT_TEXT_MAX_LENGTH,
        blank=True,
        validators=[ProhibitNullCharactersValidator(), MaxLengthValidator(ALT_TEXT_MAX_LENGTH)],
    )
    alt_text_source = models.CharField(
        max_length=5, choices=AltTextSource.choices, default=AltTextSource.NONE, blank=True
    )
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    is_hidden = models.BooleanField(default=False, help_text="Hidden by a moderator: only the owner sees it.")
    # Marked by its owner: lists show ``blurred_thumbnail`` (made on the server) to people who have not
    # chosen to always see such photos, and the sharp copy only when they ask (photos.sensitive).
    is_sensitive = models.BooleanField(default=False)
    blurred_thumbnail = models.ImageField(upload_to="blurred/", db_index=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROCESSING)
    status_reason = models.CharField(max_length=255, blank=True)
    tagging_attempts = models.PositiveSmallIntegerField(default=0)
    tagged_at = models.DateTimeField(null=True, blank=True)
    # Counters kept by the like/comment services, so lists never count rows per photo.
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    # Kept by photos.search.index: the keys this photo is found by (full-text indexed on
    # PostgreSQL) and each key's weight, for ranking multi-word searches without a join per word.
    search_document = models.TextField(blank=True, default="", editable=False)
    search_weights = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]
        permissions = [("view_private", "Can see private and followers-only photos in admin (each look is logged)")]

    def __str__(self) -> str:
        return f"Photo {self.pk} by {self.owner_id}"

    def get_absolute_url(self) -> str:
        return reverse("photo_detail", args=[self.pk])

    @property
    def has_copies(self) -> bool:
        """Return whether the display copy and thumbnail exist (a processing photo has none yet)."""
        return bool(self.image and self.thumbnail)


class Tag(models.Model):
    name = models.CharField(max_length=64, unique=True)
    categories = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tag_detail", args=[self.name])


class PhotoTag(models.Model):
    class Source(models.TextChoices):
        AUTO = "auto", "Recognised by the CNN"
        HASHTAG = "hashtag", "Hashtag in the caption"
        USER = "user", "Added by the owner"  # also called "manual": typed in by the owner (photos.corrections)
        CONFIRMED = "confirmed", "Recognised by the CNN, confirmed by the owner"
        LEARNED = "learned", "Learned from the owner's examples"  # photos.learned; ``rule`` says why

    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="photo_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="photo_tags")
    source = models.CharField(max_length=10, choices=Source.choices)
    confidence = models.FloatField(default=1.0)
    # Provenance of an auto tag: the classifier classes and scores behind it, the rule,
    # and the model and taxonomy versions, so the site can always answer "why this tag?".
    classes = models.JSONField(default=list, blank=True)
    rule = models.CharField(max_length=120, blank=True)
    model_version = models.CharField(max_length=64, blank=True)
    taxonomy_version = models.CharField(max_length=32, blank=True)
    # Grad-CAM picture of where the network found the tag's classes, made on request.
    explanation = models.ImageField(upload_to="explain/", blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-confidence", "tag__name"]
        constraints = [models.UniqueConstraint(fields=["photo", "tag", "source"], name="photo_tag_once_per_source")]
        indexes = [models.Index(fields=["tag", "photo"])]

    def __str__(self) -> str:
        return f"{self.tag.name} on photo {self.photo_id} ({self.source} {self.confidence:.2f})"

    @property
    def is_learned(self) -> bool:
        """Return whether a learned tag gave it (confirmed since or not): ``rule`` then says why, in words."""
        return self.model_version.startswith("learned:")


class PhotoSearchTerm(models.Model):
    """A normalised word or name a photo can be found by, and how well it matches (see photos.search.index)."""

    pk = models.CompositePrimaryKey("photo_id", "term")
    # The primary key (photo_id, term) already indexes photo_id.
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="search_terms", db_index=False)
    term = models.CharField(max_length=64)
    weight = models.FloatField()
    # The photo's created_at, copied so that one index scan yields matches best first, newest first.
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["term", "weight", "created_at", "photo"], name="photo_search_term_rank")]

    def __str__(self) -> str:
        return f"{self.term} on photo {self.photo_id} ({self.weight:.2f})"


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "photo"], name="like_once")]
        indexes = [models.Index(fields=["photo", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user} likes photo {self.photo_id}"


class Comment(models.Model):
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    text = models.TextField(
        max_length=COMMENT_MAX_LENGTH,
        validators=[ProhibitNullCharactersValidator(), MaxLengthValidator(COMMENT_MAX_LENGTH)],
    )
    is_hidden = models.BooleanField(default=False, help_text="Hidden by a moderator: only its author sees it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["photo", "created_at"])]

    def __str__(self) -> str:
        return f"{self.author} on photo {self.photo_id}: {self.text[:40]}"


class PhotoView(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="photo_views")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="views")
    viewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-viewed_at"]), models.Index(fields=["photo", "user"])]

    def __str__(self) -> str:
        return f"{self.user} viewed photo {self.photo_id}"


# Models of the wings, so that Django finds them in this app.
from photos.corrections.models import TagCorrection  # noqa: E402, F401
from photos.explore.models import PhotoNeighbor, PopularPhoto  # noqa: E402, F401
from photos.export.models import DataExport  # noqa: E402, F401
from photos.faces.models import PhotoFaces  # noqa: E402, F401
from photos.learned.models import LearnedTag, LearnedTagExample, LearnedTagVersion  # noqa: E402, F401
from photos.moderation.models import ModerationAction, ModerationCase, Report  # noqa: E402, F401
from photos.notifications.models import Notification  # noqa: E402, F401
from photos.sensitive.models import NudityCheck  # noqa: E402, F401
from photos.similar.models import PhotoDuplicate, PhotoEmbedding  # noqa: E402, F401
