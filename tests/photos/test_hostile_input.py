"""Hostile uploads, captions and queries through ``POST /api/v1/photos/``, the upload page and search.

The image generators come from the pipeline's unit tests; here every case goes through HTTP, and
what is checked is what reaches the database, the media folder, the task queue and the pages.
"""

import io
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import ExifTags, Image

from photos.imaging import ACCEPTED
from photos.models import Photo, PopularPhoto, User
from tests.factories import UserFactory
from tests.helpers import client_for, processed
from tests.photos.test_imaging import (
    BLUE,
    GREEN,
    RED,
    WHITE,
    assert_metadata_free,
    close_to,
    encode,
    exif_with_secrets,
    fits_bytes,
    load_calls,  # noqa: F401 - a fixture: records pixel decodes
    palette_with_transparency,
    png_header_only,
    progressive_jpeg,
    two_tone,
)

pytestmark = pytest.mark.django_db

STORED_NAME = re.compile(r"(photos|thumbs)/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}\.jpg")


def _noise_jpeg(side: int = 256) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    return encode(Image.fromarray(pixels), "JPEG")


REFUSED = {
    # name: (bytes, status, words the message must contain)
    "empty file": (b"", 400, ["empty", ACCEPTED]),
    "truncated JPEG": (_noise_jpeg()[:3000], 400, ["truncated or corrupt", ACCEPTED]),
    "PNG whose chunks end early": (encode(Image.new("RGB", (64, 64), RED), "PNG")[:-20], 400, ["truncated", ACCEPTED]),
    "HTML named .jpg": (b"<!DOCTYPE html><html><script>alert(1)</script></html>", 415, ["HTML", ACCEPTED]),
    "text named .jpg": (b"just some words, not a photo\n", 415, ["text", ACCEPTED]),
    "SVG with script": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
        415,
        ["SVG", ACCEPTED],
    ),
    "PDF": (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", 415, ["PDF", ACCEPTED]),
    "HEIC": (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64), 415, ["Unsupported file type: HEIC.", ACCEPTED]),
    "TIFF": (encode(Image.new("RGB", (8, 8)), "TIFF"), 415, ["TIFF", ACCEPTED]),
    "PSD": (b"8BPS\0\x01" + bytes(6) + b"\0\x03\0\0\0\x08\0\0\0\x08\0\x08\0\x03" + bytes(64), 415, ["PSD"]),
    "FITS": (fits_bytes(), 415, ["FITS", ACCEPTED]),
    "PNG claiming 40000x40000": (png_header_only(40_000, 40_000), 413, ["40000x40000", "megapixels"]),
    "PNG of 10000x10000": (encode(Image.new("1", (10_000, 10_000)), "PNG"), 413, ["10000x10000", "megapixels"]),
    "progressive JPEG of 1000 scans": (
        progressive_jpeg(Image.new("RGB", (64, 64), RED), repeat=100),
        422,
        ["more than 100 scans", "at most 100 are accepted", "baseline"],
    ),
}


def multipart_file(data: bytes, name: str = "photo.jpg") -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def post_photo(client, data: bytes, name: str = "photo.jpg", **fields):
    return client.post("/api/v1/photos/", {"image": multipart_file(data, name), **fields}, format="multipart")


def post_page(client, data: bytes, name: str = "photo.jpg", **fields):
    return client.post("/upload/", {"image": multipart_file(data, name), "visibility": "public", **fields})


def media_files(media_root: Path) -> list[Path]:
    return sorted(path for path in media_root.rglob("*") if path.is_file()) if media_root.exists() else []


@pytest.fixture
def uploader(user):
    return client_for(user)


@pytest.fixture
def page_uploader(client, user):
    client.force_login(user)
    return client


def stored(photo: Photo) -> tuple[bytes, bytes]:
    with photo.image.open("rb") as image, photo.thumbnail.open("rb") as thumbnail:
        return image.read(), thumbnail.read()


