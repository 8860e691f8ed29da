#!/usr/bin/env python3
"""Print mpmath reference values of truncated normal laws for the unit tests of
crates/initspec/src/law/truncated_normal.rs (its `*_match_mpmath` tests quote them).

    python3 -m venv /tmp/tn-venv && /tmp/tn-venv/bin/pip install mpmath==1.4.1
    /tmp/tn-venv/bin/python verification/scripts/truncated_normal_reference.py

Every value is computed at 50 significant digits from mpmath's own erfc (no initspec code)
and printed with 17 significant digits, the f64 round trip.
"""

from mpmath import erfc, exp, mp, mpf, pi, quad, sqrt

mp.dps = 50


def phi_cdf(z):
    return erfc(-z / sqrt(2)) / 2


def phi_sf(z):
    return erfc(z / sqrt(2)) / 2


def law(mean, std, a, b):
    mean, std, a, b = mpf(mean), mpf(std), mpf(a), mpf(b)
    alpha, beta = (a - mean) / std, (b - mean) / std
    # The mass from whichever side keeps its digits.
    mass = phi_sf(alpha) - phi_sf(beta) if alpha > 0 else phi_cdf(beta) - phi_cdf(alpha)

    def cdf(x):
        z = (mpf(x) - mean) / std
        if alpha > 0:
            return (phi_sf(alpha) - phi_sf(z)) / mass
        return (phi_cdf(z) - phi_cdf(alpha)) / mass

    def sf(x):
        z = (mpf(x) - mean) / std
        if alpha > 0:
            return (phi_sf(z) - phi_sf(beta)) / mass
        return (phi_cdf(beta) - phi_cdf(z)) / mass

    def pdf(x):
        z = (x - mean) / std
        return exp(-z * z / 2) / sqrt(2 * pi) / std / mass

    def moment(f):
        return quad(lambda x: f(x) * pdf(x), [a, (a + b) / 2, b])

    m1 = moment(lambda x: x)
    var = moment(lambda x: (x - m1) ** 2)
    mu4 = moment(lambda x: (x - m1) ** 4)

    def quantile(p):
        # Bisection to the working precision: the cdf is increasing on [a, b].
        p, lo, hi = mpf(p), a, b
        for _ in range(200):
            mid = (lo + hi) / 2
            if cdf(mid) < p:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    return cdf, sf, quantile, (m1, var, mu4)


def f17(x):
    if abs(x) < mpf(10) ** -40:
        return "0.0"
    return mp.nstr(x, 17, min_fixed=-30, max_fixed=30)


CASES = [
    # (mean, std, a, b), points x for cdf/sf, probabilities p for the quantile
    ((0.0, 1.0, -1.0, 2.0), [-0.5, 0.0, 1.0, 1.9], [1e-6, 0.25, 0.5, 0.999]),
    ((0.0, 1.0, -2.0, 2.0), [-1.9, -0.3, 1.0, 1.99], [1e-6, 0.1, 0.5, 0.9]),
    ((0.0, 1.0, 5.0, 6.0), [5.001, 5.1, 5.5, 5.9], [1e-6, 0.3, 0.8, 0.999999]),
    ((0.0, 1.0, -9.0, -8.5), [-8.99, -8.8, -8.6, -8.501], [1e-6, 0.4, 0.9]),
    ((0.0, 1.0, 30.0, 31.0), [30.0001, 30.01, 30.1, 30.5], [0.01, 0.5, 0.99]),
    ((1.0, 2.0, -1.0, 5.0), [-0.5, 1.0, 3.0, 4.9], [1e-6, 0.5, 0.95]),
    ((0.5, 0.02, 0.46, 0.54), [0.47, 0.5, 0.53], [0.05, 0.5, 0.95]),
]


def main():
    for (mean, std, a, b), xs, ps in CASES:
        cdf, sf, quantile, (m1, var, mu4) = law(mean, std, a, b)
        print(f"(({mean}, {std}, {a}, {b}), [{f17(m1)}, {f17(var)}, {f17(mu4)}],")
        print("  cdf/sf:", ", ".join(f"({x}, {f17(cdf(x))}, {f17(sf(x))})" for x in xs))
        print("  quantile:", ", ".join(f"({p}, {f17(quantile(p))})" for p in ps))


if __name__ == "__main__":
    main()
