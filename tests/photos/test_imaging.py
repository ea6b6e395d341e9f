"""The upload pipeline, fed real image bytes made with Pillow at test time."""

import io
import re
import struct
import threading
import time
import zlib

import numpy as np
import pytest
import skimage.data
from PIL import ExifTags, GifImagePlugin, Image, ImageCms, ImageFile, WebPImagePlugin

from photos.imaging import (
    ACCEPTED,
    ProcessedImage,
    UploadRejected,
    generated_name,
    process_upload,
)
from photos.jpeg_stream import jpeg_scan_count

MAX_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 50_000_000
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)

# JPEG markers a metadata-free baseline or progressive file may contain: APP0 (JFIF), DQT,
# SOF0, SOF2, DHT, SOS, EOI. APP1 (EXIF, XMP), APP2 (ICC), APP13 (IPTC) and COM must not appear.
CLEAN_JPEG_MARKERS = {0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDA, 0xD9}


def encode(img: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **options)
    return buffer.getvalue()


def process(data: bytes, **limits) -> ProcessedImage:
    limits = {"max_bytes": MAX_BYTES, "max_pixels": MAX_PIXELS} | limits
    return process_upload(io.BytesIO(data), **limits)


def rejection(data: bytes, **limits) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        process(data, **limits)
    return caught.value


def pixel(data: bytes, xy: tuple[int, int]) -> tuple[int, ...]:
    return Image.open(io.BytesIO(data)).convert("RGB").getpixel(xy)


