//! One-sample Kolmogorov–Smirnov test against a fully specified law.
//!
//! The statistic is the sup-distance between the empirical CDF of the sample and
//! the hypothesised CDF F. The two-sided p-value [`ks_sf`] reproduces
//! `scipy.stats.kstwo.sf(D, n)` (Simard & L'Ecuyer 2011): it picks, region by region,
//! an exact method where one is affordable and the Pelz–Good expansion in the bulk.
//!
//! | region                              | method                                         |
//! |-------------------------------------|------------------------------------------------|
//! | n·D ≤ ½                             | p = 1 exactly                                  |
//! | ½ < n·D ≤ 1                         | Ruben–Gambino: P(Dₙ < d) = n!/nⁿ · (2nd − 1)ⁿ  |
//! | n·D ≥ n − 1                         | p = 2(1 − D)ⁿ exactly                          |
//! | D ≥ ½                               | p = 2·S⁺ₙ(D) exactly                           |
//! | n ≤ 140, n·D² ≤ 4                   | Durbin matrix (Marsaglia, Tsang & Wang 2003)   |
//! | n ≤ 140, n·D² > 4                   | 2·S⁺ₙ(D)                                       |
//! | n > 140, n·D² ≥ 2.2                 | 2·S⁺ₙ(D)                                       |
//! | n ≤ 10⁵, n·D^1.5 ≤ 1.4              | Durbin matrix                                  |
//! | otherwise                           | Pelz & Good (1976) asymptotic series           |
//!
//! S⁺ₙ is the exact one-sided Smirnov tail (Smirnov 1944; Birnbaum & Tingey 1951),
//! summed in log space with Loader's saddle-point form of the binomial terms, so it
//! neither overflows nor cancels for any n. Where it is used, 2·S⁺ₙ exceeds the exact
//! two-sided p-value by P(D⁺ ≥ d ∧ D⁻ ≥ d) ≈ p⁴/8, below 2·10⁻⁶ relative for p ≤ 0.024
//! (the cut-overs above), and it is always conservative.

use statrs::function::gamma::ln_gamma;

/// The one-sample Kolmogorov–Smirnov statistic and its one-sided parts.
///
/// ```text
/// uᵢ = F(x₍ᵢ₎),  D⁺ = maxᵢ (i/n − uᵢ),  D⁻ = maxᵢ (uᵢ − (i−1)/n),  D = max(D⁺, D⁻)
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsStatistic {
    /// Two-sided statistic D = max(D⁺, D⁻), in [0, 1].
    pub d: f64,
    /// D⁺ = sup (Fₙ − F): how far the empirical CDF rises above the law.
    pub d_plus: f64,
    /// D⁻ = sup (F − Fₙ): how far the law rises above the empirical CDF.
    pub d_minus: f64,
}

/// A two-sided one-sample Kolmogorov–Smirnov test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsTest {
    /// The statistic D (see [`KsStatistic`]).
    pub statistic: f64,
    /// Two-sided p-value P(Dₙ ≥ D) under the law; see [`ks_sf`].
    pub p_value: f64,
    /// Sample size n.
    pub n: usize,
}

