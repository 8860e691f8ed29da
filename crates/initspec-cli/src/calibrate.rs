//! `initspec calibrate`: the measured false-positive rate and power of each check of the
//! audit, as a table or JSON.
//!
//! The false-positive rate is measured on correct samplers of three laws (normal, truncated
//! normal, uniform), the power against the named wrong samplers of
//! [`initspec_verify::calibrate::Control`], all at the same sample size (the audit default,
//! 2¹⁸) and α (the audit default, 1e-3). Exit status 0 (a report, not a verdict); 2 for bad
//! arguments.

use std::collections::BTreeMap;
use std::time::Instant;

use initspec_verify::calibrate::iid::IidCheckCalibration;
use initspec_verify::calibrate::{
    CHECKS, Calibration, Config, Control, DEFAULT_ALPHA, DEFAULT_SAMPLES, DEFAULT_SEED,
    DEFAULT_TRIALS, Rate, calibrate_with_progress, trial_count,
};

use crate::limits;
use crate::output::{Outcome, out, outln};
use anyhow::anyhow;

/// Arguments of `initspec calibrate`.
#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    /// Trials (seeds) per null law and per wrong sampler. The default keeps the run to about a
    /// minute on two cores; the false-positive count at α = 1e-3 needs ≫ 1/α trials to be
    /// sharp (e.g. --trials 5000, about half an hour). At most 1000000; the memory it needs
    /// is checked before it starts.
    #[arg(long, default_value_t = DEFAULT_TRIALS)]
    pub trials: usize,
    /// Significance level: of the Holm-combined verdict, and of each check used alone.
    #[arg(long, default_value_t = DEFAULT_ALPHA)]
    pub alpha: f64,
    /// Samples per trial, the same for the null and the wrong samplers (the audit default);
    /// 2 to 2^28.
    #[arg(long, default_value_t = DEFAULT_SAMPLES)]
    pub samples: usize,
    /// First seed; trial t uses seed + t.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Worker threads, 1 to 1024 (default: all cores). The figures do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs the calibration and prints it.
///
/// # Errors
/// `--trials` or `--samples` is 0, `--alpha` is not in (0, 1), or `--threads` is 0.
pub fn run(args: &CalibrateArgs) -> anyhow::Result<Outcome> {
    let mut out = String::new();
    limits::in_range("--trials", args.trials, 1, limits::MAX_TRIALS)?;
    limits::threads(args.threads)?;
    limits::in_range("--samples", args.samples, 2, crate::verify::MAX_SAMPLES)?;
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        return Err(anyhow!("--alpha must lie in (0, 1), got {}", args.alpha));
    }
    limits::check_memory(
        "calibrate",
        calibration_bytes(args.trials, args.samples, args.threads),
    )?;
    let config = Config {
        trials: args.trials,
        alpha: args.alpha,
        n: args.samples,
        seed: args.seed,
    };
    let started = Instant::now();
    let progress = crate::progress::bar(
        trial_count(&config).unwrap_or(u64::MAX),
        crate::progress::Unit::Items("trials"),
        &format!("n = {} each", config.n),
    );
    let calibration = limits::with_threads(args.threads, || {
        calibrate_with_progress(&config, &|| progress.inc(1)).map_err(anyhow::Error::from)
    });
    progress.finish_and_clear();
    let calibration = calibration?;
    if args.json {
        let text = serde_json::to_string_pretty(&calibration)?;
        outln!(out, "{text}");
    } else {
        print_table(&mut out, &calibration, started.elapsed().as_secs_f64());
    }
    Ok(Outcome::success(out))
}

/// Bytes `calibrate` holds at once: the p-values of every check for every trial of its
/// laws and controls ([`CALIBRATION_BYTES_PER_TRIAL`] a trial), and one f64 sample plus its
/// sorted copy per worker thread. `None` on overflow.
fn calibration_bytes(trials: usize, samples: usize, threads: Option<usize>) -> Option<u64> {
    let workers = threads.unwrap_or_else(rayon::current_num_threads);
    let per_trial = limits::bytes_of(trials, CALIBRATION_BYTES_PER_TRIAL)?;
    let per_worker = limits::bytes_of(samples, 2 * std::mem::size_of::<f64>())?;
    per_trial.checked_add(per_worker.checked_mul(workers as u64)?)
}

