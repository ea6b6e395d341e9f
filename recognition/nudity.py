"""Find nudity with NudeNet (320n: a YOLOv8 detector, MIT) on onnxruntime: pixels -> letterbox -> labelled boxes.

The model is ``320n.onnx`` from the ``nudenet`` wheel, installed without its dependencies; its Python
code is never imported (it needs OpenCV), the package is only located to find the file. Pre- and
post-processing reproduce what ``nudenet.NudeDetector().detect(path)`` 3.4.2 does, in numpy instead of
OpenCV (pad to a square at the bottom right, bilinear resize to 320, [0, 1], NCHW; candidates scoring
0.2 or more, non-maximum suppression at IoU 0.45). That includes its channel order: nudenet converts
OpenCV's BGR with ``COLOR_RGBA2BGR`` (a swap, on three channels) and swaps again in ``blobFromImage``,
so the model is given BGR. Fed RGB instead, it saw "exposed buttocks" (0.30) in the espresso photo.

One addition of ours, ``skin_share``: how much of a box is skin-coloured. NudeNet labels the whole
colour wheel "exposed buttocks" at 0.83 (6.8% of it is skin-coloured, against 91% of the astronaut's
face box): photos.sensitive counts an exposed-part detection only where its box shows skin.

Pure functions plus one session per thread count, built lazily and cached per process, as the tagging
classifier is (onnxruntime sessions are made after Celery's fork). No Django here.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

# The model's 18 classes, in its output order (nudenet 3.4.2).
LABELS = (
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)
# What makes a photo sensitive: exposed intimate parts (not faces, feet, bellies or armpits).
EXPLICIT = (
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_EXPOSED",
)
SIDE = 320
MIN_SCORE = 0.2  # nudenet's candidate floor
NMS_SCORE = 0.25  # nudenet's: candidates below this do not survive suppression
NMS_IOU = 0.45
MONOCHROME_SPREAD = 6.0  # mean (max - min) over the channels, 0..255: below it a photo is black and white


class NudityModelMissing(RuntimeError):
    """The nudenet wheel (its model file) is not installed."""


@dataclass(frozen=True, slots=True)
class Detection:
    """One labelled box, in relative coordinates of the image (0..1, left/top/right/bottom)."""

    label: str
    score: float
    left: float
    top: float
    right: float
    bottom: float
    skin: float | None = None  # share of skin-coloured pixels in the box; None: a monochrome photo

    def as_dict(self) -> dict:
        box = [round(v, 4) for v in (self.left, self.top, self.right, self.bottom)]
        skin = None if self.skin is None else round(self.skin, 3)
        return {"label": self.label, "score": round(self.score, 4), "box": box, "skin": skin}


def model_path() -> Path:
    spec = importlib.util.find_spec("nudenet")  # located, not imported
    if spec is None or not spec.submodule_search_locations:
        raise NudityModelMissing("nudenet is not installed: pip install --no-deps -r requirements-models.txt")
    path = Path(next(iter(spec.submodule_search_locations))) / "320n.onnx"
    if not path.is_file():
        raise NudityModelMissing(f"no model file at {path}")
    return path


def letterbox(image: Image.Image, side: int = SIDE) -> tuple[np.ndarray, float]:
    """Return the model input (1, 3, side, side) in [0, 1] and the square's side in image pixels.

    As nudenet does with OpenCV: the image is padded with black at the bottom and right to a square
    as large as its long side, and that square is resized to ``side`` bilinearly, sampling at pixel
    centres without antialiasing (``cv2.resize``'s INTER_LINEAR). Pillow's bilinear filter smooths
    when it shrinks, which moved the model's scores by up to 0.13 on the sample photos.
    """
    pixels = np.asarray(image.convert("RGB"))
    height, width = pixels.shape[:2]
    long_side = max(width, height)
    where = np.clip((np.arange(side) + 0.5) * (long_side / side) - 0.5, 0, long_side - 1)
    low = np.floor(where).astype(np.intp)
    high = np.minimum(low + 1, long_side - 1)
    frac = (where - low).astype(np.float32)
    # Separable: rows first (whole rows copied), then columns. Samples in the padding are black:
    # their weight is 0 (and their index clamped into the image, to be read and ignored).
    row_low, row_high = (1 - frac) * (low < height), frac * (high < height)
    col_low, col_high = (1 - frac) * (low < width), frac * (high < width)
    rows = pixels[np.minimum(low, height - 1)] * row_low[:, None, None]
    rows += pixels[np.minimum(high, height - 1)] * row_high[:, None, None]
    planes = rows.transpose(2, 0, 1)  # (3, side, width)
    resized = planes[:, :, np.minimum(low, width - 1)] * col_low
    resized += planes[:, :, np.minimum(high, width - 1)] * col_high
    resized = np.ascontiguousarray(resized)  # the column gather leaves the planes strided
    resized *= 1 / 255.0
    return resized[None], long_side


def to_model(batch: np.ndarray) -> np.ndarray:
    """Return the letterboxed RGB input in the channel order nudenet gives the model (BGR)."""
    return np.ascontiguousarray(batch[:, ::-1])


def skin_mask(batch: np.ndarray) -> np.ndarray | None:
    """Return which pixels of a letterboxed RGB input look like skin (side, side), or None if monochrome.

    The chrominance rule of Chai and Ngan (1999): Cb in [77, 127] and Cr in [133, 173] (ITU-R BT.601),
    which ignores brightness, so it holds for light and dark skin alike. A black-and-white photo has no
    chrominance to judge: None, and no detection of it is discounted.
    """
    red, green, blue = batch[0]  # 0..1
    spread = np.max(batch[0], axis=0) - np.min(batch[0], axis=0)
    if float(spread.mean()) * 255.0 < MONOCHROME_SPREAD:
        return None
    cb = 0.5 - 0.168736 * red - 0.331264 * green + 0.5 * blue  # 0..1, 0.5 is neutral
    cr = 0.5 + 0.5 * red - 0.418688 * green - 0.081312 * blue
    return (cb >= 77 / 255) & (cb <= 127 / 255) & (cr >= 133 / 255) & (cr <= 173 / 255)


def skin_share(mask: np.ndarray | None, detection: Detection, size: tuple[int, int], long_side: float) -> float | None:
    """Return the share of skin-coloured pixels inside ``detection``'s box (None for a monochrome photo)."""
    if mask is None:
        return None
    to_square = SIDE / long_side
    left, right = (int(v * size[0] * to_square) for v in (detection.left, detection.right))
    top, bottom = (int(v * size[1] * to_square) for v in (detection.top, detection.bottom))
    box = mask[top : max(bottom, top + 1), left : max(right, left + 1)]
    return float(box.mean()) if box.size else 0.0


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of one (left, top, right, bottom) box with each of ``others`` (n, 4)."""
    width = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    height = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    inter = width * height
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    union = (box[2] - box[0]) * (box[3] - box[1]) + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def decode(output: np.ndarray, size: tuple[int, int], long_side: float) -> list[Detection]:
    """Turn the model's output (1, 4 + 18, 2100) into labelled boxes on an image of ``size``, best first.

    Class-agnostic suppression, as nudenet does (``cv2.dnn.NMSBoxes`` over all classes at once).
    """
    rows = output[0].T  # (2100, 22): centre x, centre y, width, height (square pixels), then class scores
    scores = rows[:, 4:].max(axis=1)
    keep = scores >= MIN_SCORE
    rows, scores = rows[keep], scores[keep]
    classes = rows[:, 4:].argmax(axis=1)
    scale = long_side / SIDE
    middles, sizes = rows[:, :2] * scale, rows[:, 2:4] * scale
    boxes = np.concatenate([middles - sizes / 2, middles + sizes / 2], axis=1)
    boxes = np.clip(boxes, 0, [size[0], size[1], size[0], size[1]])
    kept: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        if scores[i] < NMS_SCORE:
            break
        if not kept or (_iou(boxes[i], boxes[kept]) <= NMS_IOU).all():
            kept.append(int(i))
    width, height = size
    return [
        Detection(
            LABELS[classes[i]],
            float(scores[i]),
            float(boxes[i, 0] / width),
            float(boxes[i, 1] / height),
            float(boxes[i, 2] / width),
            float(boxes[i, 3] / height),
        )
        for i in kept
    ]


class NudityDetector:
    def __init__(self, path: Path, *, num_threads: int = 1) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = num_threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def detect(self, image: Image.Image) -> list[Detection]:
        """Return what the model finds in ``image`` (any size: it is letterboxed down to 320 px)."""
        batch, long_side = letterbox(image)
        output = self.session.run(None, {self.input: to_model(batch)})[0]
        mask = skin_mask(batch)
        return [
            dataclasses.replace(found, skin=skin_share(mask, found, image.size, long_side))
            for found in decode(output, image.size, long_side)
        ]


def sensitive_score(found: list[Detection], labels: tuple[str, ...] = EXPLICIT, *, min_skin: float = 0.0) -> float:
    """Return the highest score among detections of ``labels`` whose box shows skin (0.0 when none does)."""
    return max((d.score for d in found if d.label in labels and (d.skin is None or d.skin >= min_skin)), default=0.0)


_detectors: dict[int, NudityDetector] = {}
_detectors_lock = threading.Lock()


def get_detector(*, num_threads: int = 1) -> NudityDetector:
    with _detectors_lock:
        if num_threads not in _detectors:
            _detectors[num_threads] = NudityDetector(model_path(), num_threads=num_threads)
        return _detectors[num_threads]


def detect_nudity(image: Image.Image, *, num_threads: int = 1) -> list[Detection]:
    return get_detector(num_threads=num_threads).detect(image)


def clear_cache() -> None:
    with _detectors_lock:
        _detectors.clear()
