#!/usr/bin/env python
"""Benchmark the worker's tagging pipeline on 12-megapixel JPEGs against a naive baseline.

Pipeline (what a Celery worker runs): JPEG draft-mode decode -> centre crop -> TFLite
EfficientNet-Lite0 in batches -> taxonomy -> tags written to the database.
Baseline: full-resolution decode -> the same crop -> eager Keras call per image -> the
same taxonomy and database writes.

    .venv/bin/python bench/tagging.py [--photos 64] [--baseline-photos 12]

Uses DATABASE_URL when set (PostgreSQL), otherwise SQLite, in a throwaway database.
The last line printed is one JSON object with the figures.
"""

import argparse
import io
import json
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _django import django_bench_env  # noqa: E402

SAMPLES = ["chelsea", "coffee", "rocket", "astronaut", "hubble_deep_field", "immunohistochemistry", "colorwheel"]
SIZE_12MP = (4000, 3000)


class PeakRSS:
    """Sample this process's resident set size every few milliseconds; keep the peak (MB)."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def current_mb() -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self.current_mb())
            time.sleep(0.005)

    def __enter__(self) -> "PeakRSS":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def make_12mp_jpeg(sample: str, seed: int) -> bytes:
    """Upscale a bundled photo to 12 MP and add grain, so it compresses like a real photo."""
    from skimage import data

    base = Image.fromarray(getattr(data, sample)()).convert("RGB").resize(SIZE_12MP, Image.Resampling.BICUBIC)
    pixels = np.asarray(base, dtype=np.int16)
    grain = np.random.default_rng(seed).normal(0, 6, size=pixels.shape).astype(np.int16)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels + grain, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def create_photos(media: Path, count: int) -> list[int]:
    from photos.models import Photo
    from tests.factories import UserFactory

    owner = UserFactory(username="bench")
    folder = media / "photos" / "bench"
    folder.mkdir(parents=True)
    ids = []
    for i in range(count):
        name = f"photos/bench/{i:04d}.jpg"
        (media / name).write_bytes(make_12mp_jpeg(SAMPLES[i % len(SAMPLES)], seed=i))
        photo = Photo.objects.create(owner=owner, image=name, thumbnail=name, width=SIZE_12MP[0], height=SIZE_12MP[1])
        ids.append(photo.pk)
    return ids


def create_stored_copies(media: Path, photo_ids: list[int]) -> tuple[list[int], float]:
    """Run the web upload pipeline on 12 MP files; return the stored photos and its ms per photo.

    These are what the site really keeps (display JPEG, long side 2048 px, no metadata), so the
    worker's figure on them is the everyday one; the 12 MP figure is the worst case.
    """
    from django.conf import settings

    from photos.imaging import process_upload
    from photos.models import Photo

    originals = list(Photo.objects.filter(pk__in=photo_ids))
    ids, elapsed = [], 0.0
    for i, original in enumerate(originals):
        with original.image.open("rb") as source:
            t = time.perf_counter()
            processed = process_upload(source, max_bytes=settings.PHOTO_MAX_BYTES, max_pixels=settings.PHOTO_MAX_PIXELS)
            elapsed += time.perf_counter() - t
        name = f"photos/bench/stored-{i:04d}.jpg"
        (media / name).write_bytes(processed.image)
        photo = Photo.objects.create(
            owner=original.owner, image=name, thumbnail=name, width=processed.width, height=processed.height
        )
        ids.append(photo.pk)
    return ids, elapsed * 1000 / len(originals)


def time_stages(photo_ids: list[int]) -> dict[str, float]:
    """Return milliseconds per photo spent in each stage of the pipeline, measured separately."""
    from django.conf import settings

    from photos import tagging
    from photos.models import Photo
    from recognition import inference, pipeline, taxonomy

    photos = list(Photo.objects.filter(pk__in=photo_ids))
    n = len(photos)
    t0 = time.perf_counter()
    decoded = []
    for photo in photos:
        with photo.image.open("rb") as source:
            decoded.append(inference.decode_image(source))
    t1 = time.perf_counter()
    crops = np.stack([inference.center_crop_resize(img) for img in decoded])
    t2 = time.perf_counter()
    classifier = inference.get_classifier(settings.RECOGNITION_CACHE_DIR, num_threads=settings.RECOGNITION_NUM_THREADS)
    probabilities = np.concatenate(
        [classifier.predict(crops[i : i + pipeline.BATCH_SIZE]) for i in range(0, n, pipeline.BATCH_SIZE)]
    )
    t3 = time.perf_counter()
    predictions = [taxonomy.map_predictions(row) for row in probabilities]
    t4 = time.perf_counter()
    tagging.photos_auto_tags_replace(results=list(zip(photos, predictions, strict=True)), **pipeline.versions())
    t5 = time.perf_counter()
    per = 1000 / n
    return {
        "decode (draft)": (t1 - t0) * per,
        "crop + resize": (t2 - t1) * per,
        "CNN (TFLite, batch 16)": (t3 - t2) * per,
        "taxonomy": (t4 - t3) * per,
        "database writes": (t5 - t4) * per,
    }


def run_pipeline(photo_ids: list[int], batch_size: int) -> tuple[float, list[float]]:
    """Tag every photo through the worker's service in batches; return (photos/s, batch seconds)."""
    from photos import tagging

    batch_seconds = []
    start = time.perf_counter()
    for i in range(0, len(photo_ids), batch_size):
        t = time.perf_counter()
        tagging.photos_tag(photo_ids=photo_ids[i : i + batch_size], force=True)
        batch_seconds.append(time.perf_counter() - t)
    return len(photo_ids) / (time.perf_counter() - start), batch_seconds