/// Bytes `calibrate` keeps per trial: one trial record (six p-values and six flags, 56 bytes)
/// for each of its eight laws and controls, 448 bytes, plus the three null laws' p-values of
/// one check copied out while summarizing (24 bytes); for the iid calibration one record of
/// eight (p-value, flag) pairs (128 bytes) for each of its 12 null samplers and 4 controls,
/// 2048 bytes, its null p-values of one check (12 × 8 = 96 bytes) and two cross records (2 ×
/// 32 bytes). 10⁹ trials asked for 448 GB before this check existed.
const CALIBRATION_BYTES_PER_TRIAL: usize = 472 + 2048 + 96 + 64;

fn print_table(out: &mut String, c: &Calibration, seconds: f64) {
    outln!(
        out,
        "initspec calibrate: n = {} samples per trial ({}), α = {:e}, {} trials per law and control (seeds {}..={})",
        c.n,
        c.storage,
        c.alpha,
        c.trials,
        c.seeds[0],
        c.seeds[1]
    );
    outln!(
        out,
        "rates: a check alone rejects when p ≤ α; `verdict` is the audit's Holm-combined verdict at α. [..] = {}% Clopper–Pearson interval",
        c.confidence * 100.0
    );
    outln!(out);
    outln!(out, "null laws (correct samplers):");
    for law in &c.null_laws {
        outln!(out, "  {:<17} {:<24} {}", law.name, law.scheme, law.law);
    }
    outln!(out, "wrong samplers (controls):");
    for control in &c.controls {
        outln!(
            out,
            "  {:<17} {}: drawn {} vs {}",
            control.name,
            control.description,
            control.drawn,
            control.target
        );
    }
    outln!(out);
    out!(
        out,
        "{:<17} {:>24} {:>8}",
        "check",
        "false positives",
        "p-unif"
    );
    for control in Control::ALL {
        out!(out, " {:>17}", control.name());
    }
    outln!(out);
    for name in CHECKS {
        let Some(check) = c.checks.iter().find(|k| k.name == name) else {
            continue;
        };
        let fp = &check.false_positive;
        let fp_text = format!("{}/{} [≤{:.2e}]", fp.rejections, fp.trials, fp.upper);
        let uniformity = check
            .null_p_uniformity
            .map_or_else(|| "-".to_string(), |p| format!("{p:.3}"));
        out!(out, "{name:<17} {fp_text:>24} {uniformity:>8}");
        for control in Control::ALL {
            let text = match check.power_interval.get(control.name()) {
                Some(rate) => format!("{:.3} [≥{:.3}]", rate.rate, rate.lower),
                None => "-".to_string(),
            };
            out!(out, " {text:>17}");
        }
        outln!(out);
    }
    outln!(out);
    outln!(
        out,
        "p-unif: KS p-value of the check's {} null p-values against U(0, 1) (small = miscalibrated)",
        c.checks.first().map_or(0, |k| k.false_positive.trials)
    );
    print_haar(out, c);
    print_iid(out, c);
    outln!(out, "{seconds:.1} s");
}

/// The orthogonal checks' table.
fn print_haar(out: &mut String, c: &Calibration) {
    let h = &c.haar;
    outln!(out);
    outln!(
        out,
        "orthogonal checks on {}×{} matrices, {} trials per sampler:",
        h.shape[0],
        h.shape[1],
        h.trials
    );
    for (name, description) in &h.samplers {
        outln!(out, "  {name:<17} {description}");
    }
    let rows: Vec<RateRow> = h
        .checks
        .iter()
        .map(|k| RateRow {
            name: &k.name,
            false_positive: &k.false_positive,
            by_storage: None,
            power: &k.power,
            null_p_uniformity: k.null_p_uniformity,
        })
        .collect();
    print_rates(out, &rows);
}

