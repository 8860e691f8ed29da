//! The variance recursion as tests: over many independent networks with non-square layers,
//! the schemes that claim to preserve a second moment do, within the exact finite-width band
//! ([`initspec_nn::propagation`] derives it), and each check rejects its negative control.
//!
//! Policy (docs/VERIFICATION.md): fixed seeds, α = 1e-6 per assertion, α/n/seed/statistic/p-value in
//! every failure message, and one known-wrong control per check.

use initspec::Scheme;
use initspec_nn::Activation;
use initspec_nn::propagation::{
    ALPHA, Setup, backward_second_moment, batch_norm_study, forward_second_moment,
    output_second_moment, saturated_fraction,
};

/// Non-square widths `n_0, …, n_10` (input 128, output 80): fan_in, fan_out and fan_avg
/// differ at every layer, and `n_L/n_0 = 0.625`, so a fan swap shows in the backward pass.
const WIDTHS: [usize; 11] = [128, 96, 160, 80, 120, 64, 100, 72, 90, 64, 80];
/// Networks per study: with V ≈ 0.75 (ReLU) the standard error of the mean ratio is ≈ 0.027,
/// and a 2 % per-layer variance error (×1.02¹⁰ = 1.22) sits ≈ 8 standard errors away
/// (the critical value at α = 1e-6 is 4.89).
const REPLICATES: usize = 1000;
/// Seed of every study here.
const SEED: u64 = 20_240_601;
/// Networks of the tanh and batch-norm studies, whose effects are gross.
const SMALL_REPLICATES: usize = 300;
/// Rows of each batch-norm network's input batch.
const BN_BATCH: usize = 64;
/// "Vanished": the output's per-unit second moment is below this (input ≈ 1).
const VANISHED: f64 = 1e-6;
/// "Saturated": more than this fraction of the last layer's tanh units have |x| > 0.99.
const SATURATED: f64 = 0.5;
/// "Steady": the last layer's ReLU output keeps more than half of its ½ second moment.
const STEADY: f64 = 0.25;

/// The exact Var log(M_L/M_0) of a He + ReLU stack of [`WIDTHS`] with Gaussian weights: the
/// sum over layers of Var log((2/n_l)·χ²_B), B ~ Bin(n_l, ½), that is E ψ₁(B/2) + Var ψ(B/2)
/// (mpmath, `verification/scripts/suite_bounds.py`). The first-order band 5·Σ 1/n_l = 0.58125
/// that the study reports is 4.9 % below it.
const RELU_VAR_LOG_EXACT: f64 = 0.609_486_756_614_16;
/// The same for a LeCun + linear stack: Σ ψ₁(n_l/2) (first order 2·Σ 1/n_l = 0.2325, 1.2 %
/// below).
const LINEAR_VAR_LOG_EXACT: f64 = 0.235_393_022_262_923_47;
/// The band of the sample variance s² of log(M_L/M_0) over [`REPLICATES`] networks, as a
/// ratio s²/σ² with σ² the exact value above: (R − 1)s²/σ² ≈ χ²_d with
/// d = 2/(2/(R − 1) + κ/R) (Satterthwaite; κ the excess kurtosis of log M_L, 0.026 for ReLU and
/// 0.0056 for linear, from the fourth cumulants ψ₃), so s²/σ² lies within the χ²_d/d
/// quantiles at α/2 on each side (α = 1e-6, `verification/scripts/suite_bounds.py`).
/// The relative standard error √(2/(R − 1)) = 0.045 times z = 4.89 gives ±0.22; the χ²
/// quantiles make the band asymmetric.
const RELU_BAND: (f64, f64) = (0.794_976_516_915_929_5, 1.236_008_662_857_603_5);
/// The same band for the linear stack (d = 996.2).
const LINEAR_BAND: (f64, f64) = (0.795_952_261_393_955_6, 1.234_715_758_043_901);

/// The finite-width band holds: the sample variance of log(M_L/M_0) over the networks, against
/// the exact variance of the claimed stack, lies in `band`; and the same statistic against the
/// other activation's exact variance (the negative control: C = 5 against C = 2, a factor
/// 2.6) lies outside it.
fn band_holds(
    name: &str,
    claim: &initspec_nn::propagation::SecondMomentStudy,
    exact: f64,
    band: (f64, f64),
    other_exact: f64,
) {
    let ratio = claim.var_log_ratio / exact;
    assert!(
        (band.0..=band.1).contains(&ratio),
        "{name}: var log ratio / exact = {ratio} outside {band:?} (alpha = {ALPHA}): {claim}"
    );
    let control = claim.var_log_ratio / other_exact;
    assert!(
        !(band.0..=band.1).contains(&control),
        "{name}: negative control (the other activation's band) not rejected: {control} in \
         {band:?} (alpha = {ALPHA}): {claim}"
    );
}

