"""``manage.py media_gc`` deletes stored files no row names, once past the grace period, and nothing else."""

import io
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from photos.tasks import collect_orphaned_media
from tests.factories import PhotoFactory, PhotoTagFactory, UserFactory
from tests.helpers import jpeg_bytes

pytestmark = pytest.mark.django_db

TWO_HOURS = 2 * 3600


def _write(media_root, name: str, data: bytes, age: int = 0):
    path = media_root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


@pytest.fixture
def stored(media_root) -> dict:
    """Referenced files (all old), old orphans in every swept folder, a fresh orphan, and an outsider."""
    owner = UserFactory()
    owner.avatar.save("face.jpg", ContentFile(jpeg_bytes((32, 32))), save=True)
    photo = PhotoFactory(owner=owner)
    photo_tag = PhotoTagFactory(photo=photo)
    photo_tag.explanation.save("map.jpg", ContentFile(jpeg_bytes((64, 48))), save=True)
    referenced = [photo.image.name, photo.thumbnail.name, photo_tag.explanation.name, owner.avatar.name]
    for name in referenced:
        then = time.time() - TWO_HOURS
        os.utime(media_root / name, (then, then))
    old = {
        "photos/ab/cd/lost.jpg": jpeg_bytes((40, 30)),
        "thumbs/ab/cd/lost.jpg": jpeg_bytes((20, 15)),
        "explain/ef/01/lost.jpg": jpeg_bytes((30, 30)),
        "avatars/replaced.jpg": jpeg_bytes((16, 16)),
    }
    for name, data in old.items():
        _write(media_root, name, data, age=TWO_HOURS)
    _write(media_root, "photos/12/34/uploading.jpg", jpeg_bytes((10, 10)))
    _write(media_root, "notes/not-ours.txt", b"another program's file", age=TWO_HOURS)
    return {"referenced": referenced, "old": old, "fresh": "photos/12/34/uploading.jpg", "other": "notes/not-ours.txt"}


def _present(media_root, names) -> list[bool]:
    return [(media_root / name).exists() for name in names]


def test_dry_run_lists_the_old_orphans_and_removes_nothing(stored, media_root):
    out = io.StringIO()
    call_command("media_gc", "--dry-run", "--verbosity", "2", stdout=out)
    report = out.getvalue()
    size = sum(len(data) for data in stored["old"].values())
    assert f"Would remove 4 orphaned file(s), {size} bytes" in report
    assert sorted(line for line in report.splitlines() if line.endswith(".jpg")) == sorted(stored["old"])
    everything = [*stored["referenced"], *stored["old"], stored["fresh"], stored["other"]]
    assert all(_present(media_root, everything))


def test_removes_old_orphans_and_keeps_referenced_fresh_and_foreign_files(stored, media_root):
    out = io.StringIO()
    call_command("media_gc", stdout=out)
    size = sum(len(data) for data in stored["old"].values())
    assert f"Removed 4 orphaned file(s), {size} bytes; scanned 9, kept 1 too recent to judge." in out.getvalue()
    assert _present(media_root, stored["old"]) == [False] * 4
    assert _present(media_root, stored["referenced"]) == [True] * 4
    assert _present(media_root, [stored["fresh"], stored["other"]]) == [True, True]


def test_grace_option_sets_what_counts_as_fresh(stored, media_root):
    call_command("media_gc", "--grace", "0", stdout=io.StringIO())
    assert _present(media_root, [stored["fresh"], *stored["old"]]) == [False] * 5
    assert _present(media_root, stored["referenced"]) == [True] * 4


def test_beat_task_sweeps_with_the_default_grace(stored, media_root):
    size = sum(len(data) for data in stored["old"].values())
    assert collect_orphaned_media() == {"scanned": 9, "removed": 4, "removed_bytes": size}
    assert _present(media_root, [stored["fresh"], *stored["referenced"]]) == [True] * 5


def test_an_empty_storage_has_nothing_to_sweep(db):
    out = io.StringIO()
    call_command("media_gc", stdout=out)
    assert "Removed 0 orphaned file(s), 0 bytes; scanned 0" in out.getvalue()


def test_walks_any_storage_through_its_listdir(settings, media_root):
    """Not the local disk only: the sweep uses the storage API (listdir, get_modified_time), as on S3."""
    from django.core.files.storage import default_storage

    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    photo = PhotoFactory()
    orphans = [default_storage.save(name, ContentFile(b"lost")) for name in ("photos/aa/bb/x.jpg", "explain/y.jpg")]
    out = io.StringIO()
    call_command("media_gc", "--grace", "0", stdout=out)
    assert "Removed 2 orphaned file(s), 8 bytes; scanned 4" in out.getvalue()
    assert [default_storage.exists(name) for name in orphans] == [False, False]
    assert default_storage.exists(photo.image.name) and default_storage.exists(photo.thumbnail.name)
    assert not (media_root / photo.image.name).exists()  # the files really were in memory
