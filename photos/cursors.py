"""The one cursor codec: a page's end as a short list of JSON values, opaque and URL-safe.

Search, Explore and the API's cursor-paginated lists all write their cursors with
``cursor_encode`` and read them with ``cursor_decode``, and every cursor that is not one of
ours (mangled, forged, or of another list) raises the same ``InvalidCursor``.
"""

import base64
import binascii
import json
import math
from collections.abc import Callable, Sequence
from typing import Any


class InvalidCursor(ValueError):
    """A cursor that is not one of ours; the API answers 400, pages show their first page."""

    message = "This cursor is not valid; start again from the first page."

    def __init__(self) -> None:
        super().__init__(self.message)


def cursor_encode(values: Sequence[Any]) -> str:
    """Return ``values`` (JSON-serialisable) as an opaque URL-safe cursor."""
    data = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def cursor_decode(cursor: str, *parse: Callable[[Any], Any]) -> tuple:
    """Return the values of ``cursor``, each passed through the matching ``parse`` function.

    Raise InvalidCursor when the cursor does not decode, holds another number of values, or a
    parse function refuses its value (raising ValueError or TypeError, or returning a float that is
    not finite): whatever decodes must also be a value the database accepts, or a forged cursor is a 500.
    """
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(parse):
            raise InvalidCursor
        parsed = tuple(function(value) for function, value in zip(parse, values, strict=True))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as error:
        raise InvalidCursor from error
    if any(isinstance(value, float) and not math.isfinite(value) for value in parsed):
        raise InvalidCursor
    return parsed


def row_id(value: Any) -> int:
    """Return ``value`` as a database id (a positive bigint), else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise ValueError(f"not a row id: {value!r}")
    return value
