//! What the variance recursion predicts, layer by layer.
//!
//! For a layer with iid zero-mean weights of variance v_l, the pre-activation's second moment
//! is, exactly in expectation (LeCun et al. 1998; Glorot & Bengio 2010; He et al. 2015),
//!
//! ```text
//! E[z_l²] = n_{l−1} · v_l · E[x_{l−1}²]          x_l = φ(z_l),  x_0 = the input
//! ```
//!
//! which unrolls to `Var[z^L] = Var[x] · Π n_l Var[W_l]` for a linear stack. The step through
//! φ has a closed form when z is symmetric about 0 and φ is positively homogeneous:
//! `E[φ(z)²] = (1 + a²)/2 · E[z²]` for linear (a = 1), ReLU (a = 0) and leaky ReLU (a = slope),
//! with no Gaussian assumption ([`Basis::Exact`]). The mean of φ(z) and every moment of tanh,
//! sigmoid and SELU have no closed form: they are mean-field values, the Gaussian integrals
//! `E φ(√q·g)` with g ~ N(0, 1), computed numerically ([`Basis::MeanField`]); so is anything
//! after batch normalization. The backward recursion is the mirror image:
//!
//! ```text
//! E[(∂L/∂z_l)²] = E[φ'(z_l)²] · E[(∂L/∂x_l)²]      E[(∂L/∂x_{l−1})²] = n_l · v_l · E[(∂L/∂z_l)²]
//! ```
//!
//! with `E[φ'²] = (1 + a²)/2` for the homogeneous activations (so fan_out preserves it).

use initspec::Law;

use crate::activation::Activation;
use crate::batch_norm::BATCH_NORM_EPS;

/// Half-width, in standard deviations, of the grid of the Gaussian integrals.
pub const GAUSS_RANGE: f64 = 10.0;
/// Grid step, in standard deviations, of the Gaussian integrals (trapezoid rule, whose
/// error for these analytic integrands decays like exp(−π²/(σ·h)) with σ = √q).
pub const GAUSS_STEP: f64 = 1e-3;

/// How a predicted value was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Basis {
    /// The second moments follow from symmetry alone: exact in expectation.
    Exact,
    /// A Gaussian (infinite-width, mean-field) integral: no closed form exists.
    MeanField,
    /// No prediction: the weights' mean is not 0, so the recursion does not apply.
    Unavailable,
}

impl Basis {
    /// `exact`, `mean_field` or `unavailable`.
    pub fn name(self) -> &'static str {
        match self {
            Basis::Exact => "exact",
            Basis::MeanField => "mean_field",
            Basis::Unavailable => "unavailable",
        }
    }
}

/// The recursion's values for one layer (None where it does not apply).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerPrediction {
    /// The 1-based layer.
    pub layer: usize,
    /// Std of the pre-activation (after batch norm when on).
    pub pre_std: Option<f64>,
    /// Mean of the post-activation.
    pub post_mean: Option<f64>,
    /// Std of the post-activation.
    pub post_std: Option<f64>,
    /// Second moment of the post-activation.
    pub post_m2: Option<f64>,
    /// How the second moments of this layer were obtained.
    pub basis: Basis,
    /// Mean square of ∂L/∂(pre-activation), for a unit-variance upstream gradient at the
    /// output that is independent of the network.
    pub grad_pre_m2: Option<f64>,
    /// Mean square of ∂L/∂(post-activation).
    pub grad_post_m2: Option<f64>,
    /// How the gradient second moments of this layer were obtained.
    pub grad_basis: Basis,
}

/// `E f(√q·g)` for g ~ N(0, 1), by the trapezoid rule on [−10, 10] (see [`GAUSS_STEP`]).
pub fn gaussian_expectation(q: f64, f: impl Fn(f64) -> f64) -> f64 {
    if !(q > 0.0) {
        return f(0.0);
    }
    let sigma = q.sqrt();
    let steps = (2.0 * GAUSS_RANGE / GAUSS_STEP).round() as i64;
    let norm = GAUSS_STEP / (2.0 * std::f64::consts::PI).sqrt();
    let mut total = 0.0;
    for k in 0..=steps {
        let g = -GAUSS_RANGE + k as f64 * GAUSS_STEP;
        let w = if k == 0 || k == steps { 0.5 } else { 1.0 };
        total += w * (-0.5 * g * g).exp() * f(sigma * g);
    }
    total * norm
}

