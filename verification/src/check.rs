//! The battery of checks that holds one sample against one [`Law`], and its [`Verdict`].
//!
//! ```text
//! exact checks (no randomness; each fails the verdict on its own)
//!   finite     every value is finite
//!   support    every value lies in the law's support (rounded to the storage format)
//!   exact      a constant law: every value equals the constant
//! statistical checks (Holm's step-down at α across them)
//!   ks         Kolmogorov–Smirnov distance to the law's CDF, exact two-sided p-value
//!   anderson_darling   fully specified A² (continuous storage only)
//!   chi2       Pearson χ² with 16 equiprobable bins
//!   mean       z-test of the mean against the law's mean
//!   variance   second moment about the law's mean: exact χ²ₙ for a normal law,
//!              kurtosis-aware z otherwise
//! ```
//!
//! For bf16/f16 storage the KS and χ² checks use the rounded (lattice) law of
//! [`crate::storage`]; Anderson–Darling has no such form and is left out.

use initspec::Law;
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::gof;
use crate::storage::Storage;

/// Number of equiprobable bins of the χ² check: 10–20 bins have the most power against
/// scale errors (16 bins detect a 2 % variance error at n = 3·10⁵ with power ≈ 0.95 at
/// α = 1e-3, by simulation).
pub const CHI2_BINS: usize = 16;

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// `finite`, `support`, `exact`, `ks`, `anderson_darling`, `chi2`, `mean`, `variance`.
    pub name: String,
    /// The test statistic (the KS distance D for `ks`; the count of offending values for
    /// the exact checks).
    pub statistic: f64,
    /// The p-value (1 or 0 for exact checks).
    pub p_value: f64,
    /// Whether the check passed (statistical checks: not rejected by Holm at α).
    pub pass: bool,
    /// A short human-readable account.
    pub detail: String,
}

/// All checks of one sample and the overall verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// True when every check passed.
    pub pass: bool,
    /// The family-wise significance level of the statistical checks (Holm).
    pub alpha: f64,
    /// Sample size.
    pub n: usize,
    /// The checks in a fixed order.
    pub checks: Vec<Check>,
}

impl Verdict {
    /// The verdict's own p-value: the smallest Holm-adjusted p-value of its statistical checks
    /// (the smallest family-wise α at which it would fail), 0 when an exact check failed,
    /// 1 when there are no statistical checks.
    pub fn p_value(&self) -> f64 {
        if self.checks.iter().any(|c| is_exact(&c.name) && !c.pass) {
            return 0.0;
        }
        let p: Vec<f64> = self
            .checks
            .iter()
            .filter(|c| !is_exact(&c.name))
            .map(|c| c.p_value)
            .collect();
        gof::holm_adjusted(&p).into_iter().fold(1.0, f64::min)
    }

