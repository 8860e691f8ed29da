//! [`Classifier`]: a multilayer perceptron that is trained, `D` hidden layers and a linear
//! output layer whose logits feed a softmax cross-entropy.
//!
//! ```text
//! hidden layer l = 1..D:  z_l = x_{l−1} W_l + b_l
//!                         h_l = γ_l ⊙ BN(z_l) + β_l      (with batch norm; else h_l = z_l)
//!                         x_l = φ(h_l)
//! output:                 logits = x_D W_{D+1} + b_{D+1}
//! ```
//!
//! Weights are `[n_{l−1}, n_l]` (the `InOut` layout of `x @ W`), drawn from a scheme on the
//! streams `(seed, "layer{l}.weight")` as [`crate::Network`] draws them; biases start at 0,
//! γ at 1 and β at 0. Batch norm uses the batch statistics in training mode and running
//! estimates (momentum 0.1, unbiased variance, as PyTorch's `BatchNorm1d`) in evaluation mode.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::activation::Activation;
use crate::batch_norm::{BATCH_NORM_EPS, BatchNormCache, batch_norm_backward, batch_norm_forward};
use crate::error::{NnError, Result};

/// Momentum of the running batch-norm estimates: `r ← (1 − m)·r + m·batch` (PyTorch's 0.1).
pub const RUNNING_MOMENTUM: f64 = 0.1;

/// A weight matrix and its bias.
#[derive(Debug, Clone, PartialEq)]
pub struct Affine {
    /// `[fan_in, fan_out]`.
    pub weight: Array2<f64>,
    /// `[fan_out]`.
    pub bias: Array1<f64>,
}

/// Batch normalization's learned scale and shift and its running estimates.
#[derive(Debug, Clone, PartialEq)]
pub struct Norm {
    /// γ, one per unit.
    pub gamma: Array1<f64>,
    /// β, one per unit.
    pub beta: Array1<f64>,
    /// The running mean of `z`.
    pub running_mean: Array1<f64>,
    /// The running (unbiased) variance of `z`.
    pub running_var: Array1<f64>,
}

/// One hidden layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Hidden {
    /// Its weight and bias.
    pub affine: Affine,
    /// Its batch normalization, when the network has it.
    pub norm: Option<Norm>,
}

/// Whether batch norm uses the batch's statistics (and the pass records them) or the running
/// estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Training: batch statistics.
    Train,
    /// Evaluation: running estimates.
    Eval,
}

/// A multilayer perceptron classifier (module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Classifier {
    /// The hidden layers, first first.
    pub hidden: Vec<Hidden>,
    /// The output layer.
    pub output: Affine,
    /// φ of every hidden layer.
    pub activation: Activation,
}

/// What a forward pass keeps for the backward pass.
#[derive(Debug, Clone)]
pub struct Trace {
    /// The input of each affine map (hidden layers, then the output layer).
    inputs: Vec<Array2<f64>>,
    /// `z_l` of each hidden layer.
    linear: Vec<Array2<f64>>,
    /// `h_l`, the activation's argument.
    pre: Vec<Array2<f64>>,
    /// `BN(z_l)` and its cache, in training mode with batch norm.
    normalized: Vec<Option<(Array2<f64>, BatchNormCache)>>,
    /// The logits.
    logits: Array2<f64>,
}

impl Trace {
    /// The logits, `[batch, classes]`.
    pub fn logits(&self) -> &Array2<f64> {
        &self.logits
    }

    /// `z_l = x_{l−1} W_l + b_l` of hidden layer `l` (0-based), before batch norm.
    pub fn linear(&self, layer: usize) -> &Array2<f64> {
        &self.linear[layer]
    }

    /// The post-activation `x_l` of hidden layer `l` (0-based).
    pub fn hidden_output(&self, layer: usize) -> &Array2<f64> {
        &self.inputs[layer + 1]
    }
}

/// The gradient of a loss with respect to every parameter, in [`Classifier::parameters_mut`]
/// order.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierGradients {
    /// One array per parameter: for each hidden layer W, b (and γ, β with batch norm), then
    /// the output layer's W, b; each flattened in C order.
    pub parameters: Vec<Vec<f64>>,
    /// ∂L/∂x of the input batch.
    pub input: Array2<f64>,
}

