"""Explanation tasks: one pending per photo, on their own queue so they never delay tagging."""

import pytest
import redis

from photos import services as photo_services
from photos.models import Photo, PhotoTag
from recognition import tasks
from socialsite.celery import app
from tests.factories import PhotoFactory, PhotoTagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_explanations(monkeypatch) -> list[int]:
    queued: list[int] = []
    monkeypatch.setattr(tasks.explain_photo, "delay", queued.append)
    return queued


def test_repeated_explanation_requests_queue_one_task_until_it_has_run(
    queued_explanations, django_capture_on_commit_callbacks
):
    photo = PhotoFactory(status=Photo.Status.TAGGED)
    PhotoTagFactory(photo=photo, source=PhotoTag.Source.AUTO)

    with django_capture_on_commit_callbacks(execute=True):
        answers = [photo_services.photo_explanation_request(photo=photo) for _ in range(5)]
    assert answers == ["queued"] * 5
    assert queued_explanations == [photo.pk]

    # The task runs and finds nothing it can draw (the stored file is gone): the photo is free again.
    photo.image.storage.delete(photo.image.name)
    assert tasks.explain_photo(photo.pk) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert photo_services.photo_explanation_request(photo=photo) == "queued"
    assert queued_explanations == [photo.pk, photo.pk]


def test_a_finished_explanation_is_reused_not_queued(queued_explanations, django_capture_on_commit_callbacks):
    photo = PhotoFactory(status=Photo.Status.TAGGED)
    PhotoTagFactory(photo=photo, source=PhotoTag.Source.AUTO, explanation="explain/done.jpg")

    with django_capture_on_commit_callbacks(execute=True):
        assert photo_services.photo_explanation_request(photo=photo) == "ready"
    assert queued_explanations == []


def test_explanations_are_routed_to_their_own_queue():
    route = app.amqp.router.route
    assert route({}, tasks.explain_photo.name)["queue"].name == "explain"
    for task in (tasks.tag_photo, tasks.tag_photos, tasks.requeue_stale_photos):
        assert route({}, task.name)["queue"].name == "celery"


def test_the_broker_holds_explanations_and_tagging_in_separate_queues(redis_broker):
    client = redis.Redis.from_url(redis_broker)
    try:
        tasks.explain_photo.delay(10**9)
        tasks.tag_photo.delay(10**9)
        assert (client.llen("explain"), client.llen("celery")) == (1, 1)
    finally:
        client.flushdb()  # no worker will ever take these