fn scheme(text: &str) -> Scheme {
    text.parse().unwrap()
}

fn setup<'a>(activation: Activation, claimed: &'a Scheme, drawn: &'a Scheme) -> Setup<'a> {
    Setup {
        widths: &WIDTHS,
        activation,
        claimed,
        drawn,
        replicates: REPLICATES,
        seed: SEED,
    }
}

/// The claim holds at α and the control is rejected at α, both with full context.
fn holds_and_control_rejected(
    name: &str,
    claim: &initspec_nn::propagation::SecondMomentStudy,
    control: &initspec_nn::propagation::SecondMomentStudy,
) {
    assert!(
        !claim.rejects(ALPHA),
        "{name}: claim rejected at alpha = {ALPHA}: {claim}"
    );
    assert!(
        control.rejects(ALPHA),
        "{name}: negative control NOT rejected at alpha = {ALPHA}: {control}"
    );
}

#[test]
fn he_relu_preserves_the_forward_second_moment() {
    let he = scheme("kaiming_normal(nonlinearity=relu)");
    let claim = forward_second_moment(&setup(Activation::Relu, &he, &he)).unwrap();
    // Control: a sampler 2 % too wide in variance, held against He's claim.
    let wide = scheme("variance_scaling(scale=2.04, mode=fan_in, distribution=untruncated_normal)");
    let control = forward_second_moment(&setup(Activation::Relu, &he, &wide)).unwrap();
    holds_and_control_rejected("He + ReLU forward", &claim, &control);
    assert!((claim.predicted_ratio - 1.0).abs() < 1e-12, "{claim}");
    // The finite-width band: the study's first-order C·Σ 1/n_l, and the measured variance
    // against the exact one.
    assert!((claim.predicted_var_log - 0.58125).abs() < 1e-12, "{claim}");
    band_holds(
        "He + ReLU",
        &claim,
        RELU_VAR_LOG_EXACT,
        RELU_BAND,
        LINEAR_VAR_LOG_EXACT,
    );
}

#[test]
fn lecun_linear_preserves_the_forward_second_moment() {
    let lecun = scheme("variance_scaling(scale=1, mode=fan_in, distribution=untruncated_normal)");
    let claim = forward_second_moment(&setup(Activation::Linear, &lecun, &lecun)).unwrap();
    let wide = scheme("variance_scaling(scale=1.02, mode=fan_in, distribution=untruncated_normal)");
    let control = forward_second_moment(&setup(Activation::Linear, &lecun, &wide)).unwrap();
    holds_and_control_rejected("LeCun + linear forward", &claim, &control);
    assert!((claim.predicted_var_log - 0.2325).abs() < 1e-12, "{claim}");
    band_holds(
        "LeCun + linear",
        &claim,
        LINEAR_VAR_LOG_EXACT,
        LINEAR_BAND,
        RELU_VAR_LOG_EXACT,
    );
}

#[test]
fn fan_out_preserves_the_backward_second_moment() {
    let fan_out = scheme("kaiming_normal(mode=fan_out, nonlinearity=relu)");
    let claim = backward_second_moment(&setup(Activation::Relu, &fan_out, &fan_out)).unwrap();
    // Control: fan_in drawn where fan_out is claimed (telescopes to n_L/n_0 = 0.625).
    let fan_in = scheme("kaiming_normal(mode=fan_in, nonlinearity=relu)");
    let control = backward_second_moment(&setup(Activation::Relu, &fan_out, &fan_in)).unwrap();
    holds_and_control_rejected("He fan_out + ReLU backward", &claim, &control);

    let lin = scheme("variance_scaling(mode=fan_out, distribution=untruncated_normal)");
    let claim = backward_second_moment(&setup(Activation::Linear, &lin, &lin)).unwrap();
    let lin_in = scheme("variance_scaling(mode=fan_in, distribution=untruncated_normal)");
    let control = backward_second_moment(&setup(Activation::Linear, &lin, &lin_in)).unwrap();
    holds_and_control_rejected("fan_out + linear backward", &claim, &control);
}

