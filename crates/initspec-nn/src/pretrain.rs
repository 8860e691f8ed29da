//! Greedy layer-wise pre-training with denoising autoencoders (Bengio et al., "Greedy
//! layer-wise training of deep networks", NIPS 2007; Vincent et al., ICML 2008; Erhan et al.,
//! "Why does unsupervised pre-training help deep learning?", JMLR 2010).
//!
//! ```text
//! h_0 = the training inputs (all of them: pre-training uses no label)
//! for each hidden layer l = 1..D:
//!     encoder  e(x) = φ(x W_l + b_l)          W_l: [n_{l−1}, n_l], xavier_uniform
//!     decoder  r(h) = h V_l + c_l             V_l: [n_l, n_{l−1}], xavier_uniform, linear
//!     minimize ½·‖r(e(x̃)) − x‖² / B over mini-batches, x̃ = x with each entry zeroed with
//!     probability `corruption` (masking noise), with Adam
//!     h_l = e(h_{l−1}) on the clean inputs
//! the classifier's hidden layers start at (W_l, b_l); its output layer is drawn fresh
//! ```
//!
//! The decoder is linear because the representations it reconstructs are real-valued (the
//! inputs are standardized) and untied, as in Vincent et al. Every random choice (weights,
//! masks, orders) comes from streams keyed by the seed and `pretrain.layer{l}.*`.

use initspec::{Scheme, Stream};
use ndarray::{Array2, ArrayView2, Axis};

use crate::activation::Activation;
use crate::classifier::{Affine, Classifier, Mode};
use crate::error::Result;
use crate::layers::draw_scheme_matrix;
use crate::optimizer::{Optimizer, OptimizerKind};
use crate::train::{shuffled, uniforms};

/// How to pre-train each layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PretrainConfig {
    /// Epochs of autoencoder training per layer.
    pub epochs: usize,
    /// Samples per step.
    pub batch_size: usize,
    /// Probability of zeroing each input entry.
    pub corruption: f64,
    /// Adam's learning rate.
    pub learning_rate: f64,
}

/// 10 epochs per layer, batches of 32, 25 % masking noise, Adam at 10⁻³.
pub const PRETRAIN_DEFAULT: PretrainConfig = PretrainConfig {
    epochs: 10,
    batch_size: 32,
    corruption: 0.25,
    learning_rate: 1e-3,
};

/// One pre-trained layer and how well it reconstructs its input.
#[derive(Debug, Clone, PartialEq)]
pub struct PretrainedLayer {
    /// The encoder's weight and bias, the classifier layer's starting point.
    pub encoder: Affine,
    /// The reconstruction loss ½·‖r − x‖²/B over the clean inputs before training.
    pub initial_loss: f64,
    /// The same after training.
    pub final_loss: f64,
}

/// Pre-trains hidden layers of `widths` (the hidden widths, in order) on `inputs`.
///
/// # Errors
/// Drawing or shape errors (a width of 0).
pub fn pretrain(
    inputs: ArrayView2<f64>,
    widths: &[usize],
    activation: Activation,
    config: &PretrainConfig,
    seed: u64,
) -> Result<Vec<PretrainedLayer>> {
    let scheme: Scheme = "xavier_uniform".parse().expect("a fixed, valid scheme");
    let mut h = inputs.to_owned();
    let mut layers = Vec::with_capacity(widths.len());
    for (l, &width) in widths.iter().enumerate() {
        let name = |part: &str| format!("pretrain.layer{}.{part}", l + 1);
        let n_in = h.ncols();
        let encoder = draw_scheme_matrix(&scheme, n_in, width, seed, &name("encoder"))?;
        let decoder = draw_scheme_matrix(&scheme, width, n_in, seed, &name("decoder"))?;
        let mut ae = Classifier::from_weights(vec![encoder, decoder], activation, false)?;
        let initial_loss = reconstruction_loss(&ae, h.view(), h.view())?;
        let mut optimizer = Optimizer::new(OptimizerKind::Adam {
            learning_rate: config.learning_rate,
        })?;
        let n = h.nrows();
        let (order_stream, mask_stream) = (
            Stream::new(seed, &name("order")),
            Stream::new(seed, &name("mask")),
        );
        for epoch in 0..config.epochs {
            let order = shuffled(n, epoch, order_stream);
            let masks = uniforms(mask_stream, (epoch * n * n_in) as u64, n * n_in);
            for (b, rows) in order.chunks(config.batch_size.max(1)).enumerate() {
                let clean = h.select(Axis(0), rows);
                let mut noisy = clean.clone();
                let offset = b * config.batch_size.max(1) * n_in;
                for (i, v) in noisy.iter_mut().enumerate() {
                    if masks[offset + i] < config.corruption {
                        *v = 0.0;
                    }
                }
                let trace = ae.forward(noisy.view(), Mode::Train)?;
                let grad = (trace.logits() - &clean) / rows.len() as f64;
                let gradients = ae.backward(&trace, grad.view())?;
                optimizer.step(ae.parameters_mut(), &gradients.parameters);
            }
        }
        let final_loss = reconstruction_loss(&ae, h.view(), h.view())?;
        let encoder = ae.hidden.remove(0).affine;
        h = (h.dot(&encoder.weight) + &encoder.bias).mapv(|v| activation.apply(v));
        layers.push(PretrainedLayer {
            encoder,
            initial_loss,
            final_loss,
        });
    }
    Ok(layers)
}

/// ½·‖r(e(x)) − target‖² / B.
fn reconstruction_loss(
    ae: &Classifier,
    x: ArrayView2<f64>,
    target: ArrayView2<f64>,
) -> Result<f64> {
    let trace = ae.forward(x, Mode::Eval)?;
    let diff: Array2<f64> = trace.logits() - &target;
    Ok(diff.iter().map(|d| d * d).sum::<f64>() / (2.0 * x.nrows().max(1) as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digits::digits;

    #[test]
    fn every_layer_learns_to_reconstruct() {
        // Seed 3, 2 layers of 32 on 300 digits, 5 epochs: each reconstruction loss must fall
        // by a third or more (seeds 0..10 all fall by 45 % or more).
        let data = digits();
        let x = data.train.features.slice(ndarray::s![..300, ..]).to_owned();
        let config = PretrainConfig {
            epochs: 5,
            ..PRETRAIN_DEFAULT
        };
        let layers = pretrain(x.view(), &[32, 32], Activation::Tanh, &config, 3).unwrap();
        assert_eq!(layers.len(), 2);
        for l in &layers {
            assert!(l.final_loss < 0.67 * l.initial_loss, "{l:?}");
            assert_eq!(l.encoder.weight.ncols(), 32);
        }
    }
}
