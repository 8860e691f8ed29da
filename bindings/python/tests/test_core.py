"""initspec.law / sample / init_ / audit / identify / assert_conforms against the CLI, and
the bad inputs each must refuse with a clear exception."""

import json

import numpy as np
import pytest
import torch

import initspec
from conftest import as_bytes, cli_sample_bytes

DTYPES = ["float32", "float64", "float16", "bfloat16"]
SHAPE = [37, 23]  # odd, so no block or chunk boundary lines up by accident


def test_law_is_the_spec():
    # Xavier uniform: bound √(6/(fan_in + fan_out)) = √(6/(192 + 64)).
    law = initspec.law("xavier_uniform", [64, 192])
    bound = float(law.split("b=")[1].rstrip(")"))
    assert bound == pytest.approx((6 / 256) ** 0.5, rel=1e-15)
    # He normal: σ = √(2/fan_in).
    he = initspec.law("kaiming_normal", [256, 784])
    assert he.startswith("normal(mean=0, std=")
    assert float(he.split("std=")[1].rstrip(")")) == pytest.approx((2 / 784) ** 0.5, rel=1e-15)
    # Keras layout: fans from [.., in, out].
    assert initspec.law("lecun_normal", [3, 3, 16, 32], layout="in-out").startswith("trunc_normal")


@pytest.mark.parametrize("dtype", DTYPES)
def test_sample_equals_the_cli_byte_for_byte(cli, tmp_path, dtype):
    for scheme, layout in [("kaiming_normal", "out-in"), ("glorot_uniform", "in-out"),
                           ("trunc_normal(std=0.02, a=-0.04, b=0.04)", "out-in"), ("orthogonal", "out-in")]:
        ours = initspec.sample(scheme, SHAPE, seed=7, name="blocks.0.w", dtype=dtype, layout=layout)
        assert ours.shape == tuple(SHAPE) and ours.dtype.name == dtype
        theirs = cli_sample_bytes(cli, tmp_path, scheme, SHAPE, 7, "blocks.0.w", dtype, layout)
        assert as_bytes(ours) == theirs, (scheme, dtype)


def test_seed_and_name_key_the_stream():
    a = initspec.sample("normal(std=1)", [100], seed=1, name="a")
    assert as_bytes(a) == as_bytes(initspec.sample("normal(std=1)", [100], seed=1, name="a"))
    assert as_bytes(a) != as_bytes(initspec.sample("normal(std=1)", [100], seed=2, name="a"))
    assert as_bytes(a) != as_bytes(initspec.sample("normal(std=1)", [100], seed=1, name="b"))


@pytest.mark.parametrize("dtype", DTYPES)
def test_init_fills_numpy_and_torch_in_place_as_sample(dtype):
    expected = as_bytes(initspec.sample("he_uniform", SHAPE, seed=3, name="w", dtype=dtype))
    tensor = torch.empty(SHAPE, dtype=getattr(torch, dtype))
    address = tensor.data_ptr()
    assert initspec.init_(tensor, "he_uniform", seed=3, name="w") is tensor
    assert tensor.data_ptr() == address and as_bytes(tensor) == expected
    if dtype != "bfloat16":
        array = np.zeros(SHAPE, dtype=dtype)
        initspec.init_(array, "he_uniform", seed=3, name="w")
        assert as_bytes(array) == expected


def test_init_of_a_parameter_bumps_its_version_and_keeps_grad():
    layer = torch.nn.Linear(30, 20)
    version = layer.weight._version
    initspec.init_(layer.weight, "xavier_normal", seed=0, name="fc.weight")
    assert layer.weight._version > version
    assert layer.weight.requires_grad and layer.weight.grad_fn is None
    assert as_bytes(layer.weight) == as_bytes(
        initspec.sample("xavier_normal", [20, 30], seed=0, name="fc.weight"))


def test_empty_and_scalar_tensors():
    assert initspec.sample("xavier_uniform", [0, 5]).shape == (0, 5)
    assert initspec.sample("normal(std=1)", []).shape == ()
    with pytest.raises(ValueError, match="rank >= 2"):
        initspec.sample("xavier_uniform", [0])


def test_audit_equals_the_cli(cli, tmp_path):
    for scheme, claim in [("kaiming_uniform(a=2.23606797749979)", "kaiming_uniform(a=2.23606797749979)"),
                          ("kaiming_uniform(a=2.23606797749979)", "xavier_normal")]:
        weights = initspec.sample(scheme, [128, 256], seed=4, name="fc")
        path = tmp_path / "w.npy"
        np.save(path, weights)
        status, stdout, stderr = cli("audit", path, "--scheme", claim, "--json")
        ours = initspec.audit(weights, claim).to_dict()
        theirs = json.loads(stdout)
        assert status == (0 if ours["verdict"] == "pass" else 1), stderr
        for key in ("file", "tensor"):
            theirs.pop(key, None)
        assert ours == theirs