/// KS statistic of an already sorted sample against the CDF `cdf`.
///
/// ```text
/// uᵢ = F(x₍ᵢ₎),  D⁺ = maxᵢ (i/n − uᵢ),  D⁻ = maxᵢ (uᵢ − (i−1)/n),  D = max(D⁺, D⁻)
/// ```
///
/// Preconditions and edge cases (none panics):
/// - `sorted` must be sorted ascending (e.g. by [`sort_sample`](super::sort_sample));
///   an unsorted slice gives a meaningless D. Ties are allowed.
/// - CDF values are clamped to [0, 1].
/// - A value whose CDF is NaN (a NaN in the sample, or a CDF that fails) lies on no
///   law's support: it yields D = D⁺ = D⁻ = 1, so the test rejects.
/// - An empty sample gives D = 0 (no evidence against the law).
///
/// # Example
/// ```
/// # use initspec_verify::gof::ks_statistic;
/// let s = ks_statistic(&[0.1, 0.4, 0.8], |x| x.clamp(0.0, 1.0));
/// assert!((s.d - (2.0 / 3.0 - 0.4)).abs() < 1e-15); // D⁺ at the second value
/// ```
pub fn ks_statistic(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> KsStatistic {
    let mut running = KsRunning::new(sorted.len());
    for (i, &x) in sorted.iter().enumerate() {
        running.add(cdf(x), i, 1);
        if running.rejected() {
            break;
        }
    }
    running.statistic()
}

/// [`ks_statistic`] accumulated over a sorted sample a run of equal values at a time.
///
/// For a run of `count` values at sorted positions `first .. first + count` that share the
/// CDF value u, the terms `(i+1)/n − u` and `u − i/n` are monotone in i (the division and
/// the subtraction round monotonically), so their maxima over the run are those at its last
/// and first positions: the result is bit for bit that of the value-by-value loop.
///
/// The divisions are skipped where they cannot raise the maximum: with `r = 1/n` rounded,
/// `i·r` is within 2.3·10⁻¹⁶ of `i/n` (two roundings of a value ≤ 1), so a term whose
/// estimate is more than [`KS_SKIP_MARGIN`] below the running maximum is below it exactly.
/// Only the others are computed as the loop does (`i/n` then the subtraction), so the
/// maximum is the same bits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KsRunning {
    n: f64,
    reciprocal: f64,
    d_plus: f64,
    d_minus: f64,
    nan: bool,
}

/// How far below the running maximum an estimated KS term must be to be skipped: 10⁻¹⁵,
/// four times the estimate's worst error (see [`KsRunning`]).
const KS_SKIP_MARGIN: f64 = 1e-15;

impl KsRunning {
    /// Nothing seen yet, of a sample of `n` values.
    pub(crate) fn new(n: usize) -> Self {
        KsRunning {
            n: n as f64,
            reciprocal: 1.0 / n as f64,
            d_plus: 0.0,
            d_minus: 0.0,
            nan: false,
        }
    }

    /// The `count` values at sorted positions `first ..`, each with CDF value `u`.
    #[inline]
    pub(crate) fn add(&mut self, u: f64, first: usize, count: usize) {
        if u.is_nan() {
            self.nan = true;
        }
        if self.nan || count == 0 {
            return;
        }
        let u = u.clamp(0.0, 1.0);
        // Positions are far below 2⁵³: the signed conversion (one instruction) is exact
        // and equals `as f64` of the unsigned value.
        let (last, first) = ((first + count) as i64 as f64, first as i64 as f64);
        if last * self.reciprocal - u > self.d_plus - KS_SKIP_MARGIN {
            self.d_plus = self.d_plus.max(last / self.n - u);
        }
        if u - first * self.reciprocal > self.d_minus - KS_SKIP_MARGIN {
            self.d_minus = self.d_minus.max(u - first / self.n);
        }
    }

    /// Whether a NaN CDF value was seen (D = 1 whatever follows).
    pub(crate) fn rejected(&self) -> bool {
        self.nan
    }

    /// The statistic so far.
    pub(crate) fn statistic(&self) -> KsStatistic {
        if self.nan {
            return KsStatistic {
                d: 1.0,
                d_plus: 1.0,
                d_minus: 1.0,
            };
        }
        KsStatistic {
            d: self.d_plus.max(self.d_minus),
            d_plus: self.d_plus,
            d_minus: self.d_minus,
        }
    }
}

