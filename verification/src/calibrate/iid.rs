//! Calibration of the audit's iid checks ([`crate::iid`]) and of the cross-tensor checks
//! ([`crate::cross`]): their measured false-positive rate on our own correct draws in every
//! storage, and their power against tensors whose marginal law is right but whose values are
//! not independent draws (part of `initspec calibrate`).
//!
//! ```text
//! tensor     [n / c, c] with c the largest divisor of n at most √n ([512, 512] for 2¹⁸)
//! nulls      the three null laws of super::NULL_CASES, each stored f64, f32, bf16 and f16
//! controls   sorted           a correct f32 draw of the normal null law, sorted ascending
//!            duplicated_rows  rows 1, 2, 3 set to row 0
//!            ar1_rows_0.1     rows an AR(1) chain: rowᵢ = ρ·rowᵢ₋₁ + √(1 − ρ²)·eᵢ, ρ = 0.1
//!                             (stationary: the marginal stays exactly N(0, σ²))
//!            zeros_0.1pct     every 1000th value set to 0
//! trial t:   x = draw from Stream::new(seed + t, "calibrate/iid/<name>");
//!            v = the audit's checks of x as a [n / c, c] tensor (check::check_tensor)
//! cross      two tensors of the normal null law N(0, σ²) and of N(0, (2σ)²), [n / c, c]
//!            f32 each (two layers of different widths):
//!            null           drawn from two streams ("calibrate/cross/a", ".../b")
//!            reused_stream  both drawn from the one stream "calibrate/cross/reused"
//!            v = cross::cross_checks of their fingerprints
//! ```
//!
//! Structured laws (orthogonal, eye, dirac, sparse) are dependent by construction and get
//! none of the iid checks, so they have no null here; the orthogonal checks are calibrated in
//! [`super::haar`].

use std::collections::BTreeMap;

use initspec::{Law, Stream};
use rayon::prelude::*;
use serde::Serialize;

use crate::calibrate::{NULL_CASES, Rate};
use crate::check::check_tensor;
use crate::conformance::draw;
use crate::cross::{Fingerprint, cross_checks};
use crate::gof;
use crate::sample::OwnedValues;
use crate::storage::Storage;

/// The calibrated iid checks, in report order; `verdict` is the audit's Holm verdict over
/// all its checks (marginal and iid).
pub const IID_CALIBRATED: [&str; 8] = [
    "serial",
    "serial_axis0",
    "atoms",
    "duplicate_rows",
    "duplicate_columns",
    "similar_rows",
    "similar_columns",
    "verdict",
];

/// The calibrated cross-tensor checks.
pub const CROSS_CALIBRATED: [&str; 2] = ["duplicate", "sign_agreement"];

/// The storages every null law is drawn in.
pub const STORAGES: [Storage; 4] = [Storage::F64, Storage::F32, Storage::BF16, Storage::F16];

/// The lag-one correlation of the AR(1) control.
pub const AR1_RHO: f64 = 0.1;

/// One value in this many is set to 0 by the atoms control.
pub const ZERO_EVERY: usize = 1000;

/// The shape of the calibration tensor of `n` values: `[n / c, c]`, c the largest divisor
/// of n at most √n.
///
/// # Example
/// ```
/// use initspec_verify::calibrate::iid::tensor_shape;
/// assert_eq!(tensor_shape(1 << 18), [512, 512]);
/// assert_eq!(tensor_shape(3840), [64, 60]);
/// assert_eq!(tensor_shape(13), [13, 1]);
/// ```
pub fn tensor_shape(n: usize) -> [usize; 2] {
    let c = (1..=n.isqrt().max(1))
        .rev()
        .find(|c| n.is_multiple_of(*c))
        .unwrap_or(1);
    [n / c.max(1), c.max(1)]
}

/// A wrong sampler: a correct draw of the normal null law, made dependent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Sorted,
    DuplicatedRows,
    Ar1Rows,
    Zeros,
}

impl Control {
    const ALL: [Control; 4] = [
        Control::Sorted,
        Control::DuplicatedRows,
        Control::Ar1Rows,
        Control::Zeros,
    ];

