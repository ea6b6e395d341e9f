"""The worker's ML chain as plain functions: decode -> crop -> predict -> map classes to tags.

No ORM and no settings here: callers pass what they need. TensorFlow is imported lazily by
``inference`` when the first classifier is built, in the worker process that uses it.
"""

from collections.abc import Sequence
from os import PathLike
from typing import BinaryIO

import numpy as np
from PIL import Image

from recognition import inference, taxonomy
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
    images: Sequence[np.ndarray], *, cache_dir: str | PathLike[str], num_threads: int = 2
) -> list[list[TagPrediction]]:
    """Return the tags each image earns, running the CNN in batches."""
    return predict_tags_and_embeddings(images, cache_dir=cache_dir, num_threads=num_threads)[0]


def predict_tags_and_embeddings(
    images: Sequence[np.ndarray], *, cache_dir: str | PathLike[str], num_threads: int = 2
) -> tuple[list[list[TagPrediction]], np.ndarray]:
    """Return the tags each image earns and its L2-normalised embedding (N, 1280), one network pass per batch."""
    classifier = inference.get_classifier(cache_dir, num_threads=num_threads)
    rules = taxonomy.get_taxonomy()
    tags: list[list[TagPrediction]] = []
    embeddings = [np.empty((0, inference.EMBEDDING_SIZE), np.float32)]
    for start in range(0, len(images), BATCH_SIZE):
        probabilities, features = classifier.predict_with_embeddings(np.stack(images[start : start + BATCH_SIZE]))
        tags.extend(taxonomy.map_predictions(row, rules) for row in probabilities)
        embeddings.append(features)
    return tags, np.concatenate(embeddings)


def versions() -> dict[str, str]:
    """Return the model and taxonomy versions stamped on every auto tag."""
    return {"model_version": MODEL_VERSION, "taxonomy_version": str(taxonomy.get_taxonomy().version)}
