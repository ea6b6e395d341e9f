"""The site on a phone and by keyboard, in a real headless Chromium: one-row header, bottom bar, 3-column grids,
no sideways scrolling at 320 px, dark scheme and reduced motion honoured, and every action reachable with Tab."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from photos.models import Photo, User
from photos.search.index import photos_search_index_refresh
from tests.factories import FollowFactory, PhotoFactory, PhotoTagFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# The most a one-row header may take on a phone (it took two rows, 117 px, before).
PHONE_HEADER_MAX_PX = 64


@pytest.fixture
def site():
    alice = UserFactory(username="alice", display_name="Alice")
    bob = UserFactory(username="bob", display_name="Bob")
    FollowFactory(follower=alice, followee=bob)
    # Explore shows at most two photos per owner on its first page: three owners fill a row or two.
    owners = [bob] * 4 + [UserFactory(username="carol")] * 2 + [UserFactory(username="dave")] * 2
    photos = [PhotoFactory(owner=owner, caption=f"Cat number {i} #cat") for i, owner in enumerate(owners)]
    for photo in photos:
        PhotoTagFactory(photo=photo, tag__name="cat", classes=[{"name": "tabby", "score": 0.8}])
    mine = PhotoFactory(owner=alice, caption="Mine #cat", alt_text="Photo: a tabby.", alt_text_source="auto")
    PhotoTagFactory(photo=mine, tag__name="cat", classes=[{"name": "tabby", "score": 0.8}])
    photos_search_index_refresh([photo.pk for photo in [*photos, mine]])
    return {"mine": mine.pk}


def log_in(page, base: str, username: str) -> None:
    client = Client()
    client.force_login(User.objects.get(username=username))
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    host = base.split("//", 1)[1].split(":")[0]
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "domain": host, "path": "/"}]
    )


def grid_columns(page) -> int:
    """Return how many cards sit side by side in the page's first grid row."""
    return page.evaluate(
        """() => {
          const cards = [...document.querySelectorAll('.grid > .card')];
          const top = cards[0].getBoundingClientRect().top;
          return cards.filter((c) => Math.abs(c.getBoundingClientRect().top - top) < 2).length;
        }"""
    )


def test_on_a_phone_the_header_is_one_row_and_the_main_places_sit_in_a_bottom_bar(browser_page, live_server, site):
    from playwright.sync_api import expect

    page = browser_page
    log_in(page, live_server.url, "alice")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/")
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] <= PHONE_HEADER_MAX_PX
    # Everything in the header shares one row: no element starts below the first one's bottom.
    assert page.evaluate(
        """() => {
          const bar = document.querySelector('header.topbar').getBoundingClientRect();
          return [...document.querySelectorAll('header.topbar > *')]
            .map((e) => e.getBoundingClientRect()).filter((r) => r.height > 0)
            .every((r) => r.top >= bar.top && r.bottom <= bar.bottom);
        }"""
    )
    bar = page.get_by_role("navigation", name="Main, bottom")
    expect(bar).to_be_visible()
    assert [name.strip() for name in bar.get_by_role("link").all_inner_texts()] == [
        "Feed",
        "Search",
        "Upload",
        "Explore",
        "Profile",
    ]
    box = bar.bounding_box()
    assert box["y"] + box["height"] == pytest.approx(PHONE["height"], abs=1)  # pinned to the bottom
    expect(bar.get_by_role("link", name="Feed")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="Notifications")).to_be_visible()  # the bell stays at the top
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()  # in Settings on a phone
    assert page.get_by_label("Search photos").bounding_box()["width"] >= 180
    bar.get_by_role("link", name="Profile").click()
    page.wait_for_url("**/u/alice/")

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(bar).to_be_hidden()
    assert page.locator("header.topbar").bounding_box()["height"] <= 72
    expect(page.get_by_role("navigation", name="Main", exact=True).get_by_role("link", name="Explore")).to_be_visible()


def test_profiles_tags_search_and_explore_are_three_square_columns_on_a_phone(browser_page, live_server, site):
    page = browser_page
    log_in(page, live_server.url, "alice")
    for path in ["/u/bob/", "/tags/cat/", "/search/?q=cat", "/explore/"]:
        page.set_viewport_size(PHONE)
        page.goto(f"{live_server.url}{path}")
        assert page.locator(".grid > .card").count() >= 4, (path, page.locator("main").inner_text()[:500])
        assert grid_columns(page) == 3, path
        box = page.locator(".grid > .card img").first.bounding_box()
        assert box["width"] == pytest.approx(box["height"], abs=1), path
        assert box["width"] > 100, path
        page.set_viewport_size({"width": 1280, "height": 900})
        assert grid_columns(page) >= 4, path


