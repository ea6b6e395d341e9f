"""Real photos shipped inside scikit-image, uploaded and processed by the real worker pass and CNN."""

import importlib.resources
import io

import pytest
from PIL import Image

from photos import services
from tests.helpers import processed

# Colour photos bundled with scikit-image (never downloaded).
SAMPLES = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left", "motorcycle_right", "retina", "ihc")
_FILES = {"rocket": "rocket.jpg", "retina": "retina.jpg"}


def sample_image(name: str) -> Image.Image:
    path = importlib.resources.files("skimage.data") / _FILES.get(name, f"{name}.png")
    with Image.open(str(path)) as img:
        return img.convert("RGB")


def jpeg(img: Image.Image, quality: int = 90) -> io.BytesIO:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return buffer


def post(owner, img: Image.Image, **kwargs):
    """Upload ``img`` as ``owner`` and run the worker's pass on it; return the processed photo."""
    return processed(services.photo_create(owner=owner, image=jpeg(img), **kwargs))


@pytest.fixture
def sample_photos(db):
    """Return the bundled photos posted by one public account, by name."""
    from tests.factories import UserFactory

    owner = UserFactory(username="sampler")
    return {name: post(owner, sample_image(name)) for name in SAMPLES}
