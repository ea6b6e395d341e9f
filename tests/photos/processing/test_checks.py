"""The request's checks: an upload is judged from its bytes, headers and structure, never decoded."""

import io

import pytest
from PIL import Image, ImageFile
from skimage import data

from photos.imaging import UploadRejected
from photos.jpeg_stream import jpeg_has_end
from photos.models import Photo
from photos.processing.checks import upload_check
from tests.helpers import client_for, sample_upload
from tests.photos.test_imaging import encode

LIMITS = {"max_bytes": 30 * 2**20, "max_pixels": 50_000_000}


def _no_decoding(self):
    raise AssertionError("the web request decoded pixels")


def animated_gif() -> bytes:
    """Return a 3-frame GIF with a loop extension, a comment, transparency and a local colour table."""
    frames = [Image.fromarray(data.chelsea()).resize((96, 64)).quantize(colors=64 // (i + 1)) for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(
        buffer, "GIF", save_all=True, append_images=frames[1:], loop=0, duration=80, comment=b"hi", transparency=0
    )
    return buffer.getvalue()


def twelve_megapixel_jpeg() -> bytes:
    img = Image.fromarray(data.chelsea()).resize((4000, 3000))
    return encode(img, "JPEG", quality=90)


@pytest.mark.django_db
@pytest.mark.parametrize("surface", ["api", "page"])
def test_an_upload_request_decodes_no_pixel(surface, user, client, monkeypatch, django_capture_on_commit_callbacks):
    upload = io.BytesIO(twelve_megapixel_jpeg())
    upload.name = "phone.jpg"
    monkeypatch.setattr(ImageFile.ImageFile, "load", _no_decoding)
    monkeypatch.setattr(Image.Image, "load", _no_decoding)
    with django_capture_on_commit_callbacks() as queued:
        if surface == "api":
            response = client_for(user).post("/api/v1/photos/", {"image": upload}, format="multipart")
            assert response.status_code == 201 and response.json()["status"] == "processing", response.content
        else:
            client.force_login(user)
            response = client.post("/upload/", {"image": upload, "visibility": "public"})
            assert response.status_code == 302
    photo = Photo.objects.get()
    assert photo.status == Photo.Status.PROCESSING and not photo.image and len(queued) == 1
    with photo.original.open("rb") as original:
        assert original.read() == upload.getvalue()  # kept byte for byte, for the worker


def test_header_facts_are_returned_without_decoding(monkeypatch):
    chelsea = sample_upload("chelsea")
    monkeypatch.setattr(ImageFile.ImageFile, "load", _no_decoding)
    checked = upload_check(chelsea, **LIMITS)
    assert (checked.source_format, checked.width, checked.height, checked.extension) == ("JPEG", 451, 300, "jpg")


@pytest.mark.parametrize(
    "cut",
    [
        pytest.param(encode(Image.new("RGB", (64, 64), "red"), "JPEG")[:-2], id="JPEG without its EOI"),
        pytest.param(encode(Image.new("RGB", (64, 64), "red"), "JPEG")[:200], id="JPEG cut in its headers"),
        pytest.param(encode(Image.new("RGB", (64, 64), "red"), "PNG")[:-12], id="PNG without IEND"),
        pytest.param(encode(Image.new("RGB", (64, 64), "red"), "PNG")[:60], id="PNG cut in IDAT"),
        pytest.param(encode(Image.new("RGB", (64, 64), "red"), "WEBP")[:-10], id="WebP shorter than its RIFF size"),
        pytest.param(encode(Image.fromarray(data.chelsea()), "GIF")[:-1], id="GIF without its trailer"),
        pytest.param(encode(Image.fromarray(data.chelsea()), "GIF")[:5000], id="GIF cut in its image data"),
        pytest.param(animated_gif()[:-200], id="animated GIF cut in its last frame"),
        pytest.param(encode(Image.new("P", (64, 64)), "GIF")[:-1] + b"junk", id="GIF with junk for a block"),
    ],
)
def test_a_structure_that_ends_early_is_refused_without_decoding(cut, monkeypatch):
    monkeypatch.setattr(ImageFile.ImageFile, "load", _no_decoding)
    with pytest.raises(UploadRejected) as refused:
        upload_check(io.BytesIO(cut), **LIMITS)
    assert refused.value.status == 400 and "truncated or corrupt" in refused.value.message


def test_jpeg_end_is_found_past_junk_and_after_trailing_bytes():
    whole = encode(Image.new("RGB", (64, 64), "red"), "JPEG")
    assert jpeg_has_end(whole) and jpeg_has_end(whole + b"trailing junk")
    assert not jpeg_has_end(whole[:-1])


@pytest.mark.parametrize(
    "whole",
    [
        pytest.param(encode(Image.fromarray(data.chelsea()), "GIF"), id="GIF"),
        pytest.param(animated_gif(), id="animated GIF"),
        pytest.param(encode(Image.new("L", (64, 64), 128), "GIF"), id="greyscale GIF"),
    ],
)
def test_a_whole_gif_is_walked_to_its_trailer_without_decoding(whole, monkeypatch):
    monkeypatch.setattr(ImageFile.ImageFile, "load", _no_decoding)
    checked = upload_check(io.BytesIO(whole), **LIMITS)
    assert checked.source_format == "GIF" and checked.data == whole


@pytest.mark.django_db
def test_a_truncated_gif_upload_is_a_400_that_leaves_nothing(user, originals_root):
    cut = io.BytesIO(animated_gif()[:-200])
    cut.name = "cut.gif"
    response = client_for(user).post("/api/v1/photos/", {"image": cut}, format="multipart")
    assert response.status_code == 400 and "truncated or corrupt" in response.json()["image"][0]
    assert not Photo.objects.exists() and not any(originals_root.rglob("*.*"))
