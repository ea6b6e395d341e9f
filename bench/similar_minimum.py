#!/usr/bin/env python
"""Choose "more like this"'s minimum similarity on data: real CNN embeddings of related and unrelated photos.

Photos: the ones bundled with scikit-image (``bench/duplicates.py``'s colour and greyscale sets),
uploaded as the worker sees them. *Unrelated* pairs: every two distinct photos (the stereo
motorcycle pair aside). *Related* pairs, what "more like this" should show: a photo and its
transformed copies (resize, re-encode, crop, brightness, rotation), a photo and each of its halves,
the two halves of one photo (same subject and scene, different picture), and the two motorcycles.
Prints both distributions and, for candidate minimums, the share of related pairs kept and of
unrelated pairs shown; the minimum in ``photos.similar.vectors.SIMILAR_MIN_SIMILARITY`` is checked
against them. Naive baseline beside it: no minimum (0), what the page did before.

    .venv/bin/python bench/similar_minimum.py

Needs no database. The last line printed is one JSON object.
"""

import json
import os
import sys
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import duplicates  # noqa: E402

from photos.similar.vectors import SIMILAR_MIN_SIMILARITY  # noqa: E402
from recognition import inference  # noqa: E402

HALVES = ("astronaut", "chelsea", "coffee", "motorcycle_left", "camera", "rocket", "coins", "brick")


def main() -> None:
    classifier = inference.get_classifier(os.environ.get("RECOGNITION_CACHE_DIR", ROOT / "var/cache/recognition"))
    names = duplicates.COLOUR + duplicates.GREY
    originals = [duplicates.upload(duplicates.load(n)) for n in names]
    o_emb = duplicates.embed(originals, classifier)[0]
    motorcycles = {names.index("motorcycle_left"), names.index("motorcycle_right")}
    unrelated = np.array([o_emb[i] @ o_emb[j] for i, j in combinations(range(len(names)), 2) if {i, j} != motorcycles])

    related, kinds = [], []
    for i, name in enumerate(names):
        copies = list(duplicates.transforms(duplicates.load(name)).values())
        related += list(duplicates.embed(copies, classifier)[0] @ o_emb[i])
        kinds += ["copy"] * len(copies)
    for name in HALVES:
        img = duplicates.load(name)
        w, h = img.size
        halves = [duplicates.upload(img.crop((0, 0, w // 2, h))), duplicates.upload(img.crop((w // 2, 0, w, h)))]
        left, right = duplicates.embed(halves, classifier)[0]
        whole = o_emb[names.index(name)]
        related += [left @ whole, right @ whole, left @ right]
        kinds += ["half of the photo", "half of the photo", "two halves"]
    related.append(o_emb[names.index("motorcycle_left")] @ o_emb[names.index("motorcycle_right")])
    kinds.append("stereo pair")
    related, kinds = np.array(related), np.array(kinds)

    def pct(values, p):
        return float(np.percentile(values, p))

    print(f"{len(names)} photos, {len(unrelated)} unrelated pairs, {len(related)} related pairs")
    print(
        f"unrelated: min {unrelated.min():.3f}, p50 {pct(unrelated, 50):.3f}, p95 {pct(unrelated, 95):.3f}, "
        f"p99 {pct(unrelated, 99):.3f}, max {unrelated.max():.3f}"
    )
    for kind in dict.fromkeys(kinds):
        values = related[kinds == kind]
        print(f"related ({kind}, {len(values)}): min {values.min():.3f}, p50 {pct(values, 50):.3f}")
    print("minimum   related kept   unrelated shown")
    for minimum in (0.0, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, SIMILAR_MIN_SIMILARITY):
        kept, shown = 100 * (related >= minimum).mean(), 100 * (unrelated >= minimum).mean()
        print(f"{minimum:7.2f}   {kept:11.1f}%   {shown:14.1f}%")
    kept = 100 * (related >= SIMILAR_MIN_SIMILARITY).mean()
    shown = 100 * (unrelated >= SIMILAR_MIN_SIMILARITY).mean()
    print(f"chosen minimum {SIMILAR_MIN_SIMILARITY}: {kept:.1f}% of related pairs kept, {shown:.1f}% unrelated shown")
    print(f"naive (no minimum, before): 100.0% related kept, 100.0% unrelated shown (vs {shown:.1f}%)")
    print(
        json.dumps(
            {
                "min_similarity": SIMILAR_MIN_SIMILARITY,
                "related_kept_pct": round(kept, 1),
                "unrelated_shown_pct": round(shown, 1),
                "unrelated_max": round(float(unrelated.max()), 3),
                "unrelated_p99": round(pct(unrelated, 99), 3),
                "related_min": round(float(related.min()), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