def test_audit_verdicts_and_negative_control():
    # α = 1e-3, n = 32768, seed 4: the right law passes; He-normal claimed on Linear's default
    # (variance 1/(3·fan_in) against 2/fan_in, 6× too small) must fail.
    weights = initspec.sample("kaiming_uniform(a=2.23606797749979)", [128, 256], seed=4, name="fc")
    good = initspec.audit(weights, "kaiming_uniform(a=2.23606797749979)")
    assert good.verdict == "pass" and good.passed and bool(good)
    bad = initspec.audit(weights, "kaiming_normal")
    assert bad.verdict == "fail" and "variance" in bad.summary
    assert any(not c["pass"] for c in bad.checks)
    assert "verdict   FAIL" in bad.report


def test_audit_reads_bf16_torch_and_noncontiguous_views():
    tensor = torch.empty(64, 96, dtype=torch.bfloat16)
    initspec.init_(tensor, "normal(std=0.02)", seed=5, name="emb")
    result = initspec.audit(tensor, "normal(std=0.02)")
    assert result.verdict == "pass" and result.dtype == "bf16"
    # A transposed view is read in its own C order: the claim with the swapped fans holds.
    weights = initspec.sample("xavier_uniform", [40, 90], seed=2, name="t")
    assert initspec.audit(weights.T, "xavier_uniform").verdict == "pass"


def test_assert_conforms():
    weights = initspec.sample("lecun_normal", [64, 64], seed=9, name="w")
    initspec.assert_conforms(weights, "lecun_normal")
    with pytest.raises(AssertionError, match="do not conform to xavier_uniform"):
        initspec.assert_conforms(weights, "xavier_uniform")


def test_identify_names_the_law():
    weights = initspec.sample("kaiming_uniform(a=2.23606797749979)", [256, 512], seed=1, name="w")
    best = initspec.identify(weights)[0]
    assert "U(±1/√fan_in)" in best["origin"] or best["scheme"].startswith("kaiming_uniform")
    assert {"scheme", "law", "p_value", "origin"} <= set(best)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: initspec.sample("xavier_uniformm", [4, 4]), ValueError, "invalid scheme"),
        (lambda: initspec.sample("xavier_uniform", [4]), ValueError, "rank >= 2"),
        (lambda: initspec.sample("normal(std=1)", [4], dtype="int32"), ValueError, "unsupported dtype"),
        (lambda: initspec.sample("normal(std=1e-50)", [4]), ValueError, "cannot be stored in f32"),
        (lambda: initspec.sample("normal(std=1e5)", [64], dtype="float16"), ValueError, "overflows f16"),
        (lambda: initspec.sample("normal(std=1)", [-1]), ValueError, "non-negative"),
        (lambda: initspec.init_(np.zeros((4, 6), dtype=np.int64), "he_normal", name="w"), ValueError, "int64"),
        (lambda: initspec.init_(np.zeros((6, 4), dtype=np.float32).T, "he_normal", name="w"), ValueError, "not C-contiguous"),
        (lambda: initspec.init_(torch.zeros(6, 4).t(), "he_normal", name="w"), ValueError, "not contiguous"),
        (lambda: initspec.init_(torch.zeros(6, 4, dtype=torch.int32), "he_normal", name="w"), ValueError, "torch.int32"),
        (lambda: initspec.init_(torch.zeros(6, 4, device="meta"), "he_normal", name="w"), ValueError, "CPU memory only"),
        (lambda: initspec.init_(np.zeros((6, 4), np.float32), "he_normal", name="w", layout="axes(in=[0], out=[5])"), ValueError, "axis"),
        (lambda: initspec.init_([1.0, 2.0], "he_normal", name="w"), TypeError, "numpy.ndarray"),
        (lambda: initspec.audit(np.zeros((4, 4)), "xavier_uniform", alpha=2.0), ValueError, "alpha"),
        (lambda: initspec.audit(np.zeros(4, dtype=np.int8), "zeros"), ValueError, "int8"),
    ],
)
def test_bad_input_is_a_clear_exception(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_read_only_arrays_are_refused_and_left_alone():
    array = np.zeros((6, 4), dtype=np.float32)
    array.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        initspec.init_(array, "he_normal", name="w")
    assert not array.any()


def test_a_failed_fill_writes_nothing():
    tensor = torch.zeros(8, 8)
    with pytest.raises(ValueError):
        initspec.init_(tensor, "orthogonal(gain=-1)", name="w")
    assert not tensor.any()
