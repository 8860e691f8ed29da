"""initspec for JAX: sharded arrays whose values do not depend on the sharding.

::

    import jax, numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    mesh = Mesh(np.array(jax.devices()).reshape(2, 4), ("data", "model"))
    w = initspec.jax.sample("lecun_normal", [1024, 4096], NamedSharding(mesh, P(None, "model")),
                            seed=0, name="mlp.wi")
    # np.asarray(w) is the same for every mesh and PartitionSpec, and equals
    # initspec.sample("lecun_normal", [1024, 4096], seed=0, name="mlp.wi", layout="in-out").

Each device's piece is drawn alone (``jax.make_array_from_callback``): element ``i`` of the
global array (C order) comes from counter ``i`` of the stream keyed by ``(seed, name)``.
"""

from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import jax
import numpy as np

from . import _arrays, _fill, _shape, law

__all__ = ["sample"]


def _block(index: Tuple[Any, ...], shape: List[int]) -> List[Tuple[int, int]]:
    block = []
    for axis, (piece, dim) in enumerate(zip(index, shape)):
        start, stop, step = piece.indices(dim)
        if step != 1:
            raise ValueError(f"axis {axis} of a shard has step {step}; initspec fills contiguous ranges")
        block.append((start, max(start, stop)))
    return block


def sample(
    scheme: str,
    shape: Sequence[int],
    sharding: "jax.sharding.Sharding",
    *,
    seed: int = 0,
    name: str,
    dtype: str = "float32",
    layout: str = "in-out",
    groups: int = 1,
    allow_lossy_dtype: bool = False,
) -> "jax.Array":
    """A ``jax.Array`` of ``shape`` laid out by ``sharding`` (any ``NamedSharding``,
    ``PositionalSharding`` or ``SingleDeviceSharding``), drawn from ``scheme`` with the stream
    ``(seed, name)``: every device fills only its own piece, and the global values equal
    :func:`initspec.sample` with the same arguments, whatever the sharding.

    ``layout`` defaults to ``"in-out"``, the JAX/Flax/Keras convention (``[*k, in, out]``).
    ``dtype`` is ``"float32"``, ``"float64"`` (needs ``jax_enable_x64``), ``"float16"`` or
    ``"bfloat16"``.
    """
    dims = _shape(shape)
    np_dtype = _arrays.numpy_dtype(dtype)
    if np_dtype == np.float64 and not jax.config.jax_enable_x64:
        raise ValueError("dtype float64 needs jax.config.update('jax_enable_x64', True)")
    # Resolve once up front, so a bad scheme is one error here rather than one per device.
    if all(d > 0 for d in dims):
        law(scheme, dims, layout, groups)

    def piece(index: Tuple[Any, ...]) -> np.ndarray:
        block = _block(index, dims)
        out = np.empty([b - a for a, b in block], dtype=np_dtype)
        _fill(out, scheme, block, dims, seed, name, layout, groups, allow_lossy_dtype)
        return out

    return jax.make_array_from_callback(tuple(dims), sharding, piece)
