import numpy as np
import pytest

from recognition import efficientnet_lite
from recognition.efficientnet_lite import build_efficientnet_lite0, iter_blocks, load_torch_state_dict, preprocess_input


@pytest.fixture(scope="module")
def scratch_model():
    """An untrained model that tests may leave half-loaded."""
    return build_efficientnet_lite0(weights=None)


def test_block_table_is_efficientnet_lite0():
    blocks = list(iter_blocks())

    assert [b.kernel_size for b in blocks] == [3, 3, 3, 5, 5, 3, 3, 3, 5, 5, 5, 5, 5, 5, 5, 3]
    assert [b.filters_out for b in blocks] == [16, 24, 24, 40, 40, 80, 80, 80, 112, 112, 112, 192, 192, 192, 192, 320]
    assert [b.expand_ratio for b in blocks] == [1] + [6] * 15
    assert [b.index for b in blocks if b.strides == 2] == [1, 3, 5, 11]
    assert [b.index for b in blocks if b.has_residual] == [2, 4, 6, 7, 9, 10, 12, 13, 14]


def test_every_layer_has_a_name_tflite_accepts(scratch_model):
    names = [layer.name for layer in scratch_model.layers]

    assert not [name for name in names if name.startswith("_")]
    assert len(names) == len(set(names))


def test_model_has_exactly_the_weights_of_the_state_dict(keras_model, state_dict):
    # Keras counts BatchNorm's moving statistics as (non-trainable) parameters, as the state dict does.
    weights_in_file = sum(v.size for k, v in state_dict.items() if not k.endswith("num_batches_tracked"))

    assert keras_model.count_params() == weights_in_file == 4_694_024
    assert keras_model.output_shape == (None, 1000)


def test_weights_land_in_the_right_layers_transposed(keras_model, state_dict):
    def keras_weights(name):
        return keras_model.get_layer(name).get_weights()

    np.testing.assert_array_equal(keras_weights("stem_conv")[0], state_dict["_conv_stem.weight"].transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(
        keras_weights("block7_dwconv")[0], state_dict["_blocks.7._depthwise_conv.weight"].transpose(2, 3, 0, 1)
    )
    np.testing.assert_array_equal(keras_weights("block15_project_bn")[3], state_dict["_blocks.15._bn2.running_var"])
    np.testing.assert_array_equal(keras_weights("predictions")[0], state_dict["_fc.weight"].T)
    assert keras_model.get_layer("head_bn").epsilon == 1e-3


def test_leftover_key_is_refused(scratch_model, state_dict):
    extra = {**state_dict, "_blocks.3._se_reduce.weight": np.zeros((4, 24, 1, 1), np.float32)}

    with pytest.raises(ValueError, match=r"1 keys the model does not use: \['_blocks.3._se_reduce.weight'\]"):
        load_torch_state_dict(scratch_model, extra)


def test_missing_key_is_refused(scratch_model, state_dict):
    missing = {k: v for k, v in state_dict.items() if k != "_blocks.9._bn1.running_mean"}

    with pytest.raises(ValueError, match="no key '_blocks.9._bn1.running_mean'"):
        load_torch_state_dict(scratch_model, missing)


def test_wrong_shape_is_refused(scratch_model, state_dict):
    # The most likely porting mistake: a conv weight left in PyTorch's layout.
    wrong = {**state_dict, "_conv_head.weight": state_dict["_conv_head.weight"].transpose(1, 0, 2, 3)}

    with pytest.raises(ValueError, match="layer 'head_conv' expects weights of shapes"):
        load_torch_state_dict(scratch_model, wrong)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": "noisy-student"}, "weights must be 'imagenet' or None, got 'noisy-student'"),
        ({"input_shape": (224, 224, 1)}, r"input_shape .* got \(224, 224, 1\)"),
        ({"input_shape": (16, 16, 3)}, r"at least 32 pixels .* got \(16, 16, 3\)"),
        ({"classifier_activation": "sigmoid"}, "classifier_activation must be 'softmax' or None, got 'sigmoid'"),
    ],
)
def test_builder_says_what_it_got(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_efficientnet_lite0(**{"weights": None, **kwargs})


def test_logits_model_matches_softmax_model(keras_model, sample_crops):
    logits_model = build_efficientnet_lite0(classifier_activation=None)
    x = preprocess_input(sample_crops["coffee"][None])

    logits = np.asarray(logits_model(x, training=False))
    softmax = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()

    np.testing.assert_allclose(softmax, np.asarray(keras_model(x, training=False)), atol=1e-6)


def test_preprocess_input_maps_pixels_to_about_minus_one_to_one():
    out = preprocess_input(np.array([0, 127, 255], dtype=np.uint8))

    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [-127 / 128, 0.0, 1.0])


def test_model_version_is_a_cache_key():
    assert efficientnet_lite.MODEL_VERSION == "efficientnet-lite0-imagenet-2"