/// Two-sided one-sample KS test of an already sorted sample against `cdf`.
///
/// The statistic is [`ks_statistic`]'s D and the p-value is [`ks_sf`]`(n, D)`, which
/// agrees with `scipy.stats.kstwo.sf` (exact where p ≤ 0.05). Empty samples give
/// p = 1; a NaN in the sample gives D = 1, p = 0.
///
/// # Example
/// ```
/// # use initspec_verify::gof::ks_test;
/// let sample: Vec<f64> = (0..1000).map(|i| (i as f64 + 0.5) / 1000.0).collect();
/// let t = ks_test(&sample, |x| x.clamp(0.0, 1.0));
/// assert_eq!(t.n, 1000);
/// assert_eq!(t.p_value, 1.0); // n·D = 0.5: a perfect fit
/// ```
pub fn ks_test(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> KsTest {
    let s = ks_statistic(sorted, cdf);
    KsTest {
        statistic: s.d,
        p_value: ks_sf(sorted.len(), s.d),
        n: sorted.len(),
    }
}

/// KS statistic for a law on a lattice (discrete or rounded, e.g. bf16 values).
///
/// Arnold & Emerson (2011): with v₁ < … < v_m the distinct sample values, cⱼ the
/// empirical CDF at vⱼ (c₀ = 0), F(v) = `cdf(v)` = P(X ≤ v) and F(v⁻) = `cdf_left(v)` =
/// P(X < v):
///
/// ```text
/// D⁺ = maxⱼ (cⱼ − F(vⱼ)),   D⁻ = maxⱼ (F(vⱼ⁻) − cⱼ₋₁),   D = max(D⁺, D⁻)
/// ```
///
/// This is the exact sup-distance between the empirical CDF and a CDF with jumps; for a
/// continuous law (`cdf_left == cdf`) it equals [`ks_statistic`]. Same preconditions
/// and NaN/empty handling as [`ks_statistic`].
pub fn ks_statistic_discrete(
    sorted: &[f64],
    cdf: impl Fn(f64) -> f64,
    cdf_left: impl Fn(f64) -> f64,
) -> KsStatistic {
    let n = sorted.len();
    let mut running = KsDiscreteRunning::new(n);
    let mut i = 0;
    while i < n {
        let v = sorted[i];
        // End of the tie group of v; `!=` compares values, so -0.0 and 0.0 tie.
        let mut j = i + 1;
        while j < n && sorted[j] == v {
            j += 1;
        }
        running.add(cdf(v), cdf_left(v), i, j - i);
        if running.rejected() {
            break;
        }
        i = j;
    }
    running.statistic()
}

/// [`ks_statistic_discrete`] accumulated one tie group at a time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KsDiscreteRunning {
    n: f64,
    d_plus: f64,
    d_minus: f64,
    nan: bool,
}

impl KsDiscreteRunning {
    /// Nothing seen yet, of a sample of `n` values.
    pub(crate) fn new(n: usize) -> Self {
        KsDiscreteRunning {
            n: n as f64,
            d_plus: 0.0,
            d_minus: 0.0,
            nan: false,
        }
    }

    /// The tie group of `count` equal values at sorted positions `first ..`, with
    /// F(v) = `u` and F(v⁻) = `u_left`.
    pub(crate) fn add(&mut self, u: f64, u_left: f64, first: usize, count: usize) {
        if u.is_nan() || u_left.is_nan() {
            self.nan = true;
        }
        if self.nan {
            return;
        }
        self.d_plus = self
            .d_plus
            .max((first + count) as f64 / self.n - u.clamp(0.0, 1.0));
        self.d_minus = self
            .d_minus
            .max(u_left.clamp(0.0, 1.0) - first as f64 / self.n);
    }

    /// Whether a NaN CDF value was seen (D = 1 whatever follows).
    pub(crate) fn rejected(&self) -> bool {
        self.nan
    }

    /// The statistic so far.
    pub(crate) fn statistic(&self) -> KsStatistic {
        if self.nan {
            return KsStatistic {
                d: 1.0,
                d_plus: 1.0,
                d_minus: 1.0,
            };
        }
        KsStatistic {
            d: self.d_plus.max(self.d_minus),
            d_plus: self.d_plus,
            d_minus: self.d_minus,
        }
    }
}

/// KS test for a law on a lattice; see [`ks_statistic_discrete`] for the statistic.
///
/// The p-value is the continuous-law [`ks_sf`]`(n, D)`. For a law with atoms the
/// true null distribution of D is stochastically smaller than in the continuous case
/// (Noether 1963; Arnold & Emerson 2011), so this p-value is an upper bound: the test
/// is conservative (it never rejects more often than α under the null), at the price
/// of some power on coarse lattices.
pub fn ks_test_discrete(
    sorted: &[f64],
    cdf: impl Fn(f64) -> f64,
    cdf_left: impl Fn(f64) -> f64,
) -> KsTest {
    let s = ks_statistic_discrete(sorted, cdf, cdf_left);
    KsTest {
        statistic: s.d,
        p_value: ks_sf(sorted.len(), s.d),
        n: sorted.len(),
    }
}

