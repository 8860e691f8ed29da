//! Every case of `initspec verify` (the conformance table: every scheme × layout × dtype)
//! drawn and checked under `cargo test`, at the suite's α, and the same checks rejecting a
//! sampler whose variance is 2 % off on every scalar case.
//!
//! Policy (docs/VERIFICATION.md): fixed seeds, α = 1e-6 per case (Holm across the case's
//! checks), n, seed and the failing checks in every failure message.

use initspec::{Law, Layout, Scheme, Stream};
use initspec_verify::check::check_sample;
use initspec_verify::conformance::{CASES, draw, run_case};
use initspec_verify::storage::Storage;

/// Family-wise level of each case (Holm across its checks): the suite's α.
const ALPHA: f64 = 1e-6;
/// Samples per scalar case: `initspec verify`'s default, 2²⁰.
const N: usize = 1 << 20;
/// Seed of every case (the default of `initspec verify`).
const SEED: u64 = 0;
/// Seed of the negative controls.
const CONTROL_SEED: u64 = 20_261_204;
/// Variance factor of the wrong sampler: 2 % too large. At n = 2²⁰ the variance check
/// rejects it with power > 0.999 at α = 1e-6 (the relative standard error of the sample
/// variance of a normal law is √(2/n) = 0.0014, so 0.02 sits 14 standard errors out, against
/// a critical value of 4.9; uniform and truncated laws have smaller errors still).
const WRONG_VARIANCE: f64 = 1.02;

fn failing_checks(verdict: &initspec_verify::check::Verdict) -> Vec<String> {
    verdict
        .checks
        .iter()
        .filter(|c| !c.pass)
        .map(|c| format!("{} (p = {:e}: {})", c.name, c.p_value, c.detail))
        .collect()
}

#[test]
fn every_conformance_case_passes() {
    let mut failures = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let report = run_case(i, case, N, SEED, ALPHA).unwrap();
        if !report.verdict.pass {
            failures.push(format!(
                "case {i}: {} {:?} {} {}: {:?}",
                case.scheme,
                case.shape,
                case.layout,
                case.storage,
                failing_checks(&report.verdict)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "α = {ALPHA:e}, n = {N}, seed = {SEED}: {failures:#?}"
    );
}

#[test]
fn a_two_percent_variance_error_fails_every_scalar_case() {
    let scale = WRONG_VARIANCE.sqrt();
    let mut tested = 0;
    for (i, case) in CASES.iter().enumerate() {
        let scheme: Scheme = case.scheme.parse().unwrap();
        let layout: Layout = case.layout.parse().unwrap();
        let law = scheme.resolve(case.shape, &layout, case.groups).unwrap();
        if law.tensor_len().is_some() || matches!(law, Law::Constant(_)) {
            continue; // structured laws and constants have their own controls
        }
        // The wrong sampler: the right law drawn in f64, scaled about its mean, then rounded
        // to the case's storage as the real sampler rounds.
        let mean = law.mean();
        let stream = Stream::new(CONTROL_SEED, &format!("control/{i}"));
        let wrong: Vec<f64> = draw(&law, stream, N, Storage::F64)
            .into_iter()
            .map(|x| case.storage.round(mean + (x - mean) * scale))
            .collect();
        let verdict = check_sample(&law, &wrong, case.storage, ALPHA);
        assert!(
            !verdict.pass,
            "case {i} {} {} {}: a ×{WRONG_VARIANCE} variance passed (α = {ALPHA:e}, n = {N}, seed = {CONTROL_SEED})",
            case.scheme, case.layout, case.storage
        );
        tested += 1;
    }
    assert!(tested >= 25, "only {tested} scalar cases were controlled");
}
