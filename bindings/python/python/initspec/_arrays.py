"""Turning NumPy arrays and torch tensors into memory the native module can use.

The native functions take memory by address (``address``, ``nbytes``, ``dtype``): a NumPy
array's data pointer or a torch tensor's ``data_ptr()``. Everything that could make that
unsafe or wrong is checked here first, with a one-line error that says what to do:

- the dtype is float32, float64, float16 or bfloat16 (torch's own, or NumPy's through
  ``ml_dtypes``); integers and complex numbers are refused;
- the memory is C-contiguous (a transposed view or a slice with steps would be filled in
  the wrong order) and, for a fill, writable;
- a torch tensor lives on the CPU (initspec fills host memory; fill a CPU tensor and copy
  it to the device).

The object that owns the memory is kept referenced by the caller for the whole native call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Tuple

import numpy as np

FLOAT_DTYPES = ("float32", "float64", "float16", "bfloat16")


@dataclass(frozen=True)
class Memory:
    """A tensor's memory as the native module takes it."""

    owner: Any
    address: int
    nbytes: int
    dtype: str
    shape: Tuple[int, ...]


def is_torch_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a torch tensor, without importing torch when it is not loaded."""
    module = type(obj).__module__
    if not module.startswith("torch"):
        return False
    import torch

    return isinstance(obj, torch.Tensor)


def numpy_dtype(name: str) -> np.dtype:
    """The NumPy dtype called ``name``; bfloat16 comes from ``ml_dtypes`` (installed with JAX)."""
    if name not in FLOAT_DTYPES:
        raise ValueError(
            f"unsupported dtype {name!r}: initspec draws float32, float64, float16 and bfloat16"
        )
    if name == "bfloat16":
        try:
            import ml_dtypes
        except ImportError:
            raise ValueError(
                "dtype 'bfloat16' needs NumPy's bfloat16 from the ml_dtypes package "
                "(pip install ml_dtypes; it comes with JAX), or fill a torch.bfloat16 tensor "
                "with initspec.init_"
            ) from None
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def _numpy_dtype_name(array: np.ndarray) -> str:
    name = array.dtype.name
    if name in FLOAT_DTYPES:
        if array.dtype.byteorder == ">":
            raise ValueError(
                f"the array is big-endian {name}; convert it with array.astype(array.dtype.newbyteorder('='))"
            )
        return name
    raise ValueError(
        f"the array has dtype {name}; initspec works on float32, float64, float16 and "
        "bfloat16 arrays (integers and complex numbers have no initialization law)"
    )


def _torch_dtype_name(tensor: Any) -> str:
    name = str(tensor.dtype).replace("torch.", "")
    if name in FLOAT_DTYPES:
        return name
    raise ValueError(
        f"the tensor has dtype torch.{name}; initspec works on torch.float32, float64, "
        "float16 and bfloat16 tensors"
    )


def writable(obj: Any, what: str = "the tensor") -> Memory:
    """The memory of a NumPy array or a plain CPU torch tensor, to be filled in place."""
    if is_torch_tensor(obj):
        return _torch_memory(obj, what, write=True)
    if isinstance(obj, np.ndarray):
        dtype = _numpy_dtype_name(obj)
        if not obj.flags.c_contiguous:
            raise ValueError(
                f"{what} is not C-contiguous (a transposed view or a strided slice); fill a "
                "contiguous array (np.ascontiguousarray) and copy it in"
            )
        if not obj.flags.writeable:
            raise ValueError(f"{what} is read-only; fill a writable array")
        return Memory(obj, obj.__array_interface__["data"][0], obj.nbytes, dtype, tuple(obj.shape))
    raise TypeError(
        f"{what} is a {type(obj).__name__}; initspec fills numpy.ndarray and torch.Tensor "
        "(for JAX, use initspec.jax.sample)"
    )


def readable(obj: Any, what: str = "the tensor") -> Memory:
    """The memory of anything array-like, to be read: NumPy arrays and torch tensors in place
    when they are C-contiguous, otherwise a C-ordered copy (reading needs no particular
    layout); torch tensors on other devices are copied to the CPU, DTensors gathered whole."""
    if is_torch_tensor(obj):
        from . import torch as initspec_torch

        tensor = initspec_torch.full_cpu_tensor(obj)
        return _torch_memory(tensor, what, write=False)
    array = np.asarray(obj)
    _numpy_dtype_name(array)
    array = np.ascontiguousarray(array)
    return Memory(array, array.__array_interface__["data"][0], array.nbytes,
                  array.dtype.name, tuple(array.shape))


def _torch_memory(tensor: Any, what: str, write: bool) -> Memory:
    import torch

    if tensor.layout is not torch.strided:
        raise ValueError(f"{what} has layout {tensor.layout}; initspec fills dense (strided) tensors")
    dtype = _torch_dtype_name(tensor)
    if tensor.device.type != "cpu":
        raise ValueError(
            f"{what} is on {tensor.device}; initspec fills CPU memory only for now: fill a "
            "CPU tensor and copy it over, e.g. w = torch.empty(p.shape, dtype=p.dtype); "
            "initspec.torch.init_(w, scheme, name=...); p.data.copy_(w)"
        )
    if not tensor.is_contiguous():
        if write:
            raise ValueError(
                f"{what} is not contiguous (a transposed or strided view); fill a contiguous "
                "tensor and copy_ it in"
            )
        tensor = tensor.contiguous()
    return Memory(
        tensor,
        tensor.data_ptr(),
        tensor.numel() * tensor.element_size(),
        dtype,
        tuple(tensor.shape),
    )