impl Classifier {
    /// A classifier from its weight matrices (`weights[l]` is `[n_l, n_{l+1}]`; the last one
    /// is the output layer), with zero biases, and batch norm (γ = 1, β = 0) on every hidden
    /// layer when `batch_norm`.
    ///
    /// # Errors
    /// [`NnError::EmptyNetwork`] for no matrix; [`NnError::ZeroWidth`]; [`NnError::ShapeMismatch`]
    /// when consecutive matrices do not chain.
    pub fn from_weights(
        weights: Vec<Array2<f64>>,
        activation: Activation,
        batch_norm: bool,
    ) -> Result<Classifier> {
        crate::network::check_chain(&weights)?;
        let mut affines: Vec<Affine> = weights
            .into_iter()
            .map(|w| Affine {
                bias: Array1::zeros(w.ncols()),
                weight: w,
            })
            .collect();
        let output = affines.pop().ok_or(NnError::EmptyNetwork)?;
        let hidden = affines
            .into_iter()
            .map(|affine| {
                let n = affine.weight.ncols();
                Hidden {
                    norm: batch_norm.then(|| Norm {
                        gamma: Array1::ones(n),
                        beta: Array1::zeros(n),
                        running_mean: Array1::zeros(n),
                        running_var: Array1::ones(n),
                    }),
                    affine,
                }
            })
            .collect();
        Ok(Classifier {
            hidden,
            output,
            activation,
        })
    }

    /// `[n_0, n_1, …, n_D, classes]`.
    pub fn widths(&self) -> Vec<usize> {
        let first = self
            .hidden
            .first()
            .map_or(self.output.weight.nrows(), |h| h.affine.weight.nrows());
        let mut widths = vec![first];
        widths.extend(self.hidden.iter().map(|h| h.affine.weight.ncols()));
        widths.push(self.output.weight.ncols());
        widths
    }

    /// Whether the hidden layers have batch norm.
    pub fn batch_norm(&self) -> bool {
        self.hidden.iter().any(|h| h.norm.is_some())
    }

    /// The weight matrices, hidden layers first, then the output layer.
    pub fn weights(&self) -> Vec<&Array2<f64>> {
        let mut w: Vec<&Array2<f64>> = self.hidden.iter().map(|h| &h.affine.weight).collect();
        w.push(&self.output.weight);
        w
    }

    /// Mutable access to the weight matrices, in [`weights`](Classifier::weights) order.
    pub fn weights_mut(&mut self) -> Vec<&mut Array2<f64>> {
        let mut w: Vec<&mut Array2<f64>> = self
            .hidden
            .iter_mut()
            .map(|h| &mut h.affine.weight)
            .collect();
        w.push(&mut self.output.weight);
        w
    }

    /// Every parameter as a flat slice: per hidden layer W, b (and γ, β with batch norm),
    /// then the output layer's W and b.
    pub fn parameters_mut(&mut self) -> Vec<&mut [f64]> {
        let mut out: Vec<&mut [f64]> = Vec::new();
        for h in &mut self.hidden {
            out.push(flat_mut(h.affine.weight.as_slice_mut()));
            out.push(flat_mut(h.affine.bias.as_slice_mut()));
            if let Some(norm) = &mut h.norm {
                out.push(flat_mut(norm.gamma.as_slice_mut()));
                out.push(flat_mut(norm.beta.as_slice_mut()));
            }
        }
        out.push(flat_mut(self.output.weight.as_slice_mut()));
        out.push(flat_mut(self.output.bias.as_slice_mut()));
        out
    }

    /// Runs a batch `[batch, n_0]` through the network.
    ///
    /// # Errors
    /// [`NnError::EmptyBatch`]; [`NnError::ShapeMismatch`] for the wrong input width.
    pub fn forward(&self, input: ArrayView2<f64>, mode: Mode) -> Result<Trace> {
        if input.nrows() == 0 {
            return Err(NnError::EmptyBatch);
        }
        let n0 = self.widths()[0];
        if input.ncols() != n0 {
            return Err(NnError::ShapeMismatch {
                what: "input".into(),
                expected: vec![input.nrows(), n0],
                found: input.shape().to_vec(),
            });
        }
        let depth = self.hidden.len();
        let mut inputs = Vec::with_capacity(depth + 1);
        let mut linear = Vec::with_capacity(depth);
        let mut pre = Vec::with_capacity(depth);
        let mut normalized = Vec::with_capacity(depth);
        inputs.push(input.to_owned());
        for h in &self.hidden {
            let x = inputs.last().expect("the input is pushed first");
            let z = x.dot(&h.affine.weight) + &h.affine.bias;
            let (hv, norm) = match (&h.norm, mode) {
                (None, _) => (z.clone(), None),
                (Some(n), Mode::Train) => {
                    let (y, cache) = batch_norm_forward(z.view());
                    ((&y * &n.gamma) + &n.beta, Some((y, cache)))
                }
                (Some(n), Mode::Eval) => {
                    let inv = n.running_var.mapv(|v| 1.0 / (v + BATCH_NORM_EPS).sqrt());
                    let y = (&z - &n.running_mean) * &inv;
                    ((&y * &n.gamma) + &n.beta, None)
                }
            };
            let post = hv.mapv(|v| self.activation.apply(v));
            linear.push(z);
            pre.push(hv);
            normalized.push(norm);
            inputs.push(post);
        }
        let x = inputs.last().expect("the input is pushed first");
        let logits = x.dot(&self.output.weight) + &self.output.bias;
        Ok(Trace {
            inputs,
            linear,
            pre,
            normalized,
            logits,
        })
    }

