#!/usr/bin/env python
"""Measure near-duplicate detection on real photos: transformed copies found, distinct photos not matched.

Originals: the photos bundled with scikit-image (colour ones, and greyscale ones as RGB). Each is
uploaded as the worker sees it (JPEG, decoded once, centre crop for the CNN) together with its
copies: resized (1/2, 1/4), re-encoded (JPEG quality 90, 70, 50, 30), cropped by 10% (one side,
or 5% all round), brightness +20% and -20%, and rotated by 3 and -5 degrees. A copy is *found* when
the rule of ``photos.similar.services`` matches it to its original: perceptual hash
within ``HASH_MAX_DISTANCE`` bits, or embedding cosine at least ``EMBEDDING_MIN_SIMILARITY``. False
positives: every pair of distinct photos (halves of one photo included, and photos whose top CNN tag
is the same: two cats are not duplicates). A sweep over both thresholds prints how they trade off;
the chosen values are the ones in the code.

    .venv/bin/python bench/duplicates.py

Needs no database. The last line printed is JSON with found_pct and false_positive_pct.
"""

import io
import json
import os
import sys
import time
from itertools import combinations
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from photos.similar import vectors  # noqa: E402
from recognition import inference, pipeline, taxonomy  # noqa: E402

COLOUR = ["astronaut", "chelsea", "coffee", "rocket", "motorcycle_left", "motorcycle_right", "retina", "ihc"]
COLOUR += ["hubble_deep_field", "color", "logo"]
GREY = ["camera", "coins", "moon", "page", "text", "brick", "grass", "gravel", "clock_motion", "cell", "phantom"]
GREY += ["microaneurysms"]
FILES = {"rocket": "rocket.jpg", "retina": "retina.jpg", "hubble_deep_field": "hubble_deep_field.jpg"}


def load(name: str) -> Image.Image:
    import importlib.resources

    path = importlib.resources.files("skimage.data") / FILES.get(name, f"{name}.png")
    with Image.open(str(path)) as img:
        return img.convert("RGB")


def upload(img: Image.Image, quality: int = 92) -> Image.Image:
    """Return ``img`` as the worker decodes it: sent as a JPEG, decoded once."""
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


