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
//! iid checks (scalar laws, in the audit, which knows the shape: [`crate::iid`])
//!   serial, serial_axisK, atoms, duplicate_{rows,columns,blocks}, similar_{rows,columns}
//! ```
//!
//! For bf16/f16 storage the KS and χ² checks use the rounded (lattice) law of
//! [`crate::storage`]; Anderson–Darling has no such form and is left out.

use initspec::Law;
use serde::Serialize;

use crate::battery::{Battery, finite_check};
use crate::gof;
use crate::iid::{Atoms, iid_checks};
use crate::order::{Order, SortKey, runs_of_sorted};
use crate::sample::{Values, with_slice};
use crate::storage::Storage;

/// Number of equiprobable bins of the χ² check: 10–20 bins have the most power against
/// scale errors (16 bins detect a 2 % variance error at n = 3·10⁵ with power ≈ 0.95 at
/// α = 1e-3, by simulation).
pub const CHI2_BINS: usize = 16;

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// `finite`, `support`, `exact`, `ks`, `anderson_darling`, `chi2`, `mean`, `variance`;
    /// in an audit also the iid checks of [`crate::iid`] (`serial`, `serial_axisK`, `atoms`,
    /// `duplicate_*`, `similar_*`).
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
/// `values` is anything [`Values`] is built from: a slice, `Vec` or array of `f64`, `f32`,
/// `bf16` or `f16`, read in its own width; the storage tested is
/// [`Values::storage_declared_as`] `storage`. A scalar law is checked through the sorted
/// runs of [`crate::order`] (the values are neither copied nor widened: the memory beyond
/// them is bounded as that module says); a structured law in place, on the values widened
/// to `f64` ([`crate::structured::check_structured`]).
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
/// // The same draw in f32, checked in its own width.
/// let mut w = vec![0f32; 100_000];
/// Sampler::new(&law, Stream::new(1, "doc")).fill(&mut w);
/// assert!(check_sample(&law, &w, Storage::F32, 1e-6).pass, "α = 1e-6, n = 1e5, seed 1");
/// ```
pub fn check_sample<'a>(
    law: &Law,
    values: impl Into<Values<'a>>,
    storage: Storage,
    alpha: f64,
) -> Verdict {
    let values = values.into();
    let storage = values.storage_declared_as(storage);
    if law.is_structured() {
        let wide = match values {
            Values::F64(v) => std::borrow::Cow::Borrowed(v),
            other => std::borrow::Cow::Owned(other.to_f64_vec()),
        };
        return crate::structured::check_structured(law, &wide, storage, alpha);
    }
    check_scalar(law, values, None, storage, alpha).0
}

/// The audit's checks of a tensor: [`check_sample`] with the iid checks of [`crate::iid`]
/// for a scalar `law` (its values in C order, of `shape`), all in one Holm family at
/// `alpha`; a structured law takes its structural checks.
///
/// # Example
/// ```
/// use initspec::{Law, Sampler, Stream};
/// use initspec_verify::{check::check_tensor, storage::Storage};
/// let law: Law = "normal(mean=0, std=0.05)".parse().unwrap();
/// let mut w = vec![0f32; 256 * 256];
/// Sampler::new(&law, Stream::new(1, "doc")).fill(&mut w);
/// assert!(check_tensor(&law, &w, &[256, 256], Storage::F32, 1e-6).pass, "α = 1e-6, seed 1");
/// w.sort_by(f32::total_cmp); // the same values, no longer independent draws
/// let sorted = check_tensor(&law, &w, &[256, 256], Storage::F32, 1e-6);
/// assert!(!sorted.pass && !sorted.check("serial").unwrap().pass);
/// ```
pub fn check_tensor<'a>(
    law: &Law,
    values: impl Into<Values<'a>>,
    shape: &[usize],
    storage: Storage,
    alpha: f64,
) -> Verdict {
    let values = values.into();
    let storage = values.storage_declared_as(storage);
    if law.is_structured() {
        return check_sample(law, values, storage, alpha);
    }
    check_scalar(law, values, Some(shape), storage, alpha).0
}

/// The checks of a scalar `law` on `values` tested as `storage`, and the second moment about
/// the law's mean when the battery ran (all values finite, at least one). With the tensor's
/// `shape`, the iid checks of [`crate::iid`] join the statistical checks (one Holm family).
pub(crate) fn check_scalar(
    law: &Law,
    values: Values<'_>,
    shape: Option<&[usize]>,
    storage: Storage,
    alpha: f64,
) -> (Verdict, Option<f64>) {
    with_slice!(values, v => check_scalar_slice(law, v, shape, storage, alpha))
}

fn check_scalar_slice<T: SortKey>(
    law: &Law,
    values: &[T],
    shape: Option<&[usize]>,
    storage: Storage,
    alpha: f64,
) -> (Verdict, Option<f64>) {
    let n = values.len();
    let order = Order::new(values);
    let non_finite = order.non_finite();
    if non_finite > 0 || n == 0 {
        let first = values.iter().position(|x| !x.to_f64().is_finite());
        return (
            finish(vec![finite_check(non_finite, first)], alpha, n),
            None,
        );
    }
    let mut battery = Battery::new(law, storage, n);
    let mut atoms = Atoms::default();
    order.for_each_block(&mut |runs| {
        if shape.is_some() {
            atoms.add(runs);
        }
        battery.feed_block_owned(runs)
    });
    let m2 = battery.second_moment();
    let verdict = battery.verdict(alpha);
    let Some(shape) = shape else {
        return (verdict, Some(m2));
    };
    let mut checks = verdict.checks;
    checks.extend(iid_checks(law, values, shape, storage, &atoms));
    (finish(checks, alpha, n), Some(m2))
}

/// [`check_sample`] on a sample that is already sorted ([`gof::sort_sample`]), so that
/// several laws can be held against one sample without sorting it again.
///
/// A structured law needs its values in place (sorting destroys the structure): use
/// [`check_sample`]; here it fails with a `shape` check that says so.
pub fn check_sorted(law: &Law, sorted: &[f64], storage: Storage, alpha: f64) -> Verdict {
    let n = sorted.len();
    if law.is_structured() {
        let checks = vec![exact(
            "shape",
            1,
            format!("{law} is structured: check the values in place, not sorted"),
        )];
        return finish(checks, alpha, n);
    }
    let non_finite = sorted.iter().filter(|x| !x.is_finite()).count();
    if non_finite > 0 || n == 0 {
        let first = sorted.iter().position(|x| !x.is_finite());
        return finish(vec![finite_check(non_finite, first)], alpha, n);
    }
    let mut battery = Battery::new(law, storage, n);
    battery.feed(&runs_of_sorted(sorted));
    battery.verdict(alpha)
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
