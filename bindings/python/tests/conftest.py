"""Shared fixtures: the `initspec` binary the Python results are compared with, and eight
host devices for JAX (set before JAX is imported anywhere)."""

import json
import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

REPO = Path(__file__).resolve().parents[3]


def _binary() -> Path:
    explicit = os.environ.get("INITSPEC_BIN")
    path = Path(explicit) if explicit else REPO / "target" / "release" / "initspec"
    if not path.is_file():
        raise RuntimeError(
            f"the initspec binary is not at {path}: build it with `cargo build --release` "
            "(or point INITSPEC_BIN at it); the Python results are compared with it"
        )
    return path


@pytest.fixture(scope="session")
def cli():
    """Runs the `initspec` binary; returns (exit status, stdout, stderr)."""
    binary = _binary()

    def run(*args):
        done = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True)
        return done.returncode, done.stdout, done.stderr

    return run


def read_safetensors(path):
    """{name: (dtype, shape, raw bytes)} of a .safetensors file, parsed by hand (the format:
    an 8-byte little-endian header length, a JSON header, then the data)."""
    raw = Path(path).read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    data = raw[8 + length :]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, stop = entry["data_offsets"]
        out[name] = (entry["dtype"], entry["shape"], data[start:stop])
    return out


def cli_sample_bytes(cli, tmp_path, scheme, shape, seed, name, dtype, layout="out-in"):
    """The bytes `initspec sample` writes for the tensor (its data, without the header)."""
    short = {"float32": "f32", "float64": "f64", "float16": "f16", "bfloat16": "bf16"}[dtype]
    out = tmp_path / f"cli-{short}.safetensors"
    status, stdout, stderr = cli(
        "sample", "--scheme", scheme, "--shape", ",".join(map(str, shape)), "--seed", seed,
        "--name", name, "--dtype", short, "--layout", layout, "--out", out,
    )
    assert status == 0, stderr
    return read_safetensors(out)[name][2]


def as_bytes(array) -> bytes:
    """The raw bytes of a NumPy array or a torch tensor (bf16 through its 16-bit storage)."""
    if type(array).__module__.startswith("torch"):
        import torch

        tensor = array.detach().contiguous()
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.view(torch.int16)
        return tensor.numpy().tobytes()
    return np.ascontiguousarray(array).tobytes()