def close_to(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def jpeg_markers(data: bytes) -> list[int]:
    """Return every marker in a JPEG, skipping entropy-coded data between them."""
    assert data[:2] == b"\xff\xd8"
    found, pos = [], 2
    while pos < len(data) - 1:
        marker = data[pos + 1]
        if data[pos] != 0xFF or marker in (0x00, 0xFF) or 0xD0 <= marker <= 0xD7:
            pos += 1  # scan data, byte stuffing, fill bytes or restart markers
            continue
        found.append(marker)
        if marker == 0xD9:
            break
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return found


def assert_metadata_free(data: bytes) -> None:
    assert set(jpeg_markers(data)) <= CLEAN_JPEG_MARKERS
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG"
    assert not img.getexif()
    assert not {"exif", "xmp", "comment", "icc_profile", "photoshop"} & img.info.keys()
    for needle in (b"Exif", b"<x:xmpmeta", b"ICC_PROFILE", b"<script", b"SecretPhoneCo"):
        assert needle not in data


def png_header_only(width: int, height: int) -> bytes:
    """Return a PNG whose header claims a size its (tiny) data does not have."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def linear_srgb_profile() -> bytes:
    """Return an ICC v2 profile with sRGB primaries and a linear (gamma 1) tone curve."""

    def s15f16(*values: float) -> bytes:
        return b"".join(struct.pack(">i", round(v * 65536)) for v in values)

    d50 = s15f16(0.9642, 1.0, 0.8249)
    tags = {
        b"wtpt": b"XYZ \0\0\0\0" + d50,
        b"rXYZ": b"XYZ \0\0\0\0" + s15f16(0.4361, 0.2225, 0.0139),
        b"gXYZ": b"XYZ \0\0\0\0" + s15f16(0.3851, 0.7169, 0.0971),
        b"bXYZ": b"XYZ \0\0\0\0" + s15f16(0.1431, 0.0606, 0.7141),
        b"rTRC": b"curv\0\0\0\0" + struct.pack(">I", 0),  # no points: the identity curve
    }
    tags[b"gTRC"] = tags[b"bTRC"] = tags[b"rTRC"]
    offset, table, body = 128 + 4 + 12 * len(tags), b"", b""
    for signature, data in tags.items():
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = struct.pack(">I4sI4s4s4s12s4s", size, b"", 0x02100000, b"mntr", b"RGB ", b"XYZ ", b"", b"acsp")
    header = header.ljust(68, b"\0") + d50
    return header.ljust(128, b"\0") + struct.pack(">I", len(tags)) + table + body


def fits_bytes() -> bytes:
    cards = ["SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    2",
             "NAXIS1  =                    4", "NAXIS2  =                    4", "END"]  # fmt: skip
    header = "".join(card.ljust(80) for card in cards).ljust(2880).encode()
    return header + bytes(16).ljust(2880, b"\0")


def progressive_jpeg(img: Image.Image, *, repeat: int = 1, junk: bytes = b"") -> bytes:
    """Return ``img`` as a Pillow progressive JPEG whose scans (with their DHTs) come ``repeat`` times.

    libjpeg decodes every repeated scan again over the whole image: this is how a small file
    buys a long decode. ``junk`` goes between repetitions, where libjpeg skips to the next marker.
    """
    data = encode(img, "JPEG", progressive=True)
    first_scan = data.index(b"\xff\xda")
    scans = data[first_scan:-2]  # up to EOI
    return data[:first_scan] + junk.join([scans] * repeat) + b"\xff\xd9"


def two_tone(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    img = Image.new("RGB", size, top)
    img.paste(bottom, (0, size[1] // 2, size[0], size[1]))
    return img


# Accepted formats ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_accepts_allowed_formats_and_reencodes_them_as_jpeg(fmt):
    result = process(encode(Image.new("RGB", (64, 48), BLUE), fmt))

    assert result.source_format == fmt
    assert (result.width, result.height) == (64, 48)
    assert Image.open(io.BytesIO(result.image)).size == (64, 48)
    assert close_to(pixel(result.image, (32, 24)), BLUE)
    assert_metadata_free(result.image)
    assert_metadata_free(result.thumbnail)


def test_keeps_a_real_photo_faithful():
    original = Image.fromarray(skimage.data.chelsea())

    result = process(encode(original, "JPEG", quality=95))

    assert (result.width, result.height) == original.size
    stored = np.asarray(Image.open(io.BytesIO(result.image)), dtype=float)
    assert np.abs(stored - np.asarray(original, dtype=float)).mean() < 4


# Refused formats ----------------------------------------------------------------------------


def test_fits_sample_is_a_real_fits_file_to_pillow():
    assert Image.open(io.BytesIO(fits_bytes())).format == "FITS"


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("TIFF", encode(Image.new("RGB", (8, 8)), "TIFF")),
        ("BMP", encode(Image.new("RGB", (8, 8)), "BMP")),
        ("ICO", encode(Image.new("RGB", (16, 16)), "ICO")),
        ("JPEG 2000", encode(Image.new("RGB", (8, 8)), "JPEG2000")),
        ("AVIF", encode(Image.new("RGB", (8, 8)), "AVIF")),
        ("HEIC", b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64)),
        ("PSD", b"8BPS\0\x01" + bytes(6) + b"\0\x03\0\0\0\x08\0\0\0\x08\0\x08\0\x03" + bytes(64)),
        ("FITS", fits_bytes()),
        ("PDF", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"),
        ("SVG", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("HTML", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
        ("text", b"name,lat,lon\nhome,51.5,-0.12\n"),
    ],
)
def test_refuses_other_formats_naming_them_and_what_is_accepted(kind, data):
    error = rejection(data)

    assert error.status == 415
    assert error.code == "unsupported_format"
    assert f"Unsupported file type: {kind}." in error.message
    assert error.message.endswith("Upload a JPEG, PNG, WebP or GIF image.")
    assert str(error) == error.message


def test_ignores_the_client_file_name_and_content_type():
    upload = io.BytesIO(b"<html><script>document.cookie</script></html>")
    upload.name, upload.content_type = "holiday.jpg", "image/jpeg"

    with pytest.raises(UploadRejected) as caught:
        process_upload(upload, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)

    assert caught.value.status == 415
    assert "HTML" in caught.value.message


def test_refuses_unrecognisable_binary():
    error = rejection(bytes(range(256)) * 4)

    assert error.status == 415
    assert ACCEPTED in error.message


def test_refuses_an_empty_file():
    error = rejection(b"")

    assert (error.status, error.code) == (400, "empty")
    assert error.message.startswith("The file is empty.")


@pytest.mark.parametrize("keep", [0.5, 0.01])
def test_refuses_a_truncated_jpeg(keep):
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8))
    data = encode(noise, "JPEG")

    error = rejection(data[: int(len(data) * keep)])

    assert (error.status, error.code) == (400, "corrupt")
    assert "could not be decoded" in error.message
    assert ACCEPTED in error.message


# Size and pixel caps ------------------------------------------------------------------------


@pytest.fixture
def load_calls(monkeypatch):
    """Record every pixel decode, to prove a refusal happened on the header alone."""
    calls = []
    real_load = ImageFile.ImageFile.load

    def spy(self):
        calls.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


def test_refuses_a_real_100_megapixel_png_before_decoding(load_calls):
    data = encode(Image.new("1", (10_000, 10_000)), "PNG")  # compresses to a few kilobytes
    with pytest.warns(Image.DecompressionBombWarning):
        assert Image.open(io.BytesIO(data)).size == (10_000, 10_000)  # Pillow would only warn

    started = time.perf_counter()
    error = rejection(data)

    assert time.perf_counter() - started < 1
    assert load_calls == []
    assert (error.status, error.code) == (413, "too_many_pixels")
    assert "10000x10000" in error.message
    assert "limit is 50 megapixels" in error.message


def test_refuses_a_png_header_claiming_40000x40000_with_our_own_message(load_calls):
    data = png_header_only(40_000, 40_000)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(data))  # Pillow's global limit would refuse too, without dimensions

    error = rejection(data)

    assert load_calls == []
    assert error.status == 413
    assert "40000x40000" in error.message


def test_pixel_cap_applies_to_webp_headers_too(load_calls):
    error = rejection(encode(Image.new("RGB", (400, 300)), "WEBP"), max_pixels=100_000)

    assert load_calls == []
    assert "400x300" in error.message
    assert "limit is 0.1 megapixels" in error.message


def test_refuses_files_over_the_byte_cap_without_reading_them_whole():
    data = encode(Image.new("RGB", (64, 64), RED), "PNG")
    upload = io.BytesIO(data + bytes(1_000_000))

    with pytest.raises(UploadRejected) as caught:
        process_upload(upload, max_bytes=len(data), max_pixels=MAX_PIXELS)

    assert (caught.value.status, caught.value.code) == (413, "too_large")
    assert upload.tell() == len(data) + 1
    assert process(data, max_bytes=len(data)).width == 64  # exactly at the cap is fine


def test_byte_cap_message_names_the_limit():
    assert "larger than 25 MB" in rejection(bytes(MAX_BYTES + 10)).message


# Decode cost: JPEG scans, pixels x scans, wall clock -------------------------------------------


def noise(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
    return Image.fromarray(np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8), mode)


def test_scan_count_matches_the_sos_markers_of_real_jpegs():
    baseline = encode(noise((96, 64)), "JPEG")
    progressive = encode(noise((96, 64)), "JPEG", progressive=True)
    grey = encode(noise((96, 64), "L"), "JPEG", progressive=True)

    assert jpeg_scan_count(baseline) == 1
    assert jpeg_scan_count(progressive) == jpeg_markers(progressive).count(0xDA) == 10
    assert jpeg_scan_count(grey) == jpeg_markers(grey).count(0xDA) == 6


def test_scan_count_skips_stuffed_bytes_restart_markers_and_metadata():
    # Noise makes plenty of 0xFF00 in the entropy-coded data; restart markers come every block;
    # a comment segment carries a whole baseline JPEG (with its own SOS) as a thumbnail might.
    thumbnail = encode(noise((16, 16)), "JPEG")
    image = encode(noise((256, 256)), "JPEG", progressive=True, restart_marker_blocks=1)
    comment = b"\xff\xfe" + struct.pack(">H", len(thumbnail) + 2) + thumbnail
    data = image[:2] + comment + image[2:]
    assert b"\xff\x00" in image and b"\xff\xd0" in image

    assert jpeg_scan_count(data) == 10
    with Image.open(io.BytesIO(data)) as decoded:
        decoded.load()  # a real, decodable file
        assert decoded.info["comment"] == thumbnail


def test_scan_count_sees_repeated_scans_even_behind_junk_bytes():
    assert jpeg_scan_count(progressive_jpeg(noise((64, 64)), repeat=30)) == 300
    hidden = progressive_jpeg(noise((64, 64)), repeat=30, junk=b"\x00junk\xff\xff")
    assert jpeg_scan_count(hidden) == 300
    assert jpeg_scan_count(hidden, stop_after=25) == 26  # stops counting once past the limit
    with pytest.raises(ValueError, match="SOI"):
        jpeg_scan_count(b"\x89PNG")


def test_refuses_a_jpeg_of_many_scans_before_decoding_and_says_what_is_accepted(load_calls):
    data = progressive_jpeg(noise((64, 64)), repeat=20)  # 200 scans in about 16 KB
    Image.open(io.BytesIO(data)).load()  # libjpeg itself would decode every one of them
    load_calls.clear()

    started = time.perf_counter()
    error = rejection(data)

    assert time.perf_counter() - started < 1
    assert load_calls == []
    assert (error.status, error.code) == (422, "too_many_scans")
    assert "more than 100 scans" in error.message and "at most 100 are accepted" in error.message
    assert "baseline" in error.message


def test_normal_progressive_jpegs_and_the_scan_limit_itself_are_accepted():
    assert process(encode(noise((640, 480)), "JPEG", progressive=True)).width == 640
    assert process(progressive_jpeg(noise((64, 64)), repeat=10)).width == 64  # exactly 100 scans


def test_refuses_a_jpeg_whose_pixels_times_scans_exceed_the_decode_budget(load_calls):
    data = progressive_jpeg(Image.new("L", (2000, 1000), 128), repeat=3)  # 2 megapixels, 18 scans

    error = rejection(data, max_decode_work=30_000_000)

    assert load_calls == []
    assert (error.status, error.code) == (422, "decode_too_costly")
    assert "2000x1000 pixels in 18 scans" in error.message and "at most 30" in error.message
    assert process(data, max_decode_work=36_000_000).width == 2000  # exactly at the budget


def test_a_decode_past_its_deadline_is_refused_in_any_thread():
    data = progressive_jpeg(noise((512, 512)), repeat=3)
    assert len(data) > 2 * ImageFile.MAXBLOCK  # read in several blocks
    errors: list[UploadRejected] = []

    def upload_in_a_thread() -> None:  # signal-based timers would not work here
        errors.append(rejection(data, max_decode_seconds=1e-6))

    worker = threading.Thread(target=upload_in_a_thread)
    worker.start()
    worker.join()

    assert [(e.status, e.code) for e in errors] == [(422, "decode_timeout")]
    assert "longer than 1e-06 seconds to decode" in errors[0].message
    assert process(data).width == 512  # the default deadline is ample


# Orientation and metadata -------------------------------------------------------------------


def exif_with_secrets(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "SecretPhoneCo"
    exif[ExifTags.Base.ImageDescription] = "<script>alert('exif')</script>"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (51.0, 30.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "W", (0.0, 7.0, 39.0)
    return exif


XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'


@pytest.mark.parametrize(
    ("fmt", "extra"),
    [
        ("JPEG", {"xmp": XMP, "comment": b"<script>alert('com')</script>"}),
        ("PNG", {}),
        ("WEBP", {"xmp": XMP, "lossless": True}),
    ],
)
def test_applies_exif_orientation_and_drops_all_metadata(fmt, extra):
    # Stored sideways, red on top: orientation 6 means "rotate 90 degrees clockwise to view",
    # which puts the red half on the right.
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(two_tone((120, 80), RED, BLUE), fmt, exif=exif_with_secrets(6), icc_profile=srgb, **extra)
    uploaded = Image.open(io.BytesIO(data)).getexif()
    assert uploaded[ExifTags.Base.Orientation] == 6
    assert uploaded.get_ifd(ExifTags.IFD.GPSInfo)

    result = process(data)

    assert (result.width, result.height) == (80, 120)
    assert close_to(pixel(result.image, (70, 60)), RED)
    assert close_to(pixel(result.image, (10, 60)), BLUE)
    assert_metadata_free(result.image)
    assert_metadata_free(result.thumbnail)


def test_drops_script_hidden_in_a_jpeg_comment_and_exif_description():
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = "<script>alert('exif')</script>"
    data = encode(Image.new("RGB", (32, 32), GREEN), "JPEG", exif=exif, comment=b"<script>alert(1)</script>")
    assert data.count(b"<script") == 2

    result = process(data)

    assert_metadata_free(result.image)
    assert_metadata_free(result.thumbnail)


def test_png_html_polyglot_keeps_only_the_pixels():
    polyglot = encode(Image.new("RGB", (32, 32), GREEN), "PNG") + b"<html><script>alert(1)</script></html>"

    result = process(polyglot)

    assert close_to(pixel(result.image, (16, 16)), GREEN)
    assert b"<script" not in result.image + result.thumbnail


# Colour -------------------------------------------------------------------------------------


def test_cmyk_jpeg_keeps_its_colours():
    data = encode(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG")  # Adobe-style CMYK red

    assert close_to(pixel(process(data).image, (16, 16)), RED)


def test_embedded_icc_profile_is_converted_to_srgb():
    # 120/255 in linear light is 0.47; the sRGB curve encodes that as about 182.
    data = encode(Image.new("RGB", (32, 32), (120, 120, 120)), "PNG", icc_profile=linear_srgb_profile())

    assert close_to(pixel(process(data).image, (16, 16)), (182, 182, 182), tolerance=4)


def test_a_broken_icc_profile_is_ignored_not_fatal():
    data = encode(Image.new("RGB", (32, 32), RED), "JPEG", icc_profile=b"not a profile")

    result = process(data)

    assert close_to(pixel(result.image, (16, 16)), RED)
    assert_metadata_free(result.image)


def test_16_bit_png_is_scaled_to_8_bits_not_clipped():
    gradient = np.tile(np.linspace(0, 65535, 256), (16, 1)).astype(np.uint16)
    data = encode(Image.fromarray(gradient), "PNG")
    assert Image.open(io.BytesIO(data)).mode == "I;16"

    result = process(data)

    row = [pixel(result.image, (x, 8))[0] for x in (4, 128, 251)]
    assert row[0] < 20
    assert abs(row[1] - 128) < 10
    assert row[2] > 235


def palette_with_transparency() -> Image.Image:
    img = Image.new("P", (32, 32), 0)
    img.putpalette([0, 0, 0, 255, 0, 0])  # index 0 black (transparent), index 1 red
    img.paste(1, (16, 0, 32, 32))
    img.info["transparency"] = 0
    return img


def test_transparent_palette_pixels_become_white():
    result = process(encode(palette_with_transparency(), "PNG"))

    assert close_to(pixel(result.image, (4, 16)), WHITE)
    assert close_to(pixel(result.image, (28, 16)), RED)


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_is_composited_on_white(mode):
    img = Image.new(mode, (32, 32))  # fully transparent black
    img.paste(Image.new(mode, (16, 32), (0, 128) if mode == "LA" else (0, 0, 0, 128)), (16, 0))

    result = process(encode(img, "PNG"))

    assert close_to(pixel(result.image, (4, 16)), WHITE)
    assert close_to(pixel(result.image, (28, 16)), (127, 127, 127))


# Animation ----------------------------------------------------------------------------------


@pytest.fixture
def seeks(monkeypatch):
    """Record the frames animated images are asked for."""
    frames = []
    for plugin in (GifImagePlugin.GifImageFile, WebPImagePlugin.WebPImageFile):
        real_seek = plugin.seek

        def spy(self, frame, real_seek=real_seek):
            frames.append(frame)
            return real_seek(self, frame)

        monkeypatch.setattr(plugin, "seek", spy)
    return frames


def test_animated_gif_keeps_only_its_first_frame(seeks):
    frames = [Image.new("RGB", (64, 64), (0, 0, 4 + i % 200)) for i in range(300)]
    frames[0] = Image.new("RGB", (64, 64), RED)
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=20, loop=0)
    assert Image.open(io.BytesIO(data)).n_frames == 300
    seeks.clear()

    started = time.perf_counter()
    result = process(data)

    assert time.perf_counter() - started < 1
    assert not any(seeks)  # no frame past the first was decoded
    assert close_to(pixel(result.image, (32, 32)), RED)
    assert result.source_format == "GIF"


def test_animated_webp_keeps_only_its_first_frame(seeks):
    frames = [Image.new("RGB", (64, 64), colour) for colour in (RED, GREEN, BLUE)]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=50, lossless=True)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    seeks.clear()

    result = process(data)

    assert not any(seeks)
    assert close_to(pixel(result.image, (32, 32)), RED)


# Sizes --------------------------------------------------------------------------------------


def test_large_images_are_capped_and_thumbnailed_square():
    result = process(encode(two_tone((4200, 1400), RED, BLUE), "JPEG"))

    assert (result.width, result.height) == (2048, 683)
    assert Image.open(io.BytesIO(result.image)).size == (2048, 683)
    assert Image.open(io.BytesIO(result.thumbnail)).size == (320, 320)
    assert close_to(pixel(result.image, (1024, 100)), RED)
    assert close_to(pixel(result.image, (1024, 600)), BLUE)


def test_small_images_are_not_upscaled_but_thumbnails_are_uniform():
    result = process(encode(Image.new("RGB", (100, 50), GREEN), "PNG"), max_side=1024, thumb_size=160)

    assert (result.width, result.height) == (100, 50)
    assert Image.open(io.BytesIO(result.thumbnail)).size == (160, 160)


def test_stored_image_is_a_progressive_jpeg():
    result = process(encode(Image.new("RGB", (64, 64), RED), "PNG"))

    assert Image.open(io.BytesIO(result.image)).info.get("progressive")


def test_rejects_nonsensical_limits():
    with pytest.raises(ValueError, match="max_pixels=0"):
        process(b"irrelevant", max_pixels=0)
    with pytest.raises(ValueError, match="max_scans=0"):
        process(b"irrelevant", max_scans=0)
    with pytest.raises(ValueError, match="max_decode_seconds=0"):
        process(b"irrelevant", max_decode_seconds=0)


# Storage names ------------------------------------------------------------------------------


def test_generated_names_are_random_sharded_and_safe():
    names = {generated_name() for _ in range(1000)}

    assert len(names) == 1000
    for name in names:
        assert re.fullmatch(r"([0-9a-f]{2})/([0-9a-f]{2})/\1\2[0-9a-f]{28}\.jpg", name)
        assert ".." not in name


def test_generated_name_takes_a_plain_extension_only():
    assert generated_name("webp").endswith(".webp")
    for bad in ("../x", "jpg/../..", "", "JPG", "a.b"):
        with pytest.raises(ValueError):
            generated_name(bad)
