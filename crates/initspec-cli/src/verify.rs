//! `initspec verify`: the conformance of every built-in scheme, as a table or JSON.
//!
//! Exit status 0 when every case passes, 1 when any fails.

use std::time::Instant;

use initspec_verify::conformance::{CASES, Case, CaseReport, run_case};
use serde::Serialize;

use crate::output::{Outcome, outln};
use anyhow::anyhow;

/// Default number of samples per case: 2²⁰. At α = 1e-6 the variance check then detects a
/// 2 % variance error with power > 0.999 for every law: the sample variance of a normal law
/// has relative standard error √(2/n), so power 0.99 needs
/// n ≈ 2·((z₁₋α/₂ + z₀.₉₉)/0.02)² = 2·((4.892 + 2.326)/0.02)² ≈ 2.6·10⁵ samples; uniform and
/// truncated laws, with lighter tails, need fewer (docs/VERIFICATION.md).
pub const DEFAULT_SAMPLES: usize = 1 << 20;

/// The most samples per case (or per calibration trial) a command accepts: 2²⁸ values,
/// 2 GiB as f64, which keeps every run within this machine's memory.
pub const MAX_SAMPLES: usize = 1 << 28;

/// Default family-wise level of each case's statistical checks (Holm within the case).
/// Over the ~40 cases the chance that a correct build fails somewhere is below 4e-5.
pub const DEFAULT_ALPHA: f64 = 1e-6;

/// Arguments of `initspec verify`.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// Samples drawn per case, 1 to 2^28.
    #[arg(long, default_value_t = DEFAULT_SAMPLES)]
    pub samples: usize,
    /// The seed of every case's stream.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Family-wise significance level of each case's statistical checks (Holm).
    #[arg(long, default_value_t = DEFAULT_ALPHA)]
    pub alpha: f64,
    /// Worker threads, 1 to 1024 (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `initspec verify` with its arguments.
///
/// # Errors
/// As [`run`], and a bad `--threads`.
pub fn command(args: &VerifyArgs) -> anyhow::Result<Outcome> {
    crate::limits::with_threads(args.threads, || {
        run(args.samples, args.seed, args.alpha, args.json)
    })
}

/// The JSON document of `initspec verify --json`.
#[derive(Debug, Serialize)]
pub struct VerifyReport {
    /// `pass` or `fail`.
    pub verdict: &'static str,
    /// Samples per case.
    pub samples: usize,
    /// The seed.
    pub seed: u64,
    /// Family-wise α of each case (Holm over its checks).
    pub alpha: f64,
    /// One entry per case.
    pub results: Vec<CaseJson>,
}

/// One case in the JSON report.
#[derive(Debug, Serialize)]
pub struct CaseJson {
    /// The scheme string.
    pub scheme: String,
    /// The shape.
    pub shape: Vec<usize>,
    /// The layout.
    pub layout: String,
    /// Groups.
    pub groups: usize,
    /// Storage dtype.
    pub dtype: String,
    /// The law drawn and tested.
    pub law: String,
    /// The stream name (with the seed, it reproduces the sample).
    pub stream: String,
    /// `pass` or `fail`.
    pub verdict: &'static str,
    /// The checks.
    pub checks: Vec<initspec_verify::check::Check>,
}

fn word(pass: bool) -> &'static str {
    if pass { "pass" } else { "fail" }
}

/// Runs every case.
///
/// # Errors
/// `samples` is 0, or `alpha` is not in (0, 1).
pub fn run(samples: usize, seed: u64, alpha: f64, json: bool) -> anyhow::Result<Outcome> {
    run_cases(CASES, samples, seed, alpha, json)
}