def single_photo_latency(photo_ids: list[int]) -> list[float]:
    """Return milliseconds for one upload's task each (the upload path: one photo per task)."""
    from photos import tagging

    latencies = []
    for photo_id in photo_ids:
        t = time.perf_counter()
        tagging.photos_tag(photo_ids=[photo_id], force=True)
        latencies.append((time.perf_counter() - t) * 1000)
    return latencies


def run_baseline(photo_ids: list[int]) -> float:
    """Full decode and an eager Keras call per image; the same taxonomy and writes. Return photos/s."""
    from PIL import ImageOps

    from photos import tagging
    from photos.models import Photo
    from recognition import inference, pipeline, taxonomy
    from recognition.efficientnet_lite import build_efficientnet_lite0, preprocess_input

    model = build_efficientnet_lite0()
    model(preprocess_input(np.zeros((1, 224, 224, 3), np.uint8)), training=False)  # build once, untimed
    versions = pipeline.versions()
    photos = list(Photo.objects.filter(pk__in=photo_ids))
    start = time.perf_counter()
    for photo in photos:
        with photo.image.open("rb") as source, Image.open(source) as img:
            full = ImageOps.exif_transpose(img).convert("RGB")  # every one of the 12 million pixels
        crop = inference.center_crop_resize(full)[None]
        probabilities = np.asarray(model(preprocess_input(crop), training=False))[0]
        tags = taxonomy.map_predictions(probabilities)
        tagging.photos_auto_tags_replace(results=[(photo, tags)], **versions)
    return len(photos) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--photos", type=int, default=64)
    parser.add_argument("--baseline-photos", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=64, help="photos per task")
    args = parser.parse_args()

    with django_bench_env("bench_tagging") as media:
        from django.conf import settings
        from django.db import connection

        from recognition import pipeline

        print(f"database: {connection.vendor}; generating {args.photos} JPEGs of {SIZE_12MP[0]}x{SIZE_12MP[1]}...")
        ids = create_photos(media, args.photos)
        size_mb = statistics.mean((media / f"photos/bench/{i:04d}.jpg").stat().st_size for i in range(len(ids))) / 1e6
        print(f"mean file size {size_mb:.1f} MB")

        # Warm-up, untimed: load the model (converted once and cached on disk), as a worker does at its first task.
        t = time.perf_counter()
        pipeline.predict_tags(
            [np.zeros((224, 224, 3), np.uint8)],
            cache_dir=settings.RECOGNITION_CACHE_DIR,
            num_threads=settings.RECOGNITION_NUM_THREADS,
        )
        print(f"model load (first task of a worker): {time.perf_counter() - t:.2f} s")

        with PeakRSS() as rss:
            stages = time_stages(ids[: min(32, len(ids))])
            photos_per_s, batch_seconds = run_pipeline(ids, args.batch_size)
            latencies = single_photo_latency(ids[:16])
        print("\nwhere the time goes (ms per photo, stages timed separately):")
        for stage, ms in stages.items():
            print(f"  {stage:<26} {ms:6.2f}")
        print(f"  {'total':<26} {sum(stages.values()):6.2f}")

        stored_ids, upload_ms = create_stored_copies(media, ids[:32])
        stored_per_s, _ = run_pipeline(stored_ids, args.batch_size)
        baseline = run_baseline(ids[: args.baseline_photos])
        speedup = photos_per_s / baseline
        p50 = statistics.median(latencies)
        print("\n                         photos/s   ms/photo")
        print(f"pipeline ({args.batch_size:>2} per task)    {photos_per_s:8.1f}   {1000 / photos_per_s:8.1f}")
        print(f"pipeline (1 per task)     {1000 / p50:8.1f}   {p50:8.1f}  (p50 of {len(latencies)})")
        print(f"naive baseline            {baseline:8.1f}   {1000 / baseline:8.1f}")
        stored_ms = 1000 / stored_per_s
        print(f"pipeline on stored copies {stored_per_s:8.1f}   {stored_ms:8.1f}  (2048 px, what the site keeps)")
        print(f"old web path: normalise an upload   {upload_ms:8.1f}  (12 MP in, copies out; see bench/ingest.py)")
        print(f"speedup {speedup:.1f}x; worker peak RSS {rss.peak_mb:.0f} MB")
        floor_ok = photos_per_s >= 40 and speedup >= 8
        print(f"floor (>= 40 photos/s and >= 8x baseline): {'met' if floor_ok else 'NOT MET'}")
        print(
            json.dumps(
                {
                    "photos_per_s": round(photos_per_s, 1),
                    "baseline_photos_per_s": round(baseline, 2),
                    "speedup": round(speedup, 1),
                    "ms_per_photo_p50": round(p50, 1),
                    "peak_rss_mb": round(rss.peak_mb),
                    "stored_copy_photos_per_s": round(stored_per_s, 1),
                    "upload_normalise_ms": round(upload_ms, 1),
                    "photos": len(ids),
                    "database": connection.vendor,
                }
            )
        )


if __name__ == "__main__":
    main()
