//! Layer-sequential unit-variance initialization (LSUV; Mishkin & Matas, "All you need is a
//! good init", ICLR 2016).
//!
//! ```text
//! pre-initialize every weight matrix with orthonormal columns (or rows): scheme `orthogonal`
//! for each layer k = 1, …, D+1 in order (the output layer included):
//!     repeat: forward a batch; s = std of layer k's output z_k = x_{k−1} W_k + b_k
//!             (all its elements, before batch norm and the activation)
//!             stop when |s − 1| < tol, or after max_iterations rescalings
//!             W_k ← W_k / s
//! ```
//!
//! The defaults are those of the authors' reference PyTorch package (ducha-aiki/LSUV-pytorch,
//! `LSUVinit(..., needed_std=1.0, std_tol=0.1, max_attempts=10, do_orthonorm=True)`): the
//! tolerance is on the standard deviation, 0.1, with at most 10 rescalings. The paper's
//! Algorithm 1 states the tolerance on the variance (`|Var − 1| < Tol_var`, Tol_var = 0.1,
//! T_max = 10); the package is what its users run, so it is what we follow. Here the two
//! agree: at initialization (zero biases, batch norm's γ = 1, β = 0) the measured output
//! `z_k` is linear in `W_k`, so one rescaling by 1/s lands its standard deviation on 1 up to
//! rounding, and the loop ends after at most one rescaling per layer whichever tolerance is
//! used. The iterations matter for layers whose output is not linear in their weights
//! (biases, normalization inside the layer), which this stack does not have.

use ndarray::{Array2, ArrayView2};

use crate::activation::Activation;
use crate::batch_norm::batch_norm_forward;
use crate::classifier::Classifier;
use crate::error::{NnError, Result};

/// The tolerance on |std − 1| (the reference package's `std_tol`).
pub const LSUV_TOL: f64 = 0.1;
/// The most rescalings of one layer (the reference package's `max_attempts`).
pub const LSUV_MAX_ITERATIONS: usize = 10;

/// What LSUV did to one layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LsuvLayer {
    /// 1-based layer (the output layer is D + 1).
    pub layer: usize,
    /// The standard deviation of the layer's output on the batch before any rescaling.
    pub initial_std: f64,
    /// The product of the factors applied to the layer's weights.
    pub scale: f64,
    /// Rescalings made.
    pub iterations: usize,
    /// The standard deviation after the last rescaling.
    pub final_std: f64,
}

/// Runs LSUV on a freshly initialized `model` (zero biases, batch norm's γ = 1 and β = 0,
/// as [`Classifier::from_weights`] makes it) with `batch`, and returns, per layer, the scale
/// found. Equivalent to [`lsuv_weights`] on its weight matrices.
///
/// # Errors
/// As [`lsuv_weights`].
pub fn lsuv(
    model: &mut Classifier,
    batch: ArrayView2<f64>,
    tol: f64,
    max_iterations: usize,
) -> Result<Vec<LsuvLayer>> {
    let mut weights: Vec<Array2<f64>> = model.weights().into_iter().cloned().collect();
    let report = lsuv_weights(
        &mut weights,
        model.activation,
        model.batch_norm(),
        batch,
        tol,
        max_iterations,
    )?;
    for (w, scaled) in model.weights_mut().into_iter().zip(weights) {
        *w = scaled;
    }
    Ok(report)
}

