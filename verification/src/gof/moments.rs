//! Moment tests about a KNOWN mean: the mean itself and the second moment.
//!
//! For an initializer the law is fully specified, so the mean is not estimated and the
//! second moment is taken about the hypothesised mean μ:
//!
//! ```text
//! m₂ = (1/n) Σ (xᵢ − μ)²,   E m₂ = σ²,   Var m₂ = (μ₄ − σ⁴)/n   (exact for iid data)
//! ```
//!
//! These are the most powerful checks of an initializer's scale: a 2 % variance error
//! needs ~2·10⁵ values here against ~6·10⁵ for Kolmogorov–Smirnov (α = 10⁻⁶).
//! All sums are Neumaier-compensated, so n = 10⁸ keeps full f64 precision.

use super::GofError;
use super::sum::Neumaier;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

/// A two-sided z-test of the mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanTest {
    /// z = (x̄ − μ)·√n/σ.
    pub statistic: f64,
    /// Two-sided p = 2·Φ(−|z|).
    pub p_value: f64,
    /// Sample size n.
    pub n: usize,
    /// The sample mean x̄.
    pub observed_mean: f64,
}

/// A two-sided test of the second moment about the known mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VarianceTest {
    /// n·m₂/σ² (χ²ₙ under a normal law) when `normal`, otherwise
    /// z = (m₂ − σ²)/√((μ₄ − σ⁴)/n).
    pub statistic: f64,
    /// Two-sided p-value: 2·min(F_χ²ₙ, 1 − F_χ²ₙ) when `normal`, else 2·Φ(−|z|).
    pub p_value: f64,
    /// Sample size n.
    pub n: usize,
    /// m₂ = (1/n) Σ (xᵢ − μ)², the observed variance about the known mean.
    pub observed_variance: f64,
    /// m₂/σ²: the observed variance as a multiple of the specified one.
    pub ratio: f64,
}

/// A confidence interval for the ratio of the true variance to the specified one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VarianceRatioInterval {
    /// Point estimate m₂/σ².
    pub ratio: f64,
    /// Lower confidence bound.
    pub lower: f64,
    /// Upper confidence bound (+∞ when the normal approximation cannot bound it).
    pub upper: f64,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
    /// Sample size n.
    pub n: usize,
}

/// Two-sided z-test that the sample's mean is `mean`, for a law with variance `variance`.
///
/// ```text
/// x̄ = μ + (1/n) Σ (xᵢ − μ),   z = (x̄ − μ)·√n/σ,   p = 2·Φ(−|z|)
/// ```
///
/// Exact for a normal law, CLT otherwise. Infinite values give |z| = ∞ and p = 0.
///
/// # Errors
/// [`GofError::EmptySample`], [`GofError::NanInSample`], [`GofError::InvalidMean`]
/// (not finite), [`GofError::InvalidVariance`] (not finite and > 0).
///
/// # Example
/// ```
/// # use initspec_verify::gof::mean_test;
/// let t = mean_test(&[0.5, -0.5, 1.0, 1.0], 0.0, 1.0).unwrap();
/// assert_eq!(t.statistic, 1.0); // x̄ = 0.5, √4/1 = 2
/// ```
pub fn mean_test(sample: &[f64], mean: f64, variance: f64) -> Result<MeanTest, GofError> {
    check_law(sample, mean, variance)?;
    let mut sums = MomentSums::default();
    for &x in sample {
        sums.add(x, mean);
    }
    mean_test_of(&sums, sample.len(), mean, variance)
}

/// The Neumaier-compensated sums `Σ (xᵢ − μ)` and `Σ (xᵢ − μ)²` over a sample, in the
/// order its values are added: what [`mean_test`], [`variance_test`] and
/// [`variance_ratio_interval`] compute, kept apart so that one pass can serve all three.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct MomentSums {
    deviation: Neumaier,
    square: Neumaier,
}

impl MomentSums {
    /// Adds `x` (d = x − μ to the first sum, d² to the second).
    #[inline]
    pub(crate) fn add(&mut self, x: f64, mean: f64) {
        let d = x - mean;
        self.deviation.add(d);
        self.square.add(d * d);
    }

    /// m₂ = (1/n) Σ (xᵢ − μ)² over `n` values.
    pub(crate) fn second_moment(&self, n: usize) -> f64 {
        self.square.total() / n as f64
    }
}

/// [`mean_test`] from the sums of `n ≥ 1` values without NaN.
pub(crate) fn mean_test_of(
    sums: &MomentSums,
    n: usize,
    mean: f64,
    variance: f64,
) -> Result<MeanTest, GofError> {
    check_params(n, mean, variance)?;
    let deviation = sums.deviation.total() / n as f64;
    let statistic = deviation * (n as f64).sqrt() / variance.sqrt();
    Ok(MeanTest {
        statistic,
        p_value: two_sided_normal(statistic),
        n,
        observed_mean: mean + deviation,
    })
}

