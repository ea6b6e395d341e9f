"""Fixtures for the CNN tests: the real weights, the real model, one conversion per session."""

import importlib.resources
from pathlib import Path

import numpy as np
import pytest

from recognition import inference
from recognition.weights import load_state_dict

# Photos that ship inside scikit-image (bundled, never downloaded), with what the
# model must see in them.
SAMPLE_FILES = {"chelsea": "chelsea.png", "coffee": "coffee.png", "rocket": "rocket.jpg"}


@pytest.fixture(scope="session")
def sample_files() -> dict[str, Path]:
    """Return the paths of the photos bundled with scikit-image, by name."""
    data_dir = importlib.resources.files("skimage.data")
    return {name: Path(str(data_dir / filename)) for name, filename in SAMPLE_FILES.items()}


@pytest.fixture(scope="session")
def state_dict() -> dict[str, np.ndarray]:
    return load_state_dict()


@pytest.fixture(scope="session")
def keras_model():
    from recognition.efficientnet_lite import build_efficientnet_lite0

    return build_efficientnet_lite0()


@pytest.fixture(scope="session")
def tflite_cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tflite-cache")


@pytest.fixture(scope="session")
def classifier(tflite_cache_dir) -> inference.Classifier:
    classifier = inference.get_classifier(tflite_cache_dir)
    # Later tests build their own through the same cache; this one stays usable.
    inference.clear_cache()
    return classifier


@pytest.fixture(scope="session")
def sample_crops(sample_files) -> dict[str, np.ndarray]:
    """Return the bundled photos decoded and centre-cropped to 224x224 uint8, by name."""
    return {name: inference.center_crop_resize(inference.decode_image(path)) for name, path in sample_files.items()}
