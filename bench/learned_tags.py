#!/usr/bin/env python
"""Measure learned tags: precision and recall on held-out photos for 5, 10 and 20 examples, and training time.

Two sets of real images that ship inside scikit-image (nothing is downloaded):

- faces: the 100 faces of ``lfw_subset`` against non-faces: its 100 non-face patches and random
  crops, mirrors, rotations and colour changes of sample photos (chelsea, coffee, the motorcycles).
- coffee: augmentations of the coffee photo against augmentations of other sample photos.
- faces+unpicked: the faces again, with 20 faces the person did not pick among their other photos.

Each image goes through the worker's pass (views, the real CNN on LiteRT, the embedding stored as
float16). 5-fold: a fold's positives and negatives are held out; from the rest, n positives are the
person's examples and the remaining negatives their "other photos", plus the fixed background
sample (``photos.learned.background``, sample photos none of the test images come from). The
learned tag (``recognition.learned_heads.head_train``: Keras, its threshold chosen for precision
0.9 on validation) is scored against the held-out fold at its own threshold, beside a
nearest-centroid baseline on the same embeddings (closer to the examples' mean than to the
negatives' mean). Training time is the CPU time of ``head_train`` per tag (Keras imported before).

    .venv/bin/python bench/learned_tags.py [--folds 5]

Needs no database. The last line printed is JSON with precision_at_10, recall_at_10 (faces), train_s.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from photos.learned.background import background_images, sample_image  # noqa: E402
from photos.similar import vectors  # noqa: E402
from recognition import learned_heads, pipeline  # noqa: E402

NEGATIVE_SOURCES = ("chelsea", "coffee", "motorcycle_left", "motorcycle_right")
COFFEE_OTHERS = ("chelsea", "motorcycle_left", "motorcycle_right", "astronaut")
EXAMPLE_COUNTS = (5, 10, 20)


def augment(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Return a random crop (40-90% of each side), maybe mirrored, turned, and re-lit."""
    w, h = img.size
    cw, ch = int(w * rng.uniform(0.4, 0.9)), int(h * rng.uniform(0.4, 0.9))
    x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    out = img.crop((x, y, x + cw, y + ch))
    if rng.random() < 0.5:
        out = ImageOps.mirror(out)
    out = out.rotate(float(rng.uniform(-10, 10)), resample=Image.Resampling.BICUBIC)
    out = ImageEnhance.Brightness(out).enhance(float(rng.uniform(0.7, 1.3)))
    return ImageEnhance.Color(out).enhance(float(rng.uniform(0.6, 1.4)))


def embed(images: list[Image.Image], cache_dir: str) -> np.ndarray:
    """Return the embeddings as the worker stores them (float16, renormalised)."""
    views = [pipeline.image_views(img) for img in images]
    _, embeddings = pipeline.predict_views_and_embeddings(views, cache_dir=cache_dir)
    return vectors.vectors_unpack([vectors.vector_pack(e) for e in embeddings])


def face_set(rng, cache_dir) -> tuple[np.ndarray, np.ndarray]:
    from skimage import data

    lfw = data.lfw_subset()
    grey = [Image.fromarray((x * 255).astype(np.uint8)).convert("RGB") for x in lfw]
    others = [augment(sample_image(name), rng) for name in NEGATIVE_SOURCES for _ in range(15)]
    return embed(grey[:100], cache_dir), embed(grey[100:] + others, cache_dir)


def coffee_set(rng, cache_dir) -> tuple[np.ndarray, np.ndarray]:
    coffee = sample_image("coffee")
    others = [augment(sample_image(name), rng) for name in COFFEE_OTHERS for _ in range(20)]
    return embed([augment(coffee, rng) for _ in range(50)], cache_dir), embed(others, cache_dir)


def centroid_predict(examples, negatives, test) -> np.ndarray:
    pos, neg = examples.mean(axis=0), negatives.mean(axis=0)
    pos, neg = pos / np.linalg.norm(pos), neg / np.linalg.norm(neg)
    return test @ pos > test @ neg