/// Limit of the scaled KS statistic: Q(x) = lim P(√n·Dₙ > x) (Kolmogorov 1933).
///
/// Equals `scipy.special.kolmogorov(x)`. Two series, cut over at x = 0.82 as in
/// SciPy's `KOLMOG_CUTOVER`, each summed until its terms vanish:
///
/// ```text
/// x > 0.82:  Q(x) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²x²}
/// x ≤ 0.82:  Q(x) = 1 − (√(2π)/x) Σ_{k≥1} e^{−(2k−1)²π²/(8x²)}
/// ```
///
/// Returns 1 for x ≤ 0 and 0 for x = +∞; NaN gives 0 (reject).
pub fn kolmogorov_sf(x: f64) -> f64 {
    if x.is_nan() {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x > KOLMOGOROV_CUTOVER {
        let mut sum = 0.0;
        let mut sign = 1.0;
        for k in 1..=100_u32 {
            let kf = f64::from(k);
            let term = (-2.0 * kf * kf * x * x).exp();
            sum += sign * term;
            if term < 1e-20 * sum.abs() || term == 0.0 {
                break;
            }
            sign = -sign;
        }
        (2.0 * sum).clamp(0.0, 1.0)
    } else {
        let w = std::f64::consts::PI * std::f64::consts::PI / (8.0 * x * x);
        let mut sum = 0.0;
        for k in 1..=100_u32 {
            let m = f64::from(2 * k - 1);
            let term = (-m * m * w).exp();
            sum += term;
            if term <= 1e-20 * sum || term == 0.0 {
                break;
            }
        }
        (1.0 - (2.0 * std::f64::consts::PI).sqrt() / x * sum).clamp(0.0, 1.0)
    }
}

/// Cut-over between the two series of [`kolmogorov_sf`] (SciPy's `KOLMOG_CUTOVER`).
const KOLMOGOROV_CUTOVER: f64 = 0.82;

/// Exact two-sided KS p-value P(Dₙ ≥ d) for a continuous law: `scipy.stats.kstwo.sf(d, n)`.
///
/// Follows Simard & L'Ecuyer (2011) region by region (see the [module docs](self)):
/// closed forms at the edges, the Durbin matrix with power-of-two rescaling
/// (Marsaglia, Tsang & Wang 2003) where n·d is small, 2·S⁺ₙ(d) ([`smirnov_sf`]) in the
/// tail, and the Pelz–Good (1976) series in the bulk of large n.
///
/// Cost (release build, 2-core Zen 5): O(1) in the bulk; the Durbin matrix costs
/// O(m³ log n) with m = 2⌈n·d⌉ − 1 ≤ 117; the tail sums up to n terms, about 35 ms at
/// n = 10⁶, and about 1 ms at n = 10⁷ thanks to the stride of [`smirnov_sf`].
///
/// Returns a value in [0, 1]: 1 for n = 0 or d ≤ 0 (or n·d ≤ ½), 0 for d ≥ 1, and 0 for
/// NaN d (reject).
pub fn ks_sf(n: usize, d: f64) -> f64 {
    if d.is_nan() {
        return 0.0;
    }
    if n == 0 || d <= 0.0 {
        return 1.0;
    }
    if d >= 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let t = nf * d;
    let p = if t <= 0.5 {
        1.0
    } else if t <= 1.0 {
        // Ruben & Gambino (1982): P(Dₙ < d) = n!/nⁿ · (2t − 1)ⁿ.
        1.0 - (ln_nfactorial_over_n_pow_n(n) + nf * (2.0 * t - 1.0).ln()).exp()
    } else if t >= nf - 1.0 {
        2.0 * (nf * (-d).ln_1p()).exp()
    } else if d >= 0.5 {
        2.0 * smirnov_sf(n, d)
    } else {
        let nd2 = t * d;
        if n <= SMALL_N {
            if nd2 <= 4.0 {
                1.0 - durbin_cdf(n, d)
            } else {
                2.0 * smirnov_sf(n, d)
            }
        } else if nd2 >= 2.2 {
            2.0 * smirnov_sf(n, d)
        } else if n <= 100_000 && nf * d.powf(1.5) <= 1.4 {
            1.0 - durbin_cdf(n, d)
        } else {
            pelz_good_sf(n, d)
        }
    };
    p.clamp(0.0, 1.0)
}

/// Largest n for which SciPy (and [`ks_sf`]) uses exact methods throughout.
const SMALL_N: usize = 140;

/// Exact one-sided Smirnov tail S⁺ₙ(d) = P(D⁺ₙ ≥ d): `scipy.special.smirnov(n, d)`.
///
/// Smirnov (1944), Birnbaum & Tingey (1951):
///
/// ```text
/// S⁺ₙ(d) = d · Σ_{j=0}^{⌊n(1−d)⌋} C(n,j) (d + j/n)^{j−1} (1 − d − j/n)^{n−j}
///        = Σ_j  d/pⱼ · Binom(j; n, pⱼ),   pⱼ = d + j/n
/// ```
///
/// Every term is positive. Each is evaluated in log space with Loader's (2000)
/// saddle-point form of the binomial probability,
/// `ln b = δ(n) − δ(j) − δ(n−j) − bd0(j, n·p) − bd0(n−j, n·q) + ½ ln(n / (2π j (n−j)))`,
/// where δ is the Stirling-series remainder and bd0(x, M) = x ln(x/M) + M − x is
/// formed with `ln_1p`: the absolute error of ln(term) stays near ε·n·d rather than
/// ε·n·ln n, so the sum keeps ~12 significant digits at n = 10⁷. Terms are added with a
/// running log-sum-exp.
///
/// Truncation: for n > 10⁴ the terms, a single smooth bump in j, are summed outward
/// from the largest one and each side stops once a term is below e⁻⁵⁰ ≈ 2·10⁻²² of the
/// largest and still falling; the dropped mass is below 10⁻¹⁵ relative.
///
/// Stride (n > 10⁶ and n·d² ≥ 1 only): the terms then vary on a scale of ≥ n/(4√n·d)
/// values of j wherever they matter, so the sum equals s·Σ of every s-th term up to
/// Poisson-summation error exp(−2π²(width/s)²), negligible with
/// s = ⌊n / (8000·(1 + √n·d))⌋; this keeps the cost near 10⁴ terms (about 1 ms) at
/// n = 10⁷ instead of 10⁷ terms (0.35 s). Up to n = 10⁶ every term is summed, which is
/// what SciPy's exact `smirnov` does.
///
/// Returns 1 for d ≤ 0 (or n = 0), 0 for d ≥ 1, 0 for NaN.
pub fn smirnov_sf(n: usize, d: f64) -> f64 {
    if d.is_nan() {
        return 0.0;
    }
    if n == 0 || d <= 0.0 {
        return 1.0;
    }
    if d >= 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let nd = nf * d;
    // Largest j with n − j − n·d > 0 (a term with q = 0 vanishes).
    let j_max = ((nf - nd).ceil() as usize).saturating_sub(1).min(n - 1);
    let ctx = SmirnovTerms::new(n, d);
    let mut acc = LogSumExp::new();
    if n <= 10_000 {
        for j in 0..=j_max {
            acc.add(ctx.ln_term(j));
        }
        return acc.value().clamp(0.0, 1.0);
    }
    // Stride: 1 (every term) up to n = 10⁶; beyond, and where the bump is wide enough
    // (n·d² ≥ 1), every s-th term weighted by s (see the doc comment).
    let stride = if n > STRIDE_MIN_N && nd * d >= 1.0 {
        (nf / (STRIDE_DENSITY * (1.0 + (nd * d).sqrt())))
            .floor()
            .max(1.0) as usize
    } else {
        1
    };
    let ln_stride = (stride as f64).ln();
    // Locate the peak on a coarse grid, then walk outward from it.
    let steps = 256;
    let mut peak = 0;
    let mut peak_val = f64::NEG_INFINITY;
    for s in 0..=steps {
        let j = j_max * s / steps;
        let v = ctx.ln_term(j);
        if v > peak_val {
            peak_val = v;
            peak = j;
        }
    }
    acc.add(peak_val + ln_stride);
    let mut top = peak_val;
    let mut prev = peak_val;
    let mut j = peak + stride;
    while j <= j_max {
        let v = ctx.ln_term(j);
        acc.add(v + ln_stride);
        top = top.max(v);
        if v < top - 50.0 && v <= prev {
            break;
        }
        prev = v;
        j += stride;
    }
    prev = peak_val;
    let mut j = peak;
    while j >= stride {
        j -= stride;
        let v = ctx.ln_term(j);
        acc.add(v + ln_stride);
        top = top.max(v);
        if v < top - 50.0 && v <= prev {
            break;
        }
        prev = v;
    }
    acc.value().clamp(0.0, 1.0)
}

/// Above this n, [`smirnov_sf`] may sum every s-th term (see its docs).
const STRIDE_MIN_N: usize = 1_000_000;

/// Terms sampled per unit of t = j/n and per unit of (1 + √n·d) in the strided sum.
const STRIDE_DENSITY: f64 = 8000.0;

/// Precomputed constants for the terms of [`smirnov_sf`].
struct SmirnovTerms {
    n: usize,
    nf: f64,
    nd: f64,
    ln_term0: f64,
    stirlerr_n: f64,
}

impl SmirnovTerms {
    fn new(n: usize, d: f64) -> Self {
        let nf = n as f64;
        Self {
            n,
            nf,
            nd: nf * d,
            ln_term0: nf * (-d).ln_1p(),
            stirlerr_n: stirlerr(n),
        }
    }

    /// ln of the j-th Smirnov term, −∞ where it vanishes.
    fn ln_term(&self, j: usize) -> f64 {
        if j == 0 {
            // d · d⁻¹ · (1 − d)ⁿ.
            return self.ln_term0;
        }
        let (jf, rest) = (j as f64, (self.n - j) as f64);
        let nq = rest - self.nd;
        if nq <= 0.0 || nq.is_nan() {
            return f64::NEG_INFINITY;
        }
        let bd0_p = self.nd - jf * (self.nd / jf).ln_1p();
        let bd0_q = -rest * (-self.nd / rest).ln_1p() - self.nd;
        let ln_pmf = self.stirlerr_n - stirlerr(j) - stirlerr(self.n - j) - bd0_p - bd0_q
            + 0.5 * (self.nf / (2.0 * std::f64::consts::PI * jf * rest)).ln();
        ln_pmf - (jf / self.nd).ln_1p()
    }
}

/// Stirling-series remainder δ(k) = ln k! − (k + ½) ln k + k − ½ ln(2π).
fn stirlerr(k: usize) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    let kf = k as f64;
    if k <= 15 {
        if k == 0 {
            return 0.0;
        }
        return ln_gamma(kf + 1.0) - (kf + 0.5) * kf.ln() + kf
            - 0.5 * (2.0 * std::f64::consts::PI).ln();
    }
    let kk = kf * kf;
    if k > 500 {
        (S0 - S1 / kk) / kf
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / kk) / kk) / kk) / kk) / kf
    }
}

