"""Accessibility in a real headless Chromium: axe-core on every page the site serves, at phone and desktop widths.

axe-core comes from npm (package.json, pinned by package-lock.json; ``make test`` and ``.ci/run`` install it)
and is injected into each page by Playwright as an init script, which the site's strict CSP does not govern.
The floor: no critical and no serious violation anywhere, logged in or out, empty states and /api/docs/ included.
"""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from photos.models import Follow, Notification, Photo
from tests.browser import chromium
from tests.factories import CommentFactory, FollowFactory, LikeFactory, PhotoFactory, PhotoTagFactory, UserFactory
from tests.helpers import service_required

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = [(390, 844), (1280, 900)]
FLOOR = {"critical", "serious"}


@pytest.fixture
def site():
    """Return the ids a full audit needs: people in every relation, photos in every state, notifications."""
    alice = UserFactory(username="alice", display_name="Alice A.", bio="Cats and coffee.")
    bob = UserFactory(username="bob", display_name="Bob")
    carol = UserFactory(username="carol", is_private=True)
    UserFactory(username="newbie")
    alice.blocking_set.create(blocked=UserFactory(username="troll"))
    FollowFactory(follower=alice, followee=bob)
    FollowFactory(follower=bob, followee=alice)
    FollowFactory(follower=carol, followee=alice, status=Follow.Status.PENDING)
    mine = PhotoFactory(
        owner=alice, caption="Chelsea #cat with @bob", alt_text="Photo: a tiger cat.", alt_text_source="auto"
    )
    PhotoTagFactory(
        photo=mine,
        tag__name="cat",
        tag__categories=["animal", "pet"],
        classes=[{"name": "tiger cat", "score": 0.62}, {"name": "tabby", "score": 0.2}],
        rule="tag:cat",
        model_version="efficientnet-lite0",
        taxonomy_version="1",
    )
    PhotoTagFactory(photo=mine, tag__name="chelsea", source="hashtag", confidence=1.0)
    PhotoFactory(owner=alice, status=Photo.Status.PROCESSING, image="", thumbnail="", caption="on its way")
    PhotoFactory(owner=alice, status=Photo.Status.FAILED, image="", thumbnail="", status_reason="Not an image.")
    theirs = PhotoFactory(owner=bob, caption="Morning coffee #espresso", alt_text="Two cups", alt_text_source="owner")
    PhotoTagFactory(photo=theirs, tag__name="coffee", classes=[{"name": "espresso", "score": 0.9}])
    PhotoFactory(owner=carol, caption="private life")
    LikeFactory(user=bob, photo=mine)
    CommentFactory(author=bob, photo=mine, text="What a cat! @alice")
    Notification.objects.create(recipient=alice, actor=bob, kind=Notification.Kind.LIKE, photo=mine)
    Notification.objects.create(recipient=alice, actor=bob, kind=Notification.Kind.FOLLOW)
    Notification.objects.create(recipient=alice, actor=carol, kind=Notification.Kind.FOLLOW_REQUEST)
    reset = f"{urlsafe_base64_encode(force_bytes(bob.pk))}/{default_token_generator.make_token(bob)}"
    return {"mine": mine.pk, "theirs": theirs.pk, "reset": reset}


def visitor_pages(ids: dict) -> list[str]:
    return [
        "/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/password/reset/sent/",
        "/accounts/password/reset/done/",
        "/accounts/password/reset/MQ/not-a-token/",
        f"/accounts/password/reset/{ids['reset']}/",  # the form to choose a new password
        "/explore/",
        "/search/?q=cat",
        "/search/?q=nothing-at-all",
        "/tags/cat/",
        "/tags/nothing-here/",
        "/u/alice/",
        "/u/alice/followers/",
        "/u/carol/",
        f"/p/{ids['mine']}/",
        "/no-such-page/",
        "/api/docs/",
    ]


