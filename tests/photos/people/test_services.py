"""Changing one's email and deleting one's account, each confirmed by the password."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from photos.models import Comment, Like, Photo, User
from photos.people.services import account_delete, user_email_change
from photos.services import comment_create, like_create
from tests.factories import PhotoFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_email_change_needs_the_current_password_and_a_valid_address(user):
    with pytest.raises(ValidationError) as error:
        user_email_change(user=user, email="new@example.org", password="wrong")
    assert "password" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        user_email_change(user=user, email="not an address", password=PASSWORD)
    assert "email" in error.value.message_dict
    user_email_change(user=user, email=" New@EXAMPLE.org ", password=PASSWORD)
    user.refresh_from_db()
    assert user.email == "New@example.org"


def test_account_delete_refuses_a_wrong_password(user):
    with pytest.raises(ValidationError):
        account_delete(user=user, password="wrong")
    assert User.objects.filter(pk=user.pk).exists()


@pytest.mark.django_db(transaction=True)  # files go once the deletion is committed (django-cleanup)
def test_account_delete_removes_everything_with_its_files_and_recounts_others_photos(media_root):
    person = UserFactory()
    own = PhotoFactory(owner=person)
    others = PhotoFactory()
    like_create(user=person, photo=others)
    comment_create(author=person, photo=others, text="nice")
    files = [Path(media_root) / own.image.name, Path(media_root) / own.thumbnail.name]
    assert all(path.exists() for path in files)
    with transaction.atomic():
        account_delete(user=person, password=PASSWORD)
    assert not User.objects.filter(pk=person.pk).exists()
    assert not Photo.objects.filter(pk=own.pk).exists()
    assert not any(path.exists() for path in files)
    others.refresh_from_db()
    assert (others.like_count, others.comment_count) == (0, 0)
    assert not Like.objects.exists() and not Comment.objects.exists()
