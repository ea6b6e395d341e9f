"""Grad-CAM with the real model: the map points at the thing the tag is about."""

import numpy as np
from PIL import Image

from recognition import explain, inference


def side_by_side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Return a 224x224 crop with one photo squeezed into each half."""
    halves = [np.asarray(Image.fromarray(p).resize((112, 224), Image.Resampling.BICUBIC)) for p in (left, right)]
    return np.concatenate(halves, axis=1)


def test_map_finds_the_cat_on_the_left_and_the_espresso_on_the_right(sample_crops):
    image = side_by_side(sample_crops["chelsea"], sample_crops["coffee"])
    cat = explain.class_activation_map(image, [281, 282, 285])  # tabby, tiger cat, Egyptian cat
    espresso = explain.class_activation_map(image, [967])
    assert cat.shape == (7, 7) and cat.min() >= 0 and cat.max() == 1
    assert cat[:, :3].sum() > 2 * cat[:, 4:].sum()
    assert espresso[:, 4:].sum() > 2 * espresso[:, :3].sum()


def test_overlay_is_an_rgb_picture_brighter_where_the_evidence_is(sample_crops):
    cam = np.zeros((7, 7))
    cam[:, :3] = 1.0
    picture = explain.heatmap_overlay(np.full((224, 224, 3), 60, np.uint8), cam)
    assert picture.mode == "RGB" and picture.size == (explain.OVERLAY_SIZE, explain.OVERLAY_SIZE)
    pixels = np.asarray(picture, dtype=float)
    assert pixels[:, :100].mean() > pixels[:, -100:].mean() + 40


def test_decoded_photo_round_trip(sample_files):
    crop = inference.center_crop_resize(inference.decode_image(sample_files["rocket"]))
    cam = explain.class_activation_map(crop, [657, 744])  # missile, projectile
    assert np.isfinite(cam).all() and cam.max() == 1
