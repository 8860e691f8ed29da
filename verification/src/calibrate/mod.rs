//! Calibration of the audit's checks: their measured false-positive rate on correct samplers
//! and their power against named wrong samplers ([`Control`]), at the audit's sample size
//! and α (`initspec calibrate`).
//!
//! ```text
//! for each null law L (normal, truncated normal, uniform) and trial t = 0..R:
//!     x  = draw n values of L from Stream::new(seed + t, "calibrate/null/<L>")
//!     v  = check_sample(L, x, f32, α)
//! for each control C and trial t = 0..R:
//!     x  = draw n values of C's wrong law from Stream::new(seed + t, "calibrate/<C>")
//!     v  = check_sample(C's target law, x, f32, α)
//! rate of a check = (trials where its p ≤ α) / trials        (the check used alone at α)
//! rate of `verdict` = (trials where the Holm verdict fails) / trials
//! ```
//!
//! The orthogonal checks are calibrated alongside on their own matrices
//! ([`haar`]), and the iid and cross-tensor checks on tensors of the same n values in every
//! storage ([`iid`]).
//!
//! Every trial has its own seed, so the figures do not depend on the number of threads.
//! Each rate carries a two-sided 95 % Clopper–Pearson interval: with R trials and no
//! rejection the false-positive rate is only bounded by 1 − 0.025^{1/R} (≈ 3.7/R), so the
//! count at α = 1e-3 is informative only for R ≫ 1/α; the uniformity of the null p-values
//! (a KS test of all null p-values of a check against U(0, 1)) is the
//! sharper test of the p-value code at small R.

pub mod haar;
pub mod iid;

use std::collections::BTreeMap;

use initspec::{Law, Layout, Scheme, Stream};
use rayon::prelude::*;
use serde::Serialize;
use statrs::function::beta::beta_reg;

use crate::check::check_sample;
use crate::conformance::draw;
use crate::gof;
use crate::sample::OwnedValues;
use crate::storage::Storage;
use haar::{HAAR_JOBS_PER_TRIAL, HaarCalibration, calibrate_haar};
use iid::{IID_JOBS_PER_TRIAL, IidCalibration, calibrate_iid};

/// The audit's default sample size, 2¹⁸: the variance test then detects a 2 % variance
/// error (σ × 1.01) with power ≈ 0.9999 at α = 1e-3 (power 0.99 needs about 1.6·10⁵ normal
/// samples; docs/VERIFICATION.md, "Default sample size and α"), and one check of a sample
/// takes tens of milliseconds.
pub const DEFAULT_SAMPLES: usize = 1 << 18;

/// The audit's default family-wise α (docs/VERIFICATION.md, "Statistical policy").
pub const DEFAULT_ALPHA: f64 = 1e-3;

/// Default number of trials per null law and per control.
pub const DEFAULT_TRIALS: usize = 200;

/// Default first seed; trial t uses seed `DEFAULT_SEED + t`.
pub const DEFAULT_SEED: u64 = 20_240_601;

/// The calibrated checks, in report order; `verdict` is the Holm-combined verdict.
pub const CHECKS: [&str; 6] = [
    "ks",
    "anderson_darling",
    "chi2",
    "mean",
    "variance",
    "verdict",
];

/// Confidence level of the Clopper–Pearson intervals.
pub const CONFIDENCE: f64 = 0.95;

/// The storage format of the calibration samples (the common dtype of real weights).
pub const STORAGE: Storage = Storage::F32;

/// The layer every control and null law is drawn for: PyTorch `nn.Linear(40, 96)`'s
/// `[out, in]` weight. Non-square, so exchanging the fans changes the law.
pub const SHAPE: [usize; 2] = [96, 40];

/// A correct sampler on which the false-positive rate is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NullCase {
    /// Short name (`normal`, `truncated_normal`, `uniform`).
    pub name: &'static str,
    /// The scheme string.
    pub scheme: &'static str,
    /// The layout string ([`SHAPE`] is the shape).
    pub layout: &'static str,
}

