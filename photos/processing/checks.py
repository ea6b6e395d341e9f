"""What the web request checks before it keeps an upload: everything that needs no pixel decoded.

Pure functions: no ORM, no settings. The format is sniffed from the bytes, the size and the JPEG
scan count read from the headers, and the file's structure walked (a JPEG must reach its
end-of-image marker, a PNG its IEND chunk, a WebP must hold the bytes its RIFF header declares).
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
    jpeg_has_end,
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
        _check_jpeg_work(data, size, max_scans=max_scans, max_decode_work=max_decode_work)
    if not _structure_complete(data, source_format):
        raise _corrupt()
    return CheckedUpload(data=data, source_format=source_format, width=size[0], height=size[1])


def _corrupt() -> UploadRejected:
    return UploadRejected(
        f"The image could not be read; the file is truncated or corrupt. {ACCEPTED}", status=400, code="corrupt"
    )


def _structure_complete(data: bytes, source_format: str) -> bool:
    """Return whether the file's structure runs whole to its end (GIF's is left to the decoder)."""
    if source_format == "JPEG":
        return jpeg_has_end(data)
    if source_format == "PNG":
        return _png_complete(data)
    if source_format == "WEBP":
        return int.from_bytes(data[4:8], "little") + 8 <= len(data)
    return True


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