    fn name(self) -> &'static str {
        match self {
            Control::Sorted => "sorted",
            Control::DuplicatedRows => "duplicated_rows",
            Control::Ar1Rows => "ar1_rows_0.1",
            Control::Zeros => "zeros_0.1pct",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Control::Sorted => "a correct draw sorted ascending",
            Control::DuplicatedRows => "rows 1, 2 and 3 set to row 0",
            Control::Ar1Rows => "rows an AR(1) chain with ρ = 0.1 (stationary)",
            Control::Zeros => "every 1000th value set to 0",
        }
    }

    /// The control's tensor of trial `seed`, f32, from a correct draw of `law`.
    fn draw(self, law: &Law, shape: [usize; 2], seed: u64) -> Vec<f64> {
        let n = shape[0] * shape[1];
        let stream = Stream::new(seed, &format!("calibrate/iid/{}", self.name()));
        let mut x = draw(law, stream, n, Storage::F32);
        let cols = shape[1];
        match self {
            Control::Sorted => gof::sort_sample(&mut x),
            Control::DuplicatedRows => {
                for r in 1..shape[0].min(4) {
                    x.copy_within(0..cols, r * cols);
                }
            }
            Control::Ar1Rows => {
                let keep = (1.0 - AR1_RHO * AR1_RHO).sqrt();
                for t in cols..n {
                    x[t] = Storage::F32.round(AR1_RHO * x[t - cols] + keep * x[t]);
                }
            }
            Control::Zeros => {
                for v in x.iter_mut().skip(ZERO_EVERY - 1).step_by(ZERO_EVERY) {
                    *v = 0.0;
                }
            }
        }
        x
    }
}

/// One sampler of the iid calibration, as run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sampler {
    /// Null law `NULL_CASES[i]` in a storage.
    Null(usize, Storage),
    Control(Control),
}

impl Sampler {
    fn name(self) -> String {
        match self {
            Sampler::Null(i, storage) => format!("{}_{}", NULL_CASES[i].name, storage.name()),
            Sampler::Control(c) => c.name().to_string(),
        }
    }
}

/// One check's measured rates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IidCheckCalibration {
    /// The check's name (or `verdict`).
    pub name: String,
    /// Rejections on our correct draws, every null law and storage pooled.
    pub false_positive: Rate,
    /// Rejections by storage (the three laws pooled), by storage name.
    pub false_positive_by_storage: BTreeMap<String, Rate>,
    /// Rejections against each control, by control name.
    pub power: BTreeMap<String, Rate>,
    /// KS p-value of the pooled null p-values against U(0, 1) (absent for `verdict`). The
    /// checks' p-values are exact or conservative bounds, so a small value with few
    /// rejections means conservative, not miscalibrated.
    pub null_p_uniformity: Option<f64>,
}

/// The calibration of the iid and cross-tensor checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IidCalibration {
    /// The tensor shape of every trial.
    pub shape: [usize; 2],
    /// Trials per sampler.
    pub trials: usize,
    /// The controls: name → what it does.
    pub controls: BTreeMap<String, String>,
    /// One entry per check, in [`IID_CALIBRATED`] order.
    pub checks: Vec<IidCheckCalibration>,
    /// The cross-tensor checks: one entry per check in [`CROSS_CALIBRATED`] order, with the
    /// control `reused_stream`.
    pub cross: Vec<IidCheckCalibration>,
}

/// Per check: (p-value, flagged in the verdict); `verdict`: (NaN, verdict failed).
type Outcome = [(f64, bool); IID_CALIBRATED.len()];

fn outcome(law: &Law, values: &[f64], shape: &[usize], storage: Storage, alpha: f64) -> Outcome {
    // In the storage's own width, as an audit of a file holds it (and orders it faster).
    let native = OwnedValues::from_f64(values, storage);
    let verdict = check_tensor(law, native.values(), shape, storage, alpha);
    let mut out = [(f64::NAN, true); IID_CALIBRATED.len()];
    for (i, name) in IID_CALIBRATED.iter().enumerate() {
        out[i] = if *name == "verdict" {
            (f64::NAN, !verdict.pass)
        } else {
            // A check that did not run counts as a rejection, so it cannot look calibrated.
            verdict
                .check(name)
                .map_or((0.0, true), |c| (c.p_value, !c.pass))
        };
    }
    out
}

/// Per cross check: its p-value (0 or 1 for `duplicate`) and whether it failed at α.
type CrossOutcome = [(f64, bool); CROSS_CALIBRATED.len()];