/// The null laws: one of each family the audits meet.
pub const NULL_CASES: [NullCase; 3] = [
    NullCase {
        name: "normal",
        scheme: "kaiming_normal",
        layout: "out-in",
    },
    NullCase {
        name: "truncated_normal",
        scheme: "he_normal",
        layout: "in-out",
    },
    NullCase {
        name: "uniform",
        scheme: "xavier_uniform",
        layout: "out-in",
    },
];

impl NullCase {
    /// The law of the scheme for [`SHAPE`] in the layout.
    ///
    /// # Errors
    /// Never for the built-in cases; a scheme or layout error otherwise.
    pub fn law(&self) -> Result<Law, initspec::Error> {
        resolve(self.scheme, &SHAPE, self.layout)
    }
}

fn resolve(scheme: &str, shape: &[usize], layout: &str) -> Result<Law, initspec::Error> {
    scheme
        .parse::<Scheme>()?
        .resolve(shape, &layout.parse::<Layout>()?, 1)
}

/// A named wrong sampler: draws from a law close to, but not, the law it claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Control {
    /// `kaiming_normal` on [96, 40] drawn with its std × 1.01 (variance × 1.0201).
    Variance2Pct,
    /// `U(±√3·σ)`, the uniform law with the right variance, passed off as `N(0, σ²)`
    /// (`kaiming_normal` on [96, 40]).
    UniformAsNormal,
    /// `kaiming_normal` on [96, 40] drawn with fan_in and fan_out exchanged (the law of
    /// [40, 96]: std × √(40/96)).
    FanSwap,
    /// `he_normal` on [96, 40] (in-out) drawn as N(0, σ²) cut at ±2σ without the variance
    /// correction (std × 0.8796).
    TruncUncorrected,
    /// `kaiming_normal` on [96, 40] with its mean shifted by 0.05σ.
    MeanShift,
}

impl Control {
    /// Every control, in report order.
    pub const ALL: [Control; 5] = [
        Control::Variance2Pct,
        Control::UniformAsNormal,
        Control::FanSwap,
        Control::TruncUncorrected,
        Control::MeanShift,
    ];

    /// The name used in reports and JSON (`variance_2pct`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Control::Variance2Pct => "variance_2pct",
            Control::UniformAsNormal => "uniform_as_normal",
            Control::FanSwap => "fan_swap",
            Control::TruncUncorrected => "trunc_uncorrected",
            Control::MeanShift => "mean_shift",
        }
    }

    /// What the control does wrong, in one line.
    pub fn description(self) -> &'static str {
        match self {
            Control::Variance2Pct => "std × 1.01 (variance × 1.0201)",
            Control::UniformAsNormal => "uniform with the right variance passed off as the normal",
            Control::FanSwap => "fan_in and fan_out exchanged on a [96, 40] layer",
            Control::TruncUncorrected => "cut at ±2σ without the variance correction",
            Control::MeanShift => "mean shifted by 0.05σ",
        }
    }

    /// The law the audit holds the sample against (the scheme's correct law).
    ///
    /// # Errors
    /// Never in practice: the laws are built from fixed, valid parameters.
    pub fn target(self) -> Result<Law, initspec::Error> {
        match self {
            Control::TruncUncorrected => resolve("he_normal", &SHAPE, "in-out"),
            _ => resolve("kaiming_normal", &SHAPE, "out-in"),
        }
    }

    /// The law the wrong sampler actually draws from.
    ///
    /// # Errors
    /// Never in practice: the laws are built from fixed, valid parameters.
    pub fn wrong_law(self) -> Result<Law, initspec::Error> {
        let target = self.target()?;
        let sigma = target.std_dev();
        Ok(match self {
            Control::Variance2Pct => Law::Normal(initspec::law::Normal::new(0.0, sigma * 1.01)?),
            Control::UniformAsNormal => {
                Law::Uniform(initspec::law::Uniform::symmetric(3f64.sqrt() * sigma)?)
            }
            Control::FanSwap => resolve("kaiming_normal", &[SHAPE[1], SHAPE[0]], "out-in")?,
            Control::TruncUncorrected => Law::TruncatedNormal(initspec::law::TruncatedNormal::new(
                0.0,
                sigma,
                -2.0 * sigma,
                2.0 * sigma,
            )?),
            Control::MeanShift => Law::Normal(initspec::law::Normal::new(0.05 * sigma, sigma)?),
        })
    }

    /// Draws `n` values of the wrong sampler from `stream`, stored as `storage`.
    ///
    /// # Errors
    /// As [`Control::wrong_law`].
    pub fn draw(
        self,
        stream: Stream,
        n: usize,
        storage: Storage,
    ) -> Result<Vec<f64>, initspec::Error> {
        Ok(draw(&self.wrong_law()?, stream, n, storage))
    }
}

