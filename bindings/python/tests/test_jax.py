"""initspec.jax.sample: the same bytes for any sharding over eight host CPU devices
(XLA_FLAGS=--xla_force_host_platform_device_count=8, set in conftest.py before JAX loads)."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P  # noqa: E402

import initspec  # noqa: E402
import initspec.jax  # noqa: E402


def _meshes():
    devices = np.array(jax.devices())
    assert devices.size == 8, "conftest.py asks XLA for 8 host devices"
    return {
        "8": Mesh(devices, ("a",)),
        "2x4": Mesh(devices.reshape(2, 4), ("a", "b")),
        "4x2": Mesh(devices.reshape(4, 2), ("a", "b")),
        "2x2x2": Mesh(devices.reshape(2, 2, 2), ("a", "b", "c")),
    }


SPECS = {
    "8": [P(), P("a"), P(None, "a")],
    "2x4": [P("a", "b"), P("b", "a"), P(None, ("a", "b")), P("a"), P(None, "b")],
    "4x2": [P("a", "b"), P(("b", "a"))],
    "2x2x2": [P(("a", "b"), "c"), P("c", ("a", "b")), P("b")],
}


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
def test_every_sharding_gives_the_sampled_array(dtype):
    shape = [24, 40]  # divisible by every mesh axis product used above
    expected = initspec.sample("glorot_normal", shape, seed=5, name="mlp.wi", dtype=dtype,
                               layout="in-out").tobytes()
    seen = 0
    for mesh_name, mesh in _meshes().items():
        for spec in SPECS[mesh_name]:
            sharding = NamedSharding(mesh, spec)
            array = initspec.jax.sample("glorot_normal", shape, sharding, seed=5, name="mlp.wi",
                                        dtype=dtype)
            assert array.sharding == sharding and array.dtype.name == dtype
            assert len(array.addressable_shards) == 8
            assert np.asarray(array).tobytes() == expected, (mesh_name, spec)
            seen += 1
    assert seen == 13


def test_odd_dims_replicated():
    # An odd dim left replicated, the other sharded over two devices.
    mesh = Mesh(np.array(jax.devices()[:2]), ("a",))
    array = initspec.jax.sample("he_uniform", [3, 3, 7, 16], NamedSharding(mesh, P(None, None, None, "a")),
                                seed=1, name="conv")
    expected = initspec.sample("he_uniform", [3, 3, 7, 16], seed=1, name="conv", layout="in-out")
    assert np.asarray(array).tobytes() == expected.tobytes()


def test_bad_scheme_is_one_value_error():
    mesh = Mesh(np.array(jax.devices()), ("a",))
    with pytest.raises(ValueError, match="invalid scheme"):
        initspec.jax.sample("glorot_normall", [8, 8], NamedSharding(mesh, P("a")), name="w")
    with pytest.raises(ValueError, match="jax_enable_x64"):
        initspec.jax.sample("glorot_normal", [8, 8], NamedSharding(mesh, P("a")), name="w",
                            dtype="float64")
