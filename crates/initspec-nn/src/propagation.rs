//! Deep-stack propagation studies: the variance recursion, measured over many independent
//! networks (He et al. 2015; Hanin & Rolnick 2018; docs/VERIFICATION.md).
//!
//! # The exact finite-width law
//!
//! For a stack of widths `n_0, …, n_L` with iid zero-mean Gaussian weights of variance v_l and
//! a fixed input, the per-unit second moment `M_l = ‖x_l‖²/n_l` is a product of independent
//! factors, `M_L = M_0 · Π_l ξ_l`, with (rotational invariance of the Gaussian)
//!
//! ```text
//! linear:  ξ_l = n_{l−1} v_l · χ²_{n_l}/n_l                       E ξ_l² / (E ξ_l)² = 1 + 2/n_l
//! ReLU:    ξ_l = n_{l−1} v_l · χ²_{B_l}/n_l,  B_l ~ Bin(n_l, ½)  E ξ_l² / (E ξ_l)² = 1 + 5/n_l
//! ⇒ E[M_L/M_0] = Π_l n_{l−1} v_l h     (h = 1 linear, ½ ReLU; exact for any symmetric law)
//!   Var[M_L/M_0] / E[M_L/M_0]² = Π_l (1 + C/n_l) − 1 =: V,   C = 2 (linear), 5 (ReLU)
//! ```
//!
//! and `Var log ‖x_L‖² ≈ C·Σ 1/n_l` (the finite-width band that widens like √(depth/width)).
//! V is exact for Gaussian weights and conservative for lighter-tailed ones (uniform,
//! truncated normal). A study draws R networks on independent streams, computes
//! `T = (m̄ − E)/(E·√(V/R))` and a two-sided normal p-value; with Σ C/n_l ≲ 1.5 the mean of R ≈
//! 2000 ratios is close to normal. The backward pass is the mirror image with fan_out:
//! `δ_{l−1} = W_l (φ'(z_l) ⊙ δ_l)`, where each layer contributes a mask over n_l units and a
//! χ² over n_{l−1}; linear: V = Π_{l<L} (1 + 2/n_l) − 1 exactly; ReLU: the conservative
//! `Π_l (1 + 5/min(n_{l−1}, n_l)) − 1` (since (1 + 1/m)(1 + 2/m) ≤ 1 + 5/m).
//!
//! Each study names what it claims (the scheme whose law the prediction uses) and what it
//! draws, so a negative control is a known-wrong sampler held against a correct claim.

use std::fmt;

use initspec::{Law, Scheme};
use ndarray::{Array2, Axis};

use crate::layers::{layer_laws, standard_normal_matrix};
use crate::{Activation, BATCH_NORM_EPS, Forward, Moments, Network, NnError};

/// Per-assertion significance level of the statistical suites (docs/VERIFICATION.md).
pub const ALPHA: f64 = 1e-6;
/// C of the ReLU band: `E ξ² = 1 + 5/n`.
pub const RELU_FLUCTUATION: f64 = 5.0;
/// C of the linear band: `E ξ² = 1 + 2/n`.
pub const LINEAR_FLUCTUATION: f64 = 2.0;

/// Why a study could not run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PropagationError {
    /// Building or running a network failed.
    Network(NnError),
    /// The claimed scheme does not resolve for a layer.
    Scheme {
        /// The 1-based layer.
        layer: usize,
        /// The core error.
        source: initspec::Error,
    },
    /// The exact recursion needs zero-mean weights; the claimed law of this layer is not.
    NonZeroMean {
        /// The 1-based layer.
        layer: usize,
    },
    /// The exact finite-width law is known for linear and ReLU stacks only.
    NoExactTheory {
        /// The activation given.
        activation: Activation,
    },
    /// A study needs at least 2 replicates.
    TooFewReplicates,
}

impl fmt::Display for PropagationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropagationError::Network(e) => write!(f, "{e}"),
            PropagationError::Scheme { layer, source } => {
                write!(
                    f,
                    "the claimed scheme does not resolve for layer {layer}: {source}"
                )
            }
            PropagationError::NonZeroMean { layer } => write!(
                f,
                "layer {layer}'s claimed law has a non-zero mean; the recursion needs zero-mean weights"
            ),
            PropagationError::NoExactTheory { activation } => write!(
                f,
                "no exact finite-width law for {activation}; use linear or relu"
            ),
            PropagationError::TooFewReplicates => f.write_str("use at least 2 replicates"),
        }
    }
}