impl std::fmt::Display for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Trials per null law and per control.
    pub trials: usize,
    /// Family-wise α of the verdict, and the level of each check used alone.
    pub alpha: f64,
    /// Samples per trial (the same for the null and the controls).
    pub n: usize,
    /// First seed; trial t uses `seed + t` (wrapping).
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            trials: DEFAULT_TRIALS,
            alpha: DEFAULT_ALPHA,
            n: DEFAULT_SAMPLES,
            seed: DEFAULT_SEED,
        }
    }
}

/// A binomial rate with its two-sided Clopper–Pearson interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    /// k / trials.
    pub rate: f64,
    /// Rejections k.
    pub rejections: usize,
    /// Trials.
    pub trials: usize,
    /// Lower end of the [`CONFIDENCE`] Clopper–Pearson interval.
    pub lower: f64,
    /// Upper end of the [`CONFIDENCE`] Clopper–Pearson interval.
    pub upper: f64,
}

impl Rate {
    /// `k` rejections in `trials` trials.
    pub fn new(k: usize, trials: usize) -> Rate {
        let (lower, upper) = clopper_pearson(k, trials, CONFIDENCE);
        Rate {
            rate: if trials == 0 {
                f64::NAN
            } else {
                k as f64 / trials as f64
            },
            rejections: k,
            trials,
            lower,
            upper,
        }
    }
}

/// The calibration of one check (or of the `verdict`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckCalibration {
    /// `ks`, `anderson_darling`, `chi2`, `mean`, `variance` or `verdict`.
    pub name: String,
    /// Rejection rate on the correct samplers, all null laws pooled.
    pub false_positive_rate: f64,
    /// The same with its count and interval.
    pub false_positive: Rate,
    /// Rejection rate against each control, by control name.
    pub power: BTreeMap<String, f64>,
    /// The same with counts and intervals.
    pub power_interval: BTreeMap<String, Rate>,
    /// Null rejections by null law.
    pub false_positive_by_law: BTreeMap<String, Rate>,
    /// p-value of a KS test of the pooled null p-values against U(0, 1): a small value means
    /// the check's p-values are not calibrated (absent for `verdict`).
    pub null_p_uniformity: Option<f64>,
    /// Rejection rate when the check is judged inside the audit (Holm at α across the five
    /// checks), on the null and against each control (equals the plain rates for `verdict`).
    pub in_audit: InAudit,
}

/// Rates of a check as the audit flags it (after Holm).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InAudit {
    /// Flag rate on the correct samplers.
    pub false_positive_rate: f64,
    /// Flag rate against each control.
    pub power: BTreeMap<String, f64>,
}

/// One control, as run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlReport {
    /// The control's name.
    pub name: String,
    /// What it does wrong.
    pub description: String,
    /// The law the sample is held against.
    pub target: String,
    /// The law actually drawn.
    pub drawn: String,
}

/// One null law, as run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NullReport {
    /// Short name.
    pub name: String,
    /// The scheme and layout.
    pub scheme: String,
    /// The resolved law.
    pub law: String,
}

/// The measured false-positive rate and power of every check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// α of the verdict and of each check used alone.
    pub alpha: f64,
    /// Trials per null law and per control.
    pub trials: usize,
    /// Samples per trial.
    pub n: usize,
    /// Seeds used: `[first, last]`.
    pub seeds: [u64; 2],
    /// The storage dtype of the samples.
    pub storage: String,
    /// The tensor shape of the null laws and controls.
    pub shape: Vec<usize>,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// The null laws.
    pub null_laws: Vec<NullReport>,
    /// The controls.
    pub controls: Vec<ControlReport>,
    /// One entry per check, in [`CHECKS`] order.
    pub checks: Vec<CheckCalibration>,
    /// The orthogonal checks, on their own matrices ([`haar`]).
    pub haar: HaarCalibration,
    /// The iid and cross-tensor checks, on tensors of n values ([`iid`]).
    pub iid: IidCalibration,
}