/// The iid and cross-tensor checks' tables.
fn print_iid(out: &mut String, c: &Calibration) {
    let iid = &c.iid;
    outln!(out);
    outln!(
        out,
        "iid checks on [{}, {}] tensors, {} trials per null law, storage and control:",
        iid.shape[0],
        iid.shape[1],
        iid.trials
    );
    for (name, description) in &iid.controls {
        outln!(out, "  {name:<17} {description}");
    }
    print_rates(out, &iid_rows(&iid.checks, true));
    outln!(out, "cross-tensor checks on two such tensors (f32):");
    print_rates(out, &iid_rows(&iid.cross, false));
}

/// One row of a rates table: a check's false positives (pooled, and by storage when
/// given), its null p-values' uniformity and its power against each control.
struct RateRow<'a> {
    name: &'a str,
    false_positive: &'a Rate,
    by_storage: Option<&'a BTreeMap<String, Rate>>,
    power: &'a BTreeMap<String, Rate>,
    null_p_uniformity: Option<f64>,
}

/// The rows of iid-style checks, with their per-storage columns when `by_storage`.
fn iid_rows(checks: &[IidCheckCalibration], by_storage: bool) -> Vec<RateRow<'_>> {
    checks
        .iter()
        .map(|k| RateRow {
            name: &k.name,
            false_positive: &k.false_positive,
            by_storage: by_storage.then_some(&k.false_positive_by_storage),
            power: &k.power,
            null_p_uniformity: k.null_p_uniformity,
        })
        .collect()
}

/// A table of rates: false positives (with a column per storage where the rows have them),
/// the null p-values' uniformity, and the power against each control of the first row.
fn print_rates(out: &mut String, rows: &[RateRow]) {
    let storages: Vec<&String> = rows
        .first()
        .and_then(|k| k.by_storage)
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    let controls: Vec<&String> = rows
        .first()
        .map(|k| k.power.keys().collect())
        .unwrap_or_default();
    out!(
        out,
        "{:<17} {:>24} {:>8}",
        "check",
        "false positives",
        "p-unif"
    );
    for storage in &storages {
        out!(out, " {storage:>9}");
    }
    for control in &controls {
        out!(out, " {control:>17}");
    }
    outln!(out);
    for row in rows {
        let fp = row.false_positive;
        let fp_text = format!("{}/{} [≤{:.2e}]", fp.rejections, fp.trials, fp.upper);
        let uniformity = row
            .null_p_uniformity
            .map_or_else(|| "-".to_string(), |p| format!("{p:.3}"));
        out!(out, "{:<17} {fp_text:>24} {uniformity:>8}", row.name);
        for storage in &storages {
            let text = row.by_storage.and_then(|m| m.get(*storage)).map_or_else(
                || "-".to_string(),
                |r| format!("{}/{}", r.rejections, r.trials),
            );
            out!(out, " {text:>9}");
        }
        for control in &controls {
            let text = row.power.get(*control).map_or_else(
                || "-".to_string(),
                |rate| format!("{:.3} [≥{:.3}]", rate.rate, rate.lower),
            );
            out!(out, " {text:>17}");
        }
        outln!(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(trials: usize, alpha: f64, samples: usize) -> CalibrateArgs {
        CalibrateArgs {
            trials,
            alpha,
            samples,
            seed: 1,
            threads: Some(1),
            json: true,
        }
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        assert!(run(&args(0, 1e-3, 1000)).is_err());
        assert!(run(&args(1, 0.0, 1000)).is_err());
        assert!(run(&args(1, f64::NAN, 1000)).is_err());
        assert!(run(&args(1, 1e-3, 0)).is_err());
        let mut no_threads = args(1, 1e-3, 1000);
        no_threads.threads = Some(0);
        assert!(run(&no_threads).is_err());
    }

    #[test]
    fn a_tiny_run_succeeds() {
        let outcome = run(&args(1, 1e-3, 2000)).unwrap();
        assert_eq!(outcome.status, 0);
        let json: serde_json::Value = serde_json::from_str(&outcome.text).unwrap();
        assert_eq!(json["trials"], 1);
    }
}