impl std::error::Error for PropagationError {}

impl From<NnError> for PropagationError {
    fn from(e: NnError) -> Self {
        PropagationError::Network(e)
    }
}

/// Which way the signal travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Activations, input to output: `M_L/M_0`.
    Forward,
    /// Gradients, output to input: `‖∂L/∂x_0‖²/n_0` for a unit upstream `‖δ_L‖² = n_L`.
    Backward,
}

/// A study: the stack, what is claimed, what is drawn, how many networks, which seed.
#[derive(Debug, Clone)]
pub struct Setup<'a> {
    /// `[n_0, …, n_L]`.
    pub widths: &'a [usize],
    /// The activation (linear or relu for the exact studies).
    pub activation: Activation,
    /// The scheme the prediction is computed from.
    pub claimed: &'a Scheme,
    /// The scheme the weights are drawn from (the claimed one, or a known-wrong control).
    pub drawn: &'a Scheme,
    /// Number of independent networks R.
    pub replicates: usize,
    /// Seed of the study (network r uses a seed derived from it and r).
    pub seed: u64,
}

/// The outcome of a second-moment study.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondMomentStudy {
    /// Forward or backward.
    pub direction: Direction,
    /// Number of networks R.
    pub replicates: usize,
    /// The study's seed.
    pub seed: u64,
    /// Mean over networks of the ratio of per-unit second moments (output/input side).
    pub mean_ratio: f64,
    /// The ratio the claimed laws predict, `Π n v h`.
    pub predicted_ratio: f64,
    /// V, the relative variance of one network's ratio under the claim.
    pub relative_variance: f64,
    /// T = (mean − predicted)/(predicted·√(V/R)).
    pub statistic: f64,
    /// Two-sided p-value 2Φ(−|T|).
    pub p_value: f64,
    /// Sample variance of log(ratio) over the networks.
    pub var_log_ratio: f64,
    /// The band's prediction C·Σ 1/n for it (first order).
    pub predicted_var_log: f64,
}

impl SecondMomentStudy {
    /// Whether the claim is rejected at `alpha`.
    pub fn rejects(&self, alpha: f64) -> bool {
        !(self.p_value >= alpha)
    }
}

impl fmt::Display for SecondMomentStudy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} second moment: n = {} networks, seed {}, mean ratio {:.6} vs predicted {:.6}, \
             V = {:.4}, statistic T = {:.3}, p-value = {:.3e}; var log ratio {:.4} vs band {:.4}",
            self.direction,
            self.replicates,
            self.seed,
            self.mean_ratio,
            self.predicted_ratio,
            self.relative_variance,
            self.statistic,
            self.p_value,
            self.var_log_ratio,
            self.predicted_var_log
        )
    }
}

/// SplitMix64: the per-replicate seed, so replicates of different studies do not overlap.
pub fn replicate_seed(seed: u64, replicate: usize) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(replicate as u64)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn two_sided(z: f64) -> f64 {
    if z.is_nan() {
        return 0.0;
    }
    (2.0 * initspec::special::sf(z.abs())).min(1.0)
}

/// A `[rows, cols]` matrix of N(0, 1) values from `(seed, name)`, rescaled to ‖x‖² = rows·cols
/// when `unit_norm`.
fn gaussian(
    seed: u64,
    name: &str,
    rows: usize,
    cols: usize,
    unit_norm: bool,
) -> Result<Array2<f64>, PropagationError> {
    let mut x = standard_normal_matrix(seed, name, rows, cols)?;
    if unit_norm {
        let norm2: f64 = x.iter().map(|v| v * v).sum();
        let scale = (cols as f64 * rows as f64 / norm2).sqrt();
        x.mapv_inplace(|v| v * scale);
    }
    Ok(x)
}

/// The claimed laws, checked zero-mean.
fn claimed_laws(widths: &[usize], claimed: &Scheme) -> Result<Vec<Law>, PropagationError> {
    let laws = layer_laws(widths, |_| *claimed).map_err(|e| match e {
        NnError::Init { layer, source } => PropagationError::Scheme { layer, source },
        other => other.into(),
    })?;
    match laws.iter().position(|law| law.mean() != 0.0) {
        Some(i) => Err(PropagationError::NonZeroMean { layer: i + 1 }),
        None => Ok(laws),
    }
}

