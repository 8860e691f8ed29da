#!/usr/bin/env python3
"""Write tests/fixtures/gof_reference.json: SciPy reference values for the gof module.

Regenerate (from the repository root):

    python3 -m venv /tmp/gof-venv && /tmp/gof-venv/bin/pip install scipy==1.17.1 numpy==2.4.6
    /tmp/gof-venv/bin/python verification/scripts/make_gof_fixtures.py

The Rust side cannot reproduce NumPy's generators, so large-n cases are stored as
(n, D) -> p pairs, and only small samples (n <= 1000) are stored in full, with the
statistics SciPy (or this script, with SciPy's CDFs) computes for them.
"""

import json
import math
import os

import numpy as np
import scipy
from scipy import integrate, special, stats

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "gof_reference.json")

KS_NS = [10, 20, 50, 100, 141, 500, 1000, 10_000, 100_000, 1_000_000]
KS_TARGET_P = [0.999, 0.9, 0.5, 0.2, 0.1, 0.05, 0.03, 0.02, 0.01, 1e-3, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12]


def kstwo_grid():
    rows = []
    for n in KS_NS:
        ds = set()
        for p in KS_TARGET_P:
            d = float(stats.kstwo.isf(p, n))
            if 0.0 < d < 1.0:
                ds.add(d)
        # Closed-form regions: n*d <= 1/2, Ruben-Gambino, d >= 1/2, n*d >= n - 1.
        for d in [0.3 / n, 0.75 / n, 1.0 / n, 0.5, 0.6, (n - 0.5) / n]:
            if 0.0 < d < 1.0:
                ds.add(d)
        for d in sorted(ds):
            rows.append({"n": n, "d": d, "sf": float(stats.kstwo.sf(d, n))})
    return rows


def smirnov_grid():
    rows = []
    for n, d in [(10, 0.3), (100, 0.1), (1000, 0.05), (10_000, 0.02), (100_000, 0.005), (1_000_000, 0.002),
                 (1_000_000, 0.0005), (1000, 0.6), (50, 0.01)]:
        rows.append({"n": n, "d": d, "sf": float(special.smirnov(n, d))})
    return rows


def kolmogorov_grid():
    xs = [0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.82, 0.83, 0.9, 1.0, 1.2, 1.358, 1.5,
          1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0]
    return [{"x": x, "sf": float(special.kolmogorov(x))} for x in xs]


def law_cdf(law, x):
    kind = law["kind"]
    if kind == "normal":
        return stats.norm.cdf(x, law["mean"], law["std"]), stats.norm.sf(x, law["mean"], law["std"])
    if kind == "uniform":
        a, b = law["a"], law["b"]
        return stats.uniform.cdf(x, a, b - a), stats.uniform.sf(x, a, b - a)
    if kind == "truncnorm":
        # N(mean, std) cut to [a, b] (absolute bounds).
        lo, hi = (law["a"] - law["mean"]) / law["std"], (law["b"] - law["mean"]) / law["std"]
        return (stats.truncnorm.cdf(x, lo, hi, law["mean"], law["std"]),
                stats.truncnorm.sf(x, lo, hi, law["mean"], law["std"]))
    raise ValueError(kind)


def law_moments(law):
    kind = law["kind"]
    if kind == "normal":
        return law["mean"], law["std"] ** 2, 3 * law["std"] ** 4
    if kind == "uniform":
        a, b = law["a"], law["b"]
        h = (b - a) / 2
        return (a + b) / 2, h * h / 3, h ** 4 / 5
    if kind == "truncnorm":
        lo, hi = (law["a"] - law["mean"]) / law["std"], (law["b"] - law["mean"]) / law["std"]
        dist = stats.truncnorm(lo, hi, law["mean"], law["std"])
        mu = float(dist.mean())
        var = float(dist.var())
        mu4 = float(dist.expect(lambda t: (t - mu) ** 4))
        return mu, var, mu4
    raise ValueError(kind)


def adinf_upper_marsaglia(z):
    if z < 2:
        poly = 2.00012 + (0.247105 - (0.0649821 - (0.0347962 - (0.011672 - 0.00168691 * z) * z) * z) * z) * z
        return 1 - math.exp(-1.2337141 / z) / math.sqrt(z) * poly
    inner = 1.0776 - (2.30695 - (0.43424 - (0.082433 - (0.008056 - 0.0003146 * z) * z) * z) * z) * z
    return -math.expm1(-math.exp(inner))


