#!/usr/bin/env python3
"""Write tests/fixtures/scipy_external.json: samples initspec did not generate, with SciPy's KS.

The samples come from NumPy's PCG64 (`numpy.random.default_rng`), not from initspec's
sampler, and SciPy computes the one-sample two-sided KS statistic D and its exact p-value
(`scipy.stats.kstest(..., method="exact")`, i.e. `kstwo.sf`) against a law written in
initspec's grammar. tests/scipy_external.rs recomputes both with `gof::ks_test` and requires
|D - D_scipy| <= 1e-9 and |p - p_scipy| <= 1e-6 * p_scipy.

Some samples are drawn from a law other than the one tested (a Student t, a logistic, a
shifted normal), so the p-values span the range from about 1 to tiny.

Values are rounded to 8 significant digits before SciPy sees them (the fixture stays small
and holds exactly the numbers both sides test).

Regenerate (from the repository root):

    python3 -m venv /tmp/gof-venv && /tmp/gof-venv/bin/pip install scipy==1.17.1 numpy==2.4.6
    /tmp/gof-venv/bin/python verification/scripts/make_scipy_external.py
"""

import json
import os

import numpy as np
import scipy
from scipy import stats

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "scipy_external.json")
SEED = 20240601


def scipy_law(text):
    """The frozen SciPy distribution of an initspec law string (base schemes only)."""
    name, _, rest = text.partition("(")
    params = {}
    for pair in rest.rstrip(")").split(","):
        if pair.strip():
            key, value = pair.split("=")
            params[key.strip()] = float(value)
    if name == "normal":
        return stats.norm(loc=params["mean"], scale=params["std"])
    if name == "uniform":
        return stats.uniform(loc=params["a"], scale=params["b"] - params["a"])
    if name == "trunc_normal":
        m, s = params["mean"], params["std"]
        return stats.truncnorm((params["a"] - m) / s, (params["b"] - m) / s, loc=m, scale=s)
    raise ValueError(text)


def main():
    rng = np.random.default_rng(SEED)
    cases = []

    def add(n, law, source, draw):
        x = np.array([float(f"{v:.8g}") for v in draw(n)])
        res = stats.kstest(x, scipy_law(law).cdf, method="exact")
        cases.append(
            {
                "n": n,
                "law": law,
                "source": source,
                "statistic": float(res.statistic),
                "p_value": float(res.pvalue),
                "samples": [float(v) for v in x],
            }
        )

    tn = "trunc_normal(mean=0, std=0.02, a=-0.04, b=0.04)"
    for n in [50, 1000]:
        add(n, "normal(mean=0, std=0.05)", "rng.normal(0, 0.05)", lambda k: rng.normal(0.0, 0.05, k))
        add(
            n,
            "uniform(a=-0.0625, b=0.0625)",
            "rng.uniform(-0.0625, 0.0625)",
            lambda k: rng.uniform(-0.0625, 0.0625, k),
        )
        add(n, tn, "scipy truncnorm(-2, 2, scale=0.02).rvs(random_state=rng)",
            lambda k: stats.truncnorm(-2, 2, scale=0.02).rvs(size=k, random_state=rng))
        # Wrong laws: the p-values fall.
        add(n, "normal(mean=0, std=1)", "rng.standard_t(5) * sqrt(3/5)",
            lambda k: rng.standard_t(5, k) * np.sqrt(3.0 / 5.0))
        add(n, "normal(mean=0, std=1)", "rng.logistic(0, sqrt(3)/pi)",
            lambda k: rng.logistic(0.0, np.sqrt(3.0) / np.pi, k))
        add(n, "normal(mean=0, std=1)", "rng.normal(0.1, 1)", lambda k: rng.normal(0.1, 1.0, k))
    add(20000, tn, "scipy truncnorm(-2, 2, scale=0.02).rvs(random_state=rng)",
        lambda k: stats.truncnorm(-2, 2, scale=0.02).rvs(size=k, random_state=rng))
    add(20000, "normal(mean=0, std=1)", "rng.standard_t(5) * sqrt(3/5)",
        lambda k: rng.standard_t(5, k) * np.sqrt(3.0 / 5.0))

    doc = {
        "generator": f"numpy {np.__version__} default_rng({SEED}), scipy {scipy.__version__} kstest(method='exact')",
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    for c in cases:
        print(c["n"], c["law"], c["source"], c["statistic"], c["p_value"])


if __name__ == "__main__":
    main()
