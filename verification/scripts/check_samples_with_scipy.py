#!/usr/bin/env python3
"""Independent check of `initspec sample` with SciPy.

Draws every scalar scheme of the grammar with the real binary (several layouts, groups and
dtypes, 10^5-10^6 elements), reads the .npy/.safetensors files with NumPy/safetensors, and
tests each against the law's formula computed HERE from the published definitions (not from
initspec's own printout): Kolmogorov-Smirnov (scipy.stats.kstest) and the variance
(chi-square for normal laws, kurtosis-aware z otherwise), and checks every value lies in the
support. bf16 tensors are compared through their rounding cells (conservative lattice KS).

Usage (from the repository root, after `cargo build --release`):
    python3 -m venv /tmp/v && /tmp/v/bin/pip install numpy scipy safetensors
    /tmp/v/bin/python verification/scripts/check_samples_with_scipy.py target/release/initspec
Exit status 0 when every case is consistent at alpha = 1e-6 per test.
"""
import math
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats

ALPHA = 1e-6
TRUNC2 = stats.truncnorm(-2, 2).std()  # 0.8796256610342398


def fans(shape, layout, groups):
    rf = int(np.prod(shape[2:])) if layout in ("out-in", "transposed") else int(np.prod(shape[:-2]))
    if layout == "out-in":
        return shape[1] * rf, shape[0] // groups * rf
    if layout == "in-out":
        return shape[-2] * rf, shape[-1] // groups * rf
    return shape[0] // groups * rf, shape[1] * rf  # transposed


def law(scheme, fi, fo):
    """The law of each case, from the papers / framework docs (frozen scipy distribution)."""
    avg = (fi + fo) / 2
    if scheme == "xavier_uniform":
        b = math.sqrt(6 / (fi + fo)); return stats.uniform(-b, 2 * b)
    if scheme == "xavier_normal(gain=2)":
        return stats.norm(0, 2 * math.sqrt(2 / (fi + fo)))
    if scheme == "kaiming_uniform":
        b = math.sqrt(2) * math.sqrt(3 / fi); return stats.uniform(-b, 2 * b)
    if scheme == "kaiming_uniform(a=2.23606797749979)":
        b = 1 / math.sqrt(fi); return stats.uniform(-b, 2 * b)
    if scheme == "kaiming_normal(mode=fan_out, nonlinearity=relu)":
        return stats.norm(0, math.sqrt(2 / fo))
    if scheme in ("he_normal", "lecun_normal", "glorot_normal"):
        var = {"he_normal": 2 / fi, "lecun_normal": 1 / fi, "glorot_normal": 1 / avg}[scheme]
        s = math.sqrt(var) / TRUNC2; return stats.truncnorm(-2, 2, loc=0, scale=s)
    if scheme in ("he_uniform", "lecun_uniform"):
        b = math.sqrt(3 * (2 if scheme == "he_uniform" else 1) / fi); return stats.uniform(-b, 2 * b)
    if scheme == "variance_scaling(scale=0.5, mode=fan_geo_avg, distribution=untruncated_normal)":
        return stats.norm(0, math.sqrt(0.5 / math.sqrt(fi * fo)))
    if scheme == "uniform(a=-0.3, b=0.5)":
        return stats.uniform(-0.3, 0.8)
    if scheme == "normal(mean=0.1, std=0.02)":
        return stats.norm(0.1, 0.02)
    if scheme == "trunc_normal(mean=0.5, std=1, a=0, b=3)":
        return stats.truncnorm(-0.5, 2.5, loc=0.5, scale=1)
    if scheme == "truncated_normal(stddev=0.02)":
        return stats.truncnorm(-2, 2, loc=0, scale=0.02)
    raise KeyError(scheme)


