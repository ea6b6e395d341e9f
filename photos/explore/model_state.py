"""What the incremental refresh needs to know about the last item model build, kept in the cache.

A watermark: the highest view, like and comment ids the model has taken in (ids, not times: new
rows are found through the primary key index, and a row written with an older timestamp is not
missed). The audience norms: each photo's norm as of the build, which a refresh that reads only
the people of a few photos cannot compute for the others. Both go with the cache: when they are
missing the next refresh rebuilds in full.

And a generation, counted up each time the model takes in new interactions: Explore's rankings kept
from an older generation are scored again (``photos.explore.selectors``).
"""

import numpy as np
from django.core.cache import cache
from django.db.models import Max

from photos.models import Comment, Like, PhotoView

WATERMARK_KEY = "explore:item-model:watermark"
NORMS_KEY = "explore:item-model:norms"
GENERATION_KEY = "explore:item-model:generation"
# Each kind of interaction: its model and the field naming the person.
KINDS = {"view": (PhotoView, "user_id"), "like": (Like, "user_id"), "comment": (Comment, "author_id")}


def latest_ids() -> dict[str, int]:
    """Return the highest id of each kind of interaction (0 for none)."""
    return {kind: model.objects.aggregate(top=Max("pk"))["top"] or 0 for kind, (model, _) in KINDS.items()}


def watermark_get() -> dict[str, int] | None:
    """Return the ids the model has taken in, or None when no build is known."""
    return cache.get(WATERMARK_KEY)


def watermark_set(marks: dict[str, int]) -> None:
    """Remember that the model has taken in every interaction up to ``marks``: a new generation."""
    cache.set(WATERMARK_KEY, marks, timeout=None)
    cache.add(GENERATION_KEY, 0, timeout=None)
    cache.incr(GENERATION_KEY)


def norms_get() -> tuple[np.ndarray, np.ndarray] | None:
    """Return (sorted photo ids, their audience norms) as of the last full build, or None."""
    return cache.get(NORMS_KEY)


def norms_set(photo_ids: np.ndarray, norms: np.ndarray) -> None:
    cache.set(NORMS_KEY, (photo_ids, norms), timeout=None)


def state_clear() -> None:
    """Forget the last build: the next refresh rebuilds in full."""
    cache.delete_many([WATERMARK_KEY, NORMS_KEY])
