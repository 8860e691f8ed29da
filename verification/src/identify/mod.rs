//! Which laws fit a tensor, best first: the named schemes for its shape and layout, the
//! well-known framework defaults, the free families with fitted parameters, and the
//! structured schemes whose signature the values show ([`structured`]).
//!
//! Every candidate is held against the same sorted sample with the full battery of
//! [`crate::check`]; its p-value is the verdict's ([`Verdict::p_value`]: the smallest
//! Holm-adjusted p-value of its checks). Named laws with p ≥ [`PLAUSIBLE`] rank first, then
//! everything by p-value, then by the Kolmogorov–Smirnov distance. For large tensors a deterministic, evenly strided subsample
//! of [`IDENTIFY_MAX_SAMPLES`] values is used. The p-values of fitted families are optimistic
//! (their parameters were estimated from the same data), and they are labelled so.

pub mod structured;

use initspec::{Fans, Law, Scheme};
use rayon::prelude::*;
use serde::Serialize;

use crate::battery::Battery;
use crate::check::{Verdict, check_sorted};
use crate::order::{Order, Run};
use crate::sample::{Sample, Stored, Values, with_slice};
use crate::storage::Storage;
use structured::structured_candidates;

/// The most values identify tests against each candidate (2²⁰).
pub const IDENTIFY_MAX_SAMPLES: usize = 1 << 20;

/// One candidate law.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// The scheme string that yields the law for this shape and layout.
    pub scheme: String,
    /// The law, as its base-scheme string.
    pub law: String,
    /// The verdict's p-value (0 when an exact check such as the support fails).
    pub p_value: f64,
    /// The KS distance to the law.
    pub ks_statistic: f64,
    /// The observed variance as a multiple of the law's.
    pub variance_ratio: f64,
    /// Where the candidate comes from (`named scheme`, `PyTorch nn.Linear/ConvNd default`,
    /// `fitted family`, ...).
    pub origin: String,
    /// The law itself.
    #[serde(skip)]
    pub law_value: Law,
}

/// The framework defaults worth naming, as (scheme, origin).
const DEFAULTS: &[(&str, &str)] = &[
    (
        "kaiming_uniform(a=2.23606797749979)",
        "PyTorch nn.Linear/nn.ConvNd default: U(±1/√fan_in)",
    ),
    ("glorot_uniform", "Keras Dense/Conv default"),
    ("lecun_normal", "Flax Dense/Conv default"),
    (
        "kaiming_normal(nonlinearity=relu)",
        "candle linear/conv default (Kaiming normal, ReLU gain)",
    ),
    (
        "kaiming_uniform(nonlinearity=relu)",
        "tch-rs Linear/Conv default (Kaiming uniform, ReLU gain)",
    ),
];

/// Base schemes that are framework defaults in their own right, tried for every shape (a
/// bias or a norm's vector included), as (scheme, origin).
const BASE_DEFAULTS: &[(&str, &str)] = &[
    (
        "normal(std=0.02)",
        "Hugging Face transformers default (initializer_range 0.02: GPT-2, BERT, Llama)",
    ),
    (
        "truncated_normal(stddev=0.02)",
        "Google BERT / Keras default of many TF models: N(0, 0.02²) re-drawn beyond ±2σ",
    ),
    ("normal(std=1)", "PyTorch nn.Embedding default: N(0, 1)"),
];

/// The named fan-based schemes tried for every shape.
const NAMED: &[&str] = &[
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_uniform(mode=fan_out)",
    "kaiming_normal",
    "kaiming_normal(mode=fan_out)",
    "kaiming_normal(nonlinearity=tanh)",
    "glorot_normal",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "variance_scaling(mode=fan_out)",
    "variance_scaling(mode=fan_out, distribution=untruncated_normal)",
    "variance_scaling(distribution=untruncated_normal)",
    "variance_scaling(scale=2, mode=fan_out)",
];

/// A deterministic, evenly strided subsample of at most `max` values, converted to `f64`:
/// value ⌊i·len/max⌋ for i < max (all values, in order, when there are at most `max`).
///
/// # Example
/// ```
/// # use initspec_verify::identify::subsample;
/// assert_eq!(subsample(&[1.0f32, 2.0, 3.0, 4.0], 2), vec![1.0, 3.0]);
/// ```
pub fn subsample<'a>(values: impl Into<Values<'a>>, max: usize) -> Vec<f64> {
    let values = values.into();
    with_slice!(values, v => {
        if v.len() <= max {
            v.iter().map(|x| x.to_f64()).collect()
        } else {
            let step = v.len() as f64 / max as f64;
            (0..max)
                .map(|i| v[(i as f64 * step) as usize].to_f64())
                .collect()
        }
    })
}