fn check_setup(setup: &Setup<'_>) -> Result<(f64, f64), PropagationError> {
    if setup.replicates < 2 {
        return Err(PropagationError::TooFewReplicates);
    }
    if setup.widths.len() < 2 {
        return Err(NnError::EmptyNetwork.into());
    }
    match setup.activation {
        Activation::Linear => Ok((1.0, LINEAR_FLUCTUATION)),
        Activation::Relu => Ok((0.5, RELU_FLUCTUATION)),
        other => Err(PropagationError::NoExactTheory { activation: other }),
    }
}

fn summarize(
    direction: Direction,
    setup: &Setup<'_>,
    ratios: &[f64],
    predicted: f64,
    relative_variance: f64,
    predicted_var_log: f64,
) -> SecondMomentStudy {
    let r = ratios.len() as f64;
    let mean = ratios.iter().sum::<f64>() / r;
    let logs: Vec<f64> = ratios.iter().map(|v| v.ln()).collect();
    let mean_log = logs.iter().sum::<f64>() / r;
    let var_log = logs.iter().map(|v| (v - mean_log).powi(2)).sum::<f64>() / (r - 1.0);
    let statistic = (mean - predicted) / (predicted * (relative_variance / r).sqrt());
    SecondMomentStudy {
        direction,
        replicates: ratios.len(),
        seed: setup.seed,
        mean_ratio: mean,
        predicted_ratio: predicted,
        relative_variance,
        statistic,
        p_value: two_sided(statistic),
        var_log_ratio: var_log,
        predicted_var_log,
    }
}

/// The forward study: `M_L/M_0` over R networks against `Π n_{l−1} v_l h`, V = Π(1 + C/n_l) − 1.
///
/// # Errors
/// An activation other than linear/relu, fewer than 2 replicates, a claimed law with a
/// non-zero mean, or a scheme that does not resolve.
pub fn forward_second_moment(setup: &Setup<'_>) -> Result<SecondMomentStudy, PropagationError> {
    let (h, c) = check_setup(setup)?;
    let widths = setup.widths;
    let laws = claimed_laws(widths, setup.claimed)?;
    let predicted: f64 = (1..widths.len())
        .map(|l| widths[l - 1] as f64 * laws[l - 1].variance() * h)
        .product();
    let relative_variance = widths[1..]
        .iter()
        .map(|&n| 1.0 + c / n as f64)
        .product::<f64>()
        - 1.0;
    let band = c * widths[1..].iter().map(|&n| 1.0 / n as f64).sum::<f64>();
    let ratios = per_network(setup, |_, f| Ok(Moments::of(f.output()).m2))?;
    Ok(summarize(
        Direction::Forward,
        setup,
        &ratios,
        predicted,
        relative_variance,
        band,
    ))
}

/// The backward study: `‖∂L/∂x_0‖²/n_0` for a fixed upstream gradient with ‖δ_L‖² = n_L,
/// against `Π n_l v_l h` (so fan_out preserves it), over R networks.
///
/// # Errors
/// As [`forward_second_moment`].
pub fn backward_second_moment(setup: &Setup<'_>) -> Result<SecondMomentStudy, PropagationError> {
    let (h, c) = check_setup(setup)?;
    let widths = setup.widths;
    let depth = widths.len() - 1;
    let laws = claimed_laws(widths, setup.claimed)?;
    let predicted: f64 = (1..=depth)
        .map(|l| widths[l] as f64 * laws[l - 1].variance() * h)
        .product();
    let (relative_variance, band) = match setup.activation {
        Activation::Relu => (
            (1..=depth)
                .map(|l| 1.0 + c / widths[l - 1].min(widths[l]) as f64)
                .product::<f64>()
                - 1.0,
            (1..=depth)
                .map(|l| 1.0 / widths[l] as f64 + 2.0 / widths[l - 1] as f64)
                .sum::<f64>(),
        ),
        _ => (
            widths[..depth]
                .iter()
                .map(|&n| 1.0 + c / n as f64)
                .product::<f64>()
                - 1.0,
            c * widths[..depth].iter().map(|&n| 1.0 / n as f64).sum::<f64>(),
        ),
    };
    let upstream = gaussian(setup.seed, "upstream", 1, widths[depth], true)?;
    let ratios = per_network(setup, |net, f| {
        Ok(Moments::of(net.backward(f, upstream.view())?.input()).m2)
    })?;
    Ok(summarize(
        Direction::Backward,
        setup,
        &ratios,
        predicted,
        relative_variance,
        band,
    ))
}

