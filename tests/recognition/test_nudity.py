"""NudeNet (320n on onnxruntime) as the worker runs it: its input, its decoding, and what it sees in real photos.

No explicit image is used or needed: the model's other classes (faces, covered parts) show that the
pipeline finds what is there, and the sample photos (none of them sensitive) show what it must not find.
"""

import numpy as np
import pytest
from PIL import Image
from skimage import data

from recognition import nudity


def _photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(data, name)()).convert("RGB")


def test_letterbox_pads_at_the_bottom_right_and_samples_like_opencv():
    image = Image.new("RGB", (640, 320), (200, 100, 50))  # landscape: the bottom half of the square is padding
    batch, long_side = nudity.letterbox(image)
    assert batch.shape == (1, 3, 320, 320) and batch.dtype == np.float32 and long_side == 640
    assert np.allclose(batch[0, :, :159, :], np.array([200, 100, 50])[:, None, None] / 255, atol=1e-6)
    assert np.all(batch[0, :, 161:, :] == 0)  # black padding below the image
    # A 2x shrink samples between each pair of pixels: a 1-pixel checkerboard averages to grey
    # (OpenCV's INTER_LINEAR), where a nearest-neighbour resize would keep one colour.
    checks = (np.indices((640, 640)).sum(axis=0) % 2 * 255).astype(np.uint8)
    grey, _ = nudity.letterbox(Image.fromarray(checks))
    assert np.allclose(grey[0, :, 10:300, 10:300], 0.5, atol=1e-6)
    # The model is given BGR, as nudenet's own code gives it.
    assert np.array_equal(nudity.to_model(batch)[0, 0], batch[0, 2])


def test_decode_keeps_the_best_of_overlapping_boxes_and_maps_them_to_the_image():
    output = np.zeros((1, 4 + len(nudity.LABELS), 6), dtype=np.float32)
    face, feet = nudity.LABELS.index("FACE_FEMALE"), nudity.LABELS.index("FEET_EXPOSED")
    # centre x, centre y, width, height in the 320 square; then the scores
    output[0, :4, 0], output[0, 4 + face, 0] = [80, 40, 40, 40], 0.9
    output[0, :4, 1], output[0, 4 + face, 1] = [82, 42, 40, 40], 0.7  # the same face, weaker: suppressed
    output[0, :4, 2], output[0, 4 + feet, 2] = [200, 100, 20, 20], 0.3
    output[0, :4, 3], output[0, 4 + feet, 3] = [250, 100, 20, 20], 0.19  # below the candidate floor
    found = nudity.decode(output, (640, 320), 640)  # the square is 640 image pixels: 2x
    assert [(d.label, round(d.score, 2)) for d in found] == [("FACE_FEMALE", 0.9), ("FEET_EXPOSED", 0.3)]
    first = found[0]
    assert (first.left, first.top, first.right, first.bottom) == pytest.approx(
        (120 / 640, 40 / 320, 200 / 640, 120 / 320)
    )


@pytest.fixture(scope="module")
def detector():
    return nudity.get_detector()


def test_finds_the_face_in_the_astronaut_photo_where_it_is_with_its_skin(detector):
    found = detector.detect(_photo("astronaut"))
    faces = [d for d in found if d.label == "FACE_FEMALE"]
    assert len(faces) == 1 and faces[0].score > 0.6
    # Eileen Collins' face: around x 0.34-0.54, y 0.16-0.35 of the 512 x 512 photo.
    face = faces[0]
    assert 0.3 < face.left < 0.38 and 0.5 < face.right < 0.58 and 0.12 < face.top < 0.2 and 0.31 < face.bottom < 0.4
    assert face.skin > 0.8
    assert nudity.sensitive_score(found) == 0.0  # a face is not nudity


@pytest.mark.parametrize(
    "name", ["astronaut", "coffee", "rocket", "chelsea", "hubble_deep_field", "immunohistochemistry"]
)
def test_no_sample_photo_scores_as_nudity(detector, name):
    assert nudity.sensitive_score(detector.detect(_photo(name))) == 0.0


def test_the_skin_share_discounts_nudenets_colour_wheel_false_positive(detector):
    found = detector.detect(_photo("colorwheel"))
    wheel = [d for d in found if d.label == "BUTTOCKS_EXPOSED"]
    assert wheel and wheel[0].score > 0.8  # NudeNet's own verdict on a colour wheel
    assert wheel[0].skin < 0.15  # hardly any of it is skin-coloured
    assert nudity.sensitive_score(found) > 0.8
    assert nudity.sensitive_score(found, min_skin=0.3) == 0.0


def test_a_black_and_white_photo_is_not_judged_by_colour(detector):
    found = detector.detect(_photo("camera"))  # the cameraman, greyscale
    assert any(d.label == "FACE_MALE" for d in found)
    assert all(d.skin is None for d in found)
