"""Classify photos with EfficientNet-Lite0: decode -> centre crop -> TFLite.

Every step is a plain function except the classifier, which is built once per
process and kept in a module-level cache (``get_classifier`` / ``clear_cache``).

Nothing heavy happens at import: TensorFlow is imported, and the model converted
or loaded, only when a classifier is first asked for. Celery's prefork pool forks
its workers after the parent has imported the task modules, and TensorFlow's
thread pools, like a TFLite interpreter, do not survive a fork.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import math
import os
import tempfile
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps

INPUT_SIZE = 224
NUM_CLASSES = 1000
EMBEDDING_SIZE = 1280
CROP_FRACTION = 0.875
DEFAULT_NUM_THREADS = 2
DEFAULT_BATCH_SIZE = 16

ImageSource = str | os.PathLike[str] | BinaryIO


class ImageDecodeError(ValueError):
    """The image cannot be decoded into RGB pixels."""


def decode_image(source: ImageSource, size: int = INPUT_SIZE, *, crop_fraction: float = CROP_FRACTION) -> Image.Image:
    """Open an image upright, in RGB, at no more than about the scale the classifier needs.

    JPEGs are decoded at 1/2, 1/4 or 1/8 scale when that still leaves ``size``
    pixels after the centre crop: a 12 MP photo then decodes several times faster.
    Animated GIF and WebP files give their first frame.
    """
    if size < 1 or not 0.0 < crop_fraction <= 1.0:
        raise ValueError(f"size must be positive and crop_fraction in (0, 1], got {size!r} and {crop_fraction!r}")
    if isinstance(source, str | os.PathLike):
        # Opened here so that a missing or unreadable file raises its own OSError.
        with open(source, "rb") as f:
            return decode_image(f, size, crop_fraction=crop_fraction)
    draft_side = math.ceil(size / crop_fraction)
    try:
        with Image.open(source) as img:
            # A no-op for formats other than JPEG, whose decoder can scale by DCT.
            img.draft("RGB", (draft_side, draft_side))
            return _to_rgb(ImageOps.exif_transpose(img))
    except (ConnectionError, TimeoutError):
        raise  # the storage behind a file object failed, not the image: worth a retry
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        name = getattr(source, "name", "image")
        raise ImageDecodeError(f"cannot decode {name!s} as an image: {exc}") from exc


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # Pillow clips 16-bit values to 255 on conversion, turning the image white.
        pixels = np.clip(np.asarray(img, dtype=np.int64), 0, 65535) >> 8
        return Image.fromarray(pixels.astype(np.uint8)).convert("RGB")
    if img.has_transparency_data:
        # Hidden colours under transparent pixels are arbitrary (often black);
        # show the network what a viewer sees on a light page instead.
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def center_crop_resize(
    img: Image.Image,
    size: int = INPUT_SIZE,
    crop_fraction: float = CROP_FRACTION,
    *,
    reducing_gap: float | None = None,
) -> np.ndarray:
    """Return the centre ``crop_fraction`` of the short side, resized bicubically to ``size``.

    The result is a uint8 array of shape (size, size, 3), the crop the model was evaluated with.
    ``reducing_gap`` (Pillow's) first shrinks a much larger crop by whole factors with a box
    filter: several times cheaper from a 2000 px display copy, and as sharp at 224 px.
    """
    if img.mode != "RGB":
        raise ValueError(f"expected an RGB image, got mode {img.mode!r}")
    if not 0.0 < crop_fraction <= 1.0:
        raise ValueError(f"crop_fraction must be in (0, 1], got {crop_fraction!r}")
    if size < 1:
        raise ValueError(f"size must be positive, got {size!r}")
    width, height = img.size
    crop = min(width, height) * crop_fraction
    left, top = (width - crop) / 2, (height - crop) / 2
    box = (left, top, left + crop, top + crop)
    resized = img.resize((size, size), Image.Resampling.BICUBIC, box=box, reducing_gap=reducing_gap)
    return np.asarray(resized, dtype=np.uint8)


class Classifier:
    """EfficientNet-Lite0 on the TFLite interpreter: float32, XNNPACK, a fixed thread count."""

    def __init__(self, model_path: str | os.PathLike[str], *, num_threads: int = DEFAULT_NUM_THREADS) -> None:
        if not isinstance(num_threads, int) or num_threads < 1:
            raise ValueError(f"num_threads must be a positive integer, got {num_threads!r}")
        from recognition.efficientnet_lite import preprocess_input

        self.model_path = Path(model_path)
        self.num_threads = num_threads
        self._preprocess = preprocess_input
        # From a path, TFLite maps the file: workers on one machine share its pages.
        self._interpreter = interpreter_class()(model_path=str(self.model_path), num_threads=num_threads)
        self._input_index = self._interpreter.get_input_details()[0]["index"]
        # The converter may list the two outputs in either order: tell them apart by width.
        outputs = {int(o["shape_signature"][-1]): o["index"] for o in self._interpreter.get_output_details()}
        if set(outputs) != {NUM_CLASSES, EMBEDDING_SIZE}:
            raise ValueError(
                f"{self.model_path.name} must output {NUM_CLASSES} probabilities and {EMBEDDING_SIZE} features, "
                f"got outputs of widths {sorted(outputs)}"
            )
        self._output_index = outputs[NUM_CLASSES]
        self._features_index = outputs[EMBEDDING_SIZE]
        self.num_classes = NUM_CLASSES
        self._batch_size: int | None = None
        # One interpreter owns one set of buffers; Celery's thread pool may share it.
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Classifier {self.model_path.name} threads={self.num_threads}>"

    def predict(self, batch_uint8: np.ndarray) -> np.ndarray:
        """Return class probabilities, shape (N, 1000), for uint8 RGB images of shape (N, 224, 224, 3)."""
        return self.predict_with_embeddings(batch_uint8)[0]

    def predict_with_embeddings(self, batch_uint8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (probabilities (N, 1000), embeddings (N, 1280)) from one interpreter call.

        An embedding is the pooled feature vector the classifier reads, L2-normalised, so the
        dot product of two embeddings is their cosine similarity.
        """
        batch = np.asarray(batch_uint8)
        if batch.dtype != np.uint8 or batch.ndim != 4 or batch.shape[1:] != (INPUT_SIZE, INPUT_SIZE, 3):
            raise ValueError(
                f"expected uint8 images of shape (N, {INPUT_SIZE}, {INPUT_SIZE}, 3), got {batch.dtype} {batch.shape}"
            )
        if batch.shape[0] == 0:
            return np.empty((0, self.num_classes), np.float32), np.empty((0, EMBEDDING_SIZE), np.float32)
        with self._lock:
            if batch.shape[0] != self._batch_size:
                self._interpreter.resize_tensor_input(self._input_index, list(batch.shape))
                self._interpreter.allocate_tensors()
                self._batch_size = batch.shape[0]
            self._interpreter.set_tensor(self._input_index, self._preprocess(batch))
            self._interpreter.invoke()
            probabilities = self._interpreter.get_tensor(self._output_index).copy()
            features = self._interpreter.get_tensor(self._features_index).copy()
        return probabilities, l2_normalise(features)


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Return the rows scaled to unit length (an all-zero row stays zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))