@pytest.mark.parametrize("signed_in", [True, False])
def test_nothing_scrolls_sideways_at_320_px(browser_page, live_server, site, signed_in):
    page = browser_page
    if signed_in:
        log_in(page, live_server.url, "alice")
    page.set_viewport_size({"width": 320, "height": 640})
    paths = ["/", "/explore/", "/search/?q=cat", "/tags/cat/", "/u/bob/", f"/p/{site['mine']}/"]
    paths += ["/upload/", "/notifications/", f"/p/{site['mine']}/edit/"] if signed_in else ["/accounts/login/"]
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], f"{path} is {width[0]} px wide at 320"


def test_dark_scheme_and_reduced_motion_are_honoured(browser_page, live_server, site):
    page = browser_page
    page.goto(f"{live_server.url}/")
    light = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    page.emulate_media(color_scheme="dark", reduced_motion="reduce")
    page.reload()
    dark = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert light != dark
    red, green, blue = (int(x) for x in dark[dark.index("(") + 1 : -1].split(",")[:3])
    assert red + green + blue < 3 * 64  # a dark background
    log_in(page, live_server.url, "alice")
    processing = PhotoFactory(owner=User.objects.get(username="alice"), status=Photo.Status.PROCESSING, image="")
    page.goto(f"{live_server.url}/p/{processing.pk}/")
    duration = page.evaluate("() => getComputedStyle(document.querySelector('.spinner')).animationDuration")
    assert float(duration.rstrip("ms")) < 0.1


def focus_stops(page, limit: int = 80) -> list[str]:
    """Press Tab ``limit`` times from the top of the page; return a name for each element that took focus."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stops.append(
            page.evaluate(
                """() => {
                  const e = document.activeElement;
                  const label = e.labels && e.labels.length ? e.labels[0].innerText : "";
                  return (e.getAttribute('aria-label') || label || e.innerText || e.getAttribute('alt') || e.tagName)
                    .trim().replace(/\\s+/g, ' ');
                }"""
            )
        )
    return stops


def test_the_keyboard_reaches_and_works_everything(browser_page, live_server, site):
    from playwright.sync_api import expect

    page = browser_page
    log_in(page, live_server.url, "alice")
    for viewport in (PHONE, {"width": 1280, "height": 900}):
        page.set_viewport_size(viewport)
        page.goto(f"{live_server.url}/")
        # The first Tab shows the skip link; Enter moves focus past the header to the content.
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        assert skip.bounding_box()["y"] >= 0
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "main"

    # The feed: like and comment without a mouse.
    page.goto(f"{live_server.url}/")
    stops = focus_stops(page, 40)
    assert {"Skip to content", "Search", "Notifications", "Feed", "Upload", "Explore", "Like", "Post"} <= set(stops)
    page.goto(f"{live_server.url}/")
    card = page.locator(".feed-card").first
    card.get_by_role("button", name="Like", exact=True).focus()
    page.keyboard.press("Enter")
    expect(card.get_by_role("button", name="Unlike", exact=True)).to_be_visible()
    card.get_by_label("Add a comment").focus()
    page.keyboard.type("Typed without a mouse")
    page.keyboard.press("Enter")
    expect(card.get_by_text("Typed without a mouse")).to_be_visible()

    # The photo page: every action of the owner is a stop, and the alt-text suggestion is accepted by keyboard.
    page.goto(f"{live_server.url}/p/{site['mine']}/")
    stops = focus_stops(page, 40)
    for action in [
        "Unlike",
        "Edit",
        "Delete",
        "Accept alt text",
        "Edit alt text",
        "Why?",
        "Add a comment",
        "Post comment",
    ]:
        assert action in stops, (action, stops)
    page.get_by_role("button", name="Accept alt text").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Alt text accepted.")).to_be_visible()
    assert Photo.objects.get(pk=site["mine"]).alt_text_source == "owner"


def test_a_photo_card_shows_its_whole_focus_ring(browser_page, live_server, site):
    page = browser_page
    for viewport in (PHONE, {"width": 1280, "height": 900}):
        page.set_viewport_size(viewport)
        page.goto(f"{live_server.url}/u/bob/")
        link = page.locator(".grid > .card > a").first
        for _ in range(40):
            page.keyboard.press("Tab")
            if link.evaluate("a => a === document.activeElement"):
                break
        else:
            pytest.fail("Tab never reached the first photo card")
        style = link.evaluate("a => { const s = getComputedStyle(a); return [s.outlineStyle, s.outlineWidth]; }")
        assert style == ["solid", "3px"]
        # Nothing between the link and the page clips the ring (the card used overflow: hidden).
        assert link.evaluate(
            """a => { for (let e = a.parentElement; e; e = e.parentElement) {
                        if (getComputedStyle(e).overflow !== 'visible') return false; } return true; }"""
        )
