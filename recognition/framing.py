"""The views the network gets of one photo, cut from pixels already decoded.

The network sees 224 x 224 squares. Today's single centre crop misses a subject at the side of a
wide or tall frame, so a photo is looked at in stages, cheapest first (each view costs one CNN
pass, about 17 ms of CPU):

- ``first_views``: the centre crop, plus, for frames longer than ``WIDE_RATIO`` on one side,
  square crops along the long side so every part of the frame is seen.
- ``second_views``: only when the first views leave the photo untagged: the whole frame
  letterboxed into the square, and the centre crop mirrored (the network was not trained to be
  exactly symmetric, and a mirrored selfie is an everyday upload).

Every view has a name, stored in a tag's provenance, and a box: where in the photo it was cut,
as fractions of width and height, so an explanation can be drawn back on the whole photo.
No Django, no TensorFlow here.
"""

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from recognition.inference import CROP_FRACTION, INPUT_SIZE, center_crop_resize

# Frames longer than this on one side get crops along it (3:2 photos stay a single view).
WIDE_RATIO = 1.55
# Neighbouring crops along the long side overlap by at least this fraction of their size.
CROP_OVERLAP = 0.25
# The letterbox fill: the middle grey the network reads as "nothing".
LETTERBOX_FILL = (124, 116, 104)
REDUCING_GAP = 2.0
# A crop along the long side whose centre is this close (in short sides) to the frame's centre is
# mostly inside the centre crop already, and is left out.
CENTRE_COVERS = 0.4


@dataclass(frozen=True, slots=True)
class View:
    """One 224 x 224 input cut from a photo."""

    name: str
    pixels: np.ndarray  # uint8, (224, 224, 3)
    box: tuple[float, float, float, float]  # left, top, right, bottom as fractions of the photo
    mirrored: bool = False


def _square(img: Image.Image, box: tuple[float, float, float, float]) -> np.ndarray:
    resized = img.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BICUBIC, box=box, reducing_gap=REDUCING_GAP)
    return np.asarray(resized, dtype=np.uint8)


def _fraction(box: tuple[float, float, float, float], width: int, height: int) -> tuple[float, float, float, float]:
    left, top, right, bottom = box
    return (left / width, top / height, right / width, bottom / height)


def centre_view(img: Image.Image) -> View:
    """Return today's view: the centre 0.875 of the short side (the crop the model was evaluated with)."""
    width, height = img.size
    crop = min(width, height) * CROP_FRACTION
    box = ((width - crop) / 2, (height - crop) / 2, (width + crop) / 2, (height + crop) / 2)
    pixels = center_crop_resize(img, reducing_gap=REDUCING_GAP)
    return View("centre", pixels, _fraction(box, width, height))


def side_views(img: Image.Image) -> list[View]:
    """Return full-height (or full-width) squares along the long side of a wide (or tall) frame.

    At least the two ends; more, evenly spaced, when the frame is so long that neighbours would
    overlap less than ``CROP_OVERLAP``. A middle crop that the centre view already covers is left out.
    """
    width, height = img.size
    short, long = min(width, height), max(width, height)
    if long < short * WIDE_RATIO:
        return []
    count = max(2, math.ceil((long - short * CROP_OVERLAP) / (short * (1 - CROP_OVERLAP))))
    step = (long - short) / (count - 1)
    views = []
    for i in range(count):
        start = i * step
        if abs(start + short / 2 - long / 2) < short * CENTRE_COVERS:
            continue  # the centre crop sees this one
        wide = width >= height
        box = (start, 0.0, start + short, float(height)) if wide else (0.0, start, float(width), start + short)
        name = f"{'x' if wide else 'y'}{i + 1}/{count}"
        views.append(View(name, _square(img, box), _fraction(box, width, height)))
    return views


def full_view(img: Image.Image) -> View:
    """Return the whole frame, shrunk to fit the square and letterboxed with grey."""
    width, height = img.size
    scale = INPUT_SIZE / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    shrunk = img.resize(size, Image.Resampling.BICUBIC, reducing_gap=REDUCING_GAP)
    canvas = Image.new("RGB", (INPUT_SIZE, INPUT_SIZE), LETTERBOX_FILL)
    canvas.paste(shrunk, ((INPUT_SIZE - size[0]) // 2, (INPUT_SIZE - size[1]) // 2))
    return View("full", np.asarray(canvas, dtype=np.uint8), (0.0, 0.0, 1.0, 1.0))


def mirrored(view: View) -> View:
    """Return ``view`` flipped left to right (its box is unchanged: the same part of the photo)."""
    return View(f"{view.name}~mirror", np.ascontiguousarray(view.pixels[:, ::-1]), view.box, mirrored=True)


def first_views(img: Image.Image) -> list[View]:
    """Return the views every photo gets: the centre crop, and crops along the side of a long frame."""
    if img.mode != "RGB":
        img = img.convert("RGB")
    return [centre_view(img), *side_views(img)]


def second_views(img: Image.Image, first: list[View]) -> list[View]:
    """Return the views a photo gets when the first ones tagged nothing: the full frame, and the centre mirrored."""
    if img.mode != "RGB":
        img = img.convert("RGB")
    return [full_view(img), mirrored(first[0])]


def view_named(img: Image.Image, name: str) -> View:
    """Return the view called ``name`` (as stored in a tag's provenance) cut again from the photo; else the centre."""
    first = first_views(img)
    for view in first + second_views(img, first):
        if view.name == name:
            return view
    return first[0]
