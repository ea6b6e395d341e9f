#!/usr/bin/env python
"""Measure whether tags hold up when a photo is mirrored, grey, small, framed wide or tall, cropped, compressed.

Real photos shipping in scikit-image, labelled by hand in ``bench/tag_quality_photos.toml``, each in
everyday variants; negatives (textures, plain colours, noise) that must get no tag. Today's decision
(the centre crop, ``taxonomy.map_predictions``) and the new one (views in stages, pooled, hierarchical
sums, calibrated thresholds: ``recognition.looking``) side by side, on the same CNN in one run.

    .venv/bin/python bench/tag_quality.py [--fit] [--pool max|mean]

``--fit`` refits the calibration (``recognition/data/calibration.json``) on these photos first.
No database is used. The last line printed is one JSON object with the figures.
"""

import argparse
import io
import json
import os
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recognition import decision, inference, looking, taxonomy  # noqa: E402

LABELS = Path(__file__).resolve().parent / "tag_quality_photos.toml"
BONUS = {"turned 90"}  # reported, not counted in the floor
# What most uploads look like: framed 4:3 or 3:2, whole, ordinary quality. The CNN cost on these
# is the cost the ingest floor pays; panoramas, tall frames and untagged photos pay more.
ORDINARY = {"original", "mirrored", "JPEG q30", "brightness +30%", "brightness -30%", "greyscale"}