fn cross_outcome(laws: [&Law; 2], tensors: [&[f64]; 2], alpha: f64) -> CrossOutcome {
    let prints = [
        Fingerprint::new("a", tensors[0], Storage::F32, Some(laws[0])),
        Fingerprint::new("b", tensors[1], Storage::F32, Some(laws[1])),
    ];
    let checks = cross_checks(&prints, alpha);
    let mut out = [(1.0, false); CROSS_CALIBRATED.len()];
    for (i, name) in CROSS_CALIBRATED.iter().enumerate() {
        let found: Vec<_> = checks.iter().filter(|c| c.name == *name).collect();
        out[i] = if found.is_empty() {
            (0.0, true)
        } else {
            let p = found.iter().map(|c| c.p_value).fold(1.0, f64::min);
            (p, found.iter().any(|c| !c.pass))
        };
    }
    out
}

/// Named groups of trial outcomes, each outcome K (p-value, flagged) pairs.
type Groups<'a, const K: usize> = [(String, &'a [[(f64, bool); K]])];

/// The rates of the check at `index` of outcomes `(p, flagged)`.
fn rates<const K: usize>(
    name: &str,
    index: usize,
    alpha: f64,
    nulls: &Groups<'_, K>,
    controls: &Groups<'_, K>,
    exact: bool,
) -> IidCheckCalibration {
    // The verdict and exact checks reject when they fail; a statistical check used alone
    // rejects when p ≤ α.
    let rejects = |o: &[(f64, bool); K]| {
        if exact {
            o[index].1
        } else {
            o[index].0 <= alpha
        }
    };
    let count = |os: &[[(f64, bool); K]]| os.iter().filter(|o| rejects(o)).count();
    let all_nulls: Vec<&[(f64, bool); K]> = nulls.iter().flat_map(|(_, os)| os.iter()).collect();
    let false_positive = Rate::new(
        all_nulls.iter().filter(|o| rejects(o)).count(),
        all_nulls.len(),
    );
    let mut by_storage: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (group, os) in nulls {
        let storage = group.rsplit('_').next().unwrap_or(group).to_string();
        let entry = by_storage.entry(storage).or_default();
        entry.0 += count(os);
        entry.1 += os.len();
    }
    let null_p_uniformity = (!exact && !all_nulls.is_empty()).then(|| {
        let mut p: Vec<f64> = all_nulls.iter().map(|o| o[index].0).collect();
        gof::sort_sample(&mut p);
        gof::ks_test(&p, |x| x.clamp(0.0, 1.0)).p_value
    });
    IidCheckCalibration {
        name: name.to_string(),
        false_positive,
        false_positive_by_storage: by_storage
            .into_iter()
            .map(|(s, (k, t))| (s, Rate::new(k, t)))
            .collect(),
        power: controls
            .iter()
            .map(|(c, os)| (c.clone(), Rate::new(count(os), os.len())))
            .collect(),
        null_p_uniformity,
    }
}

/// Trials `calibrate_iid` runs per trial index: each null law in each storage, and each
/// control.
pub(crate) const IID_JOBS_PER_TRIAL: usize = NULL_CASES.len() * STORAGES.len() + Control::ALL.len();