/// The recursion for a stack of `widths = [n_0, …, n_L]` whose layer-l weights follow
/// `laws[l − 1]`, fed a zero-mean input with per-unit second moment `input_m2`, with
/// batch normalization (γ = 1, β = 0, ε = [`BATCH_NORM_EPS`], batch of `batch` rows) when
/// `batch_norm`.
///
/// # Example
/// ```
/// use initspec_nn::{Activation, theory::predict};
/// let law = "normal(std=0.0632455532033676)".parse().unwrap(); // √(2/500)
/// let p = predict(&[500, 500, 500], &[law, law], Activation::Relu, false, 1000, 1.0);
/// // He init: E[z²] = 500 · (2/500) · E[x²] = 2 at every layer, E[relu(z)²] = 1.
/// assert!((p[1].pre_std.unwrap() - 2f64.sqrt()).abs() < 1e-12);
/// assert!((p[1].post_m2.unwrap() - 1.0).abs() < 1e-12);
/// ```
pub fn predict(
    widths: &[usize],
    laws: &[Law],
    activation: Activation,
    batch_norm: bool,
    batch: usize,
    input_m2: f64,
) -> Vec<LayerPrediction> {
    let depth = laws.len().min(widths.len().saturating_sub(1));
    let mut out = Vec::with_capacity(depth);
    let mut m2 = input_m2;
    let mut mean = 0.0;
    let mut available = true;
    // Per layer: the pre-activation second moment q and the batch-norm scale 1/(s + ε).
    let mut q_of = Vec::with_capacity(depth);
    for l in 0..depth {
        let law = laws[l];
        let fan_in = widths[l] as f64;
        available &= law.mean() == 0.0 && m2.is_finite();
        if !available {
            out.push(LayerPrediction {
                layer: l + 1,
                pre_std: None,
                post_mean: None,
                post_std: None,
                post_m2: None,
                basis: Basis::Unavailable,
                grad_pre_m2: None,
                grad_post_m2: None,
                grad_basis: Basis::Unavailable,
            });
            q_of.push(None);
            continue;
        }
        let v = law.variance();
        let (q, bn_scale) = if batch_norm {
            let b = batch.max(1) as f64;
            let s = fan_in * v * (m2 - mean * mean).max(0.0) * (b - 1.0) / b;
            (s / (s + BATCH_NORM_EPS), Some(1.0 / (s + BATCH_NORM_EPS)))
        } else {
            (fan_in * v * m2, None)
        };
        let (post_mean, post_m2, basis) = match activation.homogeneous_slope() {
            Some(a) => {
                let gauss_mean = (1.0 - a) * q.sqrt() / (2.0 * std::f64::consts::PI).sqrt();
                let basis = if batch_norm {
                    Basis::MeanField
                } else {
                    Basis::Exact
                };
                (gauss_mean, 0.5 * (1.0 + a * a) * q, basis)
            }
            None => (
                gaussian_expectation(q, |z| activation.apply(z)),
                gaussian_expectation(q, |z| activation.apply(z).powi(2)),
                Basis::MeanField,
            ),
        };
        out.push(LayerPrediction {
            layer: l + 1,
            pre_std: Some(q.sqrt()),
            post_mean: Some(post_mean),
            post_std: Some((post_m2 - post_mean * post_mean).max(0.0).sqrt()),
            post_m2: Some(post_m2),
            basis,
            grad_pre_m2: None,
            grad_post_m2: None,
            grad_basis: Basis::Unavailable,
        });
        q_of.push(Some((q, bn_scale)));
        m2 = post_m2;
        mean = post_mean;
    }
    // Backward, from a unit upstream gradient at the output.
    let mut g_post = 1.0;
    for l in (0..depth).rev() {
        let Some((q, bn_scale)) = q_of[l] else {
            break;
        };
        let (d2, exact) = match activation.homogeneous_slope() {
            Some(a) => (0.5 * (1.0 + a * a), true),
            None => (
                gaussian_expectation(q, |z| activation.derivative(z).powi(2)),
                false,
            ),
        };
        let g_pre = g_post * d2;
        out[l].grad_post_m2 = Some(g_post);
        out[l].grad_pre_m2 = Some(g_pre);
        out[l].grad_basis = if exact && bn_scale.is_none() {
            Basis::Exact
        } else {
            Basis::MeanField
        };
        // Through batch norm: the scale 1/σ², and the projection that removes the batch
        // mean and the component along y (2 of B directions).
        let g_linear = match bn_scale {
            Some(scale) => {
                let b = batch.max(1) as f64;
                g_pre * scale * ((b - 2.0) / b).max(0.0)
            }
            None => g_pre,
        };
        g_post = widths[l + 1] as f64 * laws[l].variance() * g_linear;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(std: f64) -> Law {
        format!("normal(std={std})").parse().unwrap()
    }

    #[test]
    fn gaussian_integrals() {
        // E g² = q, E |g| = √(2q/π), E tanh² at q = 1 (reference: 0.39429449152...)
        assert!((gaussian_expectation(2.5, |z| z * z) - 2.5).abs() < 1e-12);
        let abs = gaussian_expectation(4.0, f64::abs);
        assert!((abs - (8.0 / std::f64::consts::PI).sqrt()).abs() < 1e-6);
        assert!((gaussian_expectation(1.0, |z| z.tanh().powi(2)) - 0.394_294_491_5).abs() < 1e-8);
        assert_eq!(gaussian_expectation(0.0, |z| z + 3.0), 3.0);
        // saturating integrand at a huge variance
        let sat = gaussian_expectation(1e6, |z| z.tanh().powi(2));
        assert!(sat > 0.99 && sat < 1.0);
    }

    #[test]
    fn linear_and_relu_recursions() {
        let widths = [100, 200, 50, 80];
        let laws = [normal(0.1), normal(0.05), normal(0.2)];
        let p = predict(&widths, &laws, Activation::Linear, false, 10, 2.0);
        // Var[z^L] = Var[x] Π n_l Var[W_l]
        let want = 2.0 * 100.0 * 0.01 * 200.0 * 0.0025 * 50.0 * 0.04;
        assert!((p[2].pre_std.unwrap().powi(2) - want).abs() < 1e-12);
        assert_eq!(p[2].basis, Basis::Exact);
        // backward: n_l v_l per layer from the top
        assert!((p[0].grad_post_m2.unwrap() - 80.0 * 0.04 * 50.0 * 0.0025).abs() < 1e-12);
        let r = predict(&widths, &laws, Activation::Relu, false, 10, 1.0);
        assert!((r[0].post_m2.unwrap() - 0.5).abs() < 1e-15);
        assert!((r[1].post_m2.unwrap() - 0.5 * 200.0 * 0.0025 * 0.5).abs() < 1e-15);
        assert!((r[2].grad_pre_m2.unwrap() - 0.5).abs() < 1e-15);
    }

    #[test]
    fn batch_norm_and_unavailable() {
        let laws = [normal(0.01); 3];
        let p = predict(&[500; 4], &laws, Activation::Relu, true, 1000, 1.0);
        for l in &p {
            assert!(l.pre_std.unwrap() > 0.99 && l.pre_std.unwrap() < 1.0);
            assert_eq!(l.basis, Basis::MeanField);
        }
        let shifted: Law = "uniform(a=0, b=1)".parse().unwrap();
        let u = predict(
            &[4, 4, 4],
            &[normal(1.0), shifted],
            Activation::Tanh,
            false,
            8,
            1.0,
        );
        assert!(u[0].pre_std.is_some());
        assert_eq!(u[1].basis, Basis::Unavailable);
        assert!(u[1].post_std.is_none() && u[0].grad_pre_m2.is_none());
    }
}