    /// Moves the running batch-norm estimates towards the batch statistics of a training-mode
    /// pass: `r ← (1 − 0.1)·r + 0.1·batch`, with the unbiased batch variance `B/(B−1)·σ²`.
    pub fn update_running_statistics(&mut self, trace: &Trace) {
        for (l, h) in self.hidden.iter_mut().enumerate() {
            let (Some(norm), Some((_, cache))) = (&mut h.norm, &trace.normalized[l]) else {
                continue;
            };
            let z = &trace.linear[l];
            let b = z.nrows() as f64;
            let mean = z.sum_axis(Axis(0)) / b;
            let biased = cache
                .inv_std()
                .mapv(|inv| (1.0 / (inv * inv) - BATCH_NORM_EPS).max(0.0));
            let unbiased = if b > 1.0 {
                biased * (b / (b - 1.0))
            } else {
                biased
            };
            norm.running_mean *= 1.0 - RUNNING_MOMENTUM;
            norm.running_mean.scaled_add(RUNNING_MOMENTUM, &mean);
            norm.running_var *= 1.0 - RUNNING_MOMENTUM;
            norm.running_var.scaled_add(RUNNING_MOMENTUM, &unbiased);
        }
    }

    /// Back-propagates `grad_logits` = ∂L/∂logits through the pass `trace`.
    ///
    /// # Errors
    /// [`NnError::ShapeMismatch`] when `grad_logits` does not match the logits.
    pub fn backward(
        &self,
        trace: &Trace,
        grad_logits: ArrayView2<f64>,
    ) -> Result<ClassifierGradients> {
        if grad_logits.dim() != trace.logits.dim() {
            return Err(NnError::ShapeMismatch {
                what: "logit gradient".into(),
                expected: trace.logits.shape().to_vec(),
                found: grad_logits.shape().to_vec(),
            });
        }
        let depth = self.hidden.len();
        let mut per_layer: Vec<Vec<Vec<f64>>> = vec![Vec::new(); depth + 1];
        let x = &trace.inputs[depth];
        per_layer[depth] = vec![
            into_vec(x.t().dot(&grad_logits)),
            into_vec(grad_logits.sum_axis(Axis(0))),
        ];
        let mut upstream = grad_logits.dot(&self.output.weight.t());
        for l in (0..depth).rev() {
            let h = &self.hidden[l];
            let mut g_pre = upstream;
            g_pre.zip_mut_with(&trace.pre[l], |g, &v| *g *= self.activation.derivative(v));
            let mut grads = Vec::with_capacity(4);
            let g_z = match (&h.norm, &trace.normalized[l]) {
                (Some(norm), Some((y, cache))) => {
                    let g_gamma = (&g_pre * y).sum_axis(Axis(0));
                    let g_beta = g_pre.sum_axis(Axis(0));
                    let g_y = &g_pre * &norm.gamma;
                    let g_z = batch_norm_backward(y.view(), g_y.view(), cache);
                    grads.push(g_gamma);
                    grads.push(g_beta);
                    g_z
                }
                _ => g_pre,
            };
            let x = &trace.inputs[l];
            let mut layer = vec![into_vec(x.t().dot(&g_z)), into_vec(g_z.sum_axis(Axis(0)))];
            layer.extend(grads.into_iter().map(into_vec));
            per_layer[l] = layer;
            upstream = g_z.dot(&h.affine.weight.t());
        }
        Ok(ClassifierGradients {
            parameters: per_layer.into_iter().flatten().collect(),
            input: upstream,
        })
    }

    /// The predicted class of each row (evaluation mode).
    ///
    /// # Errors
    /// As [`forward`](Classifier::forward).
    pub fn predict(&self, input: ArrayView2<f64>) -> Result<Vec<usize>> {
        let trace = self.forward(input, Mode::Eval)?;
        Ok(trace
            .logits
            .rows()
            .into_iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .fold((0, f64::NEG_INFINITY), |best, (i, &v)| {
                        if v > best.1 { (i, v) } else { best }
                    })
                    .0
            })
            .collect())
    }

    /// The fraction of rows whose predicted class is the label.
    ///
    /// # Errors
    /// As [`forward`](Classifier::forward).
    pub fn accuracy(&self, input: ArrayView2<f64>, labels: &[usize]) -> Result<f64> {
        let predicted = self.predict(input)?;
        let right = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
        Ok(right as f64 / labels.len().max(1) as f64)
    }
}

