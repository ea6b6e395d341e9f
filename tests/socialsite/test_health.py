"""/healthz answers "ok" only when the database does, and the container probe reads it the production way."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from socialsite.probe import probe_host

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_pings_the_database_and_says_ok(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_the_database_refuses():
    """A web process that cannot reach PostgreSQL is unhealthy (a real refused connection, port 1)."""
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "response = Client(SERVER_NAME='localhost').get('/healthz')\n"
        "print(response.status_code, repr(response.content))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "socialsite.test_settings",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere",
    }
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "503 b'database unavailable'"


@pytest.mark.parametrize(
    ("allowed", "host"),
    [("photos.example.org,www.example.org", "photos.example.org"), (".example.org", "example.org"), ("*", "localhost")],
)
def test_probe_asks_with_a_host_the_site_allows(allowed, host):
    assert probe_host(allowed) == host
