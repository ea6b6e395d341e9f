"""End to end in a real headless Chromium (Debian's, driven by Playwright): the main path a person takes."""

import pytest
from PIL import Image

from photos.explore import services as explore_services
from photos.models import Photo
from tests.factories import UserFactory
from tests.helpers import processed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def loaded_width(page, image) -> int:
    """Wait until the browser has loaded and decoded the image; return its natural width."""
    handle = image.element_handle()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=handle)
    return page.evaluate("img => img.naturalWidth", handle)


def test_sign_up_upload_see_it_follow_someone_and_log_out(browser_page, live_server, tmp_path):
    from playwright.sync_api import expect
    from skimage import data

    UserFactory(username="bob", display_name="Bob")
    photo_path = tmp_path / "chelsea.jpg"
    Image.fromarray(data.chelsea()).save(photo_path, "JPEG")
    page = browser_page

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password", exact=True).fill("correct horse battery staple")
    page.get_by_label("Password confirmation").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign up").click()

    page.wait_for_url("**/upload/")
    page.get_by_label("Photo", exact=True).set_input_files(str(photo_path))
    page.get_by_label("Caption").fill("My cat #chelsea")
    page.get_by_role("button", name="Upload").click()

    page.wait_for_url("**/p/*/")
    assert page.get_by_text("My cat #chelsea").is_visible()
    expect(page.locator("#photo-placeholder")).to_be_visible()  # the worker has not made the copies yet
    expect(page.locator("#tag-status")).to_contain_text("Processing")
    processed(Photo.objects.get())  # as the worker would
    page.reload()
    image = page.locator("figure img")
    image.wait_for()
    assert loaded_width(page, image) == 451
    assert page.locator(".chip.hashtag", has_text="chelsea").is_visible()
    page.screenshot(path=str(tmp_path / "photo.png"))

    page.get_by_role("link", name="Feed").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator(".feed-card .feed-image img").count() == 1

    page.goto(f"{live_server.url}/u/bob/")
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()  # waits for the reload
    expect(page.get_by_text("1 follower", exact=True)).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("navigation").get_by_role("link", name="Log in").is_visible()
    assert page.get_by_text("Latest public photos").is_visible()


def _noise_jpeg(path, size: tuple[int, int]) -> None:
    import numpy as np

    pixels = np.random.default_rng(1).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, "JPEG", quality=95)


def test_upload_previews_checks_limits_and_shows_real_progress_on_a_slow_connection(
    browser_page, live_server, settings, tmp_path
):
    from playwright.sync_api import expect

    settings.PHOTO_MAX_BYTES = 3 * 2**20
    UserFactory(username="dana", password="correct horse battery staple")
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/upload/")
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    photo_input = page.get_by_label("Photo", exact=True)
    problem = page.locator("#upload-problem")

    # Refused in the page, with the server's limits, and never sent.
    too_big, text = tmp_path / "big.jpg", tmp_path / "notes.txt"
    _noise_jpeg(too_big, (1800, 1800))
    assert too_big.stat().st_size > settings.PHOTO_MAX_BYTES
    text.write_text("not a photo")
    photo_input.set_input_files(str(too_big))
    expect(problem).to_contain_text("the limit is 3 MB")
    page.get_by_role("button", name="Upload").click()
    photo_input.set_input_files(str(text))
    expect(problem).to_contain_text("Unsupported file type: text/plain")
    assert posts == []

    # A photo that fits: previewed, then sent on a slow link with the bar moving and the button disabled.
    photo = tmp_path / "photo.jpg"
    _noise_jpeg(photo, (1000, 800))
    photo_input.set_input_files(str(photo))
    expect(problem).to_be_hidden()
    preview = page.get_by_role("img", name="Preview of the chosen photo")
    expect(preview).to_be_visible()
    assert loaded_width(page, preview) == 1000
    cdp = page.context.new_cdp_session(page)
    size = photo.stat().st_size
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": size / 4},  # ~4 s
    )
    page.get_by_role("button", name="Upload").click()
    seen, disabled = set(), []
    while "/p/" not in page.url:
        try:
            value, maximum, off = page.evaluate(
                "() => { const p = document.getElementById('upload-progress');"
                " return [p.value, p.max, document.querySelector('#upload-form button').disabled]; }"
            )
        except Exception:  # the page navigated away between two looks
            break
        if 0 < value < maximum:
            seen.add(value)
        disabled.append(off)
        page.wait_for_timeout(50)
    page.wait_for_url("**/p/*/")
    assert len(seen) >= 3, f"the progress bar showed only {sorted(seen)}"
    assert disabled and all(disabled)
    expect(page.locator("#tag-status")).to_contain_text("Processing")
    assert Photo.objects.get().status == Photo.Status.PROCESSING


