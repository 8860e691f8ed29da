//! Independence checks: tensors (or shifted copies of one tensor) that should be independent
//! must not be correlated, and must not share their bytes.
//!
//! ```text
//! r = Σ (xᵢ − μ)(yᵢ − μ) / √(Σ (xᵢ − μ)² · Σ (yᵢ − μ)²)     about the law's known mean μ
//! z = √n · r  ≈ N(0, 1) for independent x, y (CLT; exact first two moments)
//! p = 2·Φ(−|z|)
//! ```
//!
//! This catches a random stream reused for two tensors (r = 1, every value identical), a
//! stream restarted at a shifted counter (a lag correlation of 1 at that lag), and shared
//! rows. The count of positions whose values are bitwise equal is
//! reported too: two independent draws of a continuous law share essentially no values, so a
//! large count is a red flag even where the correlation is diluted.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// The outcome of a correlation z-test between two sequences that should be independent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Correlation {
    /// z = √n·r.
    pub statistic: f64,
    /// Two-sided p = 2·Φ(−|z|).
    pub p_value: f64,
    /// The correlation r about the known mean, in [−1, 1] (0 when either side is constant).
    pub r: f64,
    /// The number of pairs n.
    pub n: usize,
    /// The number of pairs whose two values are bitwise equal.
    pub identical: usize,
}

/// Correlation test of `x` against `y`, paired by index over their common length, about the
/// known `mean` of both laws.
///
/// Degenerate input (fewer than 2 pairs, a side with no spread, a NaN) gives r = 0 with
/// p = 1 when there is no evidence, or r = NaN with p = 0 when a value is not finite: a
/// non-finite weight is never evidence of independence.
///
/// # Example
/// ```
/// use initspec::{Law, Stream};
/// use initspec_verify::{conformance::draw, independence::cross_correlation, storage::Storage};
/// let law: Law = "normal(std=0.02)".parse().unwrap();
/// let a = draw(&law, Stream::new(7, "layer1.weight"), 100_000, Storage::F32);
/// let b = draw(&law, Stream::new(7, "layer1.weight"), 100_000, Storage::F32);
/// let reused = cross_correlation(&a, &b, 0.0);
/// assert_eq!(reused.identical, 100_000);
/// assert!(reused.p_value < 1e-100);
/// let c = draw(&law, Stream::new(7, "layer2.weight"), 100_000, Storage::F32);
/// assert!(cross_correlation(&a, &c, 0.0).p_value > 1e-6);
/// ```
pub fn cross_correlation(x: &[f64], y: &[f64], mean: f64) -> Correlation {
    let n = x.len().min(y.len());
    let (x, y) = (&x[..n], &y[..n]);
    let identical = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.to_bits() == b.to_bits())
        .count();
    let (mut sxy, mut sxx, mut syy) = (0.0_f64, 0.0_f64, 0.0_f64);
    for (&a, &b) in x.iter().zip(y) {
        let (a, b) = (a - mean, b - mean);
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    if !(sxy.is_finite() && sxx.is_finite() && syy.is_finite()) {
        return Correlation {
            statistic: f64::NAN,
            p_value: 0.0,
            r: f64::NAN,
            n,
            identical,
        };
    }
    if n < 2 || !(sxx > 0.0) || !(syy > 0.0) {
        return Correlation {
            statistic: 0.0,
            p_value: 1.0,
            r: 0.0,
            n,
            identical,
        };
    }
    let r = (sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0);
    let statistic = (n as f64).sqrt() * r;
    Correlation {
        statistic,
        p_value: two_sided_normal(statistic),
        r,
        n,
        identical,
    }
}

/// Lag-`lag` serial correlation of one flattened tensor: [`cross_correlation`] of
/// `values[..n−lag]` against `values[lag..]`. A `lag` of 0 or ≥ `values.len()` gives the
/// degenerate answer (r = 0, p = 1, for lag ≥ len) or the trivial one (r = 1, for lag 0).
///
/// # Example
/// ```
/// use initspec::{Law, Stream};
/// use initspec_verify::{conformance::draw, independence::lag_correlation, storage::Storage};
/// let law: Law = "uniform(a=-1, b=1)".parse().unwrap();
/// let w = draw(&law, Stream::new(1, "w"), 100_000, Storage::F64);
/// assert!(lag_correlation(&w, 0.0, 1).p_value > 1e-6);
/// ```
pub fn lag_correlation(values: &[f64], mean: f64, lag: usize) -> Correlation {
    if lag >= values.len() {
        return cross_correlation(&[], &[], mean);
    }
    cross_correlation(&values[..values.len() - lag], &values[lag..], mean)
}

fn two_sided_normal(z: f64) -> f64 {
    match Normal::new(0.0, 1.0) {
        Ok(normal) => (2.0 * normal.cdf(-z.abs())).min(1.0),
        Err(_) => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfectly_correlated_and_anticorrelated_sequences() {
        let x: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 1000) as f64 - 499.5)
            .collect();
        let same = cross_correlation(&x, &x, 0.0);
        assert_eq!((same.r, same.identical, same.n), (1.0, 1000, 1000));
        assert!((same.statistic - 1000f64.sqrt()).abs() < 1e-12);
        let negated: Vec<f64> = x.iter().map(|v| -v).collect();
        let anti = cross_correlation(&x, &negated, 0.0);
        assert_eq!(anti.r, -1.0);
        assert!(anti.p_value < 1e-100);
    }

    #[test]
    fn degenerate_input_is_not_a_panic() {
        assert_eq!(cross_correlation(&[], &[], 0.0).p_value, 1.0);
        assert_eq!(cross_correlation(&[1.0], &[1.0], 1.0).p_value, 1.0);
        assert_eq!(cross_correlation(&[0.0, 0.0], &[1.0, 2.0], 0.0).r, 0.0);
        let nan = cross_correlation(&[f64::NAN, 1.0], &[1.0, 2.0], 0.0);
        assert_eq!(nan.p_value, 0.0);
        assert!(nan.r.is_nan());
        assert_eq!(lag_correlation(&[1.0, 2.0], 0.0, 5).n, 0);
        assert_eq!(lag_correlation(&[1.0, 2.0, 3.0], 0.0, 0).r, 1.0);
    }

    #[test]
    fn uses_the_common_length_and_the_known_mean() {
        let x = [1.0, 2.0, 3.0, 100.0];
        let y = [3.0, 2.0, 1.0];
        let c = cross_correlation(&x, &y, 2.0);
        assert_eq!(c.n, 3);
        assert!((c.r + 1.0).abs() < 1e-15, "{}", c.r);
        assert_eq!(c.identical, 1);
    }
}