/// Running log-sum-exp of values given as logarithms.
struct LogSumExp {
    max: f64,
    sum: f64,
}

impl LogSumExp {
    fn new() -> Self {
        Self {
            max: f64::NEG_INFINITY,
            sum: 0.0,
        }
    }

    fn add(&mut self, ln_v: f64) {
        if ln_v == f64::NEG_INFINITY || ln_v.is_nan() {
            return;
        }
        if ln_v > self.max {
            self.sum = self.sum * (self.max - ln_v).exp() + 1.0;
            self.max = ln_v;
        } else {
            self.sum += (ln_v - self.max).exp();
        }
    }

    fn value(&self) -> f64 {
        if self.sum == 0.0 {
            0.0
        } else {
            (self.max + self.sum.ln()).exp()
        }
    }
}

/// ln(n!/nⁿ) = ln Γ(n) − (n − 1) ln n, via the Stirling remainder to avoid cancellation.
fn ln_nfactorial_over_n_pow_n(n: usize) -> f64 {
    // n! = √(2πn) (n/e)ⁿ e^{δ(n)}.
    let nf = n as f64;
    0.5 * (2.0 * std::f64::consts::PI * nf).ln() - nf + stirlerr(n)
}

/// Power-of-two rescaling step for the Durbin matrix: 2¹²⁸.
const TWO_POW_128: f64 = 3.402_823_669_209_385e38;

