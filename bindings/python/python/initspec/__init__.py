"""initspec: weight initializers that draw exactly the published laws, and the audit that
holds any framework's weights against them.

Every scheme (``"xavier_uniform"``, ``"kaiming_normal(nonlinearity=relu)"``,
``"truncated_normal(std=0.02)"``, ``"orthogonal"``, ...) resolves, for a tensor's shape and
layout, to one exact law; :func:`sample` and :func:`init_` draw from it and :func:`audit`
tests against it. The grammar and every formula are in docs/SPEC.md of the repository.

Values depend only on ``(scheme, shape, layout, groups, seed, name, dtype)``: element ``i``
(C order) of a tensor is drawn from counter ``i`` of the stream keyed by ``(seed, name)``.
So :func:`sample` equals ``initspec sample`` byte for byte, any thread count gives the same
bytes, and any block of a tensor can be drawn alone (:mod:`initspec.torch` fills each rank's
shard of a DTensor, :mod:`initspec.jax` each device's piece of a sharded array, and the
global tensor is the same for every sharding).

Example::

    >>> import initspec
    >>> initspec.law("xavier_uniform", [64, 192])
    'uniform(a=-0.15309310892394865, b=0.15309310892394865)'
    >>> w = initspec.sample("xavier_uniform", [64, 192], seed=1, name="fc1.weight")
    >>> initspec.audit(w, "xavier_uniform").verdict
    'pass'
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from . import _arrays, _native
from ._audit import Audit

__all__ = [
    "Audit",
    "assert_conforms",
    "audit",
    "identify",
    "init_",
    "law",
    "sample",
]

__version__: str = _native.__version__


def _shape(shape: Sequence[int]) -> List[int]:
    try:
        dims = [int(d) for d in shape]
    except TypeError:
        raise ValueError(f"shape must be a sequence of integers, got {shape!r}") from None
    for d, original in zip(dims, shape):
        if d < 0 or d != original:
            raise ValueError(f"shape {tuple(shape)!r} has a dimension that is not a non-negative integer")
    return dims


def law(scheme: str, shape: Sequence[int], layout: str = "out-in", groups: int = 1) -> str:
    """The exact law ``scheme`` specifies for a tensor of ``shape``, as its base-scheme string.

    ``layout`` says where the fans are: ``"out-in"`` (PyTorch Linear/Conv, ``[out, in/g, *k]``:
    fan_in = shape[1]·rf, fan_out = shape[0]/g·rf with rf the product of the kernel dims),
    ``"in-out"`` (Keras, JAX, ``x @ W``: ``[*k, in/g, out]``), ``"transposed"`` (PyTorch
    ConvTranspose: ``[in, out/g, *k]``) or ``"axes(in=[..], out=[..], batch=[..])"``.

    >>> law("kaiming_normal", [256, 784])  # std = √2/√fan_in = √(2/784)
    'normal(mean=0, std=0.05050762722761054)'

    Raises ``ValueError`` for a scheme that does not parse or cannot apply to the shape.
    """
    return _native.law(scheme, _shape(shape), layout, int(groups))


def sample(
    scheme: str,
    shape: Sequence[int],
    *,
    seed: int = 0,
    name: str = "weight",
    dtype: str = "float32",
    layout: str = "out-in",
    groups: int = 1,
    allow_lossy_dtype: bool = False,
) -> np.ndarray:
    """A new array of ``shape`` drawn from ``scheme``: the same bytes as
    ``initspec sample --scheme S --shape ... --seed SEED --name NAME --dtype D``.

    ``dtype`` is ``"float32"``, ``"float64"``, ``"float16"`` or ``"bfloat16"`` (a NumPy array of
    ``ml_dtypes.bfloat16``). bf16 and f16 values are the single-precision draw rounded to
    nearest, ties to even. A law the dtype cannot represent (σ below the dtype's spacing at
    the law's extent, e.g. ``normal(std=1e-50)`` in float32) is refused unless
    ``allow_lossy_dtype``.

    Raises ``ValueError`` for a bad scheme, shape, layout or dtype.
    """
    dims = _shape(shape)
    out = np.empty(dims, dtype=_arrays.numpy_dtype(dtype))
    _fill(out, scheme, None, dims, seed, name, layout, groups, allow_lossy_dtype)
    return out


def init_(
    tensor: Any,
    scheme: str,
    *,
    seed: int = 0,
    name: str,
    layout: Optional[str] = None,
    groups: int = 1,
    allow_lossy_dtype: bool = False,
) -> Any:
    """Fills ``tensor`` in place with ``scheme`` and returns it: a NumPy array or a torch CPU
    tensor (float32, float64, float16 or bfloat16, C-contiguous, writable). The values equal
    :func:`sample` with the same arguments. ``layout=None`` means ``"out-in"``, PyTorch's.

    ``name`` keys the random stream together with ``seed``: give every tensor its own
    name (its parameter name, e.g. ``"layers.0.attn.wq"``), or two tensors share their values.
    A torch DTensor fills only its local shard (see :func:`initspec.torch.init_`).
    """
    if _arrays.is_torch_tensor(tensor):
        from . import torch as initspec_torch

        return initspec_torch.init_(
            tensor, scheme, seed=seed, name=name, layout=layout, groups=groups,
            allow_lossy_dtype=allow_lossy_dtype,
        )
    memory = _arrays.writable(tensor)
    _fill(tensor, scheme, None, list(memory.shape), seed, name, layout, groups,
          allow_lossy_dtype, memory=memory)
    return tensor


def _fill(
    target: Any,
    scheme: str,
    block: Optional[List[tuple]],
    shape: List[int],
    seed: int,
    name: str,
    layout: Optional[str],
    groups: int,
    allow_lossy_dtype: bool,
    memory: Optional[_arrays.Memory] = None,
) -> Optional[str]:
    """Fills ``target`` (or its ``memory``) with ``block`` of the ``shape`` tensor."""
    if memory is None:
        memory = _arrays.writable(target)
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    seed = int(seed)
    if not 0 <= seed < 2**64:
        raise ValueError(f"seed must lie in 0..2**64, got {seed}")
    return _native.fill(
        memory.address, memory.nbytes, memory.dtype, scheme, shape, block, seed, name,
        "out-in" if layout is None else layout, int(groups), bool(allow_lossy_dtype),
    )


def audit(
    array: Any,
    scheme: str,
    *,
    layout: str = "out-in",
    groups: int = 1,
    alpha: float = 1e-3,
) -> Audit:
    """Holds ``array`` (NumPy, torch or anything ``numpy.asarray`` takes) against the law
    ``scheme`` specifies for its shape, at family-wise level ``alpha`` (Holm over the checks):
    the same checks, numbers and verdict as ``initspec audit FILE --scheme S --json`` on the
    array saved as ``.npy``.

    >>> w = sample("kaiming_uniform(a=2.23606797749979)", [128, 256], name="fc")
    >>> result = audit(w, "xavier_normal")
    >>> result.verdict, result.law
    ('fail', 'normal(mean=0, std=0.07216878364870322)')
    """
    memory = _arrays.readable(array, "the array")
    text, report = _native.audit(
        memory.address, memory.nbytes, memory.dtype, list(memory.shape), scheme, layout,
        int(groups), float(alpha),
    )
    del memory
    return Audit(json.loads(text), report)


def assert_conforms(array: Any, scheme: str, **kwargs: Any) -> None:
    """Raises ``AssertionError`` carrying the whole audit when ``array`` does not conform to
    ``scheme``. ``alpha`` defaults to 1e-6 here (a false alarm in a million runs of a test
    suite), the other keywords are :func:`audit`'s."""
    kwargs.setdefault("alpha", 1e-6)
    result = audit(array, scheme, **kwargs)
    if result.verdict != "pass":
        raise AssertionError(
            f"weights of shape {list(result.shape)} do not conform to {scheme}\n{result.report}"
        )


def identify(array: Any, *, layout: str = "out-in", groups: int = 1) -> List[Dict[str, Any]]:
    """The known laws that fit ``array``, best first: named schemes and framework defaults for
    its shape and layout, and fitted families. Each entry has ``scheme``, ``law``, ``p_value``,
    ``ks_statistic``, ``variance_ratio`` and ``origin``, as ``initspec identify --json``."""
    memory = _arrays.readable(array, "the array")
    text = _native.identify(
        memory.address, memory.nbytes, memory.dtype, list(memory.shape), layout, int(groups)
    )
    return json.loads(text)
