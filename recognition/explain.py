"""Grad-CAM: show where in a photo the network found the classes behind a tag.

The map is computed on the view that earned the tag (``recognition.framing``: the centre crop, a
crop along a long frame, the whole frame or a mirror) and drawn back on the whole photo, from the gradient of the
tag's summed class probabilities with respect to the last convolutional features (7x7x1280),
so it explains the real decision rather than a look-alike. TensorFlow is imported lazily.
"""

from collections.abc import Sequence

import numpy as np
from PIL import Image

HEAD_LAYER = "head_relu"
OVERLAY_SIZE = 336
# A perceptual dark-to-bright ramp (close to matplotlib's "inferno"): black, purple, red, orange, yellow.
_RAMP = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], dtype=np.float32)

_cache: dict[str, object] = {}


def _gradcam_model():
    """Return a Keras model mapping images to (head features, probabilities), built once per process."""
    if "model" not in _cache:
        import keras

        from recognition.efficientnet_lite import build_efficientnet_lite0

        model = build_efficientnet_lite0()
        _cache["model"] = keras.Model(model.inputs, [model.get_layer(HEAD_LAYER).output, model.output])
    return _cache["model"]


def clear_cache() -> None:
    """Forget the Grad-CAM model built by this process."""
    _cache.clear()


def class_activation_map(image: np.ndarray, class_indices: Sequence[int]) -> np.ndarray:
    """Return a (7, 7) map in [0, 1] of where the summed probability of ``class_indices`` comes from.

    ``image`` is the classifier's uint8 input, shape (224, 224, 3).
    """
    if not class_indices:
        raise ValueError("class_indices must name at least one class")
    import tensorflow as tf

    from recognition.efficientnet_lite import preprocess_input

    batch = tf.constant(preprocess_input(np.asarray(image)[None]))
    with tf.GradientTape() as tape:
        features, probabilities = _gradcam_model()(batch, training=False)
        target = tf.reduce_sum(tf.gather(probabilities[0], list(class_indices)))
    gradients = tape.gradient(target, features)[0]
    channel_weights = tf.reduce_mean(gradients, axis=(0, 1))
    cam = tf.nn.relu(tf.reduce_sum(features[0] * channel_weights, axis=-1)).numpy()
    peak = float(cam.max())
    return cam / peak if peak > 0 else cam


def heatmap_on_photo(img: Image.Image, view, cam: np.ndarray, *, size: int = OVERLAY_SIZE) -> Image.Image:
    """Return the whole photo (long side ``size``) with ``view``'s map blended over the part it was cut from.

    ``view`` is a ``framing.View``; a mirrored view's map is flipped back. Outside the view the photo
    shows dimmed, as weak evidence does.
    """
    width, height = img.size
    scale = size / max(width, height)
    out_w, out_h = max(1, round(width * scale)), max(1, round(height * scale))
    cam = np.asarray(cam)[:, ::-1] if view.mirrored else np.asarray(cam)
    left, top, right, bottom = view.box
    box = (round(left * out_w), round(top * out_h), round(right * out_w), round(bottom * out_h))
    heat = np.zeros((out_h, out_w), dtype=np.float32)
    patch = Image.fromarray(np.uint8(np.clip(cam, 0, 1) * 255)).resize(
        (max(1, box[2] - box[0]), max(1, box[3] - box[1])), Image.Resampling.BICUBIC
    )
    heat[box[1] : box[1] + patch.height, box[0] : box[0] + patch.width] = np.asarray(patch, np.float32)[
        : out_h - box[1], : out_w - box[0]
    ]
    photo = np.asarray(img.convert("RGB").resize((out_w, out_h), Image.Resampling.BICUBIC), np.float32)
    return _blend(photo, heat / 255)


def _blend(photo: np.ndarray, heat: np.ndarray) -> Image.Image:
    levels = heat * (len(_RAMP) - 1)
    low = np.floor(levels).astype(int).clip(0, len(_RAMP) - 2)
    colours = _RAMP[low] + (_RAMP[low + 1] - _RAMP[low]) * (levels - low)[..., None]
    alpha = 0.25 + 0.5 * heat[..., None]
    return Image.fromarray(np.uint8((photo * (1 - alpha) + colours * alpha).clip(0, 255)))


def heatmap_overlay(image: np.ndarray, cam: np.ndarray, *, size: int = OVERLAY_SIZE) -> Image.Image:
    """Return the crop with the map blended over it: bright where the evidence is."""
    heat = Image.fromarray(np.uint8(np.clip(cam, 0, 1) * 255)).resize((size, size), Image.Resampling.BICUBIC)
    levels = np.asarray(heat, dtype=np.float32) / 255 * (len(_RAMP) - 1)
    low = np.floor(levels).astype(int).clip(0, len(_RAMP) - 2)
    colours = _RAMP[low] + (_RAMP[low + 1] - _RAMP[low]) * (levels - low)[..., None]
    photo = np.asarray(Image.fromarray(np.asarray(image)).resize((size, size), Image.Resampling.BICUBIC), np.float32)
    # Strong evidence shows the heat colour; weak evidence lets the photo through, dimmed.
    alpha = 0.25 + 0.5 * (levels / (len(_RAMP) - 1))[..., None]
    blended = photo * (1 - alpha) + colours * alpha
    return Image.fromarray(np.uint8(blended.clip(0, 255)))
