"""Development settings: the site's own error pages unless debug pages are asked for; email from the environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = "django.core.mail.backends.console.EmailBackend"
READ = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.DEBUG, s.WHITENOISE_USE_FINDERS, s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, "
    "s.EMAIL_USE_TLS]))"
)


def settings_with(**env) -> list:
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    result = subprocess.run(
        [sys.executable, "-c", READ],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "socialsite.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        # make run: development, yet the site's own 404/500 pages and the console for email
        ({"DJANGO_DEBUG": "1"}, [False, True, CONSOLE, "localhost", 25, False]),
        (
            {"DJANGO_DEBUG": "1", "DJANGO_DEBUG_PAGES": "1"},
            [True, True, CONSOLE, "localhost", 25, False],
        ),
        # debug pages never in production, even when asked for
        (
            {"DJANGO_SECRET_KEY": "k", "DJANGO_DEBUG_PAGES": "1", "EMAIL_URL": "smtp+tls://me:pw@mail.example.org:587"},
            [False, False, "django.core.mail.backends.smtp.EmailBackend", "mail.example.org", 587, True],
        ),
    ],
)
def test_debug_pages_and_email_settings(env, expected):
    assert settings_with(**env) == expected