def accept(client, media_root, data: bytes, capture, name: str = "photo.jpg", **fields) -> Photo:
    """Upload through the API, then run the worker's pass; check the original kept outside MEDIA_ROOT until
    then, one queued task, and after it two metadata-free files inside MEDIA_ROOT and no original."""
    with capture() as queued:
        response = post_photo(client, data, name, **fields)
    assert response.status_code == 201, response.content
    photo = Photo.objects.get(pk=response.json()["id"])
    assert len(queued) == 1  # the processing task, queued on commit
    assert photo.status == "processing" and media_files(media_root) == []
    assert not Path(photo.original.path).resolve().is_relative_to(Path(media_root).resolve())
    with capture(execute=True):
        photo = processed(photo)
    assert photo.status == "tagged" and not photo.original
    for field in (photo.image, photo.thumbnail):
        assert STORED_NAME.fullmatch(field.name), field.name
        assert Path(field.path).resolve().is_relative_to(Path(media_root).resolve())
    assert len(media_files(media_root)) == 2
    for data_stored in stored(photo):
        assert_metadata_free(data_stored)
    return photo


def first_pixel(photo: Photo, xy=None) -> tuple[int, ...]:
    img = Image.open(photo.image.open("rb")).convert("RGB")
    return img.getpixel(xy or (img.width // 2, img.height // 2))


# Refused: 4xx saying what is accepted, and nothing left behind ----------------------------------


@pytest.mark.parametrize("case", REFUSED)
@pytest.mark.parametrize("surface", ["api", "page"])
def test_refused_uploads_say_why_and_leave_nothing(
    case, surface, request, uploader, page_uploader, media_root, originals_root, django_capture_on_commit_callbacks
):
    data, status, words = REFUSED[case]
    decodes = request.getfixturevalue("load_calls")
    with django_capture_on_commit_callbacks() as queued:
        if surface == "api":
            response = post_photo(uploader, data)
            message = " ".join(response.json()["image"])
        else:
            response = post_page(page_uploader, data)
            message = response.content.decode().replace("&#x27;", "'")

    assert response.status_code == status
    for word in words:
        assert word in message
    assert not Photo.objects.exists() and media_files(media_root) == [] and queued == []
    assert media_files(originals_root) == []
    assert decodes == []  # refused from the bytes, headers and structure: the request decodes no pixel


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"caption": "nul\x00byte"}, "caption"),
        ({"caption": "x" * 2201}, "caption"),
        ({"visibility": "friends"}, "visibility"),
    ],
)
def test_bad_captions_and_visibilities_are_refused_before_anything_is_written(
    fields, field, uploader, page_uploader, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        api = post_photo(uploader, encode(Image.new("RGB", (32, 32), RED), "PNG"), **fields)
        page = post_page(page_uploader, encode(Image.new("RGB", (32, 32), RED), "PNG"), **fields)

    assert api.status_code == 400 and field in api.json()
    assert page.status_code == 400
    assert not Photo.objects.exists() and media_files(media_root) == [] and queued == []


def test_body_over_the_size_cap_is_413(settings, uploader, media_root, django_capture_on_commit_callbacks):
    settings.PHOTO_MAX_BYTES = 20_000
    big = _noise_jpeg(512)  # ~100 KB: over the cap and its allowance for form fields
    slightly_over = _noise_jpeg(256)  # ~40 KB: inside the allowance, so the pipeline's cap decides
    assert len(big) > 20_000 + 64 * 1024 and 20_000 < len(slightly_over) < 20_000 + 64 * 1024

    with django_capture_on_commit_callbacks() as queued:
        declared = post_photo(uploader, big)
        measured = post_photo(uploader, slightly_over)

    assert declared.status_code == 413 and "larger than 20,000 bytes" in declared.json()["image"][0]
    assert measured.status_code == 413 and "larger than 20,000 bytes" in measured.json()["image"][0]
    assert not Photo.objects.exists() and media_files(media_root) == [] and queued == []


# Avatars: their own small pixel cap, the same scan cap, stored only re-encoded -------------------

AVATAR_BOMBS = {
    # name: (how to make it, status, words the message must contain). 8000x6250 is exactly the
    # photo cap (50 megapixels): only the avatar cap refuses these.
    "50-megapixel WebP": (
        lambda: encode(Image.new("RGB", (8000, 6250), GREEN), "WEBP", lossless=True, method=0),
        413,
        ["8000x6250", "limit is 16.8 megapixels"],
    ),
    "50-megapixel PNG": (lambda: encode(Image.new("1", (8000, 6250)), "PNG"), 413, ["8000x6250", "16.8 megapixels"]),
    "JPEG of 1000 scans": (
        lambda: progressive_jpeg(Image.new("RGB", (64, 64), RED), repeat=100),
        422,
        ["more than 100 scans", "at most 100 are accepted"],
    ),
}


def patch_avatar(surface: str, client, data: bytes, **fields):
    if surface == "api":
        return client.patch("/api/v1/users/me/", {"avatar": multipart_file(data), **fields}, format="multipart")
    return client.post("/accounts/profile/", {"avatar": multipart_file(data), **fields})


@pytest.mark.parametrize("case", AVATAR_BOMBS)
@pytest.mark.parametrize("surface", ["api", "page"])
def test_avatar_bombs_are_refused_from_the_header_and_change_nothing(
    case,
    surface,
    uploader,
    page_uploader,
    user,
    media_root,
    load_calls,  # noqa: F811 - the imported fixture
):
    make, status, words = AVATAR_BOMBS[case]
    data = make()
    assert len(data) < 40_000  # small files

    response = patch_avatar(surface, uploader if surface == "api" else page_uploader, data, display_name="Renamed")

    assert response.status_code == status
    message = " ".join(response.json()["avatar"]) if surface == "api" else response.content.decode()
    for word in words:
        assert word in message
    user = User.objects.get(pk=user.pk)
    assert (user.avatar.name, user.display_name) == ("", "")
    assert media_files(media_root) == [] and load_calls == []


def test_an_avatar_is_stored_small_upright_and_without_metadata_and_replaces_the_old_file(
    uploader, user, media_root, django_capture_on_commit_callbacks
):
    data = encode(two_tone((1200, 800), RED, BLUE), "JPEG", exif=exif_with_secrets(6))

    assert patch_avatar("api", uploader, data).status_code == 200
    first = User.objects.get(pk=user.pk).avatar
    with first.open("rb") as stored_avatar:
        avatar = stored_avatar.read()
    assert_metadata_free(avatar)
    with Image.open(io.BytesIO(avatar)) as img:
        assert img.size == (320, 320)
        assert close_to(img.convert("RGB").getpixel((300, 160)), RED)  # turned upright: red is on the right

    with django_capture_on_commit_callbacks(execute=True):
        assert patch_avatar("api", uploader, encode(Image.new("RGB", (64, 64), GREEN), "PNG")).status_code == 200
    assert media_files(media_root) == [Path(User.objects.get(pk=user.pk).avatar.path)]  # the old file is gone
    assert first.name != User.objects.get(pk=user.pk).avatar.name


# Accepted: only the re-encoded pixels are kept -------------------------------------------------


def test_png_html_polyglot_is_stored_as_the_reencoded_image_only(
    uploader, media_root, django_capture_on_commit_callbacks
):
    polyglot = encode(Image.new("RGB", (32, 32), GREEN), "PNG") + b"<html><script>alert(1)</script></html>"

    photo = accept(uploader, media_root, polyglot, django_capture_on_commit_callbacks)

    for data in stored(photo):
        assert data.startswith(b"\xff\xd8") and b"<html" not in data and b"<script" not in data
    assert close_to(first_pixel(photo), GREEN)


def test_script_in_a_jpeg_comment_or_exif_survives_nowhere(uploader, media_root, django_capture_on_commit_callbacks):
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = "<script>alert('exif')</script>"
    data = encode(Image.new("RGB", (32, 32), BLUE), "JPEG", exif=exif, comment=b"<script>alert('com')</script>")
    assert data.count(b"<script") == 2

    photo = accept(uploader, media_root, data, django_capture_on_commit_callbacks)

    assert all(b"<script" not in blob for blob in stored(photo))


def test_gps_exif_with_orientation_6_is_upright_and_leaves_no_exif_anywhere(
    uploader, media_root, django_capture_on_commit_callbacks
):
    data = encode(two_tone((120, 80), RED, BLUE), "JPEG", exif=exif_with_secrets(6))
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    photo = accept(uploader, media_root, data, django_capture_on_commit_callbacks)

    assert (photo.width, photo.height) == (80, 120)  # turned upright: red, once on top, is on the right
    assert close_to(first_pixel(photo, (70, 60)), RED) and close_to(first_pixel(photo, (10, 60)), BLUE)
    body = uploader.get(f"/api/v1/photos/{photo.pk}/").content
    assert b"SecretPhoneCo" not in body and b"GPS" not in body and b"exif" not in body.lower()


def _animated(fmt: str, frames: int) -> bytes:
    images = [Image.new("RGB", (48, 48), RED)] + [
        Image.new("RGB", (48, 48), (0, 0, 4 + i % 200)) for i in range(1, frames)
    ]
    options = {"lossless": True} if fmt == "WEBP" else {}
    return encode(images[0], fmt, save_all=True, append_images=images[1:], duration=20, loop=0, **options)


def _sixteen_bit_png() -> bytes:
    return encode(Image.fromarray(np.full((32, 32), 32768, dtype=np.uint16)), "PNG")


@pytest.mark.parametrize(
    ("case", "data", "xy", "colour"),
    [
        ("CMYK JPEG", encode(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG"), None, RED),
        ("16-bit PNG", _sixteen_bit_png(), None, (128, 128, 128)),
        ("palette PNG, transparent", encode(palette_with_transparency(), "PNG"), (4, 16), WHITE),
        ("palette PNG, opaque", encode(palette_with_transparency(), "PNG"), (28, 16), RED),
        ("animated GIF, 300 frames", _animated("GIF", 300), None, RED),
        ("animated WebP, 200 frames", _animated("WEBP", 200), None, RED),
        ("WebP", encode(Image.new("RGB", (32, 32), GREEN), "WEBP", quality=95), None, GREEN),
    ],
)
def test_unusual_but_valid_images_are_accepted_with_their_first_frame_in_the_right_colours(
    case, data, xy, colour, uploader, media_root, django_capture_on_commit_callbacks
):
    photo = accept(uploader, media_root, data, django_capture_on_commit_callbacks)

    assert close_to(first_pixel(photo, xy), colour), case


@pytest.mark.parametrize("name", ["é" * 150 + "🙂" * 150 + ".jpg", "../../x.jpg", "x.jpg.php", "a\\..\\b.jpg"])
def test_hostile_file_names_are_replaced_by_generated_ones_inside_media_root(
    name, uploader, media_root, tmp_path, django_capture_on_commit_callbacks
):
    data = encode(Image.new("RGB", (16, 16), RED), "PNG")

    photo = accept(uploader, media_root, data, django_capture_on_commit_callbacks, name=name)

    body = uploader.get(f"/api/v1/photos/{photo.pk}/").json()
    assert ".php" not in body["image"] and "x.jpg" not in body["image"]
    assert not (tmp_path / "x.jpg").exists() and not (media_root.parent.parent / "x.jpg").exists()


# Captions: stored as given, shown escaped everywhere --------------------------------------------


def test_script_in_a_caption_is_escaped_on_every_page(uploader, client, user, django_capture_on_commit_callbacks):
    caption = "<script>alert('xss')</script> <img src=x onerror=alert(2)> #walk"
    # Grids show a photo by its alt text, not its caption: the alt text carries the same attack.
    alt_text = "<script>alert('alt')</script>\" onerror=\"alert(3)"
    with django_capture_on_commit_callbacks():
        response = post_photo(
            uploader, encode(Image.new("RGB", (32, 32), RED), "PNG"), caption=caption, alt_text=alt_text
        )
    assert response.status_code == 201 and response.json()["caption"] == caption
    assert response.json()["alt_text"] == alt_text
    photo = processed(Photo.objects.get())
    PopularPhoto.objects.create(photo=photo, tag=None, score=1.0, week_views=1)  # so Explore shows it
    viewer = UserFactory()
    client.force_login(viewer)
    # Explore first: it leaves out photos the viewer has opened.
    pages = ["/explore/", f"/p/{photo.pk}/", f"/u/{user.username}/", "/search/?q=walk", "/tags/walk/"]
    for url in pages:
        html = client.get(url).content.decode()
        assert f'href="/p/{photo.pk}/"' in html or url == f"/p/{photo.pk}/", url
        assert "<script>alert" not in html and "<img src=x" not in html and '" onerror="' not in html, url
        assert "&lt;script&gt;" in html, url
    client.force_login(user)
    assert "<script>alert" not in client.get("/").content.decode()


# Search: any string at all, never a server error -------------------------------------------------

ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300)


@given(text=ANY_TEXT)
@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_search_string_is_answered_without_a_server_error(text, client, api):
    for response in (
        api.get("/api/v1/search/", {"q": text}),
        api.get("/api/v1/tags/", {"prefix": text}),
        client.get("/search/", {"q": text}),
    ):
        assert response.status_code < 500, (response.request, text)


@given(
    text=st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="/?#"), min_size=1, max_size=80)
)
@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_tag_name_is_answered_without_a_server_error(text, client, api):
    from urllib.parse import quote

    for response in (api.get(f"/api/v1/tags/{quote(text)}/photos/"), client.get(f"/tags/{quote(text)}/")):
        assert response.status_code < 500, text
