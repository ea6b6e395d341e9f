"""Journeys in a real headless Chromium: the feed in place, a mention that notifies, a follow request approved.

Screenshots of the feed and the notifications page at phone and desktop widths go to SCREENSHOT_DIR when
it is set (for looking at them), else to the test's temp dir.
"""

import os
from pathlib import Path

import pytest

from photos.models import Comment, Follow, Like
from tests.factories import FollowFactory, PhotoFactory, PhotoTagFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("networkidle")


def shoot(page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"{name}-{width}.png"))


def test_like_and_comment_in_the_feed_without_a_reload_and_a_mention_notifies(browser_page, live_server, tmp_path):
    from playwright.sync_api import expect

    alice = UserFactory(username="alice", display_name="Alice", password=PASSWORD)
    bob = UserFactory(username="bob", display_name="Bob", password=PASSWORD)
    UserFactory(username="carol", display_name="Carol", password=PASSWORD)
    FollowFactory(follower=alice, followee=bob)
    older = PhotoFactory.create_batch(14, owner=bob, caption="an older one")
    photo = PhotoFactory(owner=bob, caption="Morning coffee with @alice #espresso", width=64, height=48)
    PhotoTagFactory(photo=photo, tag__name="coffee")
    page = browser_page

    log_in(page, live_server, "alice")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    card = page.locator(".feed-card").first
    expect(card.get_by_role("link", name="@alice", exact=True)).to_be_visible()
    card.get_by_role("button", name="Like", exact=True).click()
    expect(card.get_by_role("button", name="Unlike", exact=True)).to_be_visible()
    expect(card.locator(".like-count")).to_have_text("1 like")

    box = card.get_by_label("Add a comment")
    box.fill("")
    box.press_sequentially("so good @ca")
    card.get_by_role("option", name="@carol · Carol").click()
    expect(box).to_have_value("so good @carol ")
    box.press_sequentially("look")
    card.get_by_role("button", name="Post").click()
    expect(card.locator(".feed-comments li", has_text="so good @carol look")).to_be_visible()
    expect(card.locator(".feed-comments li a.mention")).to_have_attribute("href", "/u/carol/")
    expect(box).to_have_value("")

    # More cards arrive as the person scrolls, in the same page.
    assert page.locator(".feed-card").count() == 12
    page.locator("[data-feed-more]").scroll_into_view_if_needed()
    expect(page.locator(".feed-card")).to_have_count(1 + len(older))
    assert navigations == []
    assert Like.objects.filter(user=alice, photo=photo).exists()
    assert Comment.objects.get(photo=photo).text == "so good @carol look"
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, tmp_path, "feed")
    log_out(page)

    # Carol was mentioned: the badge says so, and the notifications page tells her by whom.
    log_in(page, live_server, "carol")
    expect(page.locator(".notifications-link .count-badge")).to_have_text("1 unread")
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_text("Alice mentioned you")).to_be_visible()
    expect(page.locator(".notifications-link .count-badge")).to_have_count(0)
    log_out(page)

    # Bob hears of the like and the comment.
    log_in(page, live_server, "bob")
    expect(page.locator(".notifications-link .count-badge")).to_have_text("2 unread")
    shoot(page, tmp_path, "badge")
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_text("Alice liked your photo")).to_be_visible()
    expect(page.get_by_text("Alice commented on your photo")).to_be_visible()
    shoot(page, tmp_path, "notifications")


def test_a_follow_request_shows_in_the_badge_and_is_approved(browser_page, live_server):
    from playwright.sync_api import expect

    dan = UserFactory(username="dan", is_private=True, password=PASSWORD)
    erin = UserFactory(username="erin", display_name="Erin", password=PASSWORD)
    page = browser_page

    log_in(page, live_server, "erin")
    page.goto(f"{live_server.url}/u/dan/")
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_role("button", name="Cancel follow request")).to_be_visible()
    log_out(page)

    log_in(page, live_server, "dan")
    expect(page.locator(".notifications-link .count-badge")).to_have_text("1 unread")
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_text("Erin asked to follow you")).to_be_visible()
    page.get_by_role("link", name="Review requests").click()
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state("networkidle")
    assert Follow.objects.get(follower=erin, followee=dan).status == Follow.Status.ACCEPTED
    log_out(page)

    log_in(page, live_server, "erin")
    expect(page.locator(".notifications-link .count-badge")).to_have_text("1 unread")
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_text("dan approved your follow request")).to_be_visible()
