"""Look at photos in stages and decide their tags: the chain the worker runs on a chunk of photos.

Stage one runs every photo's first views (``framing.first_views``) in one batch and decides. Only the
photos left untagged get their second views (full frame, mirrored centre) in a second batch, and are
decided again on all their views. Most photos are 4:3 or 3:2 and tagged on stage one: one CNN pass
each, as before; the extra passes go to the photos that need them.
"""

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from recognition import decision, framing
from recognition.framing import View

BATCH_SIZE = 16
# An untagged photo gets its second views only if some tag reached this calibrated confidence on
# the first ones: a texture, a plain colour or a photo of nothing the taxonomy names is not looked
# at again (bench/tag_quality.py measures what the second look rescues and costs).
SECOND_LOOK_FROM = float(os.environ.get("RECOGNITION_SECOND_LOOK_FROM", "0.3"))


@dataclass
class PhotoViews:
    """One photo's views: the first ones cut up front, the second ones only if needed (from ``image``)."""

    first: list[View]
    image: Image.Image | None = None
    probabilities: list[np.ndarray] = field(default_factory=list)
    _second: list[View] | None = None

    @property
    def second(self) -> list[View]:
        if self._second is None:
            self._second = framing.second_views(self.image, self.first) if self.image is not None else []
        return self._second

    @property
    def network_input(self) -> np.ndarray:
        """Return today's single input (the centre crop), for callers of the old chain."""
        return self.first[0].pixels

    def looked_at(self) -> list[View]:
        return self.first + (self.second if len(self.probabilities) > len(self.first) else [])

    def release(self) -> None:
        """Drop the decoded pixels once no more views will be cut."""
        self.image = None


def photo_views(img: Image.Image) -> PhotoViews:
    """Cut every view a photo may need from its decoded RGB pixels (the second ones cost a resize, no CNN)."""
    return PhotoViews(first=framing.first_views(img), image=img)


def _run(
    views: Sequence[View], predict: Callable[[np.ndarray], np.ndarray], batch_size: int = BATCH_SIZE
) -> np.ndarray:
    rows = [predict(np.stack([v.pixels for v in views[i : i + batch_size]])) for i in range(0, len(views), batch_size)]
    return np.concatenate(rows) if rows else np.empty((0, 1000), dtype=np.float32)


def tag_photos(
    photos: Sequence[PhotoViews],
    predict: Callable[[np.ndarray], np.ndarray],
    *,
    staged: bool = True,
    batch_size: int = BATCH_SIZE,
    **decide_kwargs,
) -> list[list[decision.ViewedPrediction]]:
    """Return each photo's tags, looking at second views only where the first ones gave none.

    ``predict`` maps a uint8 batch (N, 224, 224, 3) to probabilities (N, 1000): the classifier's.
    With ``staged=False`` every photo gets all its views (the benchmark's comparison).
    """
    first = [view for photo in photos for view in photo.first]
    probabilities = _run(first, predict, batch_size)
    start = 0
    for photo in photos:
        photo.probabilities = list(probabilities[start : start + len(photo.first)])
        start += len(photo.first)
    results = [_decide(photo, **decide_kwargs) for photo in photos]
    again = [i for i, tags in enumerate(results) if not staged or (not tags and _near_miss(photos[i]))]
    second = [view for i in again for view in photos[i].second]
    probabilities = _run(second, predict, batch_size)
    start = 0
    for i in again:
        photo = photos[i]
        photo.probabilities += list(probabilities[start : start + len(photo.second)])
        start += len(photo.second)
        results[i] = _decide(photo, **decide_kwargs)
    for photo in photos:
        photo.release()
    return results


def _near_miss(photo: PhotoViews) -> bool:
    """Return whether an untagged photo came close enough to a tag for a second look to pay."""
    best = decision.best_confidence(np.stack(photo.probabilities))
    return best >= SECOND_LOOK_FROM


def _decide(photo: PhotoViews, **kwargs) -> list[decision.ViewedPrediction]:
    names = [view.name for view in photo.looked_at()]
    return decision.decide(np.stack(photo.probabilities), names, **kwargs)