/// Runs `trials` trials of every sampler on tensors of `n` values at level `alpha`, trial
/// `t` with seed `seed + t`, calling `on_trial` as each one finishes.
///
/// # Errors
/// Never for the built-in laws; a law-construction error otherwise.
pub fn calibrate_iid(
    trials: usize,
    alpha: f64,
    n: usize,
    seed: u64,
    on_trial: &(dyn Fn() + Sync),
) -> Result<IidCalibration, initspec::Error> {
    let shape = tensor_shape(n);
    let laws: Vec<Law> = NULL_CASES
        .iter()
        .map(super::NullCase::law)
        .collect::<Result<_, _>>()?;
    let samplers: Vec<Sampler> = (0..NULL_CASES.len())
        .flat_map(|i| STORAGES.map(|s| Sampler::Null(i, s)))
        .chain(Control::ALL.map(Sampler::Control))
        .collect();
    let results: Vec<Outcome> = (0..samplers.len() * trials)
        .into_par_iter()
        .map(|job| {
            let (sampler, t) = (samplers[job / trials], job % trials);
            let trial_seed = seed.wrapping_add(t as u64);
            let result = match sampler {
                Sampler::Null(i, storage) => {
                    let name = format!("calibrate/iid/{}", sampler.name());
                    let x = draw(&laws[i], Stream::new(trial_seed, &name), n, storage);
                    outcome(&laws[i], &x, &shape, storage, alpha)
                }
                Sampler::Control(c) => {
                    let x = c.draw(&laws[0], shape, trial_seed);
                    outcome(&laws[0], &x, &shape, Storage::F32, alpha)
                }
            };
            on_trial();
            result
        })
        .collect();
    let of = |k: usize| &results[k * trials..(k + 1) * trials];
    let groups = |range: std::ops::Range<usize>| -> Vec<(String, &[Outcome])> {
        range.map(|k| (samplers[k].name(), of(k))).collect()
    };
    let null_count = NULL_CASES.len() * STORAGES.len();
    let (nulls, controls) = (groups(0..null_count), groups(null_count..samplers.len()));
    let checks = IID_CALIBRATED
        .iter()
        .enumerate()
        .map(|(i, name)| rates(name, i, alpha, &nulls, &controls, *name == "verdict"))
        .collect();

    // Cross: N(0, σ²) and N(0, (2σ)²), from two streams or from one.
    let wide = Law::Normal(initspec::law::Normal::new(0.0, 2.0 * laws[0].std_dev())?);
    let pair = [&laws[0], &wide];
    let cross_results: Vec<CrossOutcome> = (0..2 * trials)
        .into_par_iter()
        .map(|job| {
            let (reused, t) = (job / trials == 1, job % trials);
            let trial_seed = seed.wrapping_add(t as u64);
            let stream = |name: &str| Stream::new(trial_seed, &format!("calibrate/cross/{name}"));
            let (a, b) = if reused {
                (stream("reused"), stream("reused"))
            } else {
                (stream("a"), stream("b"))
            };
            let x = draw(pair[0], a, n, Storage::F32);
            let y = draw(pair[1], b, n, Storage::F32);
            cross_outcome(pair, [&x, &y], alpha)
        })
        .collect();
    let cross_null = vec![("independent_f32".to_string(), &cross_results[..trials])];
    let cross_control = vec![("reused_stream".to_string(), &cross_results[trials..])];
    let cross = CROSS_CALIBRATED
        .iter()
        .enumerate()
        .map(|(i, name)| {
            rates(
                name,
                i,
                alpha,
                &cross_null,
                &cross_control,
                *name == "duplicate",
            )
        })
        .collect();
    let mut described: BTreeMap<String, String> = Control::ALL
        .iter()
        .map(|c| (c.name().to_string(), c.description().to_string()))
        .collect();
    described.insert(
        "reused_stream".to_string(),
        "N(0, σ²) and N(0, (2σ)²) drawn from one stream".to_string(),
    );
    Ok(IidCalibration {
        shape,
        trials,
        controls: described,
        checks,
        cross,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_calibration_sees_every_control() {
        // 10 trials at α = 1e-3 on [128, 128] tensors: every control is caught by the check
        // built for it in every trial, and the correct draws (10 × 12 null tensors) pass the
        // verdict but for Binom(120, ≤ 1e-3) false positives: P(X ≥ 3) ≤ C(120, 3)·1e-9
        // = 2.8e-4·1e-3 < 1e-6.
        let c = calibrate_iid(10, 1e-3, 1 << 14, 11, &|| {}).unwrap();
        let check = |name: &str| c.checks.iter().find(|k| k.name == name).unwrap();
        for (name, control) in [
            ("serial", "sorted"),
            // AR(1) rows, ρ = 0.1: signs of neighbours along axis 0 agree at
            // ½ + arcsin(0.1)/π = 0.532 (Sheppard), z ≈ 0.064·√16256 ≈ 8.1, p ≈ 5e-16.
            ("serial_axis0", "ar1_rows_0.1"),
            ("duplicate_rows", "duplicated_rows"),
            ("atoms", "zeros_0.1pct"),
            ("verdict", "sorted"),
            ("verdict", "duplicated_rows"),
            ("verdict", "zeros_0.1pct"),
        ] {
            assert_eq!(
                check(name).power[control].rejections,
                10,
                "{name} vs {control}"
            );
        }
        let verdict = check("verdict");
        assert_eq!(verdict.false_positive.trials, 120);
        assert!(verdict.false_positive.rejections <= 2, "{verdict:?}");
        let sign = c.cross.iter().find(|k| k.name == "sign_agreement").unwrap();
        assert_eq!(sign.power["reused_stream"].rejections, 10);
        assert!(sign.false_positive.rejections <= 2, "{sign:?}");
    }
}