/// Candidate laws for `sample` (its values, with its shape, layout and groups), best first.
///
/// The subsample is put in order once ([`crate::order`]) and every candidate is held
/// against its runs; the moment sums that depend only on a law's mean are shared between
/// the candidates with that mean.
///
/// # Example
/// ```
/// use initspec::{Law, Layout, Sampler, Stream};
/// use initspec_verify::{identify::identify, sample::Sample, storage::Storage};
/// // What PyTorch's nn.Linear(96, 40) draws: U(±1/√96).
/// let law: Law = format!("uniform(a={}, b={})", -1.0 / 96f64.sqrt(), 1.0 / 96f64.sqrt()).parse().unwrap();
/// let mut w = vec![0f64; 40 * 96];
/// Sampler::new(&law, Stream::new(1, "w")).fill(&mut w);
/// let best = &identify(&Sample::new(&w, &[40, 96], Storage::F64))[0];
/// assert_eq!(best.scheme, "kaiming_uniform(a=2.23606797749979)");
/// ```
pub fn identify(sample: &Sample<'_>) -> Vec<Candidate> {
    let (shape, layout) = (sample.shape(), sample.layout());
    let (groups, storage) = (sample.groups(), sample.storage());
    let sub = subsample(sample.values(), IDENTIFY_MAX_SAMPLES);
    let sorted = SortedSample::new(&sub);
    let mut laws: Vec<(String, String, Law)> = Vec::new();
    let mut push = |scheme: String, origin: String, law: Law| {
        if !laws.iter().any(|(_, _, known)| same_law(known, &law)) {
            laws.push((scheme, origin, law));
        }
    };
    if let (Some(first), Some(last)) = (sorted.runs.first(), sorted.runs.last())
        && first.x == last.x
        && first.x.is_finite()
    {
        let scheme = match first.x {
            0.0 => "zeros".to_string(),
            1.0 => "ones".to_string(),
            c => format!("constant(value={})", initspec::grammar::format_number(c)),
        };
        if let Ok(law) = scheme.parse::<Law>() {
            push(scheme, "constant".to_string(), law);
        }
    }
    for &(scheme, origin) in BASE_DEFAULTS {
        if let Ok(law) = scheme
            .parse::<Scheme>()
            .and_then(|s| s.resolve(shape, layout, groups))
        {
            push(scheme.to_string(), origin.to_string(), law);
        }
    }
    if let Ok(fans) = Fans::of_shape(shape, layout, groups) {
        for &(scheme, origin) in DEFAULTS {
            add_scheme(&mut push, scheme, origin, &fans);
        }
        for scheme in NAMED {
            add_scheme(&mut push, scheme, "named scheme", &fans);
        }
        if fans.fan_in() != fans.fan_out() {
            for scheme in NAMED.iter().chain(DEFAULTS.iter().map(|(s, _)| s)) {
                add_scheme(
                    &mut push,
                    scheme,
                    "named scheme with fan_in and fan_out swapped",
                    &fans.swapped(),
                );
            }
        }
    }
    if sorted.non_finite == 0 {
        for (scheme, law) in fitted(&sorted) {
            push(scheme, FITTED.to_string(), law);
        }
    }
    // Σ (x − μ)² summed naively in sorted order, once per distinct mean μ.
    let mut squares: Vec<(u64, f64)> = Vec::new();
    for (_, _, law) in &laws {
        let mean = law.mean();
        if !squares.iter().any(|(bits, _)| *bits == mean.to_bits()) {
            squares.push((mean.to_bits(), sorted.sum_of_squares(mean)));
        }
    }
    let mut candidates: Vec<Candidate> = laws
        .into_par_iter()
        .map(|(scheme, origin, law)| {
            let verdict = sorted.check(&law, storage);
            let mean = law.mean().to_bits();
            let sum = squares
                .iter()
                .find(|(bits, _)| *bits == mean)
                .map_or(f64::NAN, |(_, s)| *s);
            let variance_ratio = ratio_of(sum, sorted.n, &law);
            candidate(scheme, origin, law, &verdict, variance_ratio)
        })
        .collect();
    candidates.extend(structured_candidates(sample));
    // Structured laws that fit come first: their exact checks (orthonormality to rounding,
    // exact zero counts, exact 0/1 patterns) are never met by chance by independent draws,
    // while a Haar orthogonal matrix is also marginally close to N(0, 1/n). Then named laws
    // that fit: a fitted family always fits its own data at least as well, so it ranks first
    // only when no named law is plausible (p ≥ PLAUSIBLE). Among the fitted families that
    // fit, fewer fitted parameters first: a truncated normal whose std is several times its
    // bound is a uniform law to any test, and fits a uniform sample as well as the uniform
    // does (both p ≈ 1), so the data cannot prefer it and the simpler law is named.
    candidates.sort_by(|a, b| {
        b.is_plausible_structured()
            .cmp(&a.is_plausible_structured())
            .then(b.is_plausible_named().cmp(&a.is_plausible_named()))
            .then(a.plausible_fit_rank().cmp(&b.plausible_fit_rank()))
            .then(b.p_value.total_cmp(&a.p_value))
            .then(a.ks_statistic.total_cmp(&b.ks_statistic))
    });
    candidates
}

