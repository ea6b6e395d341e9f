"""Image checks shared by the request and the worker, and the in-request path for small images.

Pure functions: no ORM, no settings. The caller passes the limits in. ``process_upload`` turns an
avatar into a clean, upright sRGB JPEG in the request (it is capped small); photos are checked here
without decoding (``photos.processing.checks``) and decoded once by a worker
(``photos.processing.render``). Re-encoding drops EXIF (GPS included), XMP, ICC profiles and comments.
"""

import io
import re
import struct
import time
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from PIL import GifImagePlugin, Image, ImageCms, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from photos import jpeg_stream

ACCEPTED = "Upload a JPEG, PNG, WebP or GIF image."

# Each allowed format is parsed by its own Pillow plugin class rather than `Image.open`, so
# (a) no other decoder ever sees untrusted bytes and (b) Pillow's process-wide
# MAX_IMAGE_PIXELS check, which runs inside `Image.open`, cannot pre-empt our own pixel cap.
_OPENERS: dict[str, type[ImageFile.ImageFile]] = {
    "JPEG": JpegImagePlugin.JpegImageFile,
    "PNG": PngImagePlugin.PngImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
    "GIF": GifImagePlugin.GifImageFile,
}

# Magic numbers, so a refusal can name what was sent without running that format's parser.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
    (b"8BPS", "PSD"),
    (b"SIMPLE  =", "FITS"),
    (b"%PDF-", "PDF"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"\x00\x00\x01\x00", "ICO"),
)
_ISO_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIF", b"msf1": "HEIF", b"avif": "AVIF"}
_SNIFF_BYTES = 1024

# What Pillow raises on truncated or malformed data, from header parsing to decoding (the
# last four are what `Image.open` itself treats as "not this format").
_DECODE_ERRORS = (OSError, EOFError, ValueError, SyntaxError, IndexError, TypeError, struct.error)

_JPEG_OPTIONS = {"quality": 88, "optimize": True, "progressive": True}

_EXTENSION_RE = re.compile(r"[a-z0-9]{1,8}")


