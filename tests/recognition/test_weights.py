import os
import pickle

import numpy as np
import pytest

from recognition import weights
from recognition.weights import WeightFileError, load_state_dict

# The legacy header pickles: magic number, protocol version, system info.
LEGACY_HEADER = b"".join(
    pickle.dumps(obj, protocol=2)
    for obj in (
        0x1950A86A20F9469CFC6C,
        1001,
        {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}},
    )
)


class RunsOnLoad:
    """Pickles as a call to ``func(arg)``: what a booby-trapped weight file contains."""

    def __init__(self, func, arg):
        self.func, self.arg = func, arg

    def __reduce__(self):
        return self.func, (self.arg,)


def test_weights_path_is_the_packaged_file():
    path = weights.weights_path()

    assert path.name == "efficientnet-lite0-57934424.pth"
    assert path.stat().st_size == 18_826_032


def test_state_dict_has_every_layer_of_efficientnet_lite0(state_dict):
    assert len(state_dict) == 296
    assert state_dict["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state_dict["_blocks.15._project_conv.weight"].shape == (320, 1152, 1, 1)
    assert state_dict["_fc.weight"].shape == (1000, 1280)
    assert "_blocks.0._expand_conv.weight" not in state_dict
    assert not any("_se_" in key for key in state_dict)
    assert state_dict["_bn0.num_batches_tracked"].dtype == np.int64
    floats = [v for k, v in state_dict.items() if not k.endswith("num_batches_tracked")]
    assert all(v.dtype == np.float32 and v.flags.c_contiguous for v in floats)
    assert all(np.isfinite(v).all() for v in floats)


def test_state_dict_values_are_real_weights(state_dict):
    # Running variances are non-negative and the classifier is not all zeros: the
    # storages were read in the order of the storage keys, not mixed up.
    assert all(state_dict[k].min() >= 0 for k in state_dict if k.endswith("running_var"))
    assert 0.01 < np.abs(state_dict["_fc.weight"]).mean() < 1


def test_wrong_hash_prefix_is_refused():
    with pytest.raises(WeightFileError, match="sha256 .* expected it to start with '00000000'"):
        load_state_dict(sha256_prefix="00000000")


def test_modified_file_is_refused_by_default(tmp_path):
    data = bytearray(weights.weights_path().read_bytes())
    data[-1] ^= 0xFF  # one bit flip in the last weight
    tampered = tmp_path / "efficientnet-lite0-57934424.pth"
    tampered.write_bytes(data)

    with pytest.raises(WeightFileError, match="sha256"):
        load_state_dict(tampered)


@pytest.mark.parametrize(
    ("func", "protocol"),
    [
        pytest.param(os.system, 2, id="os.system-GLOBAL"),
        pytest.param(eval, 4, id="builtins.eval-STACK_GLOBAL"),
    ],
)
def test_pickle_naming_other_globals_is_refused_without_running_them(tmp_path, func, protocol):
    marker = tmp_path / "pwned"
    arg = f"touch {marker}" if func is not eval else f"__import__('pathlib').Path({str(marker)!r}).touch()"
    booby_trapped = tmp_path / "trap.pth"
    payload = pickle.dumps(RunsOnLoad(func, arg), protocol=protocol)
    booby_trapped.write_bytes(LEGACY_HEADER + payload)

    # Even a file whose hash was vouched for must not run code.
    with pytest.raises(
        WeightFileError, match=r"refers to (posix\.system|builtins\.eval); only collections.OrderedDict"
    ):
        load_state_dict(booby_trapped, sha256_prefix=None)

    assert not marker.exists()
    pickle.loads(payload)  # the trap is armed: a plain unpickler springs it
    assert marker.exists()


def test_zip_format_file_is_refused(tmp_path):
    zipped = tmp_path / "new-format.pth"
    zipped.write_bytes(b"PK\x03\x04" + bytes(100))

    with pytest.raises(WeightFileError, match="zip-format"):
        load_state_dict(zipped, sha256_prefix=None)


def test_truncated_file_is_refused(tmp_path):
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(weights.weights_path().read_bytes()[:-1000])

    with pytest.raises(WeightFileError, match="truncated"):
        load_state_dict(truncated, sha256_prefix=None)


def test_weight_file_error_is_a_value_error():
    assert issubclass(WeightFileError, ValueError)