/// Exact P(Dₙ < d) by Durbin's matrix (Marsaglia, Tsang & Wang 2003).
///
/// ```text
/// n·d = k − h, k = ⌈n·d⌉, 0 ≤ h < 1, m = 2k − 1
/// H (m×m): Hᵢⱼ = 1/(i − j + 1)! for i − j + 1 ≥ 0, else 0, except
///   first column Hᵢ₁ = (1 − hⁱ)/i!,  last row H_mⱼ = (1 − h^{m−j+1})/(m − j + 1)!,
///   corner H_m1 = (1 − 2hᵐ + max(0, 2h − 1)ᵐ)/m!
/// P(Dₙ < d) = n!/nⁿ · (Hⁿ)ₖₖ
/// ```
///
/// Only row k of Hⁿ is carried (a row vector times successive squares of H), with
/// power-of-two rescaling so nothing overflows.
fn durbin_cdf(n: usize, d: f64) -> f64 {
    let nd = n as f64 * d;
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    // inv_fact[i] = 1/i!, i = 0..=m.
    let mut inv_fact = vec![1.0_f64; m + 1];
    for i in 1..=m {
        inv_fact[i] = inv_fact[i - 1] / i as f64;
    }
    let mut hm = vec![0.0_f64; m * m];
    for i in 0..m {
        for j in 0..=i.min(m - 1) {
            // i − j + 1 ≥ 1 here; entries above the first super-diagonal stay 0.
            hm[i * m + j] = inv_fact[i - j + 1];
        }
        if i + 1 < m {
            hm[i * m + i + 1] = 1.0;
        }
    }
    for i in 0..m {
        let v = (1.0 - h.powi((i + 1) as i32)) * inv_fact[i + 1];
        hm[i * m] = v; // first column
        hm[(m - 1) * m + (m - 1 - i)] = v; // last row, mirrored
    }
    let corner =
        (1.0 - 2.0 * h.powi(m as i32) + (2.0 * h - 1.0).max(0.0).powi(m as i32)) * inv_fact[m];
    hm[(m - 1) * m] = corner;

    // row = e_kᵀ Hⁿ, by binary powering; exponents are powers of two.
    let mut row = vec![0.0_f64; m];
    row[k - 1] = 1.0;
    let mut row_exp: i64 = 0;
    let mut pow = hm;
    let mut pow_exp: i64 = 0;
    let mut e = n;
    let mut tmp = vec![0.0_f64; m * m];
    let mut row_tmp = vec![0.0_f64; m];
    loop {
        if e & 1 == 1 {
            row_tmp.iter_mut().for_each(|x| *x = 0.0);
            for (i, &r) in row.iter().enumerate() {
                if r != 0.0 {
                    for (t, &p) in row_tmp.iter_mut().zip(&pow[i * m..(i + 1) * m]) {
                        *t += r * p;
                    }
                }
            }
            std::mem::swap(&mut row, &mut row_tmp);
            row_exp += pow_exp;
            let big = row.iter().fold(0.0_f64, |a, &x| a.max(x.abs()));
            if big > TWO_POW_128 {
                row.iter_mut().for_each(|x| *x /= TWO_POW_128);
                row_exp += 128;
            }
        }
        e >>= 1;
        if e == 0 {
            break;
        }
        // pow = pow²
        tmp.iter_mut().for_each(|x| *x = 0.0);
        for i in 0..m {
            for l in 0..m {
                let a = pow[i * m + l];
                if a != 0.0 {
                    let (src, dst) = (&pow[l * m..(l + 1) * m], &mut tmp[i * m..(i + 1) * m]);
                    for (t, &b) in dst.iter_mut().zip(src) {
                        *t += a * b;
                    }
                }
            }
        }
        std::mem::swap(&mut pow, &mut tmp);
        pow_exp *= 2;
        let big = pow.iter().fold(0.0_f64, |a, &x| a.max(x.abs()));
        if big > TWO_POW_128 {
            pow.iter_mut().for_each(|x| *x /= TWO_POW_128);
            pow_exp += 128;
        }
    }
    // Multiply by n!/nⁿ = Π i/n, rescaling by powers of two.
    let mut p = row[k - 1];
    let nf = n as f64;
    for i in 1..=n {
        p = p * i as f64 / nf;
        if p != 0.0 && p.abs() < 1.0 / TWO_POW_128 {
            p *= TWO_POW_128;
            row_exp -= 128;
        }
    }
    let scaled = p * 2.0_f64.powi(row_exp.clamp(-2000, 2000) as i32);
    scaled.clamp(0.0, 1.0)
}

