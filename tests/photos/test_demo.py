import pytest
from django.core.management import call_command

from photos.models import Follow, Photo, User

pytestmark = pytest.mark.django_db


def test_demo_creates_people_and_photos_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        call_command("demo")
    call_command("demo")  # idempotent
    assert set(User.objects.values_list("username", flat=True)) == {"alice", "bob", "carol"}
    assert Photo.objects.count() == 7
    assert Follow.objects.count() == 3
    tagging = [callback for callback in queued if callback.__qualname__.startswith("photo_create.")]
    assert len(tagging) == 7  # every photo is queued for tagging (the follows queue notifications too)
    assert User.objects.get(username="alice").check_password("demo-photos-2026")
