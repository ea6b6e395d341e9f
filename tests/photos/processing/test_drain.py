"""A processing run drains photos still waiting for their first attempt; a lock keeps each photo to one run."""

import io

import psycopg
import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection

from photos import services
from photos.models import Photo
from photos.processing import services as processing
from recognition import pipeline, tasks
from tests.helpers import jpeg_bytes, service_required

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        service_required("PostgreSQL", "the drain and its locks are PostgreSQL's (SQLite runs one photo a task)")


def uploads(user, count: int) -> list[Photo]:
    return [services.photo_create(owner=user, image=io.BytesIO(jpeg_bytes())) for _ in range(count)]


def states(photos: list[Photo]) -> list[tuple[str, int]]:
    by_id = {p.pk: (p.status, p.tagging_attempts) for p in Photo.objects.filter(pk__in=[p.pk for p in photos])}
    return [by_id[p.pk] for p in photos]


def other_session():
    """Return a second connection to the test database, as another worker would hold."""
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        autocommit=True,
    )


def test_one_task_processes_its_photo_then_drains_the_waiting_ones_as_one_batch(user, settings, monkeypatch):
    settings.PHOTO_PROCESS_DRAIN = 2
    first, second, third, fourth = uploads(user, 4)
    batches = []
    real_predict = pipeline.predict_tags

    def counting_predict(images, **kwargs):
        batches.append(len(images))
        return real_predict(images, **kwargs)

    monkeypatch.setattr(pipeline, "predict_tags", counting_predict)

    assert tasks.process_photo(first.pk) == 3
    assert batches == [1, 2]  # its own photo first (answered soonest), then the drained two in one write
    assert states([first, second, third]) == [("tagged", 1)] * 3
    assert states([fourth]) == [("processing", 0)]  # past the drain's limit: its own task takes it

    # The drained photos' own tasks find them done: nothing is processed twice. The next one drains the fourth.
    assert tasks.process_photo(second.pk) == 1 and states([fourth]) == [("tagged", 1)]
    assert tasks.process_photo(third.pk) == 0 and tasks.process_photo(fourth.pk) == 0
    assert states([first, second, third, fourth]) == [("tagged", 1)] * 4 and batches == [1, 2, 1]


def test_a_photo_locked_by_another_run_is_neither_processed_nor_drained(user):
    mine, theirs, waiting = uploads(user, 3)
    with other_session() as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [processing._PhotoLocks.NAMESPACE, theirs.pk])
        # Its own task, delivered while another run has it, leaves it and drains the other two.
        assert tasks.process_photo(theirs.pk) == 2
        assert states([mine, theirs, waiting]) == [("tagged", 1), ("processing", 0), ("tagged", 1)]
        Photo.objects.filter(pk=mine.pk).update(status=Photo.Status.PROCESSING, tagging_attempts=0)
        assert tasks.process_photo(mine.pk) == 1  # and a drain passes it by
        assert states([theirs]) == [("processing", 0)]
        other.execute("SELECT pg_advisory_unlock_all()")
    # That run ended without finishing it: the photo's own (redelivered) task takes it.
    assert tasks.process_photo(theirs.pk) == 1


def test_locks_are_released_after_a_run_even_when_it_fails(user, monkeypatch):
    photo, waiting = uploads(user, 2)

    def crash(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(pipeline, "predict_tags", crash)
    with pytest.raises(MemoryError):
        tasks.process_photo(photo.pk)
    with other_session() as other:
        taken = other.execute(
            "SELECT pg_try_advisory_lock(%s, %s), pg_try_advisory_lock(%s, %s)",
            [processing._PhotoLocks.NAMESPACE, photo.pk, processing._PhotoLocks.NAMESPACE, waiting.pk],
        ).fetchone()
    assert taken == (True, True)


def test_only_photos_never_attempted_are_drained(user):
    photo, retried, failed = uploads(user, 3)
    Photo.objects.filter(pk=retried.pk).update(tagging_attempts=2)  # one that may be killing workers
    Photo.objects.filter(pk=failed.pk).update(status=Photo.Status.FAILED)
    assert tasks.process_photo(photo.pk) == 1
    assert states([retried, failed]) == [("processing", 2), ("failed", 0)]


def test_a_run_past_its_soft_limit_fails_only_the_photos_still_processing(user, monkeypatch):
    done, slow = uploads(user, 2)
    real_predict = pipeline.predict_tags
    calls = []

    def slow_on_the_second_batch(images, **kwargs):
        calls.append(len(images))
        if len(calls) > 1:
            raise SoftTimeLimitExceeded()
        return real_predict(images, **kwargs)

    monkeypatch.setattr(pipeline, "predict_tags", slow_on_the_second_batch)
    assert tasks.process_photo(done.pk) == 0
    # Its own photo was finished before the limit; the drained one stays for the sweeper, original kept.
    assert states([done, slow]) == [("tagged", 1), ("processing", 1)]
    assert Photo.objects.get(pk=slow.pk).original
