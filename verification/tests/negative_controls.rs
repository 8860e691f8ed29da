//! Negative and positive controls of every check of the audit.
//!
//! Each check must reject a deliberately wrong sampler (a negative control), and the correct
//! sampler must pass the same check with the same n, seed and stream name (its positive
//! control), so a check that rejects everything cannot pass this suite either.
//!
//! | wrong sampler                               | checks that must reject it                  |
//! |---------------------------------------------|---------------------------------------------|
//! | variance × 1.02                             | variance, anderson_darling, chi2            |
//! | uniform with the right variance as normal   | ks, anderson_darling, chi2                  |
//! | fans swapped on a [96, 40] layer            | ks, anderson_darling, chi2, variance        |
//! | truncated normal without variance correction| ks, anderson_darling, chi2, variance        |
//! | mean shifted by 0.05σ                       | mean                                        |
//! | untruncated normal as he_normal             | support                                     |
//! | a NaN among the weights                     | finite                                      |
//! | one stream reused for two tensors           | cross-correlation, identical values         |
//! | rows repeated within a tensor               | lag correlation at the row length           |
//! | a second tensor correlated r = 0.02 with the first | cross-correlation                    |
//! | an AR(1) chain with ρ = 0.02 along the values | lag-1 correlation                         |
//!
//! Every assertion uses α = 1e-6, n = 2²⁰ values, a fixed seed, and says all three with the
//! statistic and p-value when it fails (docs/VERIFICATION.md, "Statistical policy"). At n = 2²⁰ the
//! weakest case, the variance test against variance × 1.02, has z ≈ 14 (power ≈ 1 at
//! α = 1e-6, where power 0.99 needs about 2.6·10⁵ normal samples).

use initspec::law::Normal;
use initspec::{Law, Layout, Scheme, Stream};
use initspec_verify::calibrate::Control;
use initspec_verify::check::{Verdict, check_sample};
use initspec_verify::conformance::draw;
use initspec_verify::independence::{Correlation, cross_correlation, lag_correlation};
use initspec_verify::storage::Storage;

/// Significance level of every assertion.
const ALPHA: f64 = 1e-6;
/// Values per sample.
const N: usize = 1 << 20;
/// The seed of every stream.
const SEED: u64 = 0x6e65_675f_6374_726c;
/// The dtype the samples are stored in.
const STORAGE: Storage = Storage::F32;
/// Φ⁻¹(1 − α/2) for α = 1e-6: the normal critical value of the z bounds below.
const Z_TWO_SIDED: f64 = 4.891_638_475_698_591;

fn resolve(scheme: &str, shape: &[usize], layout: &str) -> Law {
    scheme
        .parse::<Scheme>()
        .unwrap()
        .resolve(shape, &layout.parse::<Layout>().unwrap(), 1)
        .unwrap()
}

/// `kaiming_normal` on PyTorch's `[96, 40]` Linear weight: N(0, 2/40).
fn kaiming_normal() -> Law {
    resolve("kaiming_normal", &[96, 40], "out-in")
}

fn sample(law: &Law, stream: &str) -> Vec<f64> {
    draw(law, Stream::new(SEED, stream), N, STORAGE)
}

