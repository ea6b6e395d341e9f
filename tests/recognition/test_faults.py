"""Faults lose no photo: a broker that loses its queue, a database that drops mid-task, a deleted photo."""

import shutil
import socket
import subprocess

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from photos import services as photo_services
from photos.models import Photo, PhotoTag
from recognition import tasks
from tests.factories import UserFactory
from tests.helpers import sample_upload, service_required
from tests.workers import wait_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def throwaway_redis(tmp_path):
    """Start a private redis-server that keeps nothing on disk; yield (url, restart, kill)."""
    binary = shutil.which("redis-server")
    if binary is None:
        service_required("redis-server", "install Redis to run broker-loss tests")
    port = free_port()
    processes: list[subprocess.Popen] = []

    def start() -> None:
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        wait_for(lambda: _pings(port), timeout=10, what="redis-server", logs=tmp_path)

    def kill() -> None:
        processes[-1].kill()
        processes[-1].wait()

    start()
    yield f"redis://127.0.0.1:{port}/0", start, kill
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def _pings(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_broker_losing_its_queue_loses_no_photo(throwaway_redis, start_worker, settings, tmp_path):
    from socialsite.celery import app

    url, start_redis, kill_redis = throwaway_redis
    owner = UserFactory()
    photos = [photo_services.photo_create(owner=owner, image=sample_upload("coffee")) for _ in range(3)]
    with app.connection_for_write(url) as conn:
        for photo in photos:
            tasks.tag_photo.apply_async([photo.pk], connection=conn)
    kill_redis()  # the queue, held only in memory, is gone with it
    start_redis()
    assert set(Photo.objects.values_list("status", flat=True)) == {"processing"}

    # A worker with beat: the sweeper finds the photos still processing and queues them again.
    start_worker(
        cache_dir=settings.RECOGNITION_CACHE_DIR,
        broker_url=url,
        extra_env={"RECOGNITION_SWEEP_SECONDS": "2", "RECOGNITION_STALE_SECONDS": "1"},
        beat=True,
    )
    wait_for(
        lambda: Photo.objects.filter(status="tagged").count() == 3, timeout=120, what="re-queued tagging", logs=tmp_path
    )
    assert PhotoTag.objects.filter(source="auto", tag__name="coffee").count() == 3


@pytest.mark.django_db
def test_database_dropping_mid_task_retries_and_leaves_no_half_written_tags(user):
    photo = photo_services.photo_create(owner=user, image=sample_upload("chelsea"))
    failures = []

    def drop_first_tag_insert(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "photos_phototag"') and not failures:
            failures.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(drop_first_tag_insert):
        result = tasks.tag_photo.apply(args=[photo.pk])  # eager: retries run in place

    assert failures, "the fault was never injected"
    assert result.successful() and result.result == 1
    photo.refresh_from_db()
    assert photo.status == "tagged" and photo.tagging_attempts == 2
    auto = photo.photo_tags.filter(source="auto")
    assert auto.filter(tag__name="cat").count() == 1
    assert auto.count() == len({pt.tag_id for pt in auto})  # the failed attempt left nothing behind


@pytest.mark.django_db
def test_photo_deleted_while_queued_ends_quietly(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        photo = photo_services.photo_create(owner=user, image=sample_upload("coffee"))
    photo_services.photo_delete(photo=photo)
    assert len(queued) == 1
    result = tasks.tag_photo.apply(args=[photo.pk])
    assert result.successful() and result.result == 0
    assert not Photo.objects.filter(pk=photo.pk).exists()


@pytest.mark.django_db
def test_stale_sweeper_task_queues_what_is_left_pending(user, settings, django_capture_on_commit_callbacks):
    photo = photo_services.photo_create(owner=user, image=sample_upload("coffee"))
    Photo.objects.filter(pk=photo.pk).update(updated_at=timezone.now() - settings.RECOGNITION_STALE_AFTER * 2)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from socialsite.celery import app

    app.conf.task_always_eager = True
    try:
        assert tasks.requeue_stale_photos() == 1
    finally:
        app.conf.task_always_eager = False
    photo.refresh_from_db()
    assert photo.status == "tagged"