/// LSUV on the weight matrices of a dense stack without biases, `x_k = φ(BN?(x_{k−1} W_k))`
/// (the stack of `initspec propagate`, or a [`Classifier`] at initialization): layer `k`'s
/// output `z_k = x_{k−1} W_k` is measured on `batch` and `W_k` rescaled until its standard
/// deviation is within `tol` of 1.
///
/// # Errors
/// [`NnError::InvalidSetting`] when a layer's output has zero or non-finite spread on the
/// batch (the rescaling would divide by it); [`NnError::ShapeMismatch`] when the batch or the
/// matrices do not chain.
pub fn lsuv_weights(
    weights: &mut [Array2<f64>],
    activation: Activation,
    batch_norm: bool,
    batch: ArrayView2<f64>,
    tol: f64,
    max_iterations: usize,
) -> Result<Vec<LsuvLayer>> {
    let mut report = Vec::with_capacity(weights.len());
    let mut x = batch.to_owned();
    for (k, weight) in weights.iter_mut().enumerate() {
        if x.ncols() != weight.nrows() {
            return Err(NnError::ShapeMismatch {
                what: format!("layer {} weight", k + 1),
                expected: vec![x.ncols(), weight.ncols()],
                found: weight.shape().to_vec(),
            });
        }
        let mut scale = 1.0;
        let mut iterations = 0;
        let mut initial_std = f64::NAN;
        let z = loop {
            let z = x.dot(weight);
            let std = spread(&z);
            if iterations == 0 {
                initial_std = std;
            }
            if !(std > 0.0 && std.is_finite()) {
                return Err(NnError::InvalidSetting {
                    reason: format!(
                        "LSUV cannot scale layer {}: its output has standard deviation {std} on the batch",
                        k + 1
                    ),
                });
            }
            if (std - 1.0).abs() < tol || iterations >= max_iterations {
                break z;
            }
            *weight /= std;
            scale /= std;
            iterations += 1;
        };
        report.push(LsuvLayer {
            layer: k + 1,
            initial_std,
            scale,
            iterations,
            final_std: spread(&z),
        });
        let pre = if batch_norm {
            batch_norm_forward(z.view()).0
        } else {
            z
        };
        x = pre.mapv(|v| activation.apply(v));
    }
    Ok(report)
}

/// The standard deviation about the mean of every element.
fn spread(z: &Array2<f64>) -> f64 {
    let n = z.len().max(1) as f64;
    let mean = z.sum() / n;
    (z.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{draw_weights, layer_laws, standard_normal_matrix};

    #[test]
    fn every_layer_reaches_unit_spread_for_every_activation() {
        let widths = [32, 48, 48, 48, 48, 48, 48, 48, 48, 48, 10];
        let orthogonal = "orthogonal".parse().unwrap();
        let laws = layer_laws(&widths, |_| orthogonal).unwrap();
        let batch = standard_normal_matrix(5, "input", 256, 32).unwrap();
        for activation in ["linear", "tanh", "relu", "leaky_relu", "sigmoid", "selu"] {
            let activation: Activation = activation.parse().unwrap();
            for batch_norm in [false, true] {
                let mut w = draw_weights(&widths, &laws, 5).unwrap();
                let report = lsuv_weights(
                    &mut w,
                    activation,
                    batch_norm,
                    batch.view(),
                    LSUV_TOL,
                    LSUV_MAX_ITERATIONS,
                )
                .unwrap();
                assert_eq!(report.len(), 10);
                for l in &report {
                    assert!((l.final_std - 1.0).abs() < LSUV_TOL, "{activation:?} {l:?}");
                    // z is linear in W_k: one rescaling lands on 1 up to rounding.
                    assert!(l.iterations <= 1, "{activation:?} {l:?}");
                    if l.iterations == 1 {
                        assert!((l.final_std - 1.0).abs() < 1e-9, "{activation:?} {l:?}");
                    }
                }
                // Without batch norm, sigmoid's mean shifts the spread far from 1: rescaled.
                if !batch_norm && activation == Activation::Sigmoid {
                    assert!(report[1..].iter().any(|l| l.iterations == 1));
                }
            }
        }
    }

    #[test]
    fn a_dead_layer_is_an_error() {
        let mut w = vec![Array2::zeros((4, 4))];
        let batch = Array2::ones((8, 4));
        let err = lsuv_weights(&mut w, Activation::Relu, false, batch.view(), 0.1, 10);
        assert!(matches!(err, Err(NnError::InvalidSetting { .. })));
    }
}
