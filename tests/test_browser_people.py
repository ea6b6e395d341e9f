"""Journeys about people in a real headless Chromium: find someone, a new person's first feed, a forgotten password.

Set SCREENSHOT_DIR to keep screenshots of each page at phone (390 px) and desktop (1280 px) widths.
"""

import os
import re
from pathlib import Path

import pytest
from django.core import mail

from photos.models import Follow
from tests.factories import FollowFactory, PhotoFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def shoot(page, name: str) -> None:
    """Keep the page at both widths when SCREENSHOT_DIR asks for it."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if not folder:
        return
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/**")


def test_find_a_person_by_name_and_follow_them_from_the_results(browser_page, live_server):
    from playwright.sync_api import expect

    UserFactory(username="walker")
    ruth = UserFactory(username="ruthie", display_name="Ruth Walker")
    FollowFactory.create_batch(2, followee=ruth)
    PhotoFactory(owner=ruth, caption="a walk in the park")
    blocker = UserFactory(username="walt")
    me = UserFactory(username="me_user")
    blocker.blocking_set.create(blocked=me)
    page = browser_page
    log_in(page, live_server.url, "me_user")

    page.get_by_label("Search photos").fill("WALK")
    page.get_by_role("button", name="Search").click()
    people = page.locator(".people-results")
    expect(people.get_by_role("heading", name="People")).to_be_visible()
    expect(people.get_by_text("Ruth Walker")).to_be_visible()
    expect(people.get_by_text("@walker")).to_be_visible()
    assert people.get_by_text("walt").count() == 0  # blocked, never shown
    shoot(page, "people-search")

    people.locator("li", has_text="Ruth Walker").get_by_role("button", name="Follow").click()
    expect(people.locator("li", has_text="Ruth Walker").get_by_role("button", name="Unfollow")).to_be_visible()
    assert "/search/?q=WALK" in page.url  # back to the results, not off to the profile
    assert Follow.objects.filter(follower=me, followee=ruth).exists()


def test_a_new_persons_first_feed_suggests_people_to_follow(browser_page, live_server):
    from playwright.sync_api import expect

    star = UserFactory(username="star", display_name="Star Gazer")
    FollowFactory.create_batch(3, followee=star)
    PhotoFactory(owner=star, caption="the moon")
    locked = UserFactory(username="locked", is_private=True)
    PhotoFactory(owner=locked)
    page = browser_page

    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill("newbie")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/upload/")
    page.get_by_role("link", name="Feed").click()

    suggestions = page.locator(".suggestions")
    expect(suggestions.get_by_role("heading", name="People you may like")).to_be_visible()
    expect(suggestions.get_by_text("Popular: 3 followers")).to_be_visible()
    assert suggestions.get_by_text("@locked").count() == 0  # a stranger's private account is no suggestion
    expect(suggestions.locator(".grid .card img")).to_have_count(1)
    shoot(page, "suggestions")
    suggestions.locator("li", has_text="Star Gazer").get_by_role("button", name="Follow").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator(".feed-card")).to_have_count(1)  # the feed now has star's photo
    expect(page.get_by_text("People you may like")).to_have_count(0)

    page.goto(f"{live_server.url}/u/locked/")
    expect(page.get_by_role("heading", name="This account is private")).to_be_visible()
    expect(page.get_by_role("button", name="Request to follow")).to_be_visible()
    assert page.get_by_text("0 photos").count() == 0
    shoot(page, "private-profile")


def test_reset_a_forgotten_password_through_the_email(browser_page, live_server, settings):
    from playwright.sync_api import expect

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    UserFactory(username="forgetful", email="forgetful@example.org")
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("forgetful@example.org")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("a brand new secret 99")
    page.get_by_label("New password confirmation").fill("a brand new secret 99")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()

    page.get_by_role("main").get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("forgetful")
    page.get_by_label("Password").fill("a brand new secret 99")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("navigation").get_by_role("link", name="forgetful")).to_be_visible()


def test_error_pages_look_like_the_site(browser_page, live_server):
    from playwright.sync_api import expect

    page = browser_page
    response = page.goto(f"{live_server.url}/no/such/page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="This page isn't here")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()
    shoot(page, "error-404")
    UserFactory(username="viewer")
    other = PhotoFactory(caption="not yours")
    log_in(page, live_server.url, "viewer")
    response = page.goto(f"{live_server.url}/p/{other.pk}/edit/")
    assert response.status == 403
    expect(page.get_by_text("Only the owner can edit this photo.")).to_be_visible()
    shoot(page, "error-403")
