"""Learned heads on their own: weights round-trip, the threshold is chosen for precision, training learns faces."""

import numpy as np
import pytest
from PIL import Image
from skimage import data

from recognition import learned_heads


def test_weights_round_trip_as_float32_bytes_and_score_with_numpy():
    rng = np.random.default_rng(0)
    kernel, bias = rng.normal(size=1280).astype(np.float32), -0.25
    blob = learned_heads.head_pack(kernel, bias)
    assert len(blob) == 1281 * 4
    back, back_bias = learned_heads.head_unpack(blob)
    assert np.array_equal(back, kernel) and back_bias == pytest.approx(bias)
    x = rng.normal(size=(3, 1280)).astype(np.float32)
    assert np.allclose(learned_heads.head_scores(x, back, back_bias), 1 / (1 + np.exp(-(x @ kernel + bias))), atol=1e-6)
    with pytest.raises(ValueError, match="1281"):
        learned_heads.head_unpack(blob[:-4])


def test_threshold_is_the_lowest_reaching_the_precision_target():
    scores = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4])
    labels = np.array([1, 1, 1, 0, 1, 1, 0, 0])
    threshold, precision, recall, met = learned_heads.threshold_for_precision(scores, labels, target=0.8)
    # Taking down to 0.6: 5 right of 6 (0.83) with all 5 positives; down to 0.5 would be 5 of 7.
    assert met and 0.5 < threshold <= 0.6
    assert precision == pytest.approx(5 / 6) and recall == 1.0


def test_threshold_says_so_when_the_target_cannot_be_met():
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    labels = np.array([0, 1, 0, 1])
    threshold, precision, recall, met = learned_heads.threshold_for_precision(scores, labels, target=0.9)
    assert not met and precision < 0.9 and 0.0 < threshold < 1.0


def test_too_few_examples_is_refused_before_keras():
    with pytest.raises(ValueError, match="at least 5 positive"):
        learned_heads.head_train(np.zeros((4, 1280)), np.zeros((20, 1280)))


@pytest.fixture(scope="module")
def face_embeddings(tmp_path_factory):
    """Return the real CNN's embeddings of 40 LFW faces and 40 non-face patches (shipped in scikit-image)."""
    from django.conf import settings

    from recognition import pipeline

    lfw = data.lfw_subset()
    picked = np.r_[np.arange(40), 100 + np.arange(40)]
    views = [pipeline.image_views(Image.fromarray((lfw[i] * 255).astype(np.uint8)).convert("RGB")) for i in picked]
    _, embeddings = pipeline.predict_views_and_embeddings(views, cache_dir=settings.RECOGNITION_CACHE_DIR)
    return embeddings[:40], embeddings[40:]


def test_a_head_trained_on_ten_faces_finds_held_out_faces(face_embeddings):
    faces, others = face_embeddings
    progress = []
    head = learned_heads.head_train(faces[:10], others[:20], on_progress=progress.append)
    assert head.kernel.shape == (1280,) and head.folds == 5 and head.positives == 10
    assert progress and progress == sorted(progress) and 0 < progress[-1] <= 1
    # Cross-validated figures come from held-out scores, one per sample.
    assert len(head.held_out["scores"]) == 30
    scores = learned_heads.head_scores(np.r_[faces[10:], others[20:]], head.kernel, head.bias)
    truth = np.r_[np.ones(30, bool), np.zeros(20, bool)]
    tagged = scores >= head.threshold
    assert truth[tagged].mean() >= 0.9 and tagged[truth].mean() >= 0.7


def test_other_photos_as_close_to_the_examples_as_they_are_to_each_other_are_not_negatives(face_embeddings):
    faces, others = face_embeddings
    unpicked = learned_heads.likely_unpicked(faces[:10], np.r_[faces[10:20], others])
    assert unpicked[:10].mean() >= 0.5 and unpicked[10:].mean() <= 0.1