def errfix(n, x):
    if x > 0.8:
        return (-130.2137 + (745.2337 - (1705.091 - (1950.646 - (1116.360 - 255.7844 * x) * x) * x) * x) * x) / n
    c = 0.01265 + 0.1757 / n
    if x < c:
        v = x / c
        v = math.sqrt(v) * (1 - v) * (49 * v - 102)
        return v * (0.0037 / (n * n) + 0.00078 / n + 0.00006) / n
    v = (x - c) / (0.8 - c)
    v = -0.00022633 + (6.54034 - (14.6538 - (14.458 - (8.259 - 1.91864 * v) * v) * v) * v) * v
    return v * (0.04213 + 0.01365 / n) / n


def ad_sf_marsaglia(n, z):
    if z <= 0:
        return 1.0
    up = adinf_upper_marsaglia(z)
    return min(1.0, max(0.0, up - errfix(n, 1 - up)))


def adinf_exact(z):
    """Anderson & Darling (1954) series for the limiting CDF, by quadrature."""
    total = 0.0
    coef = 1.0  # binom(-1/2, j)
    for j in range(200):
        a = (4 * j + 1) ** 2 * math.pi ** 2 / (8 * z)
        f = lambda w: math.exp(z / (8 * (w * w + 1)) - a * w * w)
        integral, _ = integrate.quad(f, 0, np.inf, epsabs=0, epsrel=1e-13, limit=200)
        term = coef * (4 * j + 1) * math.exp(-a) * integral
        total += term
        if abs(term) < 1e-18:
            break
        coef *= -(0.5 + j) / (j + 1)
    return math.sqrt(2 * math.pi) / z * total


def discrete_ks(values, cdf, cdf_left):
    """Arnold & Emerson (2011) statistic, independent NumPy version."""
    x = np.sort(values)
    n = len(x)
    uniq, counts = np.unique(x, return_counts=True)
    ecdf = np.cumsum(counts) / n
    ecdf_before = np.concatenate([[0.0], ecdf[:-1]])
    d_plus = max(0.0, float(np.max(ecdf - cdf(uniq))))
    d_minus = max(0.0, float(np.max(cdf_left(uniq) - ecdf_before)))
    return d_plus, d_minus


def sample_case(name, seed, n, draw, law, bins=(4, 10, 16)):
    rng = np.random.default_rng(seed)
    x = draw(rng, n)
    xs = np.sort(x)
    cdf, sf = law_cdf(law, xs)
    ks = stats.kstest(x, lambda t: law_cdf(law, t)[0], method="exact")
    i = np.arange(1, n + 1)
    d_plus = float(np.max(i / n - cdf))
    d_minus = float(np.max(cdf - (i - 1) / n))
    # Case-0 Anderson-Darling with SciPy's log CDF / log SF (scipy.stats.anderson is case 3).
    ln_cdf = np.log(np.clip(cdf, 1e-300, 1))
    ln_sf = np.log(np.clip(sf, 1e-300, 1))
    a2 = float(-n - np.sum((2 * i - 1) * ln_cdf + (2 * n + 1 - 2 * i) * ln_sf) / n)
    chi = []
    for k in bins:
        idx = np.minimum(np.floor(k * cdf).astype(int), k - 1)
        counts = np.bincount(idx, minlength=k)
        res = stats.chisquare(counts)
        chi.append({"bins": k, "statistic": float(res.statistic), "p": float(res.pvalue)})
    mu, var, mu4 = law_moments(law)
    z_mean = float(np.mean(x - mu) * math.sqrt(n) / math.sqrt(var))
    m2 = float(np.mean((x - mu) ** 2))
    t = n * m2 / var
    p_chi = float(min(1.0, 2 * min(stats.chi2.cdf(t, n), stats.chi2.sf(t, n))))
    z_var = (m2 - var) / math.sqrt((mu4 - var * var) / n)
    return {
        "name": name,
        "seed": seed,
        "law": law,
        "values": [float(v) for v in x],
        "ks": {"d": float(ks.statistic), "d_plus": d_plus, "d_minus": d_minus, "p": float(ks.pvalue)},
        "ad": {"statistic": a2, "p_marsaglia": ad_sf_marsaglia(n, a2)},
        "chi_square": chi,
        "moments": {
            "mean": mu, "variance": var, "fourth_central_moment": mu4,
            "mean_z": z_mean, "mean_p": float(2 * stats.norm.sf(abs(z_mean))),
            "m2": m2, "var_chi2_statistic": t, "var_chi2_p": p_chi,
            "var_z": z_var, "var_z_p": float(2 * stats.norm.sf(abs(z_var))),
        },
    }


