//! Pearson's χ² goodness-of-fit test with equiprobable bins under the law.

use super::GofError;
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// A χ² goodness-of-fit test with k equiprobable bins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquare {
    /// Pearson's X² = Σⱼ (Oⱼ − n/k)² / (n/k).
    pub statistic: f64,
    /// P(χ²ₖ₋₁ ≥ X²).
    pub p_value: f64,
    /// Number of bins k.
    pub bins: usize,
    /// Sample size n.
    pub n: usize,
}

/// χ² test of `sample` (any order) against the law with CDF `cdf`, using `bins`
/// equiprobable bins.
///
/// ```text
/// bin(x) = min(⌊k · F(x)⌋, k − 1)   (F clamped to [0, 1])
/// X² = Σⱼ (Oⱼ − E)² / E,  E = n/k;   p = P(χ²ₖ₋₁ ≥ X²)
/// ```
///
/// The p-value is `statrs`' `ChiSquared::new(k − 1).sf(X²)` (never `gamma_ur(a, 0)`,
/// which panics at X² = 0). No parameter is estimated, so there are k − 1 degrees of
/// freedom. Choose k ≈ 10–20 for smooth alternatives such as a scale error; keep
/// n/k ≥ 5 (Cochran 1954) for the χ² approximation to hold — this function does not
/// refuse smaller counts, it is the caller's design choice.
///
/// # Errors
/// - [`GofError::TooFewBins`] if `bins < 2`;
/// - [`GofError::EmptySample`] if the sample is empty;
/// - [`GofError::NanInSample`] if a value is NaN (so its bin is undefined); a NaN
///   returned by `cdf` for a non-NaN value is reported the same way.
///
/// # Example
/// ```
/// # use initspec_verify::gof::chi_square_equiprobable;
/// let sample: Vec<f64> = (0..1000).map(|i| (i as f64 + 0.5) / 1000.0).collect();
/// let t = chi_square_equiprobable(&sample, |x| x, 10).unwrap();
/// assert_eq!(t.statistic, 0.0); // 100 values in each bin
/// assert_eq!(t.p_value, 1.0);
/// ```
pub fn chi_square_equiprobable(
    sample: &[f64],
    cdf: impl Fn(f64) -> f64,
    bins: usize,
) -> Result<ChiSquare, GofError> {
    if bins < 2 {
        return Err(GofError::TooFewBins { bins });
    }
    if sample.is_empty() {
        return Err(GofError::EmptySample);
    }
    let mut counts = vec![0_u64; bins];
    for (index, &x) in sample.iter().enumerate() {
        let u = cdf(x);
        if x.is_nan() || u.is_nan() {
            return Err(GofError::NanInSample { index });
        }
        counts[equiprobable_bin(u, bins)] += 1;
    }
    Ok(chi_square_of_counts(&counts, sample.len()))
}

/// The equiprobable bin of a value with CDF value `u` (not NaN), of `bins ≥ 1`:
/// `min(⌊k · clamp(u, 0, 1)⌋, k − 1)` (the clamp keeps F = 1 in the last bin). The product
/// is in [0, k], where truncation is the floor: no call to `floor` (and the signed
/// conversion, one instruction, is exact there).
pub(crate) fn equiprobable_bin(u: f64, bins: usize) -> usize {
    ((bins as f64 * u.clamp(0.0, 1.0)) as i64 as usize).min(bins - 1)
}

/// The test of `n ≥ 1` values whose equiprobable bin counts are `counts` (at least 2 bins).
pub(crate) fn chi_square_of_counts(counts: &[u64], n: usize) -> ChiSquare {
    let bins = counts.len();
    let expected = n as f64 / bins as f64;
    let statistic = counts
        .iter()
        .map(|&o| {
            let diff = o as f64 - expected;
            diff * diff
        })
        .sum::<f64>()
        / expected;
    ChiSquare {
        statistic,
        p_value: chi_square_sf(bins - 1, statistic),
        bins,
        n,
    }
}

/// Survival function of χ² with `df ≥ 1` degrees of freedom, via `statrs`.
fn chi_square_sf(df: usize, x: f64) -> f64 {
    match ChiSquared::new(df as f64) {
        Ok(dist) => dist.sf(x.max(0.0)).clamp(0.0, 1.0),
        // Unreachable for df ≥ 1; answer conservatively rather than panic.
        Err(_) => 1.0,
    }
}
