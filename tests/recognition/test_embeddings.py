"""The embedding: the 1280 pooled features of the same network pass that tags a photo."""

import io

import numpy as np
from PIL import Image

from recognition import inference, pipeline
from recognition.efficientnet_lite import preprocess_input


def test_one_call_gives_probabilities_and_unit_embeddings(classifier, sample_crops):
    batch = np.stack(list(sample_crops.values()))

    probabilities, embeddings = classifier.predict_with_embeddings(batch)

    assert probabilities.shape == (len(batch), 1000)
    assert embeddings.shape == (len(batch), 1280)
    assert embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(probabilities, classifier.predict(batch), atol=1e-6)


def test_embeddings_are_the_keras_pooled_features(classifier, sample_crops):
    from recognition.efficientnet_lite import build_efficientnet_lite0

    batch = np.stack(list(sample_crops.values()))
    _, features = build_efficientnet_lite0(include_features=True)(preprocess_input(batch), training=False)
    expected = inference.l2_normalise(np.asarray(features))

    np.testing.assert_allclose(classifier.predict_with_embeddings(batch)[1], expected, atol=1e-4)


def test_same_photo_gives_the_same_vector(classifier, sample_files):
    image = Image.open(sample_files["chelsea"]).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    crops = np.stack(
        [
            inference.center_crop_resize(image),
            inference.center_crop_resize(image),
            inference.center_crop_resize(inference.decode_image(io.BytesIO(buffer.getvalue()))),
        ]
    )

    first, again, reencoded = classifier.predict_with_embeddings(crops)[1]

    np.testing.assert_allclose(first, again, atol=1e-6)
    assert float(first @ reencoded) > 0.97


def test_different_photos_are_further_apart_than_copies(classifier, sample_crops):
    embeddings = classifier.predict_with_embeddings(np.stack(list(sample_crops.values())))[1]
    similarities = embeddings @ embeddings.T

    assert similarities[~np.eye(len(embeddings), dtype=bool)].max() < 0.8


def test_pipeline_returns_tags_and_embeddings_in_order(classifier, tflite_cache_dir, sample_crops):
    images = list(sample_crops.values()) * 9  # more than one batch of 16

    tags, embeddings = pipeline.predict_tags_and_embeddings(images, cache_dir=tflite_cache_dir)

    assert len(tags) == len(images) and embeddings.shape == (len(images), 1280)
    np.testing.assert_allclose(embeddings[0], embeddings[len(sample_crops)], atol=1e-6)
    assert {t.name for t in tags[0]} == {
        t.name for t in pipeline.predict_tags(images[:1], cache_dir=tflite_cache_dir)[0]
    }