def _fill(img: Image.Image, size: tuple[int, int], seed: int) -> Image.Image:
    """A plain background the photo's mean colour with a little grain, like sky or a wall."""
    mean = np.asarray(img, dtype=np.float32).reshape(-1, 3).mean(axis=0)
    grain = np.random.default_rng(seed).normal(0, 8, size=(size[1], size[0], 3))
    return Image.fromarray(np.clip(mean + grain, 0, 255).astype(np.uint8))


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def variants(img: Image.Image) -> dict[str, Image.Image]:
    """Return the everyday variants of one photo, by name."""
    width, height = img.size
    panorama = _fill(img, (3 * height, height), 1)
    panorama.paste(img.resize((height * width // height, height)).crop((0, 0, min(width, 3 * height), height)), (0, 0))
    tall = _fill(img, (width, 2 * width), 2)
    scaled = img.resize((width, round(height * width / width)))
    tall.paste(scaled, (0, 2 * width - scaled.height))
    crop_w, crop_h = round(width * 0.7), round(height * 0.7)
    return {
        "original": img,
        "mirrored": ImageOps.mirror(img),
        "greyscale": ImageOps.grayscale(img).convert("RGB"),
        "160 px wide": img.resize((160, max(1, round(height * 160 / width))), Image.Resampling.LANCZOS),
        "left of 3:1 panorama": panorama,
        "bottom of 1:2 frame": tall,
        "crop top-left": img.crop((0, 0, crop_w, crop_h)),
        "crop bottom-right": img.crop((width - crop_w, height - crop_h, width, height)),
        "JPEG q30": _jpeg(img, 30),
        "brightness +30%": ImageEnhance.Brightness(img).enhance(1.3),
        "brightness -30%": ImageEnhance.Brightness(img).enhance(0.7),
        "turned 90": img.rotate(90, expand=True),
    }


def negatives() -> dict[str, Image.Image]:
    from skimage import data

    rng = np.random.default_rng(7)
    images = {name: Image.fromarray(getattr(data, name)()).convert("RGB") for name in ("brick", "grass", "gravel")}
    for name, colour in {"white": 255, "black": 0, "grey": 128, "red": (200, 30, 30), "blue": (40, 80, 200)}.items():
        images[f"plain {name}"] = Image.new("RGB", (640, 480), colour if isinstance(colour, tuple) else (colour,) * 3)
    images["uniform noise"] = Image.fromarray(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8))
    smooth = rng.normal(128, 40, (60, 80, 3)).clip(0, 255).astype(np.uint8)
    images["smooth noise"] = Image.fromarray(smooth).resize((640, 480), Image.Resampling.BICUBIC)
    images["noise 3:1"] = Image.fromarray(rng.integers(0, 256, (300, 900, 3), dtype=np.uint8))
    return images


def load_photos() -> list[dict]:
    from skimage import data

    photos = tomllib.loads(LABELS.read_text(encoding="utf-8"))["photo"]
    for photo in photos:
        pixels = getattr(data, photo["load"])()
        if "index" in photo:
            pixels = pixels[photo["index"]]
        photo["image"] = Image.fromarray(pixels).convert("RGB")
        photo["right"] = {photo["expect"], *photo.get("also", ())}
    return photos


def is_right(prediction, right: set[str]) -> bool:
    return prediction.name in right


def hits(prediction, expect: str) -> bool:
    return bool(expect) and (prediction.name == expect or expect in prediction.categories)


class TimedClassifier:
    """The real classifier, counting its process CPU time and images."""

    def __init__(self, classifier) -> None:
        self.classifier = classifier
        self.cpu = 0.0
        self.images = 0

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        start = time.process_time()
        out = self.classifier.predict(batch)
        self.cpu += time.process_time() - start
        self.images += len(batch)
        return out


def reliability(rows: list[tuple[float, bool]], bins: int = 10) -> list[str]:
    lines = ["  confidence bin   n   mean conf   fraction right"]
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [(c, r) for c, r in rows if low <= c < high or (b == bins - 1 and c == 1.0)]
        if inside:
            mean = sum(c for c, _ in inside) / len(inside)
            right = sum(r for _, r in inside) / len(inside)
            lines.append(f"  [{low:.1f}, {high:.1f})   {len(inside):4d}   {mean:9.2f}   {right:14.2f}")
    return lines


def fit(cases, classifier, pool: str) -> None:
    """Fit the logistic calibration on every candidate over all views of every case; write calibration.json."""
    rules = taxonomy.get_taxonomy()
    views = [looking.photo_views(img) for _, img, _ in cases]
    looking.tag_photos(views, classifier, staged=False, pool=pool)
    data = {"tag": ([], []), "category": ([], [])}
    for (_, _, right), photo in zip(cases, views, strict=True):
        for c in decision.candidates(np.stack(photo.probabilities), rules, pool=pool):
            data[c.kind][0].append(decision.margin(c.raw, c.reference))
            data[c.kind][1].append(c.name in right)
    fitted = {kind: decision.fit_logistic(np.array(x), np.array(y)) for kind, (x, y) in data.items()}
    fitted["fitted_on"] = f"bench/tag_quality.py --fit: {len(cases)} images, pool={pool}"
    decision.CALIBRATION_PATH.write_text(json.dumps(fitted, indent=2) + "\n", encoding="utf-8")
    decision._cache.clear()
    print(f"calibration written to {decision.CALIBRATION_PATH}: {fitted}")


def _staged_decision(v: looking.PhotoViews, *, rules, calibration, pool: str) -> list:
    """Decide as the worker does (``looking.tag_photos``): first views, then all views for a near miss.

    ``v`` holds the probabilities of all its views; the near-miss test uses the committed calibration,
    as the worker's does.
    """
    first = np.stack(v.probabilities[: len(v.first)])
    names = [view.name for view in v.first]
    tags = decision.decide(first, names, rules=rules, calibration=calibration, pool=pool)
    if tags or decision.best_confidence(first, rules) < looking.SECOND_LOOK_FROM:
        return tags
    names += [view.name for view in v.second]
    return decision.decide(np.stack(v.probabilities), names, rules=rules, calibration=calibration, pool=pool)


def holdout(cases, negative_cases, classifier, pool: str) -> dict:
    """Leave one photo out: fit the calibration without it, decide its variants as the worker does, count.

    The committed calibration is fitted on every photo; this says how much of its figure is fit.
    Every view's probabilities are computed once; the decision then looks at second views only where
    the worker would (a photo left untagged by its first views that came near a tag).
    """
    rules = taxonomy.get_taxonomy()
    everything = [(p["name"], img, p["right"], p["expect"]) for _, img, p in cases]
    everything += [(None, img, set(), "") for _, img in negative_cases]
    views = [looking.photo_views(img) for _, img, _, _ in everything]
    looking.tag_photos(views, classifier, staged=False, pool=pool)
    found = [decision.candidates(np.stack(v.probabilities), rules, pool=pool) for v in views]
    hit = counted = given = right = 0
    for name in sorted({n for n, *_ in everything if n}):
        data = {"tag": ([], []), "category": ([], [])}
        for (group, _, truth, _), candidates in zip(everything, found, strict=True):
            if group != name:
                for c in candidates:
                    data[c.kind][0].append(decision.margin(c.raw, c.reference))
                    data[c.kind][1].append(c.name in truth)
        fitted = {kind: decision.fit_logistic(np.array(x), np.array(y)) for kind, (x, y) in data.items()}
        calibration = decision.Calibration(tag=fitted["tag"], category=fitted["category"])
        for (group, _, truth, expect), v, case in zip(
            everything, views, cases + [None] * len(negative_cases), strict=True
        ):
            if group != name or case[0].endswith(tuple(BONUS)):
                continue
            tags = _staged_decision(v, rules=rules, calibration=calibration, pool=pool)
            if expect:
                hit += any(hits(t, expect) for t in tags)
                counted += 1
            given += len(tags)
            right += sum(t.name in truth for t in tags)
    return {"holdout_variant_recall": round(hit / counted, 3), "holdout_precision": round(right / max(1, given), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="refit recognition/data/calibration.json first")
    parser.add_argument("--pool", choices=["max", "mean"], default="max")
    parser.add_argument("--holdout", action="store_true", help="also report leave-one-photo-out recall/precision")
    args = parser.parse_args()
    cache_dir = os.environ.get("RECOGNITION_CACHE_DIR", str(ROOT / "var" / "cache" / "recognition"))
    classifier = TimedClassifier(inference.get_classifier(cache_dir, num_threads=1))
    rules = taxonomy.get_taxonomy()
    photos = load_photos()
    cases = [(f"{p['name']} / {v}", img, p) for p in photos for v, img in variants(p["image"]).items()]
    negative_cases = list(negatives().items())
    if args.fit:
        fit(
            [(n, img, p["right"]) for n, img, p in cases] + [(n, img, set()) for n, img in negative_cases],
            classifier,
            args.pool,
        )

    held = holdout(cases, negative_cases, classifier, args.pool) if args.holdout else {}
    classifier.cpu, classifier.images = 0.0, 0
    baseline = []
    for _, img, _ in cases + [(n, img, None) for n, img in negative_cases]:
        probs = classifier(looking.framing.centre_view(img).pixels[None])[0]
        baseline.append(taxonomy.map_predictions(probs, rules))
    baseline_cpu = classifier.cpu / len(baseline)
    classifier.cpu, classifier.images = 0.0, 0
    all_views = [looking.photo_views(img) for _, img, _ in cases] + [
        looking.photo_views(img) for _, img in negative_cases
    ]
    new = looking.tag_photos(all_views, classifier, pool=args.pool)
    new_cpu, new_images = classifier.cpu / len(new), classifier.images / len(new)
    ms_per_view = 1000 * classifier.cpu / classifier.images
    ordinary = [
        len(v.looked_at())
        for (name, _, _), v in zip(cases, all_views, strict=False)
        if name.split(" / ")[1] in ORDINARY
    ]
    ordinary_views = sum(ordinary) / len(ordinary)

    print(f"{'photo / variant':42s} {'expect':10s} {'today (centre crop)':28s} new (views, pooled, calibrated)")
    table = {
        "baseline": {"hit": 0, "counted": 0, "given": 0, "right": 0, "bonus": 0},
        "new": {"hit": 0, "counted": 0, "given": 0, "right": 0, "bonus": 0},
    }
    rel_rows: list[tuple[float, bool]] = []
    for i, (name, _, photo) in enumerate(cases):
        line = f"{name:42s} {photo['expect']:10s}"
        for key, tags in (("baseline", baseline[i]), ("new", new[i])):
            got = any(hits(t, photo["expect"]) for t in tags)
            t = table[key]
            if name.endswith(tuple(BONUS)):
                t["bonus"] += got
            elif photo["expect"]:
                t["hit"] += got
                t["counted"] += 1
            t["given"] += len(tags)
            t["right"] += sum(is_right(p, photo["right"]) for p in tags)
            text = ", ".join(f"{p.name} {p.confidence:.2f}" + (f"@{p.view}" if key == "new" else "") for p in tags)
            line += f" {'+' if got else '-'} {text[:70]:{28 if key == 'baseline' else 0}s}"
            if key == "new":
                rel_rows += [(p.confidence, is_right(p, photo["right"])) for p in tags]
        print(line)
    negatives_tagged = {"baseline": 0, "new": 0}
    print("\nnegatives (must get no tag):")
    for j, (name, _) in enumerate(negative_cases):
        i = len(cases) + j
        negatives_tagged["baseline"] += bool(baseline[i])
        negatives_tagged["new"] += bool(new[i])
        rel_rows += [(p.confidence, False) for p in new[i]]
        print(f"  {name:20s} today: {[p.name for p in baseline[i]]}  new: {[(p.name, p.confidence) for p in new[i]]}")

    # The whole candidate distribution, given or not, for the reliability diagram.
    candidate_rows = []
    for (_, _, photo), views in zip(
        cases + [(n, img, {"right": set()}) for n, img in negative_cases], all_views, strict=True
    ):
        for c in decision.candidates(np.stack(views.probabilities), rules, pool=args.pool):
            conf = decision.get_calibration().confidence(c.kind, c.raw, c.reference)
            candidate_rows.append((conf, c.name in photo["right"]))
    print("\nreliability (every candidate tag/category on every image, new decision):")
    print("\n".join(reliability(candidate_rows)))

    b, n = table["baseline"], table["new"]
    labelled = sum(1 for p in photos if p["expect"])
    figures = {
        "variant_recall": round(n["hit"] / n["counted"], 3),
        "baseline_variant_recall": round(b["hit"] / b["counted"], 3),
        "precision": round(n["right"] / max(1, n["given"]), 3),
        "baseline_precision": round(b["right"] / max(1, b["given"]), 3),
        "negatives_tagged": negatives_tagged["new"],
        "baseline_negatives_tagged": negatives_tagged["baseline"],
        "bonus_turned_90": [n["bonus"], labelled],
        "baseline_bonus_turned_90": [b["bonus"], labelled],
        "cnn_ms_per_photo": round(1000 * new_cpu, 1),
        "baseline_cnn_ms_per_photo": round(1000 * baseline_cpu, 1),
        "views_per_photo": round(new_images, 2),
        "cnn_ms_per_view": round(ms_per_view, 1),
        "ordinary_views_per_photo": round(ordinary_views, 3),
        "ordinary_extra_cnn_ms_per_photo": round((ordinary_views - 1) * ms_per_view, 1),
        "pool": args.pool,
        "images": len(new),
        "load_average": os.getloadavg()[0],
    } | held
    print(
        f"\nrecall over variants: new {figures['variant_recall']} vs today {figures['baseline_variant_recall']}; "
        f"precision: new {figures['precision']} vs today {figures['baseline_precision']}; "
        f"negatives tagged: new {figures['negatives_tagged']} vs today {figures['baseline_negatives_tagged']}; "
        f"CNN CPU ms per image: new {figures['cnn_ms_per_photo']} ({new_images:.2f} views) "
        f"vs today {figures['baseline_cnn_ms_per_photo']}"
    )
    print(
        f"ordinary uploads (4:3/3:2, whole: {len(ordinary)} images): {ordinary_views:.3f} views per photo, "
        f"extra CNN CPU {figures['ordinary_extra_cnn_ms_per_photo']} ms per photo at {ms_per_view:.1f} ms per view"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
