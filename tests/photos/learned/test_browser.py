"""In a real headless Chromium: pick examples, watch the tag learn (the page polls), switch it on."""

import threading

import pytest
from django.db import connection

from photos.learned import training
from photos.learned.models import LearnedTag

# On this branch the fixture lives in tests/test_browser.py; on main since 6f3d57e, in tests/conftest.py.

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pick_examples_watch_it_learn_and_switch_it_on(browser_page, live_server, cat_owner, tmp_path):
    from playwright.sync_api import expect

    owner, cats, others = cat_owner
    owner.set_password("correct horse battery staple")
    owner.save()
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/?next=/learned/")
    page.get_by_label("Username").fill(owner.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/learned/")

    page.get_by_label("Tag name").fill("mittens")
    for photo in cats[:3]:
        page.locator(f'input[name="examples"][value="{photo.pk}"]').check()
    page.get_by_role("button", name="Learn this tag").click()
    expect(page.get_by_text("Pick at least 5 example photos; you picked 3.")).to_be_visible()
    for photo in cats[3:5]:
        page.locator(f'input[name="examples"][value="{photo.pk}"]').check()  # the first three stay ticked
    page.get_by_role("button", name="Learn this tag").click()
    page.wait_for_url("**/learned/*/")
    expect(page.locator("progress")).to_be_visible()
    page.screenshot(path=str(tmp_path / "learning.png"))

    # The worker's part, in a thread: the page polls the API and reloads itself once it has learned.
    learned = LearnedTag.objects.get()

    def train() -> None:
        try:
            training.learned_tag_train(learned_tag_id=learned.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=train)
    worker.start()
    expect(page.get_by_role("heading", name="How well it learned (version 1)")).to_be_visible(timeout=120_000)
    worker.join()
    expect(page.get_by_role("heading", name="It would tag (2)")).to_be_visible()
    page.screenshot(path=str(tmp_path / "learned.png"), full_page=True)
    page.get_by_role("button", name="Switch on").click()
    expect(page.get_by_text("Switched on: your photos are being tagged.")).to_be_visible()
    expect(page.get_by_role("button", name="Switch off")).to_be_visible()
