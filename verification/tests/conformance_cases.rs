//! Every case of `initspec verify` (the conformance table: every scheme × layout × dtype)
//! drawn and checked under `cargo test`, at the suite's α, and the same checks rejecting a
//! sampler whose variance is 2 % off on every scalar case.
//!
//! Policy (docs/VERIFICATION.md): fixed seeds, α = 1e-6 per case (Holm across the case's
//! checks), n, seed and the failing checks in every failure message.

use initspec::{Law, Layout, Scheme, Stream};
use initspec_verify::check::check_sample;
use initspec_verify::conformance::{CASES, Case, draw, run_case};
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

/// The negative control of the case runner itself: a case that cannot pass must be reported
/// failing. N(0, 10¹²) stored in f16 (largest finite value 65504) holds ±∞ nearly everywhere,
/// so the exact `finite` check fails; a Haar ensemble of `eye` is no orthogonal law, so its
/// `shape` check fails. (`initspec verify` turns a failing case into exit status 1:
/// crates/initspec-cli/src/verify.rs tests that with these cases.)
#[test]
fn a_case_that_cannot_pass_is_reported_failing() {
    let broken = [
        (
            Case {
                scheme: "normal(std=1e6)",
                shape: &[96, 40],
                layout: "out-in",
                groups: 1,
                storage: Storage::F16,
                seeds: 1,
            },
            "finite",
        ),
        (
            Case {
                scheme: "eye",
                shape: &[16, 16],
                layout: "out-in",
                groups: 1,
                storage: Storage::F64,
                seeds: 3,
            },
            "shape",
        ),
    ];
    for (case, check) in broken {
        let report = run_case(0, &case, N, SEED, ALPHA).unwrap();
        let failed = report.verdict.check(check).is_some_and(|c| !c.pass);
        assert!(
            !report.verdict.pass && failed,
            "{} in {}: reported {:?} (α = {ALPHA:e}, n = {N}, seed = {SEED})",
            case.scheme,
            case.storage,
            failing_checks(&report.verdict)
        );
    }
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

/// The mistakes a port of the transformer schemes makes, each a sampler that the checks of its
/// conformance case must reject at α, n and the control seed: OLMo's `mitchell` cut
/// variance-corrected as Keras cuts are (std 1/c(3) = 1.0136× too large), `layer_id` read as
/// 1-based (layer 31 of OLMo-7B drawn as 32: variance 33/32), GPT-2's residual scaling by
/// 1/√n_layer instead of 1/√(2·n_layer), T5's query without the 1/√d_kv fold, and DeepNet's β
/// for a decoder-only stack used in an encoder–decoder's decoder.
#[test]
fn transformer_scheme_mistakes_are_rejected() {
    let c3 = initspec::scheme::truncated_std_factor(3.0).unwrap();
    let sigma = 1.0 / 4096f64.sqrt();
    let corrected = format!(
        "trunc_normal(std={}, a={}, b={})",
        sigma / c3,
        -3.0 * sigma / c3,
        3.0 * sigma / c3
    );
    for (i, (right, wrong, shape)) in [
        (
            "mitchell(d=4096)",
            corrected.as_str(),
            &[4096usize, 4096][..],
        ),
        (
            "mitchell_out(d=4096, layer_id=31)",
            "mitchell_out(d=4096, layer_id=32)",
            &[4096, 4096],
        ),
        (
            "scaled_normal(n_layer=12)",
            "scaled_normal(n_layer=12, residuals=1)",
            &[768, 768],
        ),
        (
            "t5_q(d_model=512, d_kv=64)",
            "t5_dense(d_in=512)",
            &[512, 512],
        ),
        (
            "deepnorm_encdec_decoder(n_decoder=18)",
            "deepnorm(n_layer=18)",
            &[512, 2048],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let resolve = |text: &str| -> Law {
            let scheme: Scheme = text.parse().unwrap();
            scheme.resolve(shape, &Layout::OutIn, 1).unwrap()
        };
        let (law, wrong_law) = (resolve(right), resolve(wrong));
        assert_ne!(law, wrong_law, "{right}");
        for storage in [Storage::F32, Storage::BF16] {
            let stream = Stream::new(CONTROL_SEED, &format!("control/transformer/{i}"));
            let values = draw(&wrong_law, stream, N, storage);
            let verdict = check_sample(&law, &values, storage, ALPHA);
            assert!(
                !verdict.pass,
                "{right} {storage}: a sample of {wrong} passed (α = {ALPHA:e}, n = {N}, seed = {CONTROL_SEED})"
            );
            // The sampler itself passes the same checks (the positive control).
            let stream = Stream::new(CONTROL_SEED, &format!("control/transformer/{i}"));
            let values = draw(&law, stream, N, storage);
            let verdict = check_sample(&law, &values, storage, ALPHA);
            assert!(
                verdict.pass,
                "{right} {storage}: its own sample failed {:?} (α = {ALPHA:e}, n = {N}, seed = {CONTROL_SEED})",
                failing_checks(&verdict)
            );
        }
    }
}
