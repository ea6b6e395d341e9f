"""An account with real photos shipped in scikit-image: several of its cat (chelsea, varied) and other subjects."""

import pytest
from PIL import Image, ImageEnhance, ImageOps

from photos.learned.background import sample_image
from tests.factories import UserFactory
from tests.photos.similar.conftest import post


def cat_variants() -> list[Image.Image]:
    """Return chelsea as a person photographs her cat again and again: framed, lit and turned differently."""
    cat = sample_image("chelsea")
    w, h = cat.size
    return [
        cat,
        ImageOps.mirror(cat),
        cat.crop((0, 0, int(w * 0.8), h)),
        cat.crop((int(w * 0.15), int(h * 0.1), w, h)),
        ImageEnhance.Brightness(cat).enhance(1.3),
        cat.rotate(8, resample=Image.Resampling.BICUBIC, expand=False),
        ImageEnhance.Color(ImageOps.mirror(cat)).enhance(0.6),
    ]


def other_subjects() -> list[Image.Image]:
    """Return photos of anything but the cat: coffee, a person, motorcycles, and their mirror images."""
    photos = [sample_image(name) for name in ("coffee", "astronaut", "motorcycle_left", "motorcycle_right")]
    return photos + [ImageOps.mirror(img) for img in photos]


@pytest.fixture
def cat_owner(db):
    """Return (owner, cat photos, other photos): all processed by the real worker pass and CNN, public."""
    owner = UserFactory(username="catperson")
    cats = [post(owner, img) for img in cat_variants()]
    others = [post(owner, img) for img in other_subjects()]
    return owner, cats, others
