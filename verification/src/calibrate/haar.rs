//! Calibration of the single-matrix orthogonal checks ([`crate::structured`]): their
//! measured false-positive rate on our Haar draws and their power against named wrong
//! orthogonal samplers, at the audit's α (part of `initspec calibrate`).
//!
//! ```text
//! nulls      orthogonal [side, side] stored f64, and the same stored bf16
//! controls   no_sign_fix    QR without Q·diag(sign Rᵢᵢ), f64          (the classic bug)
//!            gain_1pct_bf16 orthogonal(gain=1.01) stored bf16, audited as gain 1
//! trial t:   W = draw from Stream::new(seed + t, "calibrate/haar/<name>");
//!            v = check_structured(orthogonal, W, storage, α)
//! ```
//!
//! The orthogonality bound is rigorous, so its false-positive count must be 0; the Haar
//! checks (trace against N(0, 1), KS of the signed diagonal against the coordinate law) are
//! statistical, and the uniformity of their null p-values is reported as for the scalar
//! checks. The diagonal entries of one matrix are dependent, so that KS p-value is only
//! approximately uniform: this calibration is where that approximation is measured.

use std::collections::BTreeMap;

use initspec::structured::orthogonal_without_sign_fix;
use initspec::{Law, Layout, Scheme, Stream};
use rayon::prelude::*;
use serde::Serialize;

use crate::calibrate::Rate;
use crate::conformance::draw;
use crate::gof;
use crate::storage::Storage;
use crate::structured::check_structured;

/// Side of the calibrated square matrices: 128, a typical hidden layer, and a QR of a few
/// milliseconds.
pub const HAAR_SIDE: usize = 128;

/// The calibrated checks; `verdict` is the Holm-combined verdict.
pub const HAAR_CHECKS: [&str; 4] = ["orthogonality", "haar_trace", "haar_diagonal", "verdict"];

/// A correct or wrong orthogonal sampler, as run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sampler {
    Null(Storage),
    NoSignFix,
    GainOnePercentBf16,
}

impl Sampler {
    const NULLS: [Sampler; 2] = [Sampler::Null(Storage::F64), Sampler::Null(Storage::BF16)];
    const CONTROLS: [Sampler; 2] = [Sampler::NoSignFix, Sampler::GainOnePercentBf16];

    fn name(self) -> String {
        match self {
            Sampler::Null(storage) => format!("orthogonal_{}", storage.name()),
            Sampler::NoSignFix => "no_sign_fix".to_string(),
            Sampler::GainOnePercentBf16 => "gain_1pct_bf16".to_string(),
        }
    }

    fn storage(self) -> Storage {
        match self {
            Sampler::Null(storage) => storage,
            Sampler::NoSignFix => Storage::F64,
            Sampler::GainOnePercentBf16 => Storage::BF16,
        }
    }

    fn description(self) -> &'static str {
        match self {
            Sampler::Null(_) => "our orthogonal (Householder QR with the sign fix)",
            Sampler::NoSignFix => "QR without the sign fix Q·diag(sign Rᵢᵢ)",
            Sampler::GainOnePercentBf16 => "gain 1.01 stored in bf16, audited as gain 1",
        }
    }

    /// The matrix of trial `seed`, rounded to the storage.
    fn draw(self, law: &Law, seed: u64) -> Vec<f64> {
        let stream = Stream::new(seed, &format!("calibrate/haar/{}", self.name()));
        let storage = self.storage();
        match self {
            Sampler::Null(_) => draw(law, stream, HAAR_SIDE * HAAR_SIDE, storage),
            Sampler::NoSignFix => {
                orthogonal_without_sign_fix(&[HAAR_SIDE, HAAR_SIDE], 1.0, &stream)
                    .unwrap_or_default()
            }
            Sampler::GainOnePercentBf16 => {
                let wrong = Scheme::orthogonal(1.01)
                    .and_then(|s| s.resolve(&[HAAR_SIDE, HAAR_SIDE], &Layout::OutIn, 1));
                match wrong {
                    Ok(wrong) => draw(&wrong, stream, HAAR_SIDE * HAAR_SIDE, storage),
                    Err(_) => Vec::new(),
                }
            }
        }
    }
}

/// One orthogonal check's measured rates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HaarCheckCalibration {
    /// `orthogonality`, `haar_trace`, `haar_diagonal` or `verdict`.
    pub name: String,
    /// Rejections on our draws, f64 and bf16 pooled.
    pub false_positive: Rate,
    /// Rejections against each control.
    pub power: BTreeMap<String, Rate>,
    /// KS p-value of the pooled null p-values against U(0, 1) (absent for exact checks and
    /// `verdict`).
    pub null_p_uniformity: Option<f64>,
}

/// The calibration of the orthogonal checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HaarCalibration {
    /// The matrices' shape.
    pub shape: [usize; 2],
    /// Trials per sampler.
    pub trials: usize,
    /// The samplers: name → what it draws.
    pub samplers: BTreeMap<String, String>,
    /// One entry per check, in [`HAAR_CHECKS`] order.
    pub checks: Vec<HaarCheckCalibration>,
}

