"""The blurred copy of a thumbnail: pure Pillow, no ORM.

Pixelated to a few blocks, then smoothed: whatever the photo showed cannot be read back from it,
and it is a small file. Made on the server so that the sharp copy is sent only when asked for.
"""

import io

from PIL import Image, ImageFilter

BLOCKS = 12  # the short side is reduced to this many pixels before smoothing
BLUR_RADIUS = 6


def blurred_jpeg(data: bytes, *, side: int = 320) -> bytes:
    """Return a JPEG of ``data`` (an image) pixelated to BLOCKS and smoothed back up to ``side`` square."""
    with Image.open(io.BytesIO(data)) as image:
        small = image.convert("RGB").resize((BLOCKS, BLOCKS), Image.Resampling.BOX)
    blurred = small.resize((side, side), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(BLUR_RADIUS))
    out = io.BytesIO()
    blurred.save(out, "JPEG", quality=70)
    return out.getvalue()
