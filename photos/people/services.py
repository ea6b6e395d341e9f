"""Writes about a person's own account: their email address, and deleting the account."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from photos.models import User
from photos.services import users_delete

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
