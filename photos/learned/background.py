"""The fixed background sample: negatives every learned tag trains against, beside its owner's other photos.

Embeddings of photos that ship inside scikit-image (never downloaded), each whole, mirrored and as
its centre half, so a tag learned from a few photos of one account still sees a wide world of
"not this". Computed once per CNN version by the worker and kept in ``RECOGNITION_CACHE_DIR``.
None of these pictures is a person's: a trained head carries nothing of other people's photos.
"""

import importlib.resources
import threading
from pathlib import Path

import numpy as np
from django.conf import settings
from PIL import Image, ImageOps

# Not astronaut, chelsea, coffee or the motorcycles: tests and bench/learned_tags.py use those as people's photos.
BACKGROUND_SAMPLES = (
    "brick", "camera", "cell", "chessboard_RGB", "clock_motion", "coins", "color", "grass", "gravel", "horse",
    "hubble_deep_field.jpg", "ihc", "logo", "microaneurysms", "moon", "page", "phantom", "retina.jpg",
    "rocket.jpg", "text",
)  # fmt: skip
_lock = threading.Lock()
_cache: dict[str, np.ndarray] = {}


def sample_image(name: str) -> Image.Image:
    """Return one of scikit-image's bundled photos as RGB (``name`` without suffix means .png)."""
    filename = name if "." in name else f"{name}.png"
    with Image.open(str(importlib.resources.files("skimage.data") / filename)) as img:
        return img.convert("RGB")


def background_images() -> list[Image.Image]:
    """Return the background pictures: each sample whole, mirrored and its centre half."""
    images = []
    for name in BACKGROUND_SAMPLES:
        img = sample_image(name)
        w, h = img.size
        images += [img, ImageOps.mirror(img), img.crop((w // 4, h // 4, w - w // 4, h - h // 4))]
    return images


def embed_images(images: list[Image.Image]) -> np.ndarray:
    """Return the CNN embeddings (N, 1280) of decoded pictures, as the worker computes a photo's."""
    from recognition import pipeline

    views = [pipeline.image_views(img) for img in images]
    _, embeddings = pipeline.predict_views_and_embeddings(
        views, cache_dir=settings.RECOGNITION_CACHE_DIR, num_threads=settings.RECOGNITION_NUM_THREADS
    )
    return embeddings.astype(np.float32)


def background_embeddings(model_version: str) -> np.ndarray:
    """Return the background sample's embeddings for the CNN ``model_version``, computing them once."""
    with _lock:
        if model_version in _cache:
            return _cache[model_version]
        path = Path(settings.RECOGNITION_CACHE_DIR) / f"learned-background-{model_version}.npy"
        if path.exists():
            embeddings = np.load(path)
        else:
            embeddings = embed_images(background_images())
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, embeddings)
            tmp.replace(path)
        _cache[model_version] = embeddings
        return embeddings


def clear_cache() -> None:
    """Forget the embeddings held in this process (tests)."""
    _cache.clear()