/// Pelz & Good (1976) asymptotic series for P(Dₙ > d), as in SciPy's `_kolmogn_PelzGood`.
///
/// ```text
/// P(Dₙ ≤ d) ≈ K₀(z) + K₁(z)/√n + K₂(z)/n + K₃(z)/n^{3/2},   z = √n·d
/// ```
///
/// with each Kᵢ written as a theta-function series in q = e^{−π²/(8z²)}, suited to the
/// bulk (z up to ~1.5) where it is accurate to a few 10⁻⁸ or better for n > 140.
fn pelz_good_sf(n: usize, d: f64) -> f64 {
    use std::f64::consts::PI;
    let nf = n as f64;
    let z = nf.sqrt() * d;
    let (z2, z3, z4, z6) = (z * z, z * z * z, z.powi(4), z.powi(6));
    let qlog = -PI * PI / 8.0 / z2;
    if qlog < -708.0 {
        return 1.0;
    }
    let q = qlog.exp();
    let (pi2, pi4, pi6) = (PI * PI, PI.powi(4), PI.powi(6));
    let k1a = -z2;
    let k1b = pi2 / 4.0;
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powi(8);
    let mut kk = [0.0_f64; 4];
    let maxk = (16.0 * z / PI).ceil().max(1.0) as i32;
    for k in (1..=maxk).rev() {
        let m = f64::from(2 * k - 1);
        let (m2, m4, m6) = (m * m, m.powi(4), m.powi(6));
        let qpower = q.powi(8 * k);
        let coeffs = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for (acc, c) in kk.iter_mut().zip(coeffs) {
            *acc = *acc * qpower + c;
        }
    }
    let sqrt2pi = (2.0 * PI).sqrt();
    let denoms = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (acc, den) in kk.iter_mut().zip(denoms) {
        *acc = *acc * q * sqrt2pi / den;
    }
    let q2 = (-pi2 / 2.0 / z2).exp();
    let sqrt3z = 3.0_f64.sqrt() * z;
    let mut k2extra = 0.0;
    let mut k3extra = 0.0;
    for k in (1..=maxk).rev() {
        let kf = f64::from(k);
        let ksq = kf * kf;
        let qp = q2.powi(k * k);
        let kspi = PI * kf;
        k2extra += ksq * qp;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp;
    }
    kk[2] += k2extra * pi2 * sqrt2pi / (-36.0 * z3);
    kk[3] += k3extra * pi2 * sqrt2pi / (216.0 * z6);
    let sn = nf.sqrt();
    let cdf_tail = kk[1] / sn + kk[2] / nf + kk[3] / (nf * sn);
    // SF = 1 − K₀ − K₁/√n − K₂/n − K₃/n^{3/2}.
    (1.0 - kk[0]) - cdf_tail
}