CASES = [  # scheme, shape, layout, groups, dtype
    ("xavier_uniform", (256, 784), "out-in", 1, "f32"),
    ("xavier_normal(gain=2)", (96, 40, 5, 5), "out-in", 1, "f64"),
    ("kaiming_uniform", (400, 300), "out-in", 1, "f32"),
    ("kaiming_uniform(a=2.23606797749979)", (512, 784), "out-in", 1, "f32"),
    ("kaiming_normal(mode=fan_out, nonlinearity=relu)", (64, 8, 3, 5), "transposed", 4, "f32"),
    ("he_normal", (3, 3, 64, 128), "in-out", 1, "f32"),
    ("lecun_normal", (784, 256), "in-out", 1, "f64"),
    ("glorot_normal", (5, 5, 16, 96), "in-out", 4, "f32"),
    ("he_uniform", (784, 300), "in-out", 1, "bf16"),
    ("lecun_uniform", (300, 784), "out-in", 1, "f32"),
    ("variance_scaling(scale=0.5, mode=fan_geo_avg, distribution=untruncated_normal)", (300, 700), "in-out", 1, "f32"),
    ("uniform(a=-0.3, b=0.5)", (1000, 500), "out-in", 1, "f64"),
    ("normal(mean=0.1, std=0.02)", (1000, 1000), "out-in", 1, "f32"),
    ("trunc_normal(mean=0.5, std=1, a=0, b=3)", (500, 400), "out-in", 1, "f32"),
    ("truncated_normal(stddev=0.02)", (800, 300), "in-out", 1, "bf16"),
]


def read(path):
    if path.endswith(".npy"):
        return np.load(path).astype(np.float64).ravel()
    from safetensors.numpy import load_file
    import ml_dtypes  # noqa: F401  (bf16 support for numpy, installed with safetensors extras)
    return np.asarray(load_file(path)["weight"], dtype=np.float64).ravel()


def main(binary):
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (scheme, shape, layout, groups, dtype) in enumerate(CASES):
            out = f"{tmp}/w{i}.{'safetensors' if dtype == 'bf16' else 'npy'}"
            subprocess.run([binary, "sample", "--scheme", scheme, "--shape", ",".join(map(str, shape)),
                            "--layout", layout, "--groups", str(groups), "--dtype", dtype,
                            "--seed", str(1000 + i), "--out", out], check=True, capture_output=True)
            x = read(out)
            fi, fo = fans(shape, layout, groups)
            d = law(scheme, fi, fo)
            lo, hi = d.support()
            inside = np.all((x >= lo - 1e-2 * abs(lo) if dtype == "bf16" else x >= lo) &
                            (x <= hi + 1e-2 * abs(hi) if dtype == "bf16" else x <= hi))
            if dtype == "bf16":
                # Lattice: compare the empirical CDF with F at the rounding-cell edges (conservative).
                u = np.sort(np.unique(x))
                gaps = np.diff(u)
                upper = np.concatenate([u[:-1] + gaps / 2, [np.inf]])
                lower = np.concatenate([[-np.inf], u[1:] - gaps / 2])
                counts = np.searchsorted(np.sort(x), u, side="right") / x.size
                prev = np.concatenate([[0.0], counts[:-1]])
                dstat = max(np.max(np.abs(counts - d.cdf(upper))), np.max(np.abs(prev - d.cdf(lower))))
                p = stats.kstwo.sf(dstat, x.size)
            else:
                res = stats.kstest(x, d.cdf)
                dstat, p = res.statistic, res.pvalue
            m2 = np.mean((x - d.mean()) ** 2)
            if isinstance(d.dist, type(stats.norm)) and d.dist.name == "norm":
                t = x.size * m2 / d.var()
                pv = 2 * min(stats.chi2.cdf(t, x.size), stats.chi2.sf(t, x.size))
            else:
                mu4 = d.moment(4) - 4 * d.mean() * d.moment(3) + 6 * d.mean() ** 2 * d.moment(2) - 3 * d.mean() ** 4
                z = (m2 - d.var()) / math.sqrt((mu4 - d.var() ** 2) / x.size)
                pv = 2 * stats.norm.sf(abs(z))
            ok = inside and p > ALPHA and pv > ALPHA
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {scheme:<72} {str(shape):<18} {layout:<10} g={groups} {dtype:<5} "
                  f"n={x.size:>7}  KS D={dstat:.2e} p={p:.3f}  var ratio={m2 / d.var():.4f} p={pv:.3f}  support={'ok' if inside else 'VIOLATED'}")
    print(f"{len(CASES) - failures} of {len(CASES)} consistent at alpha = {ALPHA} per test")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "target/release/initspec"))