#[test]
fn xavier_relu_halves_the_second_moment_per_layer() {
    let xavier = scheme("xavier_normal");
    let claim = forward_second_moment(&setup(Activation::Relu, &xavier, &xavier)).unwrap();
    // Π n_{l−1}/(n_{l−1} + n_l): about ½ per layer.
    let want: f64 = WIDTHS
        .windows(2)
        .map(|w| w[0] as f64 / (w[0] + w[1]) as f64)
        .product();
    assert!(
        (claim.predicted_ratio / want - 1.0).abs() < 1e-12,
        "{claim}"
    );
    assert!(want < 0.5f64.powi(9), "{want}");
    // Control: He drawn where Xavier is claimed (no halving).
    let he = scheme("kaiming_normal(nonlinearity=relu)");
    let control = forward_second_moment(&setup(Activation::Relu, &xavier, &he)).unwrap();
    holds_and_control_rejected("Xavier + ReLU forward", &claim, &control);
}

#[test]
fn small_gaussian_vanishes_through_tanh() {
    let small = scheme("normal(std=0.01)");
    let mut s = setup(Activation::Tanh, &small, &small);
    s.replicates = SMALL_REPLICATES;
    let claim = output_second_moment(&s, VANISHED).unwrap();
    assert!(
        claim.p_below < ALPHA,
        "N(0, 0.01²) + tanh did not vanish (alpha = {ALPHA}): {claim}"
    );
    // Exact bound: tanh² ≤ z², so E M_L ≤ Π n_{l−1} σ² M_0.
    let bound: f64 = WIDTHS[..10].iter().map(|&n| n as f64 * 1e-4).product();
    assert!(
        claim.mean <= bound,
        "mean {} above the bound {bound}: {claim}",
        claim.mean
    );
    let large = scheme("normal(std=1)");
    let mut c = setup(Activation::Tanh, &small, &large);
    c.replicates = SMALL_REPLICATES;
    let control = output_second_moment(&c, VANISHED).unwrap();
    assert!(
        control.p_above < ALPHA,
        "control N(0, 1) was not established above {VANISHED} (alpha = {ALPHA}): {control}"
    );
}

#[test]
fn unit_gaussian_saturates_tanh() {
    let large = scheme("normal(std=1)");
    let mut s = setup(Activation::Tanh, &large, &large);
    s.replicates = SMALL_REPLICATES;
    let claim = saturated_fraction(&s, SATURATED).unwrap();
    assert!(
        claim.p_above < ALPHA,
        "N(0, 1) + tanh did not saturate (alpha = {ALPHA}): {claim}"
    );
    let lecun = scheme("lecun_normal");
    let mut c = setup(Activation::Tanh, &large, &lecun);
    c.replicates = SMALL_REPLICATES;
    let control = saturated_fraction(&c, SATURATED).unwrap();
    assert!(
        control.p_below < ALPHA,
        "control lecun_normal + tanh was not established unsaturated (alpha = {ALPHA}): {control}"
    );
}

#[test]
fn batch_norm_holds_small_init_steady() {
    let small = scheme("normal(std=0.01)");
    let mut s = setup(Activation::Relu, &small, &small);
    s.replicates = SMALL_REPLICATES;
    let bn = batch_norm_study(&s, BN_BATCH, true, STEADY).unwrap();
    assert!(
        bn.last_layer.p_above < ALPHA,
        "batch norm did not hold the last layer (alpha = {ALPHA}): {}",
        bn.last_layer
    );
    assert!(
        bn.identity_error < 1e-12,
        "batch-norm identity off by {}",
        bn.identity_error
    );
    for (l, m2) in bn.pre_m2.iter().enumerate() {
        assert!(
            (0.99..=1.0).contains(m2),
            "layer {}: pre-activation second moment {m2} (n = {}, seed {SEED})",
            l + 1,
            s.replicates
        );
    }
    assert!(
        bn.halving.p_value >= ALPHA,
        "E[post m2] = pre m2 / 2 rejected: n = {}, seed {SEED}, statistic {}, p-value {} (alpha = {ALPHA})",
        bn.halving.n,
        bn.halving.statistic,
        bn.halving.p_value
    );
    // Control: the same small init without batch norm vanishes.
    let control = batch_norm_study(&s, BN_BATCH, false, STEADY).unwrap();
    assert!(
        control.last_layer.p_below < ALPHA,
        "control without batch norm was not established below {STEADY} (alpha = {ALPHA}): {}",
        control.last_layer
    );
}