/// What one trial recorded: per check (in [`CHECKS`] order), its p-value and whether it was
/// flagged in the audit; for `verdict`, p = NaN and the flag is the failed verdict.
#[derive(Debug, Clone, Copy)]
struct Trial {
    p: [f64; 6],
    flagged: [bool; 6],
}

fn run_trial(law: &Law, values: &[f64], alpha: f64) -> Trial {
    // In the storage's own width, as an audit of a file holds it (the verdict is the same
    // bit for bit, and ordering f32 keys is faster than f64 keys).
    let native = OwnedValues::from_f64(values, STORAGE);
    let verdict = check_sample(law, native.values(), STORAGE, alpha);
    let mut p = [f64::NAN; 6];
    let mut flagged = [false; 6];
    for (i, name) in CHECKS.iter().enumerate() {
        if *name == "verdict" {
            flagged[i] = !verdict.pass;
        } else if let Some(check) = verdict.check(name) {
            p[i] = check.p_value;
            flagged[i] = !check.pass;
        } else {
            // A check that did not run (it cannot for these continuous laws) counts as a
            // rejection, so a silently skipped check cannot look calibrated.
            p[i] = 0.0;
            flagged[i] = true;
        }
    }
    Trial { p, flagged }
}

fn rejected(trial: &Trial, index: usize, alpha: f64) -> bool {
    if CHECKS[index] == "verdict" {
        trial.flagged[index]
    } else {
        trial.p[index] <= alpha
    }
}

/// Runs the calibration (in parallel on the current rayon pool; the result does not depend
/// on the pool).
///
/// # Errors
/// Never for valid configurations; a law-construction error otherwise.
pub fn calibrate(config: &Config) -> Result<Calibration, initspec::Error> {
    calibrate_with_progress(config, &|| {})
}

/// The number of trials [`calibrate`] runs for `config`, each reported once to the
/// `on_trial` of [`calibrate_with_progress`]: the null laws and controls of the marginal
/// checks, the Haar samplers and the iid samplers, `config.trials` each. `None` on overflow.
#[must_use]
pub fn trial_count(config: &Config) -> Option<u64> {
    let per_trial =
        NULL_CASES.len() + Control::ALL.len() + HAAR_JOBS_PER_TRIAL + IID_JOBS_PER_TRIAL;
    (config.trials as u64).checked_mul(per_trial as u64)
}