/// Runs `cases` (the built-in [`CASES`] for `initspec verify`; the tests pass others, such
/// as a case that must fail, to check the verdict and the exit status).
fn run_cases(
    cases: &[Case],
    samples: usize,
    seed: u64,
    alpha: f64,
    json: bool,
) -> anyhow::Result<Outcome> {
    let mut out = String::new();
    crate::limits::in_range("--samples", samples, 1, MAX_SAMPLES)?;
    crate::limits::check_memory(
        "verify",
        crate::limits::bytes_of(samples, 8 + crate::input::ANALYSIS_BYTES_PER_VALUE),
    )?;
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(anyhow!("--alpha must lie in (0, 1), got {alpha}"));
    }
    let started = Instant::now();
    let progress = crate::progress::bar(
        cases.len() as u64,
        crate::progress::Unit::Items("cases"),
        &format!("n = {samples} each"),
    );
    let reports: Result<Vec<CaseReport>, initspec::Error> = cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            progress.set_message(case.scheme.to_string());
            let report = run_case(i, case, samples, seed, alpha);
            progress.inc(1);
            report
        })
        .collect();
    progress.finish_and_clear();
    let reports = reports?;
    let pass = reports.iter().all(|r| r.verdict.pass);
    if json {
        let report = VerifyReport {
            verdict: word(pass),
            samples,
            seed,
            alpha,
            results: reports
                .iter()
                .map(|r| CaseJson {
                    scheme: r.case.scheme.to_string(),
                    shape: r.case.shape.to_vec(),
                    layout: r.case.layout.to_string(),
                    groups: r.case.groups,
                    dtype: r.case.storage.name().to_string(),
                    law: r.law.clone(),
                    stream: r.stream.clone(),
                    verdict: word(r.verdict.pass),
                    checks: r.verdict.checks.clone(),
                })
                .collect(),
        };
        let text = serde_json::to_string_pretty(&report)?;
        outln!(out, "{text}");
    } else {
        print_table(
            &mut out,
            &reports,
            samples,
            seed,
            alpha,
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(Outcome::verdict(pass, out))
}

fn print_table(
    out: &mut String,
    reports: &[CaseReport],
    samples: usize,
    seed: u64,
    alpha: f64,
    seconds: f64,
) {
    outln!(
        out,
        "initspec verify: {} cases, n = {samples} samples each (a structured case: its whole tensor, or one per seed), seed {seed}, α = {alpha:e} per case (Holm across its statistical checks)",
        reports.len()
    );
    outln!(out);
    for (i, r) in reports.iter().enumerate() {
        let shape = r
            .case
            .shape
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("×");
        let groups = if r.case.groups > 1 {
            format!(" groups={}", r.case.groups)
        } else {
            String::new()
        };
        outln!(
            out,
            "{:>2}. {:<4} {}  [{shape} {}{groups} {}]",
            i + 1,
            word(r.verdict.pass).to_uppercase(),
            r.case.scheme,
            r.case.layout,
            r.case.storage
        );
        let seeds = if r.case.seeds > 1 {
            format!(" ({} tensors, one per stream)", r.case.seeds)
        } else {
            String::new()
        };
        outln!(out, "      law {}{seeds}", r.law);
        for c in &r.verdict.checks {
            let p = if initspec_verify::check::is_exact(&c.name) {
                "exact".to_string()
            } else {
                format!("p = {:.3e}", c.p_value)
            };
            outln!(
                out,
                "      {:<17} {:<4} {:<14} {}",
                c.name,
                word(c.pass),
                p,
                c.detail
            );
        }
    }
    let failed = reports.iter().filter(|r| !r.verdict.pass).count();
    outln!(out);
    outln!(
        out,
        "verdict: {} ({} of {} cases pass) in {seconds:.1} s",
        if failed == 0 { "PASS" } else { "FAIL" },
        reports.len() - failed,
        reports.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use initspec_verify::storage::Storage;

    /// A case that cannot pass: N(0, 10¹²) stored in f16, whose largest finite value is
    /// 65504, so nearly every value is ±∞ and the exact `finite` check fails.
    const BROKEN: Case = Case {
        scheme: "normal(std=1e6)",
        shape: &[96, 40],
        layout: "out-in",
        groups: 1,
        storage: Storage::F16,
        seeds: 1,
    };

    #[test]
    fn a_failing_case_fails_the_verdict_and_the_exit_status() {
        // A built-in uniform case (our own draw, n = 4096, seed 0, checked at α = 1e-6) and
        // the broken one: the verdict and the status follow the failing one.
        let cases = [CASES[3], BROKEN];
        let outcome = run_cases(&cases, 4096, 0, DEFAULT_ALPHA, true).unwrap();
        assert_eq!(outcome.status, 1, "{}", outcome.text);
        let v: serde_json::Value = serde_json::from_str(&outcome.text).unwrap();
        assert_eq!(v["verdict"], "fail");
        let results = v["results"].as_array().unwrap();
        assert_eq!(results[0]["verdict"], "pass", "{}", results[0]);
        assert_eq!(results[1]["verdict"], "fail", "{}", results[1]);
        let finite = results[1]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "finite")
            .unwrap();
        assert_eq!(finite["pass"], false, "{finite}");
        // The table says so too.
        let table = run_cases(&cases, 4096, 0, DEFAULT_ALPHA, false).unwrap();
        assert_eq!(table.status, 1);
        assert!(
            table.text.contains("verdict: FAIL (1 of 2 cases pass)"),
            "{}",
            table.text
        );
        // And the good case alone passes with status 0 (the positive control).
        let good = run_cases(&cases[..1], 4096, 0, DEFAULT_ALPHA, false).unwrap();
        assert_eq!(good.status, 0, "{}", good.text);
    }
}
