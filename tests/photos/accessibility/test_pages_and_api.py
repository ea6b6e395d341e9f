"""Alt text on every surface: upload and edit pages, the photo page's suggestion, the API, admin."""

import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from photos.limits import ALT_TEXT_MAX_LENGTH
from photos.models import Photo
from tests.factories import FollowFactory, PhotoFactory, UserFactory
from tests.helpers import client_for, jpeg_bytes

pytestmark = pytest.mark.django_db

DRAFT = "Photo: a tiger cat."


@pytest.fixture
def drafted(user):
    return PhotoFactory(owner=user, caption="Look #caturday @bob", alt_text=DRAFT, alt_text_source="auto")


def img_tags(html: str) -> list[str]:
    return re.findall(r"<img [^>]*>", html)


def test_every_img_of_a_photo_carries_its_alt_text_marked_when_machine_written(client, user, other_user, drafted):
    PhotoFactory(owner=user, caption="#nofilter", alt_text="Two cups on a table", alt_text_source="owner")
    PhotoFactory(owner=user, caption="#sunset #beach")
    FollowFactory(follower=other_user, followee=user)
    client.force_login(other_user)
    pages = [client.get(url).content.decode() for url in ["/", f"/u/{user.username}/", f"/p/{drafted.pk}/"]]
    for html in pages:
        photo_imgs = [t for t in img_tags(html) if "/media/photos/" in t or "/media/thumbs/" in t]
        assert photo_imgs
        for img in photo_imgs:
            alt = re.search(r'alt="([^"]*)"', img).group(1)
            assert alt and "#" not in alt and "@" not in alt, img
    feed = pages[0]
    assert f'alt="{DRAFT}" data-alt-source="auto"' in feed
    assert 'alt="Two cups on a table"' in feed and 'alt="Two cups on a table" data-alt-source' not in feed
    assert f'alt="Photo by {user.name}"' in feed  # the bare photo: who posted it, not its hashtags
    # Someone else sees the alt text in the image only, not the owner's suggestion box.
    assert 'id="alt-text"' not in pages[2]


def test_the_owner_is_shown_the_draft_as_a_suggestion_and_accepts_it(client, user, other_user, drafted):
    client.force_login(user)
    page = client.get(f"/p/{drafted.pk}/").content.decode()
    assert 'id="alt-text"' in page and ">auto</span>" in page and "Accept alt text" in page
    assert page.count("<h1") == 1
    other = Client()
    other.force_login(other_user)
    assert other.post(f"/p/{drafted.pk}/alt-text/accept/").status_code == 403
    response = client.post(f"/p/{drafted.pk}/alt-text/accept/")
    assert response.status_code == 302
    drafted.refresh_from_db()
    assert (drafted.alt_text, drafted.alt_text_source) == (DRAFT, "owner")
    page = client.get(f"/p/{drafted.pk}/").content.decode()
    assert "Accept alt text" not in page or 'id="alt-text-suggestion" hidden' in page
    assert 'data-alt-source="auto"' not in page


def test_saving_the_edit_page_keeps_an_untouched_draft_a_draft_and_an_edited_one_becomes_the_owners(
    client, user, drafted
):
    client.force_login(user)
    form = client.get(f"/p/{drafted.pk}/edit/").content.decode()
    assert DRAFT in form and 'name="alt_text"' in form
    client.post(f"/p/{drafted.pk}/edit/", {"caption": "New caption", "visibility": "public", "alt_text": DRAFT})
    drafted.refresh_from_db()
    assert (drafted.caption, drafted.alt_text_source) == ("New caption", "auto")
    client.post(f"/p/{drafted.pk}/edit/", {"caption": "New", "visibility": "public", "alt_text": "Chelsea, asleep"})
    drafted.refresh_from_db()
    assert (drafted.alt_text, drafted.alt_text_source) == ("Chelsea, asleep", "owner")


def test_the_upload_form_takes_alt_text_and_refuses_too_long(client, user):
    client.force_login(user)
    assert 'for="id_alt_text">Alt text' in client.get("/upload/").content.decode()
    image = io.BytesIO(jpeg_bytes())
    image.name = "a.jpg"
    long_text = "x" * (ALT_TEXT_MAX_LENGTH + 1)
    response = client.post("/upload/", {"image": image, "visibility": "public", "alt_text": long_text})
    assert response.status_code == 400 and not Photo.objects.exists()
    assert f"at most {ALT_TEXT_MAX_LENGTH} characters" in response.content.decode()
    image.seek(0)
    client.post("/upload/", {"image": image, "visibility": "public", "alt_text": "A red square"})
    assert Photo.objects.values_list("alt_text", "alt_text_source").get() == ("A red square", "owner")


def test_the_api_reads_alt_text_and_its_source_and_writes_only_the_text(user, drafted):
    api = client_for(user)
    data = api.get(f"/api/v1/photos/{drafted.pk}/").json()
    assert (data["alt_text"], data["alt_text_source"]) == (DRAFT, "auto")
    # Sending the draft back accepts it; the source itself cannot be written.
    response = api.patch(f"/api/v1/photos/{drafted.pk}/", {"alt_text": DRAFT, "alt_text_source": "auto"}, format="json")
    assert response.status_code == 200 and response.json()["alt_text_source"] == "owner"
    too_long = api.patch(f"/api/v1/photos/{drafted.pk}/", {"alt_text": "x" * 1001}, format="json")
    assert too_long.status_code == 400 and "alt_text" in too_long.json()
    cleared = api.patch(f"/api/v1/photos/{drafted.pk}/", {"alt_text": ""}, format="json").json()
    assert (cleared["alt_text"], cleared["alt_text_source"]) == ("", "")


def test_the_api_upload_takes_alt_text(user):
    image = io.BytesIO(jpeg_bytes())
    image.name = "a.jpg"
    response = client_for(user).post("/api/v1/photos/", {"image": image, "alt_text": "A red square"})
    assert response.status_code == 201
    assert (response.json()["alt_text"], response.json()["alt_text_source"]) == ("A red square", "owner")


def test_admin_edits_alt_text_through_the_service(client, drafted):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["change_photo", "view_photo"]))
    client.force_login(staff)
    page = client.get(f"/admin/photos/photo/{drafted.pk}/change/").content.decode()
    assert 'name="alt_text"' in page and "Drafted from the CNN" in page
    response = client.post(
        f"/admin/photos/photo/{drafted.pk}/change/",
        {
            "caption": drafted.caption,
            "visibility": "public",
            "alt_text": "A cat on a rug",
            "photo_tags-TOTAL_FORMS": 0,
            "photo_tags-INITIAL_FORMS": 0,
            "nudity-TOTAL_FORMS": 0,
            "nudity-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    drafted.refresh_from_db()
    assert (drafted.alt_text, drafted.alt_text_source) == ("A cat on a rug", "owner")