@pytest.mark.worker
def test_photo_page_shows_tags_and_where_the_network_looked_without_a_reload(
    browser_page, live_server, start_worker, settings, tmp_path
):
    from playwright.sync_api import expect
    from skimage import data

    start_worker(cache_dir=settings.RECOGNITION_CACHE_DIR)
    UserFactory(username="carol", password="correct horse battery staple")
    photo_path = tmp_path / "coffee.jpg"
    Image.fromarray(data.coffee()).save(photo_path, "JPEG")
    page = browser_page

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("carol")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/upload/")
    page.get_by_label("Photo", exact=True).set_input_files(str(photo_path))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/p/*/")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    # The page polls the API and fills the tags in place once the worker has tagged the photo.
    page.locator("#tag-status.status-tagged").wait_for(timeout=90_000)
    assert navigations == []
    assert loaded_width(page, page.locator("figure img")) == 600  # the placeholder gave way to the copy
    # The worker drafted the alt text from what the network saw; the owner is offered it to accept or edit.
    image = page.get_by_role("img", name="Photo: an espresso.")
    assert image.get_attribute("data-alt-source") == "auto"
    assert page.locator("#alt-text").get_by_text("auto", exact=True).is_visible()
    assert page.get_by_role("button", name="Accept alt text").is_visible()
    coffee = page.locator("#tag-list li.auto", has_text="coffee")
    assert coffee.is_visible()
    coffee.get_by_text("Why?").click()
    assert coffee.get_by_text("espresso").is_visible()

    # Explainability as a picture: the worker draws where the network found the coffee.
    coffee.get_by_role("button", name="Show where the network looked").click()
    heat_map = coffee.get_by_role("img", name="Heat map of where the network found coffee")
    heat_map.wait_for(timeout=90_000)
    assert loaded_width(page, heat_map) == 336
    page.screenshot(path=str(tmp_path / "tagged.png"), full_page=True)

    # The owner's corrections work on the tags drawn in place: confirm coffee, then remove it.
    coffee.get_by_role("button", name="Confirm the tag coffee").click()
    confirmed = page.locator("#tag-list li.confirmed", has_text="coffee")
    expect(confirmed).to_contain_text("Confirmed by you")
    confirmed.get_by_role("button", name="Remove the tag coffee").click()
    expect(page.get_by_text("Tag removed.")).to_be_visible()
    expect(page.locator("#tag-list li", has_text="coffee")).to_have_count(0)


# Records every Content-Security-Policy violation a page reports, from before its first script runs.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + event.sourceFile);
});
"""


def test_main_pages_break_no_rule_of_the_content_security_policy(browser_page, live_server):
    from playwright.sync_api import expect

    from photos.models import User
    from tests.factories import PhotoFactory, PhotoTagFactory

    owner = UserFactory(username="dora", password="correct horse battery staple")
    other = UserFactory(username="eve", is_private=True)
    seen = PhotoFactory(owner=other, visibility="public", caption="a #tabby")
    PhotoTagFactory(photo=seen, tag__name="cat", tag__categories=["animal"])
    User.objects.filter(pk=other.pk).update(is_private=False)
    explore_services.photo_view_record(user=owner, photo=seen)
    own = PhotoFactory(owner=owner, caption="mine")
    page = browser_page
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    visited = []

    def visit(path: str) -> None:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        visited.append((path, page.evaluate("window.__cspViolations")))

    for path in ["/", "/explore/", "/search/?q=cat", "/tags/cat/", "/accounts/signup/", "/accounts/login/"]:
        visit(path)
    page.get_by_label("Username").fill("dora")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    for path in ["/", "/explore/", "/upload/", "/accounts/profile/", "/accounts/requests/", f"/p/{seen.pk}/"]:
        visit(path)
    for path in ["/notifications/", "/accounts/notifications/"]:
        visit(path)
    visit("/u/dora/")
    expect(page.locator(".interest-charts svg.interest-bars").first).to_be_visible()  # styled from the file
    visit("/u/eve/")

    # The confirmations moved from onsubmit attributes to static/js/confirm.js, and still ask.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Block").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{live_server.url}/u/eve/"
    assert not owner.blocking_set.exists()
    visit(f"/p/{own.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(f"{live_server.url}/u/dora/")
    assert not type(own).objects.filter(pk=own.pk).exists()
    # Clearing the history asks in a dialog; once accepted, the server does not ask again.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Clear history…").click()
    page.wait_for_url(f"{live_server.url}/u/dora/")
    expect(page.get_by_text("History cleared")).to_be_visible()

    # The API docs: Swagger UI renders the schema with its setup script loaded as a file.
    visit("/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    visited.append(("/api/docs/ (rendered)", page.evaluate("window.__cspViolations")))

    assert [(path, found) for path, found in visited if found] == []
    assert [text for text in console if "Content Security Policy" in text] == []