/// A one-sided comparison of a per-network statistic's mean with a threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdStudy {
    /// What was measured.
    pub statistic_name: &'static str,
    /// Number of networks.
    pub replicates: usize,
    /// The study's seed.
    pub seed: u64,
    /// Mean of the statistic over networks.
    pub mean: f64,
    /// Its standard error (sample std/√R).
    pub standard_error: f64,
    /// The threshold τ.
    pub threshold: f64,
    /// z = (mean − τ)/SE.
    pub statistic: f64,
    /// p-value of H0 "E ≤ τ": small when the mean is established above τ.
    pub p_above: f64,
    /// p-value of H0 "E ≥ τ": small when the mean is established below τ.
    pub p_below: f64,
}

impl fmt::Display for ThresholdStudy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: n = {} networks, seed {}, mean {:.6e} ± {:.3e} (SE) vs threshold {}, \
             statistic z = {:.3}, p-value(above) = {:.3e}, p-value(below) = {:.3e}",
            self.statistic_name,
            self.replicates,
            self.seed,
            self.mean,
            self.standard_error,
            self.threshold,
            self.statistic,
            self.p_above,
            self.p_below
        )
    }
}

fn threshold_study(
    statistic_name: &'static str,
    seed: u64,
    values: &[f64],
    threshold: f64,
) -> ThresholdStudy {
    let r = values.len() as f64;
    let mean = values.iter().sum::<f64>() / r;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (r - 1.0);
    let se = (var / r).sqrt();
    let z = if se > 0.0 {
        (mean - threshold) / se
    } else if mean > threshold {
        f64::INFINITY
    } else if mean < threshold {
        f64::NEG_INFINITY
    } else {
        0.0
    };
    ThresholdStudy {
        statistic_name,
        replicates: values.len(),
        seed,
        mean,
        standard_error: se,
        threshold,
        statistic: z,
        p_above: initspec::special::sf(z),
        p_below: initspec::special::sf(-z),
    }
}

/// `statistic(network, forward pass)` of each of R independent networks (without batch norm)
/// on one fixed Gaussian input.
fn per_network<F>(setup: &Setup<'_>, statistic: F) -> Result<Vec<f64>, PropagationError>
where
    F: Fn(&Network, &Forward) -> Result<f64, PropagationError>,
{
    if setup.replicates < 2 {
        return Err(PropagationError::TooFewReplicates);
    }
    let x = gaussian(setup.seed, "input", 1, setup.widths[0], true)?;
    (0..setup.replicates)
        .map(|r| {
            let net = Network::init(
                setup.widths,
                setup.drawn,
                setup.activation,
                false,
                replicate_seed(setup.seed, r),
            )?;
            let forward = net.forward(x.view())?;
            statistic(&net, &forward)
        })
        .collect()
}

/// `M_L/M_0` of R networks (fixed input, ‖x‖² = n_0) compared with `threshold`: with
/// N(0, 0.01²) weights and tanh it vanishes (established below a small τ).
///
/// # Errors
/// Fewer than 2 replicates; network errors.
pub fn output_second_moment(
    setup: &Setup<'_>,
    threshold: f64,
) -> Result<ThresholdStudy, PropagationError> {
    let values = per_network(setup, |_, f| Ok(Moments::of(f.output()).m2))?;
    Ok(threshold_study(
        "output second moment M_L/M_0",
        setup.seed,
        &values,
        threshold,
    ))
}

/// |φ| above which a tanh unit counts as saturated (φ' < 0.02).
pub const SATURATION_LEVEL: f64 = 0.99;

/// The fraction of the last layer's units with |x| > [`SATURATION_LEVEL`], per network,
/// compared with `threshold`: with N(0, 1) weights tanh saturates (established above ½).
///
/// # Errors
/// Fewer than 2 replicates; network errors.
pub fn saturated_fraction(
    setup: &Setup<'_>,
    threshold: f64,
) -> Result<ThresholdStudy, PropagationError> {
    let values = per_network(setup, |_, f| {
        let out = f.output();
        let saturated = out.iter().filter(|v| v.abs() > SATURATION_LEVEL).count();
        Ok(saturated as f64 / out.len() as f64)
    })?;
    Ok(threshold_study(
        "fraction of saturated last-layer units",
        setup.seed,
        &values,
        threshold,
    ))
}

/// The batch-norm study: R networks fed independent unit-Gaussian batches.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchNormStudy {
    /// The last layer's post-activation second moment compared with a threshold.
    pub last_layer: ThresholdStudy,
    /// Per layer, the mean over networks of the pre-activation second moment.
    pub pre_m2: Vec<f64>,
    /// Largest deviation, over networks and layers, of the pooled pre-activation second
    /// moment from the batch-norm identity `mean_j σ²_j/(σ²_j + ε)` (0 up to rounding with
    /// batch norm; meaningless without).
    pub identity_error: f64,
    /// Two-sided test that `E[post m2 − pre m2/2] = 0` at the last layer (ReLU's exact
    /// halving of a symmetric pre-activation, which batch norm keeps).
    pub halving: HalvingTest,
}