def transforms(img: Image.Image) -> dict[str, Image.Image]:
    w, h = img.size
    out = {
        "resize 1/2": img.resize((w // 2, h // 2), Image.Resampling.LANCZOS),
        "resize 1/4": img.resize((w // 4, h // 4), Image.Resampling.LANCZOS),
        "crop 10% side": img.crop((int(w * 0.1), 0, w, h)),
        "crop 5% around": img.crop((int(w * 0.05), int(h * 0.05), int(w * 0.95), int(h * 0.95))),
        "brightness +20%": ImageEnhance.Brightness(img).enhance(1.2),
        "brightness -20%": ImageEnhance.Brightness(img).enhance(0.8),
        "rotate 3": img.rotate(3, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(0, 0, 0)),
        "rotate -5": img.rotate(-5, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(0, 0, 0)),
    }
    return {k: upload(v) for k, v in out.items()} | {f"jpeg q{q}": upload(img, q) for q in (90, 70, 50, 30)}


def embed(images: list[Image.Image], classifier) -> tuple[np.ndarray, np.ndarray, list[str]]:
    crops = [pipeline.image_input(img) for img in images]
    probabilities, embeddings = [], []
    for start in range(0, len(crops), 16):
        p, e = classifier.predict_with_embeddings(np.stack(crops[start : start + 16]))
        probabilities.append(p)
        embeddings.append(e)
    rules = taxonomy.get_taxonomy()
    tags = []
    for row in np.concatenate(probabilities):
        predicted = taxonomy.map_predictions(row, rules)
        tags.append(predicted[0].name if predicted else "")
    hashes = np.array([vectors.perceptual_hash(c) for c in crops], dtype=np.int64)
    # Stored as float16 in the database: measure on what is stored.
    stored = vectors.vectors_unpack([vectors.vector_pack(e) for e in np.concatenate(embeddings)])
    return stored, hashes, tags


def rates(copy_sim, copy_dist, pair_sim, pair_dist, hash_max, sim_min) -> tuple[float, float]:
    found = (copy_dist <= hash_max) | (copy_sim >= sim_min)
    false = (pair_dist <= hash_max) | (pair_sim >= sim_min)
    return 100 * found.mean(), 100 * false.mean()


def main() -> None:
    started_cpu, started = time.process_time(), time.perf_counter()
    classifier = inference.get_classifier(os.environ.get("RECOGNITION_CACHE_DIR", ROOT / "var/cache/recognition"))
    originals = {name: upload(load(name)) for name in COLOUR + GREY}
    # Two halves of one photo: the same subject and tags, not the same picture.
    for name in ("astronaut", "chelsea", "coffee", "motorcycle_left", "camera"):
        img = originals[name]
        w, h = img.size
        originals[f"{name} left half"] = upload(img.crop((0, 0, w // 2, h)))
        originals[f"{name} right half"] = upload(img.crop((w // 2, 0, w, h)))
    names = list(originals)
    o_emb, o_hash, o_tags = embed([originals[n] for n in names], classifier)

    copies = [
        (i, kind, img) for i, n in enumerate(names[: len(COLOUR + GREY)]) for kind, img in transforms(load(n)).items()
    ]
    c_emb, c_hash, _ = embed([img for _, _, img in copies], classifier)
    owner = np.array([i for i, _, _ in copies])
    copy_sim = np.einsum("ij,ij->i", c_emb, o_emb[owner])
    copy_dist = np.array([vectors.hash_distances(int(h), o_hash[[i]])[0] for h, i in zip(c_hash, owner, strict=True)])

    pairs = list(combinations(range(len(names)), 2))
    pair_sim = np.array([o_emb[a] @ o_emb[b] for a, b in pairs])
    pair_dist = np.array([vectors.hash_distances(int(o_hash[a]), o_hash[[b]])[0] for a, b in pairs])
    same_tag = np.array([bool(o_tags[a]) and o_tags[a] == o_tags[b] for a, b in pairs])

    print(
        f"{len(names)} distinct photos ({len(pairs)} pairs, {same_tag.sum()} sharing their top tag), "
        f"{len(copies)} transformed copies"
    )
    print("per transform: min cosine to its original / max hash distance")
    for kind in dict.fromkeys(k for _, k, _ in copies):
        mask = np.array([k == kind for _, k, _ in copies])
        print(f"  {kind:16s} cos min {copy_sim[mask].min():.3f}  hash max {copy_dist[mask].max():2d}")
    order = np.argsort(-pair_sim)[:6]
    print("most similar distinct pairs:")
    for j in order:
        a, b = pairs[j]
        print(f"  {names[a]} ~ {names[b]}: cos {pair_sim[j]:.3f}, hash {pair_dist[j]}")
    print("closest distinct hashes:", sorted(pair_dist.tolist())[:5])
    print("sweep (hash bits <= H or cosine >= T): found% / false-positive%")
    for hash_max in (4, 6, 8, 10):
        row = [
            f"T={t:.2f} {'/'.join(f'{v:.1f}' for v in rates(copy_sim, copy_dist, pair_sim, pair_dist, hash_max, t))}"
            for t in (0.85, 0.88, 0.90, 0.91, 0.92, 0.94)
        ]
        print(f"  H={hash_max:2d}: " + "  ".join(row))

    hash_max, sim_min = vectors.HASH_MAX_DISTANCE, vectors.EMBEDDING_MIN_SIMILARITY
    found_pct, false_pct = rates(copy_sim, copy_dist, pair_sim, pair_dist, hash_max, sim_min)
    same_tag_false = rates(copy_sim, copy_dist, pair_sim[same_tag], pair_dist[same_tag], hash_max, sim_min)[1]
    missed = [
        f"{names[i]}/{k}"
        for (i, k, _), s, d in zip(copies, copy_sim, copy_dist, strict=True)
        if not (d <= hash_max or s >= sim_min)
    ]
    naive_found, naive_false = rates(copy_sim, copy_dist, pair_sim, pair_dist, 0, 2.0)
    cpu_ms = (time.process_time() - started_cpu) * 1000 / (len(names) + len(copies))
    print(
        f"chosen: hash <= {hash_max} bits or cosine >= {sim_min}: found {found_pct:.1f}% of copies, "
        f"false positives {false_pct:.2f}% of distinct pairs ({same_tag_false:.2f}% of same-tag pairs)"
    )
    print(f"missed: {missed}")
    print(f"baseline (identical hash only): found {naive_found:.1f}%, false positives {naive_false:.2f}%")
    print(
        f"CPU {cpu_ms:.1f} ms per photo (decode+CNN+hash), wall {time.perf_counter() - started:.1f} s, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    result = {
        "found_pct": round(found_pct, 2),
        "false_positive_pct": round(false_pct, 2),
        "same_tag_false_positive_pct": round(same_tag_false, 2),
        "hash_max_distance": hash_max,
        "embedding_min_similarity": sim_min,
        "copies": len(copies),
        "distinct_pairs": len(pairs),
        "baseline_found_pct": round(naive_found, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