/// [`smirnov_sf`] summing every term (no stride, no truncation); for tests.
#[cfg(test)]
pub(super) fn smirnov_sf_full(n: usize, d: f64) -> f64 {
    let nf = n as f64;
    let j_max = ((nf - nf * d).ceil() as usize).saturating_sub(1).min(n - 1);
    let ctx = SmirnovTerms::new(n, d);
    let mut acc = LogSumExp::new();
    for j in 0..=j_max {
        acc.add(ctx.ln_term(j));
    }
    acc.value().clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stirling remainder vs mpmath (50 digits: loggamma(k+1) − (k+½)ln k + k − ½ln 2π).
    /// The series is truncated after k⁻⁹ (k ≤ 500) or k⁻³ (k > 500): the dropped terms
    /// are below 2·10⁻¹³ relative at k = 16 and k = 501.
    const STIRLERR_REL_TOL: f64 = 1e-12;

    #[test]
    fn stirlerr_matches_mpmath_on_both_series() {
        for (k, want) in [
            (16, 0.005_207_655_919_609_640_4),
            (100, 8.333_305_556_349_147e-4),
            (500, 1.666_666_444_444_698_4e-4),
            (501, 1.663_339_765_799_327e-4),
            (1000, 8.333_333_055_555_635e-5),
        ] {
            let got = stirlerr(k);
            assert!(
                (got - want).abs() <= STIRLERR_REL_TOL * want,
                "stirlerr({k}) = {got:e}, mpmath {want:e}"
            );
        }
    }
}
