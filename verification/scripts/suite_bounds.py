#!/usr/bin/env python3
"""Print the bounds of the statistical assertions of `cargo test` (docs/VERIFICATION.md,
"The statistical policy in practice"): each test quotes the value it uses and this script
recomputes it from SciPy and mpmath, independently of initspec's own special functions.

    python3 -m venv /tmp/bounds-venv && /tmp/bounds-venv/bin/pip install scipy==1.17.1 mpmath==1.4.1
    /tmp/bounds-venv/bin/python verification/scripts/suite_bounds.py

Every bound is for the suite's per-assertion level ALPHA = 1e-6 (two-sided unless stated).
"""

from mpmath import binomial, mp, mpf, psi
from scipy import stats

ALPHA = 1e-6
mp.dps = 30


def show(name, value):
    print(f"{name} = {value!r}")


def z_two_sided():
    # The normal critical value of every z bound: Φ⁻¹(1 − α/2).
    show("Z_TWO_SIDED", float(stats.norm.isf(ALPHA / 2)))


def chi2_variance_band(label, df, divisor):
    # n·s²/σ² ~ χ²_df (normal data): s²/σ² lies in [ppf(α/2), isf(α/2)]/divisor.
    show(f"{label}_LOW", float(stats.chi2.ppf(ALPHA / 2, df) / divisor))
    show(f"{label}_HIGH", float(stats.chi2.isf(ALPHA / 2, df) / divisor))


def binomial_band(label, n, p):
    # The central interval of Binom(n, p) that holds at least 1 − α of its mass.
    low = int(stats.binom.ppf(ALPHA / 2, n, p))
    high = int(stats.binom.isf(ALPHA / 2, n, p))
    outside = stats.binom.cdf(low - 1, n, p) + stats.binom.sf(high, n, p)
    show(f"{label} (accept {low}..={high}, P(outside) = {outside:.3e}, mean {n * p:.3f})", (low, high))


def var_log_linear(n):
    # log(χ²_n/n): variance ψ₁(n/2), fourth cumulant ψ₃(n/2).
    x = mpf(n) / 2
    return psi(1, x), psi(3, x)


def var_log_relu(n):
    # log((2/n)·χ²_B), B ~ Bin(n, ½) (B = 0 has probability 2⁻ⁿ): the mixture's variance and
    # fourth cumulant from the conditional cumulants ψ⁽ᵏ⁻¹⁾(B/2).
    m = [mpf(0)] * 5
    total = mpf(0)
    for b in range(1, n + 1):
        p = binomial(n, b) / mpf(2) ** n
        x = mpf(b) / 2
        k1, k2, k3, k4 = psi(0, x), psi(1, x), psi(2, x), psi(3, x)
        raw = [k1, k2 + k1**2, k3 + 3 * k2 * k1 + k1**3,
               k4 + 4 * k3 * k1 + 3 * k2**2 + 6 * k2 * k1**2 + k1**4]
        for i, r in enumerate(raw, 1):
            m[i] += p * r
        total += p
    mu, m2, m3, m4 = (v / total for v in m[1:])
    c2 = m2 - mu**2
    c4 = m4 - 4 * mu * m3 + 6 * mu**2 * m2 - 3 * mu**4
    return c2, c4 - 3 * c2**2


def propagation_bands():
    # crates/initspec-nn/tests/theory_propagation.rs: widths, R networks, the exact
    # Var log(M_L/M_0) (a sum over layers of independent terms) and the band of the sample
    # variance s² over R networks: (R−1)s²/σ² ≈ χ²_d with d = 2/(2/(R−1) + κ/R) (κ the excess
    # kurtosis of log M_L, Satterthwaite), at α/2 on each side.
    widths = [128, 96, 160, 80, 120, 64, 100, 72, 90, 64, 80]
    r = 1000
    for label, f, c in [("RELU", var_log_relu, 5), ("LINEAR", var_log_linear, 2)]:
        k2 = sum(f(n)[0] for n in widths[1:])
        k4 = sum(f(n)[1] for n in widths[1:])
        first = c * sum(mpf(1) / n for n in widths[1:])
        kurtosis = k4 / k2**2
        d = float(2 / (mpf(2) / (r - 1) + kurtosis / r))
        show(f"{label}_VAR_LOG_EXACT", float(k2))
        show(f"{label}_VAR_LOG_FIRST_ORDER (C·Σ1/n)", float(first))
        show(f"{label}_EXCESS_KURTOSIS", float(kurtosis))
        show(f"{label}_BAND_DF", d)
        show(f"{label}_BAND_LOW", float(stats.chi2.ppf(ALPHA / 2, d) / d))
        show(f"{label}_BAND_HIGH", float(stats.chi2.isf(ALPHA / 2, d) / d))


def main():
    z_two_sided()
    # crates/initspec/src/structured/orthogonal.rs: 20 001 Box–Muller values, variance about
    # their mean (divisor n): n·s² ~ χ²_{n−1}.
    chi2_variance_band("GAUSSIAN_VARIANCE_20001", 20_000, 20_001)
    # verification/tests/negative_controls.rs: values of N(0, σ²) outside ±2σ among 2²⁰.
    binomial_band("OUTSIDE_TWO_SIGMA", 1 << 20, float(2 * stats.norm.sf(2)))
    show("P_OUTSIDE_TWO_SIGMA", float(2 * stats.norm.sf(2)))
    # crates/initspec/src/structured/orthogonal.rs: Q₁₁ > 0 in 400 Haar matrices.
    binomial_band("POSITIVE_Q11_OF_400", 400, 0.5)
    # crates/initspec/src/structured/sparse.rs: zeros of one row among 2000 columns, p = 0.3,
    # 10 rows (Bonferroni: α/10 per row).
    low = int(stats.binom.ppf(ALPHA / 20, 2000, 0.3))
    high = int(stats.binom.isf(ALPHA / 20, 2000, 0.3))
    show("ZEROS_PER_ROW_2000_AT_0.3 (α/10 per row)", (low, high))
    propagation_bands()


if __name__ == "__main__":
    main()