def interpreter_class() -> type:
    """Return the TFLite interpreter: LiteRT's standalone runtime when installed, else TensorFlow's."""
    try:
        # Same kernels and outputs, without importing TensorFlow: a worker stays ~200 MB, not ~800 MB.
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        # Deprecated in favour of LiteRT, but still shipped and working in TensorFlow 2.21.
        warnings.filterwarnings("ignore", message=r"\s*Warning: tf.lite.Interpreter is deprecated")
        return tf.lite.Interpreter
    return Interpreter


def classify_files(
    sources: Iterable[ImageSource], classifier: Classifier, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> np.ndarray:
    """Decode, crop and classify images; return probabilities of shape (len(sources), 1000).

    Raise ImageDecodeError, naming the file, if any image cannot be decoded.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size!r}")
    sources = list(sources)
    results = [np.empty((0, classifier.num_classes), dtype=np.float32)]
    for start in range(0, len(sources), batch_size):
        chunk = sources[start : start + batch_size]
        batch = np.stack([center_crop_resize(decode_image(source)) for source in chunk])
        results.append(classifier.predict(batch))
    return np.concatenate(results)


def convert_to_tflite() -> bytes:
    """Build EfficientNet-Lite0 with its packaged ImageNet weights and convert it to TFLite."""
    import tensorflow as tf

    from recognition.efficientnet_lite import build_efficientnet_lite0

    # Two outputs, so one interpreter call gives both the tags and the embedding.
    model = build_efficientnet_lite0(include_features=True)
    # Through a SavedModel: TFLiteConverter.from_keras_model does the same export,
    # but prints the whole signature to stdout.
    with tempfile.TemporaryDirectory(prefix="efficientnet-lite0-") as saved_model_dir:
        model.export(saved_model_dir, format="tf_saved_model", verbose=False)
        return tf.lite.TFLiteConverter.from_saved_model(saved_model_dir).convert()


def tflite_model_path(cache_dir: str | os.PathLike[str]) -> Path:
    """Return where the converted model lives in ``cache_dir``, whether or not it exists yet.

    The name changes with the weights, the model code and the TensorFlow version,
    so no worker ever reads a file converted from something else.
    """
    from recognition.efficientnet_lite import MODEL_VERSION
    from recognition.weights import file_sha256, weights_path

    weights_digest = file_sha256(weights_path())[:16]
    return Path(cache_dir) / f"{MODEL_VERSION}-{weights_digest}-tf{_tensorflow_version()}.tflite"


def _tensorflow_version() -> str:
    # Read from the installed distribution: importing TensorFlow only to name a file costs seconds.
    for distribution in ("tensorflow-cpu", "tensorflow"):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "unknown"


def ensure_tflite_model(cache_dir: str | os.PathLike[str]) -> Path:
    """Return the converted model in ``cache_dir``, converting it first if it is not there."""
    path = tflite_model_path(cache_dir)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, convert_to_tflite())
    return path


def write_atomically(path: Path, content: bytes) -> None:
    # Another worker may be reading or writing the same name: it sees either no
    # file or a whole one, never a partial write.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(content)
            tmp.flush()
            os.fsync(tmp.fileno())
        # mkstemp makes the file private; workers running as other users read it too.
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


_classifiers: dict[tuple[Path, int], Classifier] = {}
_classifiers_lock = threading.Lock()


def get_classifier(cache_dir: str | os.PathLike[str], *, num_threads: int = DEFAULT_NUM_THREADS) -> Classifier:
    """Return this process's classifier, converting the model into ``cache_dir`` on first use."""
    key = (Path(cache_dir).resolve(), num_threads)
    with _classifiers_lock:
        classifier = _classifiers.get(key)
        if classifier is None:
            classifier = _classifiers[key] = Classifier(ensure_tflite_model(key[0]), num_threads=num_threads)
    return classifier


def clear_cache() -> None:
    """Forget the classifiers this process has built; converted files on disk are kept."""
    _classifiers.clear()


def _forget_classifiers_after_fork() -> None:
    # A child must build its own interpreter, and must not inherit a lock held by
    # some other thread of its parent at the moment of the fork.
    global _classifiers_lock
    _classifiers_lock = threading.Lock()
    _classifiers.clear()


os.register_at_fork(after_in_child=_forget_classifiers_after_fork)
