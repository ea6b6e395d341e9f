"""The JPEG stream's structure, walked marker by marker without decoding a pixel.

Pure functions on bytes, for the web request (what a walk can refuse is refused there) and the
worker alike: how many scans a stream has (a progressive decode costs pixels x scans) and whether
it reaches its end-of-image marker (a truncated upload does not).
"""

import re

# JPEG markers for the scan walk: TEM and RSTn stand alone, all others after SOI have a length.
_SOI, _SOS, _EOI = 0xD8, 0xDA, 0xD9
_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})
# The next marker: 0xFF then anything but a stuffed 0x00, a restart marker or 0xFF fill. No
# repetition in the pattern, so a long run of fill bytes cannot make the search quadratic.
_MARKER_AFTER_SCAN_RE = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def jpeg_scan_count(data: bytes, *, stop_after: int | None = None) -> int:
    """Return how many scans (SOS segments) the JPEG stream ``data`` has, decoding no pixels.

    Walk the marker segments from SOI to EOI as libjpeg reads them: skip each segment by its
    length, the entropy-coded data after each SOS up to the next real marker (0xFF00 is a
    stuffed byte, 0xFFD0-D7 restart markers, repeated 0xFF fill), and stray bytes up to the
    next marker, so junk between scans cannot hide them. Stop counting once past
    ``stop_after``. Pure, for the web request and the worker alike. Raise ``ValueError`` if
    ``data`` does not start with SOI.
    """
    return walk(data, stop_after=stop_after)[0]


def jpeg_has_end(data: bytes) -> bool:
    """Return whether the JPEG stream ``data`` reaches its EOI marker whole (a truncated upload does not)."""
    return walk(data, stop_after=None)[1]


def walk(data: bytes, *, stop_after: int | None) -> tuple[int, bool]:
    """Return (scans counted, whether EOI was reached); stop counting once past ``stop_after``."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("Not a JPEG stream: it does not start with the SOI marker.")
    scans, pos, end = 0, 2, len(data)
    while pos + 1 < end:
        if data[pos] != 0xFF or data[pos + 1] in (0x00, 0xFF):
            # Fill bytes or garbage where a marker belongs: libjpeg skips to the next marker.
            found = _MARKER_AFTER_SCAN_RE.search(data, pos + 1 if data[pos] == 0xFF else pos)
            if found is None:
                break
            pos = found.start()
            continue
        marker = data[pos + 1]
        pos += 2
        if marker == _EOI:
            return scans, True
        if marker in _STANDALONE_MARKERS or marker == _SOI:
            continue
        if pos + 2 > end:
            break
        pos += int.from_bytes(data[pos : pos + 2], "big")
        if marker == _SOS:
            scans += 1
            if stop_after is not None and scans > stop_after:
                break
            found = _MARKER_AFTER_SCAN_RE.search(data, pos)
            if found is None:
                break
            pos = found.start()
    return scans, False