fn summary(verdict: &Verdict) -> String {
    verdict
        .checks
        .iter()
        .map(|c| {
            format!(
                "{} (statistic {:.4e}, p {:.3e}, pass {})",
                c.name, c.statistic, c.p_value, c.pass
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Holds `drawn` against `target` and requires each of `checks` to reject at α on its own
/// (p ≤ α) and the verdict to fail; then holds a correct sample from the same stream and
/// requires every check and the verdict to pass.
fn control(what: &str, target: &Law, drawn: &Law, checks: &[&str]) {
    let stream = format!("negative_controls/{what}");
    let wrong = check_sample(target, &sample(drawn, &stream), STORAGE, ALPHA);
    for name in checks {
        let check = wrong.check(name).unwrap_or_else(|| {
            panic!(
                "{what}: check {name} did not run; checks: {}",
                summary(&wrong)
            )
        });
        assert!(
            check.p_value <= ALPHA && !check.pass,
            "negative control {what}: check {name} did not reject {drawn} held against {target}: \
             α = {ALPHA:e}, n = {N}, seed = {SEED:#x}, stream = {stream}, statistic = {}, p-value = {:e}",
            check.statistic,
            check.p_value
        );
    }
    assert!(
        !wrong.pass,
        "negative control {what}: the verdict passed: α = {ALPHA:e}, n = {N}, seed = {SEED:#x}; {}",
        summary(&wrong)
    );
    let right = check_sample(target, &sample(target, &stream), STORAGE, ALPHA);
    for check in &right.checks {
        assert!(
            check.pass,
            "positive control {what}: check {} rejected the correct sampler of {target}: \
             α = {ALPHA:e}, n = {N}, seed = {SEED:#x}, stream = {stream}, statistic = {}, p-value = {:e}",
            check.name, check.statistic, check.p_value
        );
    }
    for name in checks {
        let check = right.check(name).unwrap();
        assert!(
            check.p_value > ALPHA,
            "positive control {what}: check {name} has p ≤ α on the correct sampler of {target}: \
             α = {ALPHA:e}, n = {N}, seed = {SEED:#x}, stream = {stream}, statistic = {}, p-value = {:e}",
            check.statistic,
            check.p_value
        );
    }
    assert!(
        right.pass,
        "positive control {what}: the verdict failed: α = {ALPHA:e}, n = {N}, seed = {SEED:#x}; {}",
        summary(&right)
    );
}

#[test]
fn variance_times_1_02_is_rejected() {
    let target = kaiming_normal();
    let drawn = Law::Normal(Normal::new(0.0, target.std_dev() * 1.02f64.sqrt()).unwrap());
    control(
        "variance_x1.02",
        &target,
        &drawn,
        &["variance", "anderson_darling", "chi2"],
    );
}

#[test]
fn uniform_passed_off_as_normal_is_rejected() {
    let c = Control::UniformAsNormal;
    control(
        c.name(),
        &c.target().unwrap(),
        &c.wrong_law().unwrap(),
        &["ks", "anderson_darling", "chi2"],
    );
}

#[test]
fn swapped_fans_on_a_non_square_layer_are_rejected() {
    let c = Control::FanSwap;
    let (target, drawn) = (c.target().unwrap(), c.wrong_law().unwrap());
    assert_eq!(drawn, resolve("kaiming_normal", &[40, 96], "out-in"));
    control(
        c.name(),
        &target,
        &drawn,
        &["ks", "anderson_darling", "chi2", "variance"],
    );
}

#[test]
fn truncation_without_variance_correction_is_rejected() {
    let c = Control::TruncUncorrected;
    let (target, drawn) = (c.target().unwrap(), c.wrong_law().unwrap());
    assert_eq!(target, resolve("he_normal", &[96, 40], "in-out"));
    control(
        c.name(),
        &target,
        &drawn,
        &["ks", "anderson_darling", "chi2", "variance"],
    );
}

#[test]
fn a_mean_shift_of_five_hundredths_sigma_is_rejected() {
    let c = Control::MeanShift;
    control(
        c.name(),
        &c.target().unwrap(),
        &c.wrong_law().unwrap(),
        &["mean"],
    );
}

/// P(|Z| > 2) = 2Φ(−2) (SciPy 1.17.1: `2 * norm.sf(2)`).
const P_OUTSIDE_TWO_SIGMA: f64 = 0.045_500_263_896_358_39;
/// The central interval of Binom(2²⁰, 2Φ(−2)) holding 1 − α of its mass (exact binomial
/// quantiles at α/2 on each side, `verification/scripts/suite_bounds.py`; mean 47 710.5,
/// standard deviation 213.4, so the interval is ±4.9 standard deviations).
const OUTSIDE_LOW: f64 = 46_670.0;
/// Upper end of that interval.
const OUTSIDE_HIGH: f64 = 48_758.0;

#[test]
fn an_untruncated_normal_passed_off_as_he_normal_leaves_the_support() {
    let target = resolve("he_normal", &[96, 40], "in-out");
    let Law::TruncatedNormal(t) = target else {
        panic!("he_normal is not truncated: {target}")
    };
    let drawn = Law::Normal(Normal::new(0.0, t.parent_std()).unwrap());
    control("normal_as_he_normal", &target, &drawn, &["support"]);
    // The exact check counts the values outside: Binom(n, 2Φ(−2)) of them, up to the f32
    // rounding of the values and of the bound (a shift of the cut by about 2⁻²⁴ relative,
    // which moves the expected count by n·2φ(2)·2·2⁻²⁴ ≈ 0.01).
    let wrong = check_sample(&target, &sample(&drawn, "support/count"), STORAGE, ALPHA);
    let outside = wrong.check("support").unwrap().statistic;
    assert!(
        (OUTSIDE_LOW..=OUTSIDE_HIGH).contains(&outside),
        "support: {outside} values outside, expected {} (accepted {OUTSIDE_LOW}..={OUTSIDE_HIGH}): \
         α = {ALPHA:e}, n = {N}, seed = {SEED:#x}",
        P_OUTSIDE_TWO_SIGMA * N as f64
    );
}

#[test]
fn a_non_finite_weight_is_rejected() {
    let target = kaiming_normal();
    let mut values = sample(&target, "finite");
    let right = check_sample(&target, &values, STORAGE, ALPHA);
    assert!(
        right.pass,
        "positive control finite: α = {ALPHA:e}, n = {N}, seed = {SEED:#x}; {}",
        summary(&right)
    );
    values[N / 3] = f64::NAN;
    let wrong = check_sample(&target, &values, STORAGE, ALPHA);
    let finite = wrong.check("finite").unwrap();
    assert!(
        !wrong.pass && !finite.pass && finite.statistic == 1.0,
        "negative control finite: α = {ALPHA:e}, n = {N}, seed = {SEED:#x}; {}",
        summary(&wrong)
    );
}

fn assert_dependent(what: &str, c: &Correlation) {
    assert!(
        c.p_value <= ALPHA,
        "negative control {what}: not rejected: α = {ALPHA:e}, n = {}, seed = {SEED:#x}, \
         statistic √n·r = {}, r = {}, p-value = {:e}, identical = {}",
        c.n,
        c.statistic,
        c.r,
        c.p_value,
        c.identical
    );
}

/// Most values two independent f32 streams of N(0, σ²) may share at the same position.
/// Equal values at a position: Poisson with mean n·Σ_v P(v)² ≤ n·∫ φ_σ(x)²·ulp(x) dx ≤
/// n·2⁻²³·∫ φ_σ(x)²|x| dx = n·2⁻²³/(2π) = 0.02 at n = 2²⁰ (ulp(x) ≤ 2⁻²³|x| in f32),
/// taken as 0.05 for the discreteness of the Box–Muller grid; P(X ≥ 5) ≤ 0.05⁵/5! = 2.6e-9,
/// within α = 1e-6.
const MAX_SHARED_VALUES: usize = 4;

fn assert_independent(what: &str, c: &Correlation) {
    assert!(
        c.p_value > ALPHA && c.identical <= MAX_SHARED_VALUES,
        "positive control {what}: rejected: α = {ALPHA:e}, n = {}, seed = {SEED:#x}, \
         statistic √n·r = {}, r = {}, p-value = {:e}, identical = {}",
        c.n,
        c.statistic,
        c.r,
        c.p_value,
        c.identical
    );
}

#[test]
fn one_stream_reused_for_two_tensors_is_rejected() {
    let law = kaiming_normal();
    let first = sample(&law, "encoder.layer1.weight");
    // The bug: the second layer is drawn from the first layer's stream.
    let reused = sample(&law, "encoder.layer1.weight");
    let c = cross_correlation(&first, &reused, law.mean());
    assert_dependent("stream reused", &c);
    assert_eq!(
        c.identical, N,
        "stream reused: every value is identical; n = {N}, seed = {SEED:#x}"
    );
    // The fix: each tensor has its own stream.
    let second = sample(&law, "encoder.layer2.weight");
    assert_independent(
        "own streams",
        &cross_correlation(&first, &second, law.mean()),
    );
    // Same name, next seed: also independent.
    let reseeded = draw(
        &law,
        Stream::new(SEED + 1, "encoder.layer1.weight"),
        N,
        STORAGE,
    );
    assert_independent(
        "next seed",
        &cross_correlation(&first, &reseeded, law.mean()),
    );
}

#[test]
fn repeated_rows_are_caught_by_the_lag_correlation() {
    const ROW: usize = 1024;
    let law = kaiming_normal();
    let correct = sample(&law, "rows");
    assert_independent("lag 1", &lag_correlation(&correct, law.mean(), 1));
    assert_independent("lag row", &lag_correlation(&correct, law.mean(), ROW));
    // The bug: every row is a copy of the first (a stream restarted for each row).
    let repeated: Vec<f64> = (0..N).map(|i| correct[i % ROW]).collect();
    assert_dependent(
        "rows repeated",
        &lag_correlation(&repeated, law.mean(), ROW),
    );
    // A second tensor drawn from the same stream restarted one element late: B[i] = A[i + 1].
    let mut late = vec![0f32; N];
    initspec::Sampler::new(&law, Stream::new(SEED, "rows")).fill_range(1, &mut late);
    let late: Vec<f64> = late.into_iter().map(f64::from).collect();
    let c = cross_correlation(&correct[1..], &late, law.mean());
    assert_dependent("stream restarted at counter 1", &c);
    assert_eq!(
        c.identical,
        N - 1,
        "restarted stream: n = {N}, seed = {SEED:#x}"
    );
    assert_independent(
        "restarted stream, unaligned",
        &cross_correlation(&correct, &late, law.mean()),
    );
}

/// Correlation of the partial controls: small enough that no value is shared and the marginal
/// law stays exact, large enough to be rejected at α = 1e-6 with n = 2²⁰: the test statistic
/// √n·r = 1024 · 0.02 = 20.5 against a critical value of 4.9.
const PARTIAL_R: f64 = 0.02;

#[test]
fn a_partial_correlation_between_tensors_is_rejected() {
    let law = kaiming_normal();
    let first = sample(&law, "partial/first");
    let noise = sample(&law, "partial/noise");
    // y = r·x + √(1 − r²)·z: the same N(0, σ²) law, correlation r with x.
    let correlated: Vec<f64> = first
        .iter()
        .zip(&noise)
        .map(|(x, z)| PARTIAL_R * x + (1.0 - PARTIAL_R * PARTIAL_R).sqrt() * z)
        .collect();
    let c = cross_correlation(&first, &correlated, law.mean());
    assert_dependent("partial correlation 0.02", &c);
    // Pearson's r̂ of a bivariate normal pair with correlation r is asymptotically normal with
    // standard error (1 − r²)/√n; the bound uses the larger √((1 − r²)/n): |r̂ − r| ≤
    // z·√((1 − r²)/n) at the suite's α, z = Φ⁻¹(1 − α/2).
    let bound = Z_TWO_SIDED * ((1.0 - PARTIAL_R * PARTIAL_R) / N as f64).sqrt();
    assert!(
        (c.r - PARTIAL_R).abs() <= bound,
        "r = {} (bound {bound:e}): α = {ALPHA:e}, n = {N}, seed = {SEED:#x}",
        c.r
    );
    assert_eq!(c.identical, 0, "no value is shared: seed = {SEED:#x}");
    // Its marginal is still the claimed law: the marginal checks cannot see this bug.
    let marginal = check_sample(&law, &correlated, Storage::F64, ALPHA);
    assert!(
        marginal.pass,
        "marginal of the correlated tensor: {}",
        summary(&marginal)
    );
    assert_independent(
        "independent noise",
        &cross_correlation(&first, &noise, law.mean()),
    );
}

#[test]
fn a_weak_serial_dependence_is_rejected() {
    let law = kaiming_normal();
    let innovations = sample(&law, "ar1");
    // x_i = ρ·x_{i−1} + √(1 − ρ²)·e_i: stationary with the same N(0, σ²) marginal.
    let mut chain = Vec::with_capacity(N);
    let mut previous = innovations[0];
    chain.push(previous);
    for e in &innovations[1..] {
        previous = PARTIAL_R * previous + (1.0 - PARTIAL_R * PARTIAL_R).sqrt() * e;
        chain.push(previous);
    }
    assert_dependent("AR(1) ρ = 0.02", &lag_correlation(&chain, law.mean(), 1));
    assert_independent("innovations", &lag_correlation(&innovations, law.mean(), 1));
}
