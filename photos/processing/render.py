"""The worker's one decode of an original: upright sRGB pixels -> display copy, thumbnail, CNN source.

Pure functions: no ORM, no settings. A JPEG is decoded at the smallest DCT scale (1/2, 1/4, 1/8)
that still covers the display size, so a 12 MP phone photo decodes at half size. The copies are
re-encoded from pixels alone: EXIF (GPS included), XMP, ICC profiles and comments never reach them.
"""

import io
from dataclasses import dataclass

from PIL import Image, ImageOps

from photos.imaging import (
    _DECODE_ERRORS,
    UploadRejected,
    _check_jpeg_work,
    _check_pixels,
    _DeadlineReader,
    _DecodeTimeout,
    _flatten_to_rgb,
    _opener_for,
)

# The display copy's long edge: the decode covers DISPLAY_SIDE, and a decoded image up to
# DISPLAY_MAX_SIDE is kept as decoded. A 4000x3000 (or 4032x3024) phone photo decodes at 1/2
# scale straight to its display copy: resampling 2000 px to 1920 would cost more than the decode.
DISPLAY_SIDE = 1920
DISPLAY_MAX_SIDE = 2048
THUMB_SIDE = 320
# The thumbnail and the CNN input are both cut from one reduced copy of the display pixels (a box
# filter by a whole factor, ~2 ms for 2000x1500) whose short side stays at least this many times
# the thumbnail's; Lanczos does the rest. On the bench's 12 MP photos the thumbnail is then within
# 44-49 dB PSNR of a Lanczos resize of the whole display copy (JPEG at quality 88 errs more),
# for about 4 ms less CPU than resampling each of them from the display copy (12 ms).
_REDUCED_MIN_RATIO = 1.15
# Baseline JPEG with standard tables: progressive with optimised tables costs 4.5x the CPU (34 ms
# against 7.5 ms for a 2000x1500 copy on this machine) for 7% fewer bytes; the worker's CPU is the ingest rate.
_JPEG_OPTIONS = {"quality": 88}


@dataclass(frozen=True, slots=True)
class RenderedPhoto:
    """What one decode yields: the stored copies, and the pixels the CNN input is cut from.

    ``pixels`` is the display copy reduced by a whole factor (the thumbnail was cut from it too),
    its short side at least 1.15 x the thumbnail's, which leaves the 224 px CNN crop room to spare.
    """

    image: bytes
    thumbnail: bytes
    width: int
    height: int
    pixels: Image.Image


class RenderFailed(Exception):
    """The original cannot become a photo; ``reason`` is written for its owner."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def render_original(
    data: bytes,
    *,
    max_pixels: int,
    max_scans: int = 100,
    max_decode_work: int = 1_000_000_000,
    max_decode_seconds: float = 10.0,
    display_side: int = DISPLAY_SIDE,
    max_display_side: int = DISPLAY_MAX_SIDE,
    thumb_side: int = THUMB_SIDE,
) -> RenderedPhoto:
    """Decode ``data`` once and return its display copy, thumbnail and upright RGB pixels.

    The request's header checks are run again (limits may have changed since the upload);
    raise ``RenderFailed`` with a reason for anything that cannot be decoded within them.
    """
    try:
        opener = _opener_for(data)
        source = _DeadlineReader(data)
        with opener(source) as img:
            _check_pixels(img.size, max_pixels)
            if img.format == "JPEG":
                _check_jpeg_work(data, img.size, max_scans=max_scans, max_decode_work=max_decode_work)
                scale = display_side / max(img.size)
                if scale < 1:
                    # Pillow picks the largest DCT reduction whose result still covers this size.
                    img.draft("RGB", (round(img.width * scale), round(img.height * scale)))
            source.arm(max_decode_seconds)
            img.load()
            # In place and, for an RGB image, without a conversion: the decoded pixels are never copied.
            ImageOps.exif_transpose(img, in_place=True)
            pixels = _flatten_to_rgb(img)
    except UploadRejected as exc:
        raise RenderFailed(exc.message) from exc
    except _DecodeTimeout as exc:
        raise RenderFailed(f"The image took longer than {max_decode_seconds:g} seconds to decode.") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise RenderFailed(f"The image has too many pixels ({exc}).") from exc
    except _DECODE_ERRORS as exc:
        raise RenderFailed(f"The image could not be decoded: the file is corrupt ({type(exc).__name__}).") from exc
    display = pixels
    if max(display.size) > max(display_side, max_display_side):
        scale = display_side / max(pixels.size)
        size = (max(1, round(pixels.width * scale)), max(1, round(pixels.height * scale)))
        display = pixels.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    pixels = reduced_pixels(display, thumb_side)
    return RenderedPhoto(
        image=_encode(display),
        thumbnail=_encode(_square(pixels, thumb_side)),
        width=display.width,
        height=display.height,
        pixels=pixels,
    )


def reduced_pixels(display: Image.Image, thumb_side: int = THUMB_SIDE) -> Image.Image:
    """Return ``display`` reduced by a whole factor, its short side still 1.15 x the thumbnail's or more.

    What the thumbnail, the CNN input and the detectors are cut from (``RenderedPhoto.pixels``).
    """
    factor = max(1, min(display.size) // round(thumb_side * _REDUCED_MIN_RATIO))
    return display.reduce(factor) if factor > 1 else display


def _square(img: Image.Image, side: int) -> Image.Image:
    """Return the centred square of ``img`` resized to ``side`` with Lanczos."""
    short = min(img.size)
    left, top = (img.width - short) // 2, (img.height - short) // 2
    return img.resize((side, side), Image.Resampling.LANCZOS, box=(left, top, left + short, top + short))


def _encode(img: Image.Image) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", **_JPEG_OPTIONS)
    return buffer.getvalue()
