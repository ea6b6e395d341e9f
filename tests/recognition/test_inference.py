import io
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from recognition import inference
from recognition.efficientnet_lite import MODEL_VERSION, preprocess_input
from recognition.inference import ImageDecodeError, center_crop_resize, classify_files, decode_image

TABBY, TIGER_CAT, EGYPTIAN_CAT, MISSILE, PROJECTILE, ESPRESSO = 281, 282, 285, 657, 744, 967
RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def encoded(img: Image.Image, format: str, **save_kwargs) -> io.BytesIO:
    buffer = io.BytesIO()
    img.save(buffer, format, **save_kwargs)
    buffer.seek(0)
    return buffer


def two_halves(size: tuple[int, int], left=RED, right=BLUE) -> Image.Image:
    img = Image.new("RGB", size, right)
    img.paste(left, (0, 0, size[0] // 2, size[1]))
    return img


def rotated_exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def assert_close_to(pixel, colour, tolerance=40):
    assert np.abs(np.asarray(pixel, dtype=int) - colour).max() <= tolerance, (pixel, colour)


def test_importing_inference_loads_no_tensorflow():
    # Celery's prefork parent imports task modules before forking its workers.
    code = "import sys, recognition.inference; print(sorted({'tensorflow', 'keras'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"


def test_a_worker_with_a_converted_model_classifies_without_tensorflow(classifier, tflite_cache_dir):
    # The session's classifier fixture has converted the model into tflite_cache_dir already.
    code = (
        "import sys, numpy as np\n"
        "from recognition import inference, pipeline\n"
        f"classifier = inference.get_classifier({str(tflite_cache_dir)!r})\n"
        "probabilities = classifier.predict(np.zeros((2, 224, 224, 3), np.uint8))\n"
        "pipeline.versions()\n"
        "print(probabilities.shape, sorted({'tensorflow', 'keras'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip().splitlines()[-1] == "(2, 1000) []"


def test_bundled_photos_get_the_expected_classes(classifier, sample_files):
    names = list(sample_files)
    probabilities = dict(zip(names, classify_files(sample_files.values(), classifier), strict=True))

    chelsea, coffee, rocket = probabilities["chelsea"], probabilities["coffee"], probabilities["rocket"]
    assert chelsea.argmax() in {TABBY, TIGER_CAT, EGYPTIAN_CAT}
    assert chelsea[[TABBY, TIGER_CAT, EGYPTIAN_CAT]].sum() > 0.8
    assert coffee.argmax() == ESPRESSO and coffee[ESPRESSO] > 0.9
    assert set(np.argsort(rocket)[-2:]) == {MISSILE, PROJECTILE}
    np.testing.assert_allclose(classify_files([], classifier).shape, (0, 1000))


def test_tflite_agrees_with_keras(classifier, keras_model, sample_crops):
    noise = np.random.default_rng(0).integers(0, 256, (224, 224, 3), dtype=np.uint8)
    batch = np.stack([*sample_crops.values(), noise])

    expected = np.asarray(keras_model(preprocess_input(batch), training=False))

    np.testing.assert_allclose(classifier.predict(batch), expected, atol=1e-4)
    np.testing.assert_allclose(classifier.predict(batch).sum(axis=1), 1.0, atol=1e-5)


def test_batch_gives_the_same_results_as_one_by_one(classifier, sample_crops):
    batch = np.stack(list(sample_crops.values()))

    batched = classifier.predict(batch)
    singles = np.concatenate([classifier.predict(image[None]) for image in batch])

    np.testing.assert_allclose(batched, singles, atol=1e-5)
    np.testing.assert_allclose(classifier.predict(batch[:2]), batched[:2], atol=1e-5)


def test_classify_files_in_small_batches_matches_one_batch(classifier, sample_files):
    sources = list(sample_files.values())

    np.testing.assert_allclose(
        classify_files(sources, classifier, batch_size=2), classify_files(sources, classifier), atol=1e-5
    )


@pytest.mark.parametrize(
    "bad",
    [np.zeros((1, 224, 224, 3), np.float32), np.zeros((224, 224, 3), np.uint8), np.zeros((1, 256, 256, 3), np.uint8)],
    ids=["float", "no-batch-axis", "wrong-size"],
)
def test_predict_says_what_shape_it_needs(classifier, bad):
    with pytest.raises(ValueError, match=r"expected uint8 images of shape \(N, 224, 224, 3\), got"):
        classifier.predict(bad)


def test_classifier_is_built_once_per_process(tflite_cache_dir):
    first = inference.get_classifier(tflite_cache_dir)

    assert inference.get_classifier(tflite_cache_dir) is first
    inference.clear_cache()
    assert inference.get_classifier(tflite_cache_dir) is not first


def test_converted_model_is_reused_from_disk(classifier, tflite_cache_dir, monkeypatch):
    model_file = classifier.model_path
    stat_before = model_file.stat()

    def conversion_must_not_run():
        raise AssertionError("converted again although the cached file exists")

    monkeypatch.setattr(inference, "convert_to_tflite", conversion_must_not_run)
    inference.clear_cache()
    again = inference.get_classifier(tflite_cache_dir)

    assert again.model_path == model_file
    assert model_file.stat().st_mtime_ns == stat_before.st_mtime_ns
    assert model_file.name.startswith(f"{MODEL_VERSION}-579344248a93e230-tf")
    assert [p.name for p in tflite_cache_dir.iterdir()] == [model_file.name]  # no temp files left
    assert oct(model_file.stat().st_mode & 0o777) == "0o644"


def test_forked_child_builds_its_own_classifier(classifier, tflite_cache_dir):
    inference.get_classifier(tflite_cache_dir)
    pid = os.fork()
    if pid == 0:  # the child, as in Celery's prefork pool
        os._exit(0 if not inference._classifiers else 1)
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert inference._classifiers


def test_decode_uses_jpeg_draft_for_large_photos():
    photo = encoded(two_halves((4000, 3000)), "JPEG", quality=90)

    img = decode_image(photo)

    # 1/8 scale still leaves more than 224 / 0.875 = 256 pixels on the short side.
    assert img.size == (500, 375)
    assert img.mode == "RGB"


def test_decode_applies_exif_orientation_after_draft():
    # Orientation 6: the camera was turned; the picture must be rotated 90 degrees clockwise.
    photo = encoded(two_halves((4000, 3000)), "JPEG", exif=rotated_exif(6))

    img = decode_image(photo)

    assert img.size == (375, 500)
    assert_close_to(img.getpixel((187, 10)), RED)  # the stored left half is now on top
    assert_close_to(img.getpixel((187, 490)), BLUE)


def test_small_image_keeps_its_size_and_orientation():
    img = decode_image(encoded(two_halves((400, 200)), "PNG"))

    assert img.size == (400, 200)
    assert_close_to(img.getpixel((10, 100)), RED, tolerance=0)


@pytest.mark.parametrize(
    ("make_file", "expected_centre"),
    [
        (lambda: encoded(Image.new("CMYK", (300, 300), (0, 255, 255, 0)), "JPEG"), RED),
        (lambda: encoded(Image.new("LA", (300, 300), (0, 0)), "PNG"), WHITE),
        (lambda: encoded(Image.new("RGBA", (300, 300), (0, 0, 0, 0)), "WEBP", lossless=True), WHITE),
        (lambda: encoded(Image.new("P", (300, 300), 0), "GIF", transparency=0), WHITE),
        (lambda: encoded(Image.fromarray(np.full((300, 300), 32896, np.uint16)), "PNG"), (128, 128, 128)),
        (
            lambda: encoded(
                Image.new("RGB", (300, 300), RED),
                "GIF",
                save_all=True,
                append_images=[Image.new("RGB", (300, 300), BLUE)],
            ),
            RED,
        ),
        (
            lambda: encoded(
                Image.new("RGB", (300, 300), BLUE),
                "WEBP",
                save_all=True,
                append_images=[Image.new("RGB", (300, 300), RED)],
            ),
            BLUE,
        ),
    ],
    ids=["cmyk-jpeg", "la-png", "transparent-webp", "transparent-gif", "16-bit-png", "animated-gif", "animated-webp"],
)
def test_decode_gives_rgb_as_a_viewer_would_see_it(make_file, expected_centre):
    img = decode_image(make_file())

    assert img.mode == "RGB"
    assert_close_to(img.getpixel((150, 150)), expected_centre, tolerance=2)


def test_undecodable_bytes_are_a_decode_error():
    garbage = io.BytesIO(b"this is not an image at all")
    garbage.name = "upload.jpg"

    with pytest.raises(ImageDecodeError, match="cannot decode upload.jpg as an image"):
        decode_image(garbage)


def test_missing_file_is_not_a_decode_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        decode_image(tmp_path / "gone.jpg")


def test_center_crop_keeps_the_middle():
    # The crop is 0.875 x 300 = 262.5 px wide: the 60 px red bands on either side fall outside it.
    img = Image.new("RGB", (400, 300), BLUE)
    img.paste(RED, (0, 0, 60, 300))
    img.paste(RED, (340, 0, 400, 300))

    crop = center_crop_resize(img)

    assert crop.shape == (224, 224, 3) and crop.dtype == np.uint8
    assert (crop[..., 2] > 250).all() and (crop[..., 0] < 5).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"crop_fraction": 0.0}, r"crop_fraction must be in \(0, 1\], got 0.0"), ({"size": 0}, "size must be positive")],
)
def test_center_crop_says_what_it_got(kwargs, message):
    with pytest.raises(ValueError, match=message):
        center_crop_resize(Image.new("RGB", (10, 10)), **kwargs)


def test_center_crop_needs_rgb():
    with pytest.raises(ValueError, match="expected an RGB image, got mode 'L'"):
        center_crop_resize(Image.new("L", (10, 10)))