def samples():
    N01 = {"kind": "normal", "mean": 0.0, "std": 1.0}
    s3 = math.sqrt(3.0)
    tn = {"kind": "truncnorm", "mean": 0.0, "std": 1.0, "a": -2.0, "b": 2.0}
    cases = [
        ("normal_ok_10", 1, 10, lambda r, n: r.standard_normal(n), N01),
        ("normal_wide_20", 2, 20, lambda r, n: 1.5 * r.standard_normal(n), N01),
        ("uniform_vs_normal_50", 3, 50, lambda r, n: r.uniform(-1, 1, n), {"kind": "normal", "mean": 0.0, "std": 1 / s3}),
        ("normal_ok_100", 4, 100, lambda r, n: r.standard_normal(n), N01),
        ("normal_shift_141", 5, 141, lambda r, n: r.standard_normal(n) + 0.3, N01),
        ("uniform_vs_normal_500", 6, 500, lambda r, n: r.uniform(-s3, s3, n), N01),
        ("uniform_ok_500", 7, 500, lambda r, n: r.uniform(-0.25, 0.25, n), {"kind": "uniform", "a": -0.25, "b": 0.25}),
        ("truncnorm_vs_normal_1000", 8, 1000, lambda r, n: stats.truncnorm.rvs(-2, 2, size=n, random_state=r), N01),
        ("truncnorm_ok_1000", 9, 1000, lambda r, n: stats.truncnorm.rvs(-2, 2, size=n, random_state=r), tn),
        ("normal_var110_1000", 10, 1000, lambda r, n: math.sqrt(1.1) * r.standard_normal(n), N01),
        ("normal_ok_1000", 11, 1000, lambda r, n: 0.05 * r.standard_normal(n), {"kind": "normal", "mean": 0.0, "std": 0.05}),
        ("normal_sd2_1000", 12, 1000, lambda r, n: 2.0 * r.standard_normal(n), N01),
    ]
    return [sample_case(*c) for c in cases]


def discrete_cases():
    """Values of N(0, 1) rounded to a lattice of step h, against the rounded law."""
    out = []
    for name, seed, n, h, scale in [("lattice_ok_1000", 21, 1000, 0.25, 1.0), ("lattice_wide_1000", 22, 1000, 0.25, 1.2)]:
        rng = np.random.default_rng(seed)
        x = np.round(scale * rng.standard_normal(n) / h) * h
        # P(X <= v) = Phi(v + h/2), P(X < v) = Phi(v - h/2) on the lattice (round half to even
        # only matters on a null set).
        dp, dm = discrete_ks(x, lambda v: stats.norm.cdf(v + h / 2), lambda v: stats.norm.cdf(v - h / 2))
        d = max(dp, dm)
        out.append({"name": name, "step": h, "values": [float(v) for v in x], "d": d, "d_plus": dp,
                    "d_minus": dm, "p_continuous": float(stats.kstwo.sf(d, n))})
    return out


def chi2_grid():
    rows = []
    for df, x in [(1, 0.5), (3, 7.815), (15, 30.0), (19, 30.0), (99, 150.0), (999, 1100.0), (9, 0.0), (15, 80.0),
                  (100_000, 100_000.0), (100_000, 101_500.0), (1_000_000, 1_004_000.0), (1_000_000, 995_000.0)]:
        rows.append({"df": df, "x": x, "sf": float(stats.chi2.sf(x, df)), "cdf": float(stats.chi2.cdf(x, df))})
    return rows


def chi2_quantiles():
    rows = []
    for df in [10, 100, 10_000, 100_000, 1_000_000, 100_000_000]:
        for p in [0.025, 0.975, 5e-7, 1 - 5e-7]:
            rows.append({"df": df, "p": p, "x": float(stats.chi2.ppf(p, df))})
    return rows


def ad_grid():
    rows = []
    for z in [0.3, 0.5, 1.0, 1.5, 1.933, 2.0, 2.492, 3.0, 3.857, 5.0, 6.0, 8.0]:
        rows.append({"z": z, "upper_exact": 1.0 - adinf_exact(z),
                     "p_marsaglia_n10": ad_sf_marsaglia(10, z), "p_marsaglia_n1000": ad_sf_marsaglia(1000, z),
                     "p_marsaglia_inf": adinf_upper_marsaglia(z)})
    return rows


def main():
    data = {
        "generator": "verification/scripts/make_gof_fixtures.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "kstwo": kstwo_grid(),
        "smirnov": smirnov_grid(),
        "kolmogorov": kolmogorov_grid(),
        "chi2": chi2_grid(),
        "chi2_quantiles": chi2_quantiles(),
        "anderson_darling": ad_grid(),
        "samples": samples(),
        "discrete": discrete_cases(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
