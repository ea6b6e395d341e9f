"""Real Celery worker processes on a real Redis broker, for the tests whose behaviour depends on them."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.helpers import service_required

ROOT = Path(__file__).resolve().parents[1]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def redis_broker():
    """Return the Redis broker URL the app sends to, emptied; fail in CI when it is missing."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        service_required("Redis", "set REDIS_URL (e.g. redis://127.0.0.1:6379/15) to run worker tests")
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        service_required("Redis", str(error))
    client.flushdb()  # drop messages other tests queued for rows that no longer exist
    return url


@pytest.fixture
def start_worker(redis_broker, tmp_path):
    """Start real `celery worker` processes sharing the test database and media; kill them after."""
    workers: list[subprocess.Popen] = []

    def start(
        *, cache_dir: Path, extra_env: dict | None = None, broker_url: str | None = None, beat: bool = False
    ) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "socialsite.test_settings",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": broker_url or redis_broker,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "ORIGINALS_ROOT": str(settings.STORAGES["originals"]["OPTIONS"]["location"]),
            "EXPORTS_ROOT": str(settings.STORAGES["exports"]["OPTIONS"]["location"]),
            "RECOGNITION_CACHE_DIR": str(cache_dir),
            **(extra_env or {}),
        }
        log = open(tmp_path / f"worker{len(workers)}.log", "wb")  # noqa: SIM115 - closed with the process
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "socialsite",
                "worker",
                "--queues=celery,explain",  # as in the Makefile and docker-compose.yml
                "--loglevel=INFO",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                *(["--beat", f"--schedule={tmp_path / 'beat-schedule'}"] if beat else []),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def wait_for(predicate, *, timeout: float, what: str, logs: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    output = "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(logs.glob("worker*.log")))
    pytest.fail(f"timed out after {timeout}s waiting for {what}; worker logs:\n{output}")
