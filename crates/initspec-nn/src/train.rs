//! Mini-batch training of a [`Classifier`] with softmax cross-entropy, deterministic for a
//! seed.
//!
//! Each epoch visits the training set in a new order: a Fisher–Yates shuffle whose uniform
//! draws come from the stream `(seed, "train.shuffle")`, counters `epoch·n ..`, so the order
//! depends on the seed and the epoch only. The matrix products are single-threaded
//! (`ndarray`'s `matrixmultiply` without its threading feature), so a run gives the same
//! numbers on any number of cores; several runs go in parallel, one per thread.

use initspec::{Law, Sampler, Stream};
use ndarray::Axis;

use crate::classifier::{Classifier, Mode};
use crate::digits::Dataset;
use crate::error::{NnError, Result};
use crate::loss::softmax_cross_entropy;
use crate::optimizer::{Optimizer, OptimizerKind};

/// How to train.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Samples per step (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// The seed of the shuffling stream.
    pub seed: u64,
}

/// What one epoch ended with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochRecord {
    /// 1-based.
    pub epoch: usize,
    /// The mean loss over the epoch's batches (as computed during the epoch, in training
    /// mode); not finite once the run has diverged.
    pub train_loss: f64,
    /// Accuracy on the test set after the epoch (evaluation mode).
    pub test_accuracy: f64,
}

/// A training run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainRun {
    /// Test accuracy before the first step.
    pub initial_test_accuracy: f64,
    /// One record per epoch trained.
    pub epochs: Vec<EpochRecord>,
    /// The epoch whose loss was not finite, after which training stopped (the weights hold
    /// infinities or NaNs; the remaining epochs would change nothing).
    pub diverged_at: Option<usize>,
}

impl TrainRun {
    /// The test accuracy at the end (of the last epoch trained).
    pub fn test_accuracy(&self) -> f64 {
        self.epochs
            .last()
            .map_or(self.initial_test_accuracy, |e| e.test_accuracy)
    }
}

/// The stream name of the shuffles.
pub const SHUFFLE_STREAM: &str = "train.shuffle";

/// The order of `n` samples in `epoch` (0-based) for `seed`, on the stream
/// `(seed, "train.shuffle")`.
pub fn epoch_order(n: usize, epoch: usize, seed: u64) -> Vec<usize> {
    shuffled(n, epoch, Stream::new(seed, SHUFFLE_STREAM))
}

/// `n` uniform draws in [0, 1) from `stream`, counters `start ..`.
pub fn uniforms(stream: Stream, start: u64, n: usize) -> Vec<f64> {
    let law: Law = "uniform(a=0, b=1)"
        .parse()
        .expect("a fixed, valid base scheme");
    let mut u = vec![0f64; n];
    Sampler::new(&law, stream).fill_range(start, &mut u);
    u
}

/// A Fisher–Yates shuffle of `0..n` for `epoch`, with the uniforms `epoch·n ..` of `stream`.
pub fn shuffled(n: usize, epoch: usize, stream: Stream) -> Vec<usize> {
    let u = uniforms(stream, epoch as u64 * n as u64, n);
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = ((u[i] * (i + 1) as f64) as usize).min(i);
        order.swap(i, j);
    }
    order
}

/// Trains `model` on `train` and measures it on `test` after every epoch.
///
/// # Errors
/// [`NnError::InvalidSetting`] for zero epochs or a zero batch size, an empty training or
/// test set; the optimizer's errors; shape errors when the data do not fit the model.
pub fn train(
    model: &mut Classifier,
    train: &Dataset,
    test: &Dataset,
    config: &TrainConfig,
) -> Result<TrainRun> {
    if config.epochs == 0 || config.batch_size == 0 {
        return Err(NnError::InvalidSetting {
            reason: "epochs and the batch size must be at least 1".into(),
        });
    }
    if train.is_empty() || test.is_empty() {
        return Err(NnError::InvalidSetting {
            reason: "the training and test sets must not be empty".into(),
        });
    }
    let mut optimizer = Optimizer::new(config.optimizer)?;
    let initial_test_accuracy = model.accuracy(test.features.view(), &test.labels)?;
    let mut epochs = Vec::with_capacity(config.epochs);
    let mut diverged_at = None;
    for epoch in 0..config.epochs {
        let order = epoch_order(train.len(), epoch, config.seed);
        let (mut loss_sum, mut batches) = (0.0, 0usize);
        for rows in order.chunks(config.batch_size) {
            let x = train.features.select(Axis(0), rows);
            let labels: Vec<usize> = rows.iter().map(|&i| train.labels[i]).collect();
            let trace = model.forward(x.view(), Mode::Train)?;
            let (loss, grad) = softmax_cross_entropy(trace.logits().view(), &labels)?;
            loss_sum += loss;
            batches += 1;
            if !loss.is_finite() {
                break;
            }
            let gradients = model.backward(&trace, grad.view())?;
            model.update_running_statistics(&trace);
            optimizer.step(model.parameters_mut(), &gradients.parameters);
        }
        let train_loss = loss_sum / batches.max(1) as f64;
        let test_accuracy = model.accuracy(test.features.view(), &test.labels)?;
        epochs.push(EpochRecord {
            epoch: epoch + 1,
            train_loss,
            test_accuracy,
        });
        if !train_loss.is_finite() {
            diverged_at = Some(epoch + 1);
            break;
        }
    }
    Ok(TrainRun {
        initial_test_accuracy,
        epochs,
        diverged_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_are_permutations_fixed_by_seed_and_epoch() {
        let a = epoch_order(100, 0, 7);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_eq!(a, epoch_order(100, 0, 7));
        assert_ne!(a, epoch_order(100, 1, 7));
        assert_ne!(a, epoch_order(100, 0, 8));
    }
}