/// Two-sided test that the second moment about the known `mean` equals `variance`.
///
/// ```text
/// m₂ = (1/n) Σ (xᵢ − μ)²
/// normal:      T = n·m₂/σ² ~ χ²ₙ exactly,  p = min(1, 2·min(F_χ²ₙ(T), 1 − F_χ²ₙ(T)))
/// otherwise:   z = (m₂ − σ²)/√((μ₄ − σ⁴)/n),  p = 2·Φ(−|z|)
/// ```
///
/// `fourth_central_moment` is the law's μ₄ (uniform(−a, a): a⁴/5; N(0,1) cut to ±2:
/// 2.3655367·σ⁴); it is ignored when `normal` is true (μ₄ = 3σ⁴ is implied). The
/// normal approximation of m₂ is good to a few percent in tails down to 10⁻⁶ once
/// n ≥ 10⁵ (the skewness of m₂ is O(n^{−1/2})).
///
/// # Errors
/// As [`mean_test`], plus [`GofError::InvalidFourthMoment`] when `!normal` and
/// μ₄ ≤ σ⁴ or μ₄ is not finite.
///
/// # Example
/// ```
/// # use initspec_verify::gof::variance_test;
/// let t = variance_test(&[1.0, -1.0, 2.0, -2.0], 0.0, 2.5, 0.0, true).unwrap();
/// assert_eq!(t.ratio, 1.0); // m₂ = (1 + 1 + 4 + 4)/4 = 2.5
/// assert!(t.p_value > 0.5);
/// ```
pub fn variance_test(
    sample: &[f64],
    mean: f64,
    variance: f64,
    fourth_central_moment: f64,
    normal: bool,
) -> Result<VarianceTest, GofError> {
    check_law(sample, mean, variance)?;
    let mut sums = MomentSums::default();
    for &x in sample {
        sums.add(x, mean);
    }
    variance_test_of(
        sums.second_moment(sample.len()),
        sample.len(),
        mean,
        variance,
        fourth_central_moment,
        normal,
    )
}

/// [`variance_test`] from the second moment `m2` about `mean` of `n ≥ 1` values without NaN.
pub(crate) fn variance_test_of(
    m2: f64,
    n: usize,
    mean: f64,
    variance: f64,
    fourth_central_moment: f64,
    normal: bool,
) -> Result<VarianceTest, GofError> {
    check_params(n, mean, variance)?;
    if !normal {
        check_fourth(variance, fourth_central_moment)?;
    }
    let nf = n as f64;
    let ratio = m2 / variance;
    let (statistic, p_value) = if normal {
        let t = nf * ratio;
        let p = match ChiSquared::new(nf) {
            Ok(chi) if t.is_finite() => (2.0 * chi.cdf(t).min(chi.sf(t))).min(1.0),
            _ => 0.0, // T = +∞: m₂ overflowed or an infinite weight.
        };
        (t, p)
    } else {
        let z = (m2 - variance) / ((fourth_central_moment - variance * variance) / nf).sqrt();
        (z, two_sided_normal(z))
    };
    Ok(VarianceTest {
        statistic,
        p_value,
        n,
        observed_variance: m2,
        ratio,
    })
}

/// Confidence interval at `level` for ρ = σ²_true/σ², the true variance as a multiple
/// of the specified `variance`, from the second moment about the known `mean`.
///
/// Reports use it to say "variance is 0.167× the spec [0.165, 0.169]".
///
/// ```text
/// r = m₂/σ²,  α = 1 − level
/// normal:     [n·r / χ²ₙ,₁₋α/₂ ,  n·r / χ²ₙ,α/₂]           (exact)
/// otherwise:  [r / (1 + z·s),  r / (1 − z·s)],  s = √((κ − 1)/n),  κ = μ₄/σ⁴,
///             z = Φ⁻¹(1 − α/2); the upper bound is +∞ when z·s ≥ 1
/// ```
///
/// The non-normal interval assumes the scale family of the law: its shape (kurtosis
/// κ) is as specified and only the scale may be off; it then inverts the normal
/// approximation m₂/σ²_true ≈ N(1, (κ − 1)/n).
///
/// χ² quantiles come from `statrs` for n ≤ 10⁵ and from the Wilson–Hilferty cube
/// (relative error below 10⁻⁸ there) beyond, where the former is slow.
///
/// # Errors
/// As [`variance_test`], plus [`GofError::InvalidLevel`] unless 0 < `level` < 1.
///
/// # Example
/// ```
/// # use initspec_verify::gof::variance_ratio_interval;
/// let sample: Vec<f64> = (0..10_000).map(|i| if i % 2 == 0 { 0.5 } else { -0.5 }).collect();
/// let ci = variance_ratio_interval(&sample, 0.0, 1.0, 3.0, true, 0.95).unwrap();
/// assert_eq!(ci.ratio, 0.25);
/// assert!(ci.lower < 0.25 && 0.25 < ci.upper);
/// ```
pub fn variance_ratio_interval(
    sample: &[f64],
    mean: f64,
    variance: f64,
    fourth_central_moment: f64,
    normal: bool,
    level: f64,
) -> Result<VarianceRatioInterval, GofError> {
    check_law(sample, mean, variance)?;
    let mut sums = MomentSums::default();
    for &x in sample {
        sums.add(x, mean);
    }
    variance_ratio_interval_of(
        sums.second_moment(sample.len()),
        sample.len(),
        mean,
        variance,
        fourth_central_moment,
        normal,
        level,
    )
}