def precision_recall(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    hits = int((predicted & truth).sum())
    return (hits / predicted.sum() if predicted.sum() else 0.0), hits / truth.sum()


def run_set(name, positives, negatives, background, folds, rng, *, unpicked: int = 0) -> dict:
    """Return per example count the learned tag's and the baseline's pooled precision and recall over the folds.

    ``unpicked``: that many of the fold's other positives sit among the person's other photos, as in
    life (the photos of the dog they did not pick); the learned tag leaves out of its negatives those
    that look like the examples (``likely_unpicked``), the baseline takes them all as negatives.
    """
    pos_fold = rng.permutation(len(positives)) % folds
    neg_fold = rng.permutation(len(negatives)) % folds
    results = {}
    for n in EXAMPLE_COUNTS:
        learned_pred, base_pred, truths, seconds, met = [], [], [], [], []
        for fold in range(folds):
            order = rng.permutation(np.flatnonzero(pos_fold != fold))
            train_pos = order[:n]
            own = np.r_[negatives[neg_fold != fold], positives[order[n : n + unpicked]]]
            kept = own[~learned_heads.likely_unpicked(positives[train_pos], own)]
            test = np.r_[positives[pos_fold == fold], negatives[neg_fold == fold]]
            truth = np.r_[np.ones((pos_fold == fold).sum(), bool), np.zeros((neg_fold == fold).sum(), bool)]
            started = time.process_time()
            head = learned_heads.head_train(positives[train_pos], np.r_[kept, background], seed=fold)
            seconds.append(time.process_time() - started)
            met.append(head.target_met)
            learned_pred.append(learned_heads.head_scores(test, head.kernel, head.bias) >= head.threshold)
            base_pred.append(centroid_predict(positives[train_pos], np.r_[own, background], test))
            truths.append(truth)
        truth = np.concatenate(truths)
        p, r = precision_recall(np.concatenate(learned_pred), truth)
        bp, br = precision_recall(np.concatenate(base_pred), truth)
        results[n] = {"precision": p, "recall": r, "baseline_precision": bp, "baseline_recall": br,
                      "train_s_mean": float(np.mean(seconds)), "train_s_max": float(np.max(seconds)),
                      "target_met_folds": int(sum(met))}  # fmt: skip
        print(
            f"{name:14s} n={n:2d}  learned P={p:.3f} R={r:.3f}   centroid P={bp:.3f} R={br:.3f}"
            f"   ratio P {p / bp if bp else float('inf'):.2f}x R {r / br if br else float('inf'):.2f}x"
            f"   train CPU {np.mean(seconds):.2f}s (max {np.max(seconds):.2f}s)   target met {sum(met)}/{folds} folds",
            flush=True,
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    cache_dir = os.environ.get("RECOGNITION_CACHE_DIR", str(ROOT / "var/cache/recognition"))
    rng = np.random.default_rng(16)
    started = time.process_time()
    background = embed(background_images(), cache_dir)
    faces, not_faces = face_set(rng, cache_dir)
    coffee, not_coffee = coffee_set(rng, cache_dir)
    print(f"embedded {len(background) + len(faces) + len(not_faces) + len(coffee) + len(not_coffee)} images "
          f"in {time.process_time() - started:.1f}s CPU: faces {len(faces)} vs {len(not_faces)}, "
          f"coffee {len(coffee)} vs {len(not_coffee)}, background {len(background)}")  # fmt: skip
    started = time.process_time()
    import keras  # noqa: F401 - once per worker process; not part of a tag's training time

    print(f"Keras import: {time.process_time() - started:.1f}s CPU (once per worker process)")
    face = run_set("faces", faces, not_faces, background, args.folds, rng)
    cup = run_set("coffee", coffee, not_coffee, background, args.folds, rng)
    mixed = run_set("faces+unpicked", faces, not_faces, background, args.folds, rng, unpicked=20)
    train = [r["train_s_max"] for r in (*face.values(), *cup.values(), *mixed.values())]
    summary = {
        "precision_at_10": round(face[10]["precision"], 4),
        "recall_at_10": round(face[10]["recall"], 4),
        "train_s": round(max(train), 3),
        "train_s_mean": round(float(np.mean([r["train_s_mean"] for r in (*face.values(), *cup.values())])), 3),
        "baseline_precision_at_10": round(face[10]["baseline_precision"], 4),
        "baseline_recall_at_10": round(face[10]["baseline_recall"], 4),
        "faces": {str(n): {k: round(v, 4) for k, v in r.items()} for n, r in face.items()},
        "coffee": {str(n): {k: round(v, 4) for k, v in r.items()} for n, r in cup.items()},
        "faces_20_unpicked": {str(n): {k: round(v, 4) for k, v in r.items()} for n, r in mixed.items()},
        "floors_met": face[10]["precision"] >= 0.9 and face[10]["recall"] >= 0.7 and max(train) <= 10,
        "folds": args.folds,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
