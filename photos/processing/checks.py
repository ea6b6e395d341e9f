"""What the web request checks before it keeps an upload: everything that needs no pixel decoded.

Pure functions: no ORM, no settings. The format is sniffed from the bytes, the size and the JPEG
scan count read from the headers, and the file's structure walked (a JPEG must reach its
end-of-image marker, a PNG its IEND chunk, a GIF its trailer, a WebP must hold the bytes its RIFF
header declares).
What only decoding can find (a corrupt entropy-coded segment, a broken zlib stream) is the
worker's to find: the photo then ends ``failed`` with a reason.
"""

import io
from dataclasses import dataclass
from typing import BinaryIO

from photos.imaging import (
    _DECODE_ERRORS,
    ACCEPTED,
    UploadRejected,
    _check_jpeg_work,
    _check_pixels,
    _opener_for,
    _read_capped,
)

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    """The upload's bytes and what its header says, all read without decoding a pixel."""

    data: bytes
    source_format: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.source_format]


def upload_check(
    fileobj: BinaryIO, *, max_bytes: int, max_pixels: int, max_scans: int = 100, max_decode_work: int = 1_000_000_000
) -> CheckedUpload:
    """Check an upload from its bytes, headers and structure; return it, or raise ``UploadRejected``.

    Read ``fileobj`` from its current position. No pixel is decoded: a 12 MP JPEG is checked in
    a few milliseconds, and the decoding (the costly, risky part) happens in a worker.
    """
    data = _read_capped(fileobj, max_bytes)
    opener = _opener_for(data)
    try:
        # The plugin classes parse the header only; pixels are decoded on load(), never called here.
        with opener(io.BytesIO(data)) as img:
            size, source_format = img.size, img.format or ""
    except _DECODE_ERRORS as exc:
        raise _corrupt() from exc
    _check_pixels(size, max_pixels)
    if source_format == "JPEG":
        # The walk that counts the scans also finds the end-of-image marker: one pass over the bytes.
        complete = _check_jpeg_work(data, size, max_scans=max_scans, max_decode_work=max_decode_work)
    else:
        complete = _structure_complete(data, source_format)
    if not complete:
        raise _corrupt()
    return CheckedUpload(data=data, source_format=source_format, width=size[0], height=size[1])


def _corrupt() -> UploadRejected:
    return UploadRejected(
        f"The image could not be read; the file is truncated or corrupt. {ACCEPTED}", status=400, code="corrupt"
    )


def _structure_complete(data: bytes, source_format: str) -> bool:
    """Return whether a PNG, GIF or WebP file's structure runs whole to its end."""
    if source_format == "PNG":
        return _png_complete(data)
    if source_format == "GIF":
        return _gif_complete(data)
    if source_format == "WEBP":
        return int.from_bytes(data[4:8], "little") + 8 <= len(data)
    return False


def _png_complete(data: bytes) -> bool:
    """Return whether the PNG's chunks run whole from the signature to IEND (reading lengths only)."""
    if not data.startswith(_PNG_SIGNATURE):
        return False
    pos, end = len(_PNG_SIGNATURE), len(data)
    while pos + 8 <= end:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length  # length, type, data, CRC
        if pos > end:
            return False
        if kind == b"IEND":
            return True
    return False


def _gif_complete(data: bytes) -> bool:
    """Return whether the GIF's blocks run whole from the header to the trailer (reading sizes only).

    Hand-written because Pillow finds a truncated GIF only by decoding it. The layout (GIF89a
    specification): a 6-byte header, a 7-byte screen descriptor and its optional colour table,
    then extensions (0x21, a label, sub-blocks) and images (0x2C, a 9-byte descriptor, an
    optional colour table, the LZW code size, sub-blocks) until the trailer 0x3B.
    """
    end = len(data)
    if end < 13:
        return False
    pos = 13 + _gif_colour_table_size(data[10])
    while pos < end:
        introducer = data[pos]
        if introducer == 0x3B:
            return True
        if introducer == 0x21:
            pos += 2  # introducer, label
        elif introducer == 0x2C:
            if pos + 10 > end:
                return False
            pos += 10 + _gif_colour_table_size(data[pos + 9]) + 1  # descriptor, colours, LZW code size
        else:
            return False
        # Sub-blocks: a size byte and that many bytes, until a zero size.
        while pos < end and data[pos]:
            pos += 1 + data[pos]
        pos += 1
    return False


def _gif_colour_table_size(packed: int) -> int:
    return 3 * 2 ** ((packed & 0x07) + 1) if packed & 0x80 else 0
