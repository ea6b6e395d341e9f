"""Writes about people's accounts: creating one, the profile and avatar, the email address, deleting."""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from photos.imaging import generated_name, process_upload
from photos.models import USERNAME_TAKEN, Comment, Follow, Like, User
from photos.processing.services import decode_limits
from photos.selectors import username_taken
from photos.services import photo_counters_refresh

# Names that would shadow API paths such as users/me/.
RESERVED_USERNAMES = {"me", "admin", "api", "accounts"}
# An avatar is stored as a 320-pixel square: decode it no larger than twice that.
AVATAR_DECODE_SIDE = 640
WRONG_PASSWORD = "That is not your current password."  # noqa: S105 - a message, not a password


def _password_check(user: User, password: str) -> None:
    # Asked again for what a stolen session must not do alone: take the account's mail or end it.
    if not user.check_password(password):
        raise ValidationError({"password": [WRONG_PASSWORD]})


def user_email_change(*, user: User, email: str, password: str) -> User:
    """Change the address password resets are sent to, after checking the current password."""
    _password_check(user, password)
    email = User.objects.normalize_email(email.strip())
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": error.messages})
    user.email = email
    user.full_clean(exclude=["password"])
    with transaction.atomic():
        user.save(update_fields=["email"])
    return user


def account_delete(*, user: User, password: str) -> None:
    """Delete the account with everything it made, after checking the password.

    Photos, avatar, heat maps, likes, comments, follows, views and tokens go with it; the photos it
    liked or commented on are recounted (``users_delete``), and every file goes once committed.
    """
    _password_check(user, password)
    users_delete(users=User.objects.filter(pk=user.pk))


def user_create(*, username: str, password: str, email: str = "") -> User:
    """Create an account after checking the username and the password's strength.

    The username is NFKC-normalised first and must be free whatever its case (``BOB`` beside ``bob``).
    """
    username = User.normalize_username(username)
    if username.casefold() in RESERVED_USERNAMES:
        raise ValidationError({"username": [f"The username '{username}' is reserved."]})
    taken = ValidationError({"username": [USERNAME_TAKEN]})
    if username_taken(username):
        raise taken
    user = User(username=username, email=email)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages})
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise taken from None  # someone took it between the check and the insert
    return user


def user_update(
    *,
    user: User,
    display_name: str | None = None,
    bio: str | None = None,
    avatar=None,
    is_private: bool | None = None,
    history_paused: bool | None = None,
) -> User:
    """Update the editable profile fields that were given.

    A new avatar goes through the photo checks with its own, smaller pixel cap (judged from the
    header), is decoded small and stored only as the re-encoded, metadata-free square. Nothing is
    written when it is refused; the replaced avatar's file goes once the change is committed
    (django-cleanup, as for every file field).
    """
    fields = {"display_name": display_name, "bio": bio, "is_private": is_private, "history_paused": history_paused}
    for name, value in fields.items():
        if value is not None:
            setattr(user, name, value)
    user.full_clean(exclude=["avatar"])
    if avatar is not None:
        limits = decode_limits() | {"max_pixels": min(settings.AVATAR_MAX_PIXELS, settings.PHOTO_MAX_PIXELS)}
        processed = process_upload(avatar, max_side=AVATAR_DECODE_SIDE, **limits)
        user.avatar.save(generated_name(), ContentFile(processed.thumbnail), save=False)
    try:
        with transaction.atomic():
            user.save()
            if is_private is False:
                # A public account has nothing left to approve: waiting requests become follows.
                Follow.objects.filter(followee=user, status=Follow.Status.PENDING).update(status=Follow.Status.ACCEPTED)
    except BaseException:
        if avatar is not None:
            default_storage.delete(user.avatar.name)
        raise
    return user


def users_delete(*, users: QuerySet[User]) -> int:
    """Delete accounts with everything they made; the photos they liked or commented on are recounted.

    Their files go with their rows (django-cleanup deletes them once the deletion is committed).
    """
    with transaction.atomic():
        touched = set(Like.objects.filter(user__in=users).values_list("photo_id", flat=True))
        touched |= set(Comment.objects.filter(author__in=users).values_list("photo_id", flat=True))
        deleted = users.count()
        users.delete()
        photo_counters_refresh(photo_ids=list(touched))
    return deleted
