"""The worker's ML chain as plain functions: decode -> crop -> predict -> map classes to tags.

No ORM and no settings here: callers pass what they need. TensorFlow is imported lazily by
``inference`` when the first classifier is built, in the worker process that uses it.
"""

from collections.abc import Sequence
from os import PathLike
from typing import BinaryIO

import numpy as np
from PIL import Image

from recognition import inference, looking, taxonomy
from recognition.efficientnet_lite import MODEL_VERSION
from recognition.taxonomy import TagPrediction

BATCH_SIZE = inference.DEFAULT_BATCH_SIZE
# From a display copy (about 2000 px) to 224 px: a box-filter step to within 2x, then bicubic.
IMAGE_INPUT_REDUCING_GAP = 2.0


def load_image(source: str | PathLike[str] | BinaryIO) -> np.ndarray:
    """Return the network's input for one stored image: a (224, 224, 3) uint8 centre crop."""
    return inference.center_crop_resize(inference.decode_image(source))


def image_input(img: Image.Image) -> np.ndarray:
    """Return the network's input cut from pixels already decoded (upright RGB): no second decode."""
    return inference.center_crop_resize(img, reducing_gap=IMAGE_INPUT_REDUCING_GAP)


def predict_tags(
    images: Sequence[np.ndarray],
    *,
    cache_dir: str | PathLike[str],
    num_threads: int = 2,
    batch_size: int = BATCH_SIZE,
) -> list[list[TagPrediction]]:
    """Return the tags each image earns, running the CNN in batches of ``batch_size``."""
    return predict_tags_and_embeddings(images, cache_dir=cache_dir, num_threads=num_threads, batch_size=batch_size)[0]


def predict_tags_and_embeddings(
    images: Sequence[np.ndarray],
    *,
    cache_dir: str | PathLike[str],
    num_threads: int = 2,
    batch_size: int = BATCH_SIZE,
) -> tuple[list[list[TagPrediction]], np.ndarray]:
    """Return the tags each image earns and its L2-normalised embedding (N, 1280), one network pass per batch."""
    classifier = inference.get_classifier(cache_dir, num_threads=num_threads)
    rules = taxonomy.get_taxonomy()
    tags: list[list[TagPrediction]] = []
    embeddings = [np.empty((0, inference.EMBEDDING_SIZE), np.float32)]
    for start in range(0, len(images), batch_size):
        probabilities, features = classifier.predict_with_embeddings(np.stack(images[start : start + batch_size]))
        tags.extend(taxonomy.map_predictions(row, rules) for row in probabilities)
        embeddings.append(features)
    return tags, np.concatenate(embeddings)


# --- Looking at the whole photo (issue 19): the worker calls these instead of image_input + predict_tags.


def image_views(img: Image.Image) -> looking.PhotoViews:
    """Return the views the network may need of pixels already decoded (upright RGB): no second decode."""
    return looking.photo_views(img)


def load_views(source: str | PathLike[str] | BinaryIO) -> looking.PhotoViews:
    """Return the views of one stored image (decoded at about the scale the network needs)."""
    return looking.photo_views(inference.decode_image(source))


def predict_views(
    photos: Sequence[looking.PhotoViews],
    *,
    cache_dir: str | PathLike[str],
    num_threads: int = 2,
    batch_size: int = looking.BATCH_SIZE,
) -> list[list[TagPrediction]]:
    """Return the tags each photo earns from its views, looked at in stages (see ``recognition.looking``)."""
    return predict_views_and_embeddings(photos, cache_dir=cache_dir, num_threads=num_threads, batch_size=batch_size)[0]


def predict_views_and_embeddings(
    photos: Sequence[looking.PhotoViews],
    *,
    cache_dir: str | PathLike[str],
    num_threads: int = 2,
    batch_size: int = looking.BATCH_SIZE,
) -> tuple[list[list[TagPrediction]], np.ndarray]:
    """Return each photo's tags from its views and the embedding of its centre view (N, 1280).

    The embedding comes out of the same interpreter calls as the probabilities: the centre crop is
    every photo's first view, so its features are the first row of that photo's stage-one views.
    """
    classifier = inference.get_classifier(cache_dir, num_threads=num_threads)
    features: list[np.ndarray] = []

    def predict(batch: np.ndarray) -> np.ndarray:
        probabilities, embedded = classifier.predict_with_embeddings(batch)
        features.append(embedded)
        return probabilities

    first_rows = np.cumsum([0] + [len(photo.first) for photo in photos[:-1]]).astype(int)
    tags = looking.tag_photos(photos, predict, batch_size=batch_size)
    if not photos:
        return tags, np.empty((0, inference.EMBEDDING_SIZE), np.float32)
    return tags, np.concatenate(features)[first_rows]


def versions() -> dict[str, str]:
    """Return the model and taxonomy versions stamped on every auto tag."""
    return {"model_version": MODEL_VERSION, "taxonomy_version": str(taxonomy.get_taxonomy().version)}