/// [`variance_ratio_interval`] from the second moment `m2` about `mean` of `n ≥ 1` values
/// without NaN.
pub(crate) fn variance_ratio_interval_of(
    m2: f64,
    n: usize,
    mean: f64,
    variance: f64,
    fourth_central_moment: f64,
    normal: bool,
    level: f64,
) -> Result<VarianceRatioInterval, GofError> {
    check_params(n, mean, variance)?;
    if !normal {
        check_fourth(variance, fourth_central_moment)?;
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(GofError::InvalidLevel { level });
    }
    let nf = n as f64;
    let ratio = m2 / variance;
    let alpha = 1.0 - level;
    let (lower, upper) = if normal {
        let q_lo = chi_square_quantile(nf, alpha / 2.0);
        let q_hi = chi_square_quantile(nf, 1.0 - alpha / 2.0);
        let upper = if q_lo > 0.0 {
            nf * ratio / q_lo
        } else {
            f64::INFINITY
        };
        (nf * ratio / q_hi, upper)
    } else {
        let z = standard_normal().inverse_cdf(1.0 - alpha / 2.0);
        let kappa = fourth_central_moment / (variance * variance);
        let zs = z * ((kappa - 1.0) / nf).sqrt();
        let upper = if zs < 1.0 {
            ratio / (1.0 - zs)
        } else {
            f64::INFINITY
        };
        (ratio / (1.0 + zs), upper)
    };
    Ok(VarianceRatioInterval {
        ratio,
        lower,
        upper,
        level,
        n,
    })
}

fn check_law(sample: &[f64], mean: f64, variance: f64) -> Result<(), GofError> {
    check_params(sample.len(), mean, variance)?;
    if let Some(index) = sample.iter().position(|x| x.is_nan()) {
        return Err(GofError::NanInSample { index });
    }
    Ok(())
}

/// The law's mean and variance, and a sample size of at least 1.
fn check_params(n: usize, mean: f64, variance: f64) -> Result<(), GofError> {
    if !mean.is_finite() {
        return Err(GofError::InvalidMean { mean });
    }
    if !(variance > 0.0 && variance.is_finite()) {
        return Err(GofError::InvalidVariance { variance });
    }
    if n == 0 {
        return Err(GofError::EmptySample);
    }
    Ok(())
}

fn check_fourth(variance: f64, fourth_central_moment: f64) -> Result<(), GofError> {
    if !(fourth_central_moment > variance * variance && fourth_central_moment.is_finite()) {
        return Err(GofError::InvalidFourthMoment {
            fourth_central_moment,
            variance,
        });
    }
    Ok(())
}

fn standard_normal() -> Normal {
    Normal::standard()
}

/// 2·Φ(−|z|); NaN gives 0 (reject), |z| = ∞ gives 0.
fn two_sided_normal(z: f64) -> f64 {
    if z.is_nan() {
        return 0.0;
    }
    (2.0 * standard_normal().sf(z.abs())).min(1.0)
}

/// Quantile of χ²_df at probability `p` ∈ (0, 1).
pub(super) fn chi_square_quantile(df: f64, p: f64) -> f64 {
    if df > 1e5 {
        // Wilson & Hilferty (1931): (χ²/df)^{1/3} ≈ N(1 − 2/(9df), 2/(9df)).
        let z = standard_normal().inverse_cdf(p);
        let c = 2.0 / (9.0 * df);
        let base = 1.0 - c + z * c.sqrt();
        return df * base * base * base;
    }
    match ChiSquared::new(df) {
        Ok(chi) => chi.inverse_cdf(p),
        Err(_) => f64::NAN,
    }
}
