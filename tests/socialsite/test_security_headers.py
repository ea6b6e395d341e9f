"""The Content-Security-Policy: sent on every page, strict, and nothing in the templates needs it loosened."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import PhotoFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# Markup a strict policy refuses: inline <script> (one without src), <style>, style="", on*="" handlers.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize(
    "path", ["/", "/explore/", "/search/?q=cat", "/accounts/login/", "/api/docs/", "/api/v1/feed/"]
)
def test_every_answer_carries_a_strict_policy(client, path):
    policy = directives(client.get(path))
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert policy["img-src"][:3] == ["'self'", "data:", "blob:"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_pages_render_no_inline_script_or_style(client, user):
    photo = PhotoFactory(owner=user)
    client.force_login(user)
    for path in ["/", f"/p/{photo.pk}/", f"/u/{user.username}/", "/explore/", "/upload/", "/api/docs/"]:
        html = client.get(path).content.decode()
        assert not INLINE.findall(html), path


def test_no_template_needs_inline_script_or_style():
    offenders = {
        str(path.relative_to(ROOT)): INLINE.findall(path.read_text())
        for path in (ROOT / "templates").rglob("*.html")
        if INLINE.search(path.read_text())
    }
    assert offenders == {}


def test_api_docs_load_their_setup_script_as_a_file(client):
    html = client.get("/api/docs/").content.decode()
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1).replace("&amp;", "&")
    script = client.get(script_url)
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


@pytest.mark.parametrize(
    ("env", "origin"),
    [
        ({"AWS_S3_ENDPOINT_URL": "https://minio.example.org:9000/"}, "https://minio.example.org:9000"),
        ({}, "https://photos.s3.amazonaws.com"),
        ({"MEDIA_ORIGINS": "https://cdn.example.org"}, "https://cdn.example.org"),
    ],
)
def test_object_storage_host_is_allowed_for_images_when_configured(env, origin):
    code = "from django.conf import settings; print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "socialsite.settings", "DJANGO_DEBUG": "1"}
        | {"AWS_STORAGE_BUCKET_NAME": "photos", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(["'self'", "data:", "blob:", origin])


def test_admin_pages_render_no_inline_script_or_style(client):
    from tests.factories import UserFactory

    admin = UserFactory(is_staff=True, is_superuser=True)
    photo = PhotoFactory()
    client.force_login(admin)
    for path in [
        "/admin/",
        "/admin/photos/photo/",
        f"/admin/photos/photo/{photo.pk}/change/",
        "/admin/knox/authtoken/",
    ]:
        response = client.get(path)
        assert response.status_code == 200 and not INLINE.findall(response.content.decode()), path