/// [`calibrate`], calling `on_trial` (from the worker threads) as each of the
/// [`trial_count`] trials finishes, for a progress display. The result is the same.
///
/// # Errors
/// Never for valid configurations; a law-construction error otherwise.
pub fn calibrate_with_progress(
    config: &Config,
    on_trial: &(dyn Fn() + Sync),
) -> Result<Calibration, initspec::Error> {
    let Config {
        trials,
        alpha,
        n,
        seed,
    } = *config;
    let null_laws: Vec<Law> = NULL_CASES
        .iter()
        .map(NullCase::law)
        .collect::<Result<_, _>>()?;
    let targets: Vec<Law> = Control::ALL
        .iter()
        .map(|c| c.target())
        .collect::<Result<_, _>>()?;
    let wrong: Vec<Law> = Control::ALL
        .iter()
        .map(|c| c.wrong_law())
        .collect::<Result<_, _>>()?;

    // Jobs: (group, trial); groups 0..3 are the null laws, then the controls.
    let groups = NULL_CASES.len() + Control::ALL.len();
    let results: Vec<Trial> = (0..groups * trials)
        .into_par_iter()
        .map(|job| {
            let (group, t) = (job / trials, job % trials);
            let trial_seed = seed.wrapping_add(t as u64);
            let (drawn, target, name) = if group < NULL_CASES.len() {
                let law = &null_laws[group];
                (
                    law,
                    law,
                    format!("calibrate/null/{}", NULL_CASES[group].name),
                )
            } else {
                let c = group - NULL_CASES.len();
                (
                    &wrong[c],
                    &targets[c],
                    format!("calibrate/{}", Control::ALL[c].name()),
                )
            };
            let values = draw(drawn, Stream::new(trial_seed, &name), n, STORAGE);
            let trial = run_trial(target, &values, alpha);
            on_trial();
            trial
        })
        .collect();
    let group = |g: usize| &results[g * trials..(g + 1) * trials];
    let null_trials = &results[..NULL_CASES.len() * trials];

    let checks = CHECKS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let count = |ts: &[Trial]| ts.iter().filter(|t| rejected(t, i, alpha)).count();
            let flagged = |ts: &[Trial]| ts.iter().filter(|t| t.flagged[i]).count();
            let false_positive = Rate::new(count(null_trials), null_trials.len());
            let mut power = BTreeMap::new();
            let mut power_interval = BTreeMap::new();
            let mut audit_power = BTreeMap::new();
            for (c, control) in Control::ALL.iter().enumerate() {
                let ts = group(NULL_CASES.len() + c);
                let rate = Rate::new(count(ts), trials);
                power.insert(control.name().to_string(), rate.rate);
                power_interval.insert(control.name().to_string(), rate);
                audit_power.insert(control.name().to_string(), ratio(flagged(ts), trials));
            }
            let false_positive_by_law = NULL_CASES
                .iter()
                .enumerate()
                .map(|(g, case)| (case.name.to_string(), Rate::new(count(group(g)), trials)))
                .collect();
            let null_p_uniformity = (*name != "verdict" && !null_trials.is_empty()).then(|| {
                let mut p: Vec<f64> = null_trials.iter().map(|t| t.p[i]).collect();
                gof::sort_sample(&mut p);
                gof::ks_test(&p, |x| x.clamp(0.0, 1.0)).p_value
            });
            CheckCalibration {
                name: name.to_string(),
                false_positive_rate: false_positive.rate,
                false_positive,
                power,
                power_interval,
                false_positive_by_law,
                null_p_uniformity,
                in_audit: InAudit {
                    false_positive_rate: ratio(flagged(null_trials), null_trials.len()),
                    power: audit_power,
                },
            }
        })
        .collect();

    let haar = calibrate_haar(trials, alpha, seed, on_trial)?;
    let iid = calibrate_iid(trials, alpha, n, seed, on_trial)?;
    Ok(Calibration {
        haar,
        iid,
        alpha,
        trials,
        n,
        seeds: [seed, seed.wrapping_add(trials.saturating_sub(1) as u64)],
        storage: STORAGE.name().to_string(),
        shape: SHAPE.to_vec(),
        confidence: CONFIDENCE,
        null_laws: NULL_CASES
            .iter()
            .zip(&null_laws)
            .map(|(case, law)| NullReport {
                name: case.name.to_string(),
                scheme: format!("{} ({})", case.scheme, case.layout),
                law: law.to_string(),
            })
            .collect(),
        controls: Control::ALL
            .iter()
            .zip(targets.iter().zip(&wrong))
            .map(|(c, (target, drawn))| ControlReport {
                name: c.name().to_string(),
                description: c.description().to_string(),
                target: target.to_string(),
                drawn: drawn.to_string(),
            })
            .collect(),
        checks,
    })
}

fn ratio(k: usize, trials: usize) -> f64 {
    if trials == 0 {
        f64::NAN
    } else {
        k as f64 / trials as f64
    }
}

/// Two-sided Clopper–Pearson interval for `k` successes in `trials` at `confidence`:
///
/// ```text
/// lower = B⁻¹(δ/2; k, trials − k + 1)        (0 when k = 0)
/// upper = B⁻¹(1 − δ/2; k + 1, trials − k)    (1 when k = trials),   δ = 1 − confidence
/// ```
///
/// with B⁻¹ the quantile of the Beta law, found by bisection on the regularized incomplete
/// beta function (monotone in x, so bisection cannot fail). `trials = 0` gives `(0, 1)`.
///
/// # Example
/// ```
/// use initspec_verify::calibrate::clopper_pearson;
/// let (lower, upper) = clopper_pearson(0, 200, 0.95);
/// assert_eq!(lower, 0.0);
/// assert!((upper - (1.0 - 0.025f64.powf(1.0 / 200.0))).abs() < 1e-12);
/// ```
pub fn clopper_pearson(k: usize, trials: usize, confidence: f64) -> (f64, f64) {
    if trials == 0 || k > trials {
        return (0.0, 1.0);
    }
    let tail = (1.0 - confidence) / 2.0;
    let (kf, nf) = (k as f64, trials as f64);
    let lower = if k == 0 {
        0.0
    } else {
        beta_quantile(kf, nf - kf + 1.0, tail)
    };
    let upper = if k == trials {
        1.0
    } else {
        beta_quantile(kf + 1.0, nf - kf, 1.0 - tail)
    };
    (lower, upper)
}

