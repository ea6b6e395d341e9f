"""In a real headless Chromium: an owner sees the faces the worker found, blurs them; visitors get the blurred copy."""

import io

import numpy as np
import pytest
from PIL import Image

from photos import services
from photos.faces.models import PhotoFaces
from socialsite.celery import app as celery_app
from tests.factories import UserFactory
from tests.helpers import processed, sample_upload
from tests.test_browser_people import log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float)


@pytest.fixture
def eager_tasks():
    """Run the blur task where it is queued (after the request's commit), as a worker would, but here."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def test_the_owner_blurs_the_faces_and_visitors_get_only_the_blurred_copy(browser_page, live_server, eager_tasks):
    from playwright.sync_api import expect

    owner = UserFactory(username="eileen")
    photo = processed(services.photo_create(owner=owner, image=sample_upload("astronaut"), caption="Crew portrait"))
    sharp_url = photo.image.url
    page = browser_page
    log_in(page, live_server.url, "eileen")
    page.goto(f"{live_server.url}/p/{photo.pk}/")
    expect(page.locator(".face-count")).to_have_text("1 face")
    sharp = page.request.get(f"{live_server.url}{sharp_url}").body()

    page.get_by_role("button", name="Blur faces").click()
    expect(page.get_by_role("button", name="Unblur faces")).to_be_visible()
    page.reload()
    blurred_url = page.locator("figure img").get_attribute("src")
    assert blurred_url != sharp_url
    blurred = page.request.get(f"{live_server.url}{blurred_url}").body()
    before, after = _pixels(sharp), _pixels(blurred)
    left, top, right, bottom = PhotoFaces.objects.get(photo=photo).boxes[0]
    h, w = before.shape[:2]
    face = (slice(int(top * h), int(bottom * h)), slice(int(left * w), int(right * w)))
    assert np.abs(after[face] - before[face]).mean() > 8  # the face is blurred
    corner = (slice(int(0.85 * h), h), slice(int(0.8 * w), w))
    assert np.abs(after[corner] - before[corner]).mean() < 2  # the rest is as it was
    shoot(page, "faces-blurred")

    visitor = page.context.browser.new_page()
    visitor.goto(f"{live_server.url}/p/{photo.pk}/")
    assert visitor.locator("figure img").get_attribute("src") == blurred_url
    expect(visitor.locator(".face-count")).to_have_count(0)  # the count is the owner's alone
    assert visitor.request.get(f"{live_server.url}{sharp_url}").status == 404  # the sharp copy is not served
    visitor.close()
