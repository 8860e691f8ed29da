#!/usr/bin/env python3
"""Throughput of PyTorch, NumPy and JAX weight-initialization fills, for docs/PERFORMANCE.md.

Measures the same kernels as `initspec bench` on a preallocated buffer of N float32 (or
float64) elements: median of REPS timed calls after one warm-up, in samples per second.

    python3 -m venv .venv && .venv/bin/pip install torch numpy jax
    .venv/bin/python benches/python/baselines.py --size 16777216 --threads 2

Run it in the same session as `initspec bench --json` (the machine's load moves numbers by
tens of percent); it prints one JSON object.
"""
import argparse
import json
import math
import os
import statistics
import time


def median_rate(fn, n, reps):
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return n / statistics.median(times)


def torch_rows(n, reps, threads):
    import torch

    rows = []
    for t in sorted({1, threads}):
        torch.set_num_threads(t)
        for dtype, tag in [(torch.float32, "f32"), (torch.float64, "f64")]:
            w = torch.empty(n, dtype=dtype)
            w.zero_()
            w2 = w.view(4096, n // 4096)
            cases = {
                f"normal_{tag}": lambda: w.normal_(),
                f"uniform_{tag}": lambda: w.uniform_(-0.0625, 0.0625),
                # torch >= 2.x default bounds are absolute [-2, 2]; std=1 means +-2 sigma.
                f"trunc_normal_{tag}": lambda: torch.nn.init.trunc_normal_(w, std=1.0, a=-2.0, b=2.0),
                f"trunc_normal_std0.02_{tag}": lambda: torch.nn.init.trunc_normal_(w, std=0.02),
                f"kaiming_uniform_{tag}": lambda: torch.nn.init.kaiming_uniform_(w2, a=math.sqrt(5)),
                f"memset_{tag}": lambda: w.zero_(),
            }
            for name, fn in cases.items():
                r = 3 if name.startswith("trunc_normal_") and "std0.02" not in name else reps
                rows.append({"library": "torch", "version": torch.__version__, "kernel": name,
                             "threads": t, "samples_per_sec": median_rate(fn, n, r)})
    return rows


def numpy_rows(n, reps):
    import numpy as np

    rows = []
    g = np.random.Generator(np.random.PCG64(0))
    for dtype, tag in [(np.float32, "f32"), (np.float64, "f64")]:
        buf = np.zeros(n, dtype=dtype)

        def uniform():
            g.random(dtype=dtype, out=buf)
            np.multiply(buf, 0.125, out=buf)
            np.subtract(buf, 0.0625, out=buf)

        cases = {
            f"normal_{tag}": lambda: g.standard_normal(dtype=dtype, out=buf),
            f"uniform01_{tag}": lambda: g.random(dtype=dtype, out=buf),
            f"uniform_{tag}": uniform,
            f"memset_{tag}": lambda: buf.fill(0),
        }
        for name, fn in cases.items():
            rows.append({"library": "numpy", "version": np.__version__, "kernel": name,
                         "threads": 1, "samples_per_sec": median_rate(fn, n, reps)})
    return rows


def jax_rows(n, reps, threads):
    import jax
    import jax.numpy as jnp

    rows = []
    jax.config.update("jax_enable_x64", True)
    for dtype, tag in [(jnp.float32, "f32"), (jnp.float64, "f64")]:
        normal = jax.jit(lambda k: jax.random.normal(k, (n,), dtype))
        uniform = jax.jit(lambda k: jax.random.uniform(k, (n,), dtype, -0.0625, 0.0625))
        trunc = jax.jit(lambda k: jax.random.truncated_normal(k, -2.0, 2.0, (n,), dtype))
        for name, f in [(f"normal_{tag}", normal), (f"uniform_{tag}", uniform), (f"trunc_normal_{tag}", trunc)]:
            keys = iter(jax.random.split(jax.random.key(0), reps + 2))
            rate = median_rate(lambda: f(next(keys)).block_until_ready(), n, reps)
            rows.append({"library": "jax", "version": jax.__version__, "kernel": name,
                         "threads": threads, "samples_per_sec": rate})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1 << 24)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", choices=["torch", "numpy", "jax"])
    args = ap.parse_args()
    rows = []
    if args.only in (None, "numpy"):
        rows += numpy_rows(args.size, args.reps)
    if args.only in (None, "torch"):
        rows += torch_rows(args.size, args.reps, args.threads)
    if args.only in (None, "jax"):
        rows += jax_rows(args.size, args.reps, args.threads)
    print(json.dumps({"size": args.size, "results": rows}, indent=1))


if __name__ == "__main__":
    main()