/// `E[d] = 0` for `d = post m2 − pre m2 / 2`, per network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HalvingTest {
    /// Number of networks.
    pub n: usize,
    /// Mean of d.
    pub mean: f64,
    /// z = mean/SE.
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Batch norm with small init: per layer the pre-activation second moment (≈ 1 by the
/// batch-norm identity), and the last layer's post second moment against `threshold`.
///
/// # Errors
/// Fewer than 2 replicates; network errors.
pub fn batch_norm_study(
    setup: &Setup<'_>,
    batch: usize,
    batch_norm: bool,
    threshold: f64,
) -> Result<BatchNormStudy, PropagationError> {
    if setup.replicates < 2 {
        return Err(PropagationError::TooFewReplicates);
    }
    let depth = setup.widths.len().saturating_sub(1);
    let mut pre_m2 = vec![0.0; depth];
    let mut last = Vec::with_capacity(setup.replicates);
    let mut diffs = Vec::with_capacity(setup.replicates);
    let mut identity_error: f64 = 0.0;
    for r in 0..setup.replicates {
        let seed = replicate_seed(setup.seed, r);
        let net = Network::init(
            setup.widths,
            setup.drawn,
            setup.activation,
            batch_norm,
            seed,
        )?;
        let x = gaussian(seed, "input", batch, setup.widths[0], false)?;
        let f = net.forward(x.view())?;
        for (l, layer) in f.layers().iter().enumerate() {
            let pre = Moments::of(layer.pre()).m2;
            pre_m2[l] += pre / setup.replicates as f64;
            let z = layer.linear();
            let b = z.nrows() as f64;
            let mean = z.sum_axis(Axis(0)) / b;
            let var = (z - &mean).mapv(|v| v * v).sum_axis(Axis(0)) / b;
            let identity = var
                .mapv(|v| v / (v + BATCH_NORM_EPS))
                .mean()
                .unwrap_or(f64::NAN);
            identity_error = identity_error.max((pre - identity).abs());
        }
        let top = &f.layers()[depth - 1];
        let post = Moments::of(top.post()).m2;
        last.push(post);
        diffs.push(post - Moments::of(top.pre()).m2 / 2.0);
    }
    let d = threshold_study("d", setup.seed, &diffs, 0.0);
    Ok(BatchNormStudy {
        last_layer: threshold_study(
            "last-layer post-activation second moment",
            setup.seed,
            &last,
            threshold,
        ),
        pre_m2,
        identity_error,
        halving: HalvingTest {
            n: diffs.len(),
            mean: d.mean,
            statistic: d.statistic,
            p_value: two_sided(d.statistic),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_and_errors_are_reported() {
        assert_ne!(replicate_seed(1, 0), replicate_seed(1, 1));
        assert_ne!(replicate_seed(1, 1), replicate_seed(2, 0));
        let s: Scheme = "he_normal".parse().unwrap();
        let u: Scheme = "uniform".parse().unwrap();
        let mut setup = Setup {
            widths: &[4, 4],
            activation: Activation::Tanh,
            claimed: &s,
            drawn: &s,
            replicates: 10,
            seed: 0,
        };
        assert!(matches!(
            forward_second_moment(&setup),
            Err(PropagationError::NoExactTheory { .. })
        ));
        setup.activation = Activation::Relu;
        setup.claimed = &u;
        assert_eq!(
            forward_second_moment(&setup),
            Err(PropagationError::NonZeroMean { layer: 1 })
        );
        setup.replicates = 1;
        assert_eq!(
            backward_second_moment(&setup),
            Err(PropagationError::TooFewReplicates)
        );
        assert!(two_sided(f64::NAN) == 0.0 && (two_sided(0.0) - 1.0).abs() < 1e-15);
    }
}