/// The subsample of [`identify`] in order: its runs, held against every candidate.
struct SortedSample {
    runs: Vec<Run>,
    n: usize,
    non_finite: usize,
}

impl SortedSample {
    fn new(values: &[f64]) -> Self {
        let order = Order::new(values);
        let non_finite = order.non_finite();
        let mut runs = Vec::new();
        order.for_each_block(&mut |block: &mut Vec<Run>| runs.extend_from_slice(block));
        SortedSample {
            runs,
            n: values.len(),
            non_finite,
        }
    }

    /// [`check_sorted`] of the sorted subsample against `law`.
    fn check(&self, law: &Law, storage: Storage) -> Verdict {
        if law.is_structured() || self.non_finite > 0 || self.n == 0 {
            return check_sorted(law, &self.values(), storage, 1e-3);
        }
        let mut battery = Battery::new(law, storage, self.n);
        battery.feed(&self.runs);
        battery.verdict(1e-3)
    }

    /// The sorted values (for the rare paths that need them whole).
    fn values(&self) -> Vec<f64> {
        self.runs
            .iter()
            .flat_map(|r| std::iter::repeat_n(r.x, r.count as usize))
            .collect()
    }

    /// Σ (x − μ)², summed naively (left to right) in sorted order.
    fn sum_of_squares(&self, mean: f64) -> f64 {
        self.runs
            .iter()
            .flat_map(|r| std::iter::repeat_n((r.x - mean) * (r.x - mean), r.count as usize))
            .sum::<f64>()
    }
}

/// The p-value at or above which a named candidate counts as plausible and outranks the
/// fitted families.
pub const PLAUSIBLE: f64 = 1e-3;

/// Label of the fitted families' origin.
const FITTED: &str = "fitted family (p-value optimistic: parameters estimated)";

impl Candidate {
    /// A structured law (orthogonal, eye, dirac, delta-orthogonal, sparse) with
    /// p ≥ [`PLAUSIBLE`]: its exact structural checks passed.
    pub fn is_plausible_structured(&self) -> bool {
        self.p_value >= PLAUSIBLE && self.law_value.is_structured()
    }

    /// A named scheme or default (not a fitted family) with p ≥ [`PLAUSIBLE`].
    pub fn is_plausible_named(&self) -> bool {
        self.p_value >= PLAUSIBLE && self.origin != FITTED
    }

    /// The number of parameters fitted to the data for a fitted family with
    /// p ≥ [`PLAUSIBLE`] (the std of a normal, the bound of a uniform, std and bound of a
    /// truncated normal; the mean is fixed at 0), and 3 (after all of them) otherwise.
    fn plausible_fit_rank(&self) -> usize {
        if self.origin != FITTED || self.p_value < PLAUSIBLE {
            return 3;
        }
        match self.law_value {
            Law::TruncatedNormal(_) => 2,
            _ => 1,
        }
    }
}

fn candidate(
    scheme: String,
    origin: String,
    law: Law,
    verdict: &Verdict,
    variance_ratio: f64,
) -> Candidate {
    Candidate {
        scheme,
        law: law.to_string(),
        p_value: verdict.p_value(),
        ks_statistic: verdict.check("ks").map_or(0.0, |c| c.statistic),
        variance_ratio,
        origin,
        law_value: law,
    }
}