class UploadRejected(Exception):
    """An upload that cannot become a photo; ``message`` is written for the uploader."""

    def __init__(self, message: str, *, status: int, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """The stored display JPEG, its square thumbnail JPEG, and what the upload was."""

    image: bytes
    thumbnail: bytes
    width: int
    height: int
    source_format: str


def process_upload(
    fileobj: BinaryIO,
    *,
    max_bytes: int,
    max_pixels: int,
    max_scans: int = 100,
    max_decode_work: int = 1_000_000_000,
    max_decode_seconds: float = 10.0,
    max_side: int = 2048,
    thumb_size: int = 320,
) -> ProcessedImage:
    """Validate an uploaded image and return metadata-free JPEGs for storage.

    Read ``fileobj`` from its current position. The format is decided by the bytes alone;
    the file name and the declared content type are never consulted. Raise
    ``UploadRejected`` for anything that is not a decodable JPEG, PNG, WebP or GIF within
    ``max_bytes`` and ``max_pixels``, for a JPEG with more than ``max_scans`` scans or whose
    pixels x scans exceed ``max_decode_work`` (all judged from the headers, before any pixel
    is decoded), and for a decode still running after ``max_decode_seconds``. Animated
    images keep their first frame.
    """
    limits = {"max_bytes": max_bytes, "max_pixels": max_pixels, "max_scans": max_scans}
    limits |= {"max_decode_work": max_decode_work, "max_side": max_side, "thumb_size": thumb_size}
    if min(limits.values()) < 1 or not max_decode_seconds > 0:
        described = ", ".join(f"{name}={value}" for name, value in limits.items())
        raise ValueError(f"Limits must be positive, got {described}, {max_decode_seconds=}")
    data = _read_capped(fileobj, max_bytes)
    opener = _opener_for(data)
    source = _DeadlineReader(data)
    try:
        with opener(source) as img:
            _check_pixels(img.size, max_pixels)
            if img.format == "JPEG":
                _check_jpeg_work(data, img.size, max_scans=max_scans, max_decode_work=max_decode_work)
            source_format = img.format or ""
            source.arm(max_decode_seconds)
            display = _decode_upright_rgb(img, max_side)
    except _DecodeTimeout as exc:
        raise UploadRejected(
            f"The image took longer than {max_decode_seconds:g} seconds to decode. "
            f"Upload a smaller image, or save it as a baseline (non-progressive) JPEG.",
            status=422,
            code="decode_timeout",
        ) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Our cap runs first; this only fires for frames or canvases hidden past the header.
        raise UploadRejected(
            f"The image has too many pixels. The limit is {max_pixels / 1e6:.3g} megapixels.",
            status=413,
            code="too_many_pixels",
        ) from exc
    except _DECODE_ERRORS as exc:
        raise UploadRejected(
            f"The image could not be decoded; the file is truncated or corrupt. {ACCEPTED}",
            status=400,
            code="corrupt",
        ) from exc
    display.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    thumbnail = ImageOps.fit(display, (thumb_size, thumb_size), Image.Resampling.LANCZOS)
    return ProcessedImage(
        image=_encode_jpeg(display),
        thumbnail=_encode_jpeg(thumbnail),
        width=display.width,
        height=display.height,
        source_format=source_format,
    )


def generated_name(ext: str = "jpg") -> str:
    """Return a random storage path such as ``3f/a2/3fa2….jpg``, unrelated to any upload."""
    if not _EXTENSION_RE.fullmatch(ext):
        raise ValueError(f"ext must be 1-8 lowercase letters or digits, got {ext!r}")
    token = uuid.uuid4().hex
    # Two levels of shards keep directories small on plain filesystems.
    return f"{token[:2]}/{token[2:4]}/{token}.{ext}"


def _read_capped(fileobj: BinaryIO, max_bytes: int) -> bytes:
    # One byte past the cap is enough to know the file is too big, without reading it all.
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:
        chunk = fileobj.read(max_bytes + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > max_bytes:
        raise UploadRejected(
            f"The file is larger than {_describe_bytes(max_bytes)}. Upload a smaller image.",
            status=413,
            code="too_large",
        )
    if size == 0:
        raise UploadRejected(f"The file is empty. {ACCEPTED}", status=400, code="empty")
    return b"".join(chunks)


def _describe_bytes(count: int) -> str:
    return f"{count / 2**20:.3g} MB" if count >= 2**20 else f"{count:,} bytes"


def _opener_for(data: bytes) -> type[ImageFile.ImageFile]:
    kind = _sniff(data[:_SNIFF_BYTES])
    if kind in _OPENERS:
        return _OPENERS[kind]
    if kind is None:
        message = f"The file is not an image this site can read. {ACCEPTED}"
    else:
        message = f"Unsupported file type: {kind}. {ACCEPTED}"
    raise UploadRejected(message, status=415, code="unsupported_format")


def _sniff(head: bytes) -> str | None:
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":  # ISO base media: HEIF/AVIF stills, or MP4/QuickTime video
        return _ISO_BRANDS.get(head[8:12], "video (MP4/MOV)")
    # Markup is named because script-carrying SVG and HTML are the classic disguised uploads.
    lowered = head.lower()
    if b"<svg" in lowered:
        return "SVG"
    if b"<html" in lowered or b"<!doctype html" in lowered:
        return "HTML"
    if not any(byte < 32 and byte not in b"\t\n\x0c\r" for byte in head):
        return "text"
    return None


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise UploadRejected(
            f"The image is {width}x{height} pixels ({width * height / 1e6:.1f} megapixels); "
            f"the limit is {max_pixels / 1e6:.3g} megapixels. Upload a smaller image.",
            status=413,
            code="too_many_pixels",
        )


def _check_jpeg_work(data: bytes, size: tuple[int, int], *, max_scans: int, max_decode_work: int) -> bool:
    """Refuse a JPEG too costly to decode; return whether its stream reaches EOI (one walk tells both)."""
    # A progressive decoder revisits the whole image in each scan: cost grows with pixels x
    # scans, which the pixel cap does not bound (1 MB of 10,000 scans at 7000x7000: 40 s).
    scans, complete = jpeg_stream.walk(data, stop_after=max_scans)
    if scans > max_scans:
        raise UploadRejected(
            f"The JPEG has more than {max_scans} scans; at most {max_scans} are accepted (a progressive "
            f"JPEG normally has about 10). Save it again as a baseline or standard progressive JPEG.",
            status=422,
            code="too_many_scans",
        )
    width, height = size
    if width * height * scans > max_decode_work:
        raise UploadRejected(
            f"The JPEG is {width}x{height} pixels in {scans} scans, too costly to decode: megapixels x scans "
            f"may be at most {max_decode_work / 1e6:g} (e.g. {max_decode_work / 20e6:g} megapixels in 20 scans). "
            f"Upload a smaller image, or save it as a baseline (single-scan) JPEG.",
            status=422,
            code="decode_too_costly",
        )
    return complete


class _DecodeTimeout(Exception):
    """Raised from inside a decode that ran past its deadline (deliberately not an OSError)."""


class _DeadlineReader(io.BytesIO):
    """The upload's bytes, refusing to hand the decoder another block once a deadline has passed.

    Pillow's decode loop reads the file block by block in Python, so this bounds a decode's
    wall-clock time to the deadline plus the work of one block (or of the final output pass,
    which the pixel cap bounds). Unlike ``signal.setitimer`` it works in any thread.
    """

    _deadline = float("inf")

    def arm(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds

    def read(self, size: int | None = -1, /) -> bytes:
        if time.monotonic() > self._deadline:
            raise _DecodeTimeout
        return super().read(size)


def _decode_upright_rgb(img: ImageFile.ImageFile, max_side: int) -> Image.Image:
    # Only the current (first) frame is decoded: GIF and WebP frames are read on seek.
    scale = max_side / max(img.size)
    if img.format == "JPEG" and scale < 0.5:
        # libjpeg can decode at 1/2..1/8 scale for a fraction of the work; asking for twice
        # the final size (Pillow's reducing_gap=2) keeps the last resampling step sharp.
        img.draft("RGB", (round(img.width * scale * 2), round(img.height * scale * 2)))
    img.load()
    return _flatten_to_rgb(ImageOps.exif_transpose(img))


def _flatten_to_rgb(img: Image.Image) -> Image.Image:
    if img.mode.startswith("I"):
        # 16-bit greyscale (PNG "I;16"): scale into 8 bits; a plain convert clips to white.
        img = img.point(lambda value: value / 256).convert("L")
    icc_profile = img.info.get("icc_profile")
    if icc_profile and img.mode in ("RGB", "RGBA", "CMYK", "L"):
        img = _to_srgb(img, icc_profile)
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        img = Image.new("RGB", rgba.size, "white")
        img.paste(rgba, mask=rgba)
    rgb = img if img.mode == "RGB" else img.convert("RGB")  # convert() would copy an RGB image
    # Pillow copies `info` along and re-emits parts of it (a JPEG comment) on save.
    rgb.info = {}
    return rgb


def _to_srgb(img: Image.Image, icc_profile: bytes) -> Image.Image:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(
            img,
            source,
            ImageCms.createProfile("sRGB"),
            outputMode="RGBA" if img.mode == "RGBA" else "RGB",
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # A broken or mismatched profile is no reason to refuse a photo: use the raw values.
        return img
    return converted if converted is not None else img


def _encode_jpeg(img: Image.Image) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", **_JPEG_OPTIONS)
    return buffer.getvalue()
