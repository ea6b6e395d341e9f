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
    images: Sequence[np.ndarray],
    *,
    cache_dir: str | PathLike[str],
    num_threads: int = 2,
    batch_size: int = BATCH_SIZE,
) -> list[list[TagPrediction]]:
    """Return the tags each image earns, running the CNN in batches of ``batch_size``."""
    classifier = inference.get_classifier(cache_dir, num_threads=num_threads)
    rules = taxonomy.get_taxonomy()
    tags: list[list[TagPrediction]] = []
    for start in range(0, len(images), batch_size):
        probabilities = classifier.predict(np.stack(images[start : start + batch_size]))
        tags.extend(taxonomy.map_predictions(row, rules) for row in probabilities)
    return tags


def versions() -> dict[str, str]:
    """Return the model and taxonomy versions stamped on every auto tag."""
    return {"model_version": MODEL_VERSION, "taxonomy_version": str(taxonomy.get_taxonomy().version)}