/// The second moment of `values` about the law's mean, as a multiple of the law's variance
/// (NaN for a constant law).
///
/// ```text
/// ratio = (Σ (xᵢ − μ)² / max(n, 1)) / σ²     (summed naively, in index order)
/// ```
pub fn variance_ratio(values: &[f64], law: &Law) -> f64 {
    let mean = law.mean();
    let sum = values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>();
    ratio_of(sum, values.len(), law)
}

/// [`variance_ratio`] from the sum of squared deviations of `n` values.
fn ratio_of(sum: f64, n: usize, law: &Law) -> f64 {
    let m2 = sum / n.max(1) as f64;
    if law.variance() > 0.0 {
        m2 / law.variance()
    } else {
        f64::NAN
    }
}

fn add_scheme(push: &mut impl FnMut(String, String, Law), scheme: &str, origin: &str, fans: &Fans) {
    if let Ok(parsed) = scheme.parse::<Scheme>()
        && let Ok(law) = parsed.law(fans)
    {
        let scheme = if origin.contains("swapped") {
            format!(
                "{scheme} [fans swapped: fan_in={}, fan_out={}]",
                fans.fan_in(),
                fans.fan_out()
            )
        } else {
            scheme.to_string()
        };
        push(scheme, origin.to_string(), law);
    }
}

/// Two laws whose parameters agree to 1e-12 relative are the same candidate.
fn same_law(a: &Law, b: &Law) -> bool {
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-12 * x.abs().max(y.abs());
    match (a, b) {
        (Law::Constant(x), Law::Constant(y)) => x.value() == y.value(),
        (Law::Uniform(x), Law::Uniform(y)) => close(x.a(), y.a()) && close(x.b(), y.b()),
        (Law::Normal(x), Law::Normal(y)) => close(x.mean(), y.mean()) && close(x.std(), y.std()),
        (Law::TruncatedNormal(x), Law::TruncatedNormal(y)) => {
            close(x.parent_mean(), y.parent_mean())
                && close(x.parent_std(), y.parent_std())
                && close(x.a(), y.a())
                && close(x.b(), y.b())
        }
        _ => false,
    }
}

/// Zero-mean free families fitted to the sample: the normal with the observed second
/// moment, the symmetric uniform whose bound is the largest |x| (scaled by (n+1)/n, the
/// unbiased estimate), and the symmetric truncated normal with that bound and the observed
/// second moment.
fn fitted(sorted: &SortedSample) -> Vec<(String, Law)> {
    let n = sorted.n;
    let (Some(first), Some(last)) = (sorted.runs.first(), sorted.runs.last()) else {
        return Vec::new();
    };
    if n < 2 {
        return Vec::new();
    }
    let m2 = sorted.sum_of_squares(0.0) / n as f64;
    let max_abs = first.x.abs().max(last.x.abs());
    let mut out = Vec::new();
    let std = m2.sqrt();
    if let Ok(law) = format!("normal(mean=0, std={std:e})").parse::<Law>() {
        out.push((law.to_string(), law));
    }
    let bound = max_abs * (n as f64 + 1.0) / n as f64;
    if let Ok(law) = format!("uniform(a={:e}, b={bound:e})", -bound).parse::<Law>() {
        out.push((law.to_string(), law));
    }
    // Truncated at ±bound with variance m2: solve std²·v(bound/std) = m2 by bisection on std,
    // where v(k) is the variance factor of N(0,1) cut to [−k, k] (increasing in std).
    if bound > 0.0 && m2 > 0.0 && m2 < bound * bound / 3.0 {
        let variance_at = |s: f64| {
            initspec::law::TruncatedNormal::new(0.0, s, -bound, bound)
                .map(|t| t.variance())
                .unwrap_or(f64::NAN)
        };
        let (mut lo, mut hi) = (std * 0.5, bound * 1e3);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if variance_at(mid) < m2 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let s = 0.5 * (lo + hi);
        if let Ok(law) = format!(
            "trunc_normal(mean=0, std={s:e}, a={:e}, b={bound:e})",
            -bound
        )
        .parse::<Law>()
        {
            out.push((law.to_string(), law));
        }
    }
    out
}