def member_pages(ids: dict) -> list[str]:
    return [
        "/",
        "/explore/",
        "/search/?q=cat",
        "/search/?q=bo",
        "/tags/coffee/",
        "/u/alice/",
        "/u/bob/",
        "/u/carol/",
        "/u/troll/",  # someone alice blocks: the page to unblock them
        "/u/bob/following/",
        f"/p/{ids['mine']}/",
        f"/p/{ids['mine']}/edit/",
        f"/p/{ids['theirs']}/",
        f"/p/{ids['theirs']}/edit/",  # 403: not hers to edit
        f"/p/{ids['mine'] + 1}/",  # processing: the owner's placeholder
        f"/p/{ids['mine'] + 2}/",  # failed, with "Try again"
        "/upload/",
        "/notifications/",
        "/accounts/notifications/",
        "/accounts/requests/",
        "/accounts/settings/",
        "/accounts/profile/",
        "/accounts/email/",
        "/accounts/password/",
        "/accounts/password/done/",
        "/accounts/delete/",
        "/accounts/history/clear/",
        "/api/docs/",
    ]


EMPTY_PAGES = ["/", "/explore/", "/notifications/", "/accounts/requests/", "/u/newbie/", "/search/?q=zebra"]


def log_in_as(context, base: str, username: str) -> None:
    from photos.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    host = base.split("//", 1)[1].split(":")[0]
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "domain": host, "path": "/"}])


def axe_problems(page) -> list[str]:
    """Run axe-core on the page; return its critical and serious violations, one readable line each."""
    result = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
    return [
        f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])} nodes, e.g. "
        f"{violation['nodes'][0]['target']}: {violation['nodes'][0]['failureSummary'][:160]!r})"
        for violation in result["violations"]
        if violation["impact"] in FLOOR
    ]


def open_api_docs(page) -> None:
    """Wait for Swagger UI to draw the operations and schemas, then open one operation (parameters, examples)."""
    page.locator(".opblock").first.wait_for()
    page.locator(".opblock-patch .opblock-summary-control").first.click()
    page.locator(".opblock-patch .opblock-body").first.wait_for()
    page.locator(".models .model-container").first.wait_for()  # the schemas' section is open by default


def audit(page, base: str, paths: list[str]) -> list[str]:
    """Return every floor violation on ``paths`` at both widths, each prefixed with where it was found."""
    problems = []
    for path in paths:
        for width, height in WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            response = page.goto(f"{base}{path}")
            assert response is not None and response.status < 500, path
            page.wait_for_load_state("load")
            if path == "/api/docs/":
                open_api_docs(page)
            problems += [f"{path} @{width}: {problem}" for problem in axe_problems(page)]
    return problems


@pytest.fixture
def axe_browser():
    if not AXE.exists():
        service_required("axe-core", "run `npm ci` at the repository root (make test does)")
    with chromium() as browser:
        yield browser


def new_page(browser, base: str, username: str | None = None, color_scheme: str = "light"):
    context = browser.new_context(color_scheme=color_scheme)
    context.add_init_script(path=str(AXE))
    if username:
        log_in_as(context, base, username)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_no_serious_or_critical_axe_violation_for_visitors(axe_browser, live_server, site):
    problems = audit(new_page(axe_browser, live_server.url), live_server.url, visitor_pages(site))
    assert problems == [], "\n".join(problems)


def test_no_serious_or_critical_axe_violation_for_members(axe_browser, live_server, site):
    problems = audit(new_page(axe_browser, live_server.url, "alice"), live_server.url, member_pages(site))
    assert problems == [], "\n".join(problems)


def test_no_serious_or_critical_axe_violation_in_empty_states(axe_browser, live_server, site):
    problems = audit(new_page(axe_browser, live_server.url, "newbie"), live_server.url, EMPTY_PAGES)
    assert problems == [], "\n".join(problems)


def test_no_serious_or_critical_axe_violation_in_the_dark_scheme(axe_browser, live_server, site):
    page = new_page(axe_browser, live_server.url, "alice", color_scheme="dark")
    paths = ["/", f"/p/{site['mine']}/", "/u/alice/", "/notifications/", "/search/?q=cat", "/upload/", "/explore/"]
    problems = audit(page, live_server.url, paths)
    assert problems == [], "\n".join(problems)