    /// The check named `name`, if it ran.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// Whether `name` is one of the exact (non-statistical) checks.
pub fn is_exact(name: &str) -> bool {
    matches!(
        name,
        "finite" | "support" | "exact" | "shape" | "orthogonality" | "zero_count"
    )
}

pub(crate) fn exact(name: &str, offending: usize, detail: String) -> Check {
    Check {
        name: name.to_string(),
        statistic: offending as f64,
        p_value: if offending == 0 { 1.0 } else { 0.0 },
        pass: offending == 0,
        detail,
    }
}

pub(crate) fn statistical(name: &str, statistic: f64, p_value: f64, detail: String) -> Check {
    Check {
        name: name.to_string(),
        statistic,
        p_value,
        pass: true,
        detail,
    }
}

/// Holds `values`, stored in `storage`, against `law` at family-wise level `alpha`.
///
/// # Example
/// ```
/// use initspec::{Law, Sampler, Stream};
/// use initspec_verify::{check::check_sample, storage::Storage};
/// let law: Law = "uniform(a=-0.5, b=0.5)".parse().unwrap();
/// let mut v = vec![0f64; 100_000];
/// Sampler::new(&law, Stream::new(1, "doc")).fill(&mut v);
/// let verdict = check_sample(&law, &v, Storage::F64, 1e-6);
/// assert!(verdict.pass);
/// ```
pub fn check_sample(law: &Law, values: &[f64], storage: Storage, alpha: f64) -> Verdict {
    if law.is_structured() {
        return crate::structured::check_structured(law, values, storage, alpha);
    }
    let mut sorted = values.to_vec();
    gof::sort_sample(&mut sorted);
    check_sorted(law, &sorted, storage, alpha)
}

/// [`check_sample`] on a sample that is already sorted ([`gof::sort_sample`]), so that
/// several laws can be held against one sample without sorting it again.
///
/// A structured law needs its values in place (sorting destroys the structure): use
/// [`check_sample`]; here it fails with a `shape` check that says so.
pub fn check_sorted(law: &Law, sorted: &[f64], storage: Storage, alpha: f64) -> Verdict {
    let values = sorted;
    let n = values.len();
    let mut checks = Vec::new();
    if law.is_structured() {
        checks.push(exact(
            "shape",
            1,
            format!("{law} is structured: check the values in place, not sorted"),
        ));
        return finish(checks, alpha, n);
    }
    let non_finite: Vec<usize> = values
        .iter()
        .enumerate()
        .filter(|(_, x)| !x.is_finite())
        .map(|(i, _)| i)
        .collect();
    let detail = match non_finite.first() {
        None => "all finite".to_string(),
        Some(first) => format!(
            "{} non-finite values, the first at flat index {first}",
            non_finite.len()
        ),
    };
    checks.push(exact("finite", non_finite.len(), detail));
    if !non_finite.is_empty() || n == 0 {
        return finish(checks, alpha, n);
    }
    let support = law.support();
    let (low, high) = (storage.round(support.low), storage.round(support.high));
    let outside = values.iter().filter(|&&x| !(low <= x && x <= high)).count();
    checks.push(exact(
        "support",
        outside,
        format!("{outside} of {n} values outside [{low}, {high}]"),
    ));
    if let Law::Constant(c) = law {
        let value = storage.round(c.value());
        let wrong = values.iter().filter(|&&x| x != value).count();
        checks.push(exact(
            "exact",
            wrong,
            format!("{wrong} of {n} values differ from {value}"),
        ));
        return finish(checks, alpha, n);
    }

    let cdf = |x: f64| law.cdf(x);
    let ks = if storage.is_lattice() {
        gof::ks_test_discrete(
            sorted,
            |x| law.cdf(storage.cell(x).1),
            |x| law.cdf(storage.cell(x).0),
        )
    } else {
        gof::ks_test(sorted, cdf)
    };
    checks.push(statistical(
        "ks",
        ks.statistic,
        ks.p_value,
        format!(
            "D = {:.3e}{}",
            ks.statistic,
            if storage.is_lattice() {
                " (rounded law)"
            } else {
                ""
            }
        ),
    ));
    if !storage.is_lattice() {
        let ad = gof::anderson_darling(sorted, cdf, |x| law.sf(x));
        checks.push(statistical(
            "anderson_darling",
            ad.statistic,
            ad.p_value,
            format!("A² = {:.4}", ad.statistic),
        ));
    }
    let chi2 = if storage.is_lattice() {
        lattice_chi_square(law, sorted, storage)
    } else {
        gof::chi_square_equiprobable(values, cdf, CHI2_BINS)
            .ok()
            .map(|c| (c.statistic, c.p_value, c.bins))
    };
    if let Some((statistic, p_value, bins)) = chi2 {
        checks.push(statistical(
            "chi2",
            statistic,
            p_value,
            format!("X² = {statistic:.2} on {} df", bins - 1),
        ));
    }
    let (mean, variance) = (law.mean(), law.variance());
    if let Ok(m) = gof::mean_test(values, mean, variance) {
        checks.push(statistical(
            "mean",
            m.statistic,
            m.p_value,
            format!(
                "mean {:.4e} vs {:.4e} (z = {:.2})",
                m.observed_mean, mean, m.statistic
            ),
        ));
    }
    if let Ok(v) = gof::variance_test(
        values,
        mean,
        variance,
        law.fourth_central_moment(),
        law.is_normal(),
    ) {
        checks.push(statistical(
            "variance",
            v.statistic,
            v.p_value,
            format!(
                "variance {:.5e} = {:.4}× the law's {:.5e}",
                v.observed_variance, v.ratio, variance
            ),
        ));
    }
    finish(checks, alpha, n)
}

/// χ² for a lattice sample: bin edges at equiprobable quantiles of the law, each moved to the
/// nearest cell boundary of the lattice so that every stored value falls wholly in one bin;
/// expected counts are the law's mass between the edges; bins with expected count below 5
/// are merged into their neighbour (Cochran 1954).
fn lattice_chi_square(law: &Law, sorted: &[f64], storage: Storage) -> Option<(f64, f64, usize)> {
    let n = sorted.len() as f64;
    let mut edges = vec![f64::NEG_INFINITY];
    for j in 1..CHI2_BINS {
        let q = law.quantile(j as f64 / CHI2_BINS as f64);
        let (low, high) = storage.cell(storage.round(q));
        let edge = if (q - low).abs() <= (high - q).abs() {
            low
        } else {
            high
        };
        if edge > *edges.last()? {
            edges.push(edge);
        }
    }
    edges.push(f64::INFINITY);
    // (expected, observed) per bin, merged until every expected count is ≥ 5.
    let mut bins: Vec<(f64, f64)> = Vec::new();
    for pair in edges.windows(2) {
        let expected = n * (law.cdf(pair[1]) - law.cdf(pair[0]));
        let below_high = sorted.partition_point(|&x| x < pair[1]);
        let below_low = sorted.partition_point(|&x| x < pair[0]);
        let observed = (below_high - below_low) as f64;
        match bins.last_mut() {
            Some(last) if last.0 < 5.0 => {
                last.0 += expected;
                last.1 += observed;
            }
            _ => bins.push((expected, observed)),
        }
    }
    if bins.len() > 1 && bins.last()?.0 < 5.0 {
        let (e, o) = bins.pop()?;
        let last = bins.last_mut()?;
        last.0 += e;
        last.1 += o;
    }
    if bins.len() < 2 {
        return None;
    }
    let statistic: f64 = bins.iter().map(|(e, o)| (o - e) * (o - e) / e).sum();
    let p_value = ChiSquared::new((bins.len() - 1) as f64).ok()?.sf(statistic);
    Some((statistic, p_value, bins.len()))
}

/// Applies Holm at `alpha` to the statistical checks and forms the verdict.
pub(crate) fn finish(mut checks: Vec<Check>, alpha: f64, n: usize) -> Verdict {
    let statistical: Vec<usize> = (0..checks.len())
        .filter(|&i| !is_exact(&checks[i].name))
        .collect();
    let p: Vec<f64> = statistical.iter().map(|&i| checks[i].p_value).collect();
    let rejected = gof::holm(&p, alpha);
    for (&i, &reject) in statistical.iter().zip(&rejected) {
        checks[i].pass = !reject;
    }
    Verdict {
        pass: checks.iter().all(|c| c.pass),
        alpha,
        n,
        checks,
    }
}
