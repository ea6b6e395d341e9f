"""Production settings: ``check --deploy`` is clean with a production environment, and unsafe ones are refused."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py as production would: only the environment given, no test or debug settings."""
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "SYSTEMROOT") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "socialsite.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**overrides: str) -> dict[str, str]:
    return {"DJANGO_SECRET_KEY": secrets.token_urlsafe(64), "DJANGO_ALLOWED_HOSTS": "photos.example.org"} | overrides


def test_check_deploy_reports_nothing_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_catches_a_weak_secret_key():
    """The check is live: a short, guessable key is reported (security.W009)."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env(DJANGO_SECRET_KEY="short"))
    assert result.returncode != 0 and "security.W009" in result.stdout + result.stderr


@pytest.mark.parametrize("secret", [None, ""])
def test_production_refuses_to_start_without_a_secret_key(secret):
    env = production_env()
    if secret is None:
        del env["DJANGO_SECRET_KEY"]
    else:
        env["DJANGO_SECRET_KEY"] = secret
    result = manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DJANGO_SECRET_KEY" in result.stderr


def _is_secure_behind(**env: str) -> str:
    """Return what production settings make of a request that claims HTTPS in X-Forwarded-Proto."""
    code = (
        "import django; django.setup(); from django.test import RequestFactory; "
        "print(RequestFactory().get('/', HTTP_X_FORWARDED_PROTO='https').is_secure())"
    )
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "socialsite.settings", **production_env(**env)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_x_forwarded_proto_is_trusted_only_behind_a_proxy():
    assert _is_secure_behind() == "False"  # a client sending the header itself is not believed
    assert _is_secure_behind(DJANGO_NUM_PROXIES="0") == "False"
    assert _is_secure_behind(DJANGO_NUM_PROXIES="1") == "True"


@pytest.mark.parametrize(("env", "address"), [({}, "127.0.0.1:8000"), ({"HOST": "0.0.0.0"}, "0.0.0.0:8000")])
def test_make_run_listens_where_it_says(env, address):
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    result = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert f"http://{address}/" in result.stdout
    assert f"runserver {address}" in result.stdout and "0.0.0.0" not in result.stdout.replace(address, "")