fn beta_quantile(a: f64, b: f64, p: f64) -> f64 {
    let (mut low, mut high) = (0.0_f64, 1.0_f64);
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if mid <= low || mid >= high {
            break;
        }
        if beta_reg(a, b, mid) < p {
            low = mid;
        } else {
            high = mid;
        }
    }
    0.5 * (low + high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clopper_pearson_matches_scipy() {
        // scipy.stats.beta.ppf(0.025, 3, 98), beta.ppf(0.975, 4, 97)
        let (lower, upper) = clopper_pearson(3, 100, 0.95);
        assert!((lower - 0.006_229_971_538_306_395).abs() < 1e-9, "{lower}");
        assert!((upper - 0.085_176_052_974_280_02).abs() < 1e-9, "{upper}");
        assert_eq!(clopper_pearson(5, 5, 0.95).1, 1.0);
        let (lower, _) = clopper_pearson(5, 5, 0.95);
        assert!((lower - 0.025f64.powf(0.2)).abs() < 1e-12);
        assert_eq!(clopper_pearson(0, 0, 0.95), (0.0, 1.0));
    }

    #[test]
    fn controls_differ_from_their_targets_as_described() {
        for control in Control::ALL {
            let (target, wrong) = (control.target().unwrap(), control.wrong_law().unwrap());
            let ratio = wrong.variance() / target.variance();
            let shift = (wrong.mean() - target.mean()) / target.std_dev();
            match control {
                Control::Variance2Pct => assert!((ratio - 1.0201).abs() < 1e-12),
                Control::UniformAsNormal => {
                    assert!((ratio - 1.0).abs() < 1e-12);
                    assert_eq!(wrong.family(), "uniform");
                }
                Control::FanSwap => assert!((ratio - 40.0 / 96.0).abs() < 1e-12),
                Control::TruncUncorrected => {
                    assert!((ratio - 0.879_625_661_034_239_8f64.powi(2)).abs() < 1e-12)
                }
                Control::MeanShift => {
                    assert!((shift - 0.05).abs() < 1e-12 && (ratio - 1.0).abs() < 1e-12)
                }
            }
        }
    }

    #[test]
    fn progress_reports_every_trial_once_and_changes_nothing() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let config = Config {
            trials: 2,
            alpha: 1e-3,
            n: 4096,
            seed: 9,
        };
        let ticks = AtomicU64::new(0);
        let with = calibrate_with_progress(&config, &|| {
            ticks.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(Some(ticks.load(Ordering::Relaxed)), trial_count(&config));
        assert_eq!(with, calibrate(&config).unwrap());
        assert_eq!(
            trial_count(&Config {
                trials: usize::MAX,
                ..config
            }),
            None
        );
    }

    #[test]
    fn a_small_calibration_is_deterministic_and_detects_gross_errors() {
        let config = Config {
            trials: 3,
            alpha: 1e-3,
            n: 20_000,
            seed: 5,
        };
        let a = calibrate(&config).unwrap();
        let b = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| calibrate(&config).unwrap());
        assert_eq!(a, b);
        assert_eq!(a.checks.len(), CHECKS.len());
        let verdict = a.checks.iter().find(|c| c.name == "verdict").unwrap();
        for control in [
            "uniform_as_normal",
            "fan_swap",
            "trunc_uncorrected",
            "mean_shift",
        ] {
            assert_eq!(verdict.power[control], 1.0, "{control}");
        }
        assert_eq!(verdict.false_positive.trials, 9);
    }
}