fn flat_mut(slice: Option<&mut [f64]>) -> &mut [f64] {
    slice.expect("parameters are created in standard layout and never re-strided")
}

fn into_vec<D: ndarray::Dimension>(array: ndarray::Array<f64, D>) -> Vec<f64> {
    if array.is_standard_layout() {
        array.into_raw_vec_and_offset().0
    } else {
        array.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::softmax_cross_entropy;
    use ndarray::array;

    fn net(batch_norm: bool, activation: Activation) -> Classifier {
        let w1 = array![[0.3, -0.5, 0.8], [0.1, 0.7, -0.2]];
        let w2 = array![[0.4, -0.6, 0.2], [0.9, 0.1, -0.3], [-0.5, 0.2, 0.6]];
        let w3 = array![[0.2, -0.1], [-0.4, 0.5], [0.3, 0.3]];
        let mut c = Classifier::from_weights(vec![w1, w2, w3], activation, batch_norm).unwrap();
        // Non-trivial biases and affine parameters, so their gradients are exercised.
        c.hidden[0].affine.bias = array![0.1, -0.2, 0.05];
        c.output.bias = array![0.3, -0.1];
        if let Some(n) = &mut c.hidden[1].norm {
            n.gamma = array![1.2, 0.8, 1.1];
            n.beta = array![0.1, -0.3, 0.2];
        }
        c
    }

    fn loss(c: &Classifier, x: &Array2<f64>, labels: &[usize]) -> f64 {
        let t = c.forward(x.view(), Mode::Train).unwrap();
        softmax_cross_entropy(t.logits().view(), labels).unwrap().0
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x = array![
            [0.5, -1.0],
            [1.2, 0.1],
            [-0.3, 0.8],
            [0.0, -0.6],
            [0.9, 0.4]
        ];
        let labels = [0, 1, 1, 0, 1];
        for batch_norm in [false, true] {
            for activation in [Activation::Tanh, Activation::Sigmoid, Activation::Selu] {
                let c = net(batch_norm, activation);
                let t = c.forward(x.view(), Mode::Train).unwrap();
                let (_, g) = softmax_cross_entropy(t.logits().view(), &labels).unwrap();
                let grads = c.backward(&t, g.view()).unwrap();
                let mut probe = c.clone();
                let count = probe.parameters_mut().len();
                assert_eq!(count, grads.parameters.len());
                for p in 0..count {
                    let len = probe.parameters_mut()[p].len();
                    for i in 0..len {
                        let h = 1e-6;
                        let original = probe.parameters_mut()[p][i];
                        probe.parameters_mut()[p][i] = original + h;
                        let up = loss(&probe, &x, &labels);
                        probe.parameters_mut()[p][i] = original - h;
                        let down = loss(&probe, &x, &labels);
                        probe.parameters_mut()[p][i] = original;
                        let numeric = (up - down) / (2.0 * h);
                        let analytic = grads.parameters[p][i];
                        assert!(
                            (numeric - analytic).abs() <= 1e-7 * (1.0 + numeric.abs()),
                            "bn {batch_norm} {activation:?} parameter {p}[{i}]: {numeric} vs {analytic}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn running_statistics_follow_the_batches() {
        let mut c = net(true, Activation::Relu);
        let x = array![[0.5, -1.0], [1.2, 0.1], [-0.3, 0.8], [0.0, -0.6]];
        for _ in 0..200 {
            let t = c.forward(x.view(), Mode::Train).unwrap();
            c.update_running_statistics(&t);
        }
        let t = c.forward(x.view(), Mode::Train).unwrap();
        let z = t.linear(0);
        let mean = z.sum_axis(Axis(0)) / 4.0;
        let var = (z - &mean).mapv(|d| d * d).sum_axis(Axis(0)) / 3.0;
        let norm = c.hidden[0].norm.as_ref().unwrap();
        for j in 0..3 {
            assert!((norm.running_mean[j] - mean[j]).abs() < 1e-9);
            assert!((norm.running_var[j] - var[j]).abs() < 1e-9);
        }
        // In evaluation mode, with converged estimates, the pass matches training mode up to ε.
        let eval = c.forward(x.view(), Mode::Eval).unwrap();
        assert_eq!(c.predict(x.view()).unwrap().len(), 4);
        assert!(eval.logits().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn shapes_are_checked() {
        let c = net(false, Activation::Tanh);
        assert_eq!(c.widths(), vec![2, 3, 3, 2]);
        assert!(matches!(
            c.forward(Array2::zeros((2, 5)).view(), Mode::Eval),
            Err(NnError::ShapeMismatch { .. })
        ));
        assert!(matches!(
            c.forward(Array2::zeros((0, 2)).view(), Mode::Eval),
            Err(NnError::EmptyBatch)
        ));
    }
}