/// Per check: (p-value, failed in the verdict); `verdict`: (NaN, verdict failed).
type Outcome = [(f64, bool); 4];

fn outcome(law: &Law, values: &[f64], storage: Storage, alpha: f64) -> Outcome {
    let verdict = check_structured(law, values, storage, alpha);
    let mut out = [(f64::NAN, true); 4];
    for (i, name) in HAAR_CHECKS.iter().enumerate() {
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

/// Runs `trials` trials of every sampler at level `alpha`, trial `t` with seed `seed + t`.
///
/// Trials `calibrate_haar` runs per trial index: one per null sampler and control.
pub(crate) const HAAR_JOBS_PER_TRIAL: usize = Sampler::NULLS.len() + Sampler::CONTROLS.len();

/// # Errors
/// Never for valid `alpha`; a law-construction error otherwise.
pub fn calibrate_haar(
    trials: usize,
    alpha: f64,
    seed: u64,
    on_trial: &(dyn Fn() + Sync),
) -> Result<HaarCalibration, initspec::Error> {
    let law = Scheme::orthogonal(1.0)?.resolve(&[HAAR_SIDE, HAAR_SIDE], &Layout::OutIn, 1)?;
    let samplers: Vec<Sampler> = Sampler::NULLS
        .into_iter()
        .chain(Sampler::CONTROLS)
        .collect();
    let results: Vec<Outcome> = (0..samplers.len() * trials)
        .into_par_iter()
        .map(|job| {
            let (s, t) = (samplers[job / trials], job % trials);
            let values = s.draw(&law, seed.wrapping_add(t as u64));
            let result = outcome(&law, &values, s.storage(), alpha);
            on_trial();
            result
        })
        .collect();
    let of = |k: usize| &results[k * trials..(k + 1) * trials];
    let nulls: Vec<&Outcome> = (0..Sampler::NULLS.len()).flat_map(of).collect();
    let checks = HAAR_CHECKS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            // Exact checks and the verdict reject when they fail; a statistical check used
            // alone rejects when p ≤ α.
            let rejects = |o: &Outcome| {
                if matches!(*name, "haar_trace" | "haar_diagonal") {
                    o[i].0 <= alpha
                } else {
                    o[i].1
                }
            };
            let false_positive =
                Rate::new(nulls.iter().filter(|o| rejects(o)).count(), nulls.len());
            let power = Sampler::CONTROLS
                .iter()
                .enumerate()
                .map(|(c, control)| {
                    let outcomes = of(Sampler::NULLS.len() + c);
                    (
                        control.name(),
                        Rate::new(outcomes.iter().filter(|o| rejects(o)).count(), trials),
                    )
                })
                .collect();
            let null_p_uniformity = matches!(*name, "haar_trace" | "haar_diagonal")
                .then(|| {
                    let mut p: Vec<f64> = nulls.iter().map(|o| o[i].0).collect();
                    gof::sort_sample(&mut p);
                    gof::ks_test(&p, |x| x.clamp(0.0, 1.0)).p_value
                })
                .filter(|_| !nulls.is_empty());
            HaarCheckCalibration {
                name: name.to_string(),
                false_positive,
                power,
                null_p_uniformity,
            }
        })
        .collect();
    Ok(HaarCalibration {
        shape: [HAAR_SIDE, HAAR_SIDE],
        trials,
        samplers: samplers
            .iter()
            .map(|s| (s.name(), s.description().to_string()))
            .collect(),
        checks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_calibration_runs_and_sees_the_controls() {
        // 20 trials at α = 1e-3: the sign-fix bug and the bf16 gain error are caught every
        // time (the single-matrix power at n = 128 is ≈ 1), our draws almost never.
        let c = calibrate_haar(20, 1e-3, 7, &|| {}).unwrap();
        let verdict = c.checks.iter().find(|k| k.name == "verdict").unwrap();
        assert_eq!(verdict.power["no_sign_fix"].rejections, 20, "{c:?}");
        assert_eq!(verdict.power["gain_1pct_bf16"].rejections, 20, "{c:?}");
        // Our draws: 20 trials of each of the two nulls (f64, bf16), so Binom(40, ≤ 1e-3)
        // false positives; P(X ≥ 4) ≤ C(40, 4)·(1e-3)⁴ = 9.1e-8, within the suite's α = 1e-6
        // (P(X ≥ 3) ≤ C(40, 3)·(1e-3)³ = 9.9e-6 would not be).
        assert_eq!(verdict.false_positive.trials, 40, "{c:?}");
        assert!(verdict.false_positive.rejections <= 3, "{c:?}");
        let orthogonality = &c.checks[0];
        assert_eq!(orthogonality.false_positive.rejections, 0);
        assert_eq!(orthogonality.power["no_sign_fix"].rejections, 0);
    }
}
