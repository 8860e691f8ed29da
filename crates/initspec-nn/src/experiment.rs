//! The training experiment: one architecture, one way to start it, trained on the digits
//! over several seeds.
//!
//! A network has `depth` hidden layers of `width` units with one activation (optionally
//! batch-normalized) and a linear output over the 10 digits (`[64, width, …, width, 10]`).
//! It starts in one of four ways ([`InitMethod`]):
//!
//! - a scheme (`xavier_uniform`, `kaiming_normal(nonlinearity=relu)`, `normal(std=0.01)`,
//!   `zeros`, ...), drawn for every weight matrix in the `InOut` layout, biases 0;
//! - `lsuv`: orthogonal, then LSUV on a batch of 256 training inputs ([`crate::lsuv`]);
//! - `ae-pretrain`: greedy layer-wise denoising autoencoders on all training inputs (labels
//!   unused), then a fresh output layer ([`crate::pretrain`]);
//! - `transfer`: a network started from the activation's reference scheme
//!   ([`reference_scheme`]) is trained on the *other* digits (0–4 when the task is 5–9),
//!   its output layer is drawn afresh, and it is fine-tuned on the task.
//!
//! Then it is trained with softmax cross-entropy ([`crate::train`]) on the labelled part of
//! the task's training set: the first ⌈labels·n⌉ samples in file order (the same for every
//! seed), so `labels < 1` asks how each start copes with few labels.

use std::fmt;
use std::str::FromStr;

use initspec::{Scheme, Stream};
use ndarray::Axis;
use rayon::prelude::*;

use crate::activation::Activation;
use crate::classifier::Classifier;
use crate::digits::{CLASSES, Dataset, FEATURES, Split};
use crate::error::{NnError, Result};
use crate::layers::{draw_scheme_matrix, draw_weights, layer_laws};
use crate::lsuv::{LSUV_MAX_ITERATIONS, LSUV_TOL, LsuvLayer, lsuv};
use crate::optimizer::OptimizerKind;
use crate::pretrain::{PRETRAIN_DEFAULT, pretrain};
use crate::train::{TrainConfig, TrainRun, shuffled, train};

/// Inputs LSUV measures each layer's output on.
pub const LSUV_BATCH: usize = 256;

/// How a network starts.
#[derive(Debug, Clone, PartialEq)]
pub enum InitMethod {
    /// Every weight matrix drawn from the scheme.
    Scheme(Scheme),
    /// Orthogonal, then layer-sequential unit variance.
    Lsuv,
    /// Greedy layer-wise denoising-autoencoder pre-training.
    AePretrain,
    /// Trained on the other digits, output layer re-drawn.
    Transfer,
}

impl FromStr for InitMethod {
    type Err = NnError;

    fn from_str(text: &str) -> Result<InitMethod> {
        match text.trim() {
            "lsuv" => Ok(InitMethod::Lsuv),
            "ae-pretrain" => Ok(InitMethod::AePretrain),
            "transfer" => Ok(InitMethod::Transfer),
            other => other.parse::<Scheme>().map(InitMethod::Scheme).map_err(|e| {
                NnError::InvalidSetting {
                    reason: format!(
                        "unknown init `{other}`: give a scheme (e.g. xavier_uniform, normal(std=0.01)), lsuv, ae-pretrain or transfer ({e})"
                    ),
                }
            }),
        }
    }
}

impl fmt::Display for InitMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitMethod::Scheme(s) => write!(f, "{s}"),
            InitMethod::Lsuv => f.write_str("lsuv"),
            InitMethod::AePretrain => f.write_str("ae-pretrain"),
            InitMethod::Transfer => f.write_str("transfer"),
        }
    }
}

/// The scheme each activation is usually started from, used by `transfer` for the source
/// network: He (`kaiming_normal(nonlinearity=relu)`, or leaky_relu with its slope) for the
/// ReLU family, LeCun normal for SELU, Xavier uniform otherwise (tanh, sigmoid, linear).
pub fn reference_scheme(activation: Activation) -> Scheme {
    let text = match activation {
        Activation::Relu => "kaiming_normal(nonlinearity=relu)".to_string(),
        Activation::LeakyRelu { negative_slope } => {
            format!("kaiming_normal(a={negative_slope:?}, nonlinearity=leaky_relu)")
        }
        Activation::Selu => "lecun_normal".to_string(),
        _ => "xavier_uniform".to_string(),
    };
    text.parse().expect("fixed, valid schemes")
}

/// One experiment's setting (all but the seed).
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    /// How the network starts.
    pub init: InitMethod,
    /// φ of the hidden layers.
    pub activation: Activation,
    /// Hidden layers.
    pub depth: usize,
    /// Units per hidden layer.
    pub width: usize,
    /// Batch norm before each hidden activation.
    pub batch_norm: bool,
    /// Epochs of supervised training.
    pub epochs: usize,
    /// Samples per step.
    pub batch_size: usize,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// The fraction of the task's training samples whose labels are used, in (0, 1].
    pub labels: f64,
    /// The digits of the task (`None`: all ten; `transfer` then uses 5–9).
    pub digits: Option<Vec<usize>>,
}

/// What the start did, when there is something to report.
#[derive(Debug, Clone, PartialEq)]
pub enum InitDetails {
    /// A scheme: nothing beyond the scheme.
    None,
    /// LSUV's per-layer scales.
    Lsuv(Vec<LsuvLayer>),
    /// Each pre-trained layer's reconstruction loss before and after.
    Pretrain(Vec<(f64, f64)>),
    /// The source task and the accuracy reached on it.
    Transfer {
        /// The source digits.
        source_digits: Vec<usize>,
        /// Test accuracy on the source digits at the end of source training.
        source_test_accuracy: f64,
    },
}

/// One seed's run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// The seed: of the weights, of the shuffles and of the start's own randomness.
    pub seed: u64,
    /// The supervised training on the task.
    pub run: TrainRun,
    /// What the start did.
    pub details: InitDetails,
}

impl Experiment {
    /// The digits of the task.
    pub fn task_digits(&self) -> Vec<usize> {
        match (&self.digits, &self.init) {
            (Some(d), _) => d.clone(),
            (None, InitMethod::Transfer) => (5..CLASSES).collect(),
            (None, _) => (0..CLASSES).collect(),
        }
    }

    /// `[64, width × depth, 10]`.
    pub fn widths(&self) -> Vec<usize> {
        let mut w = vec![FEATURES];
        w.extend(std::iter::repeat_n(self.width, self.depth));
        w.push(CLASSES);
        w
    }

    fn check(&self) -> Result<()> {
        let bad = |reason: String| Err(NnError::InvalidSetting { reason });
        if self.depth == 0 || self.width == 0 {
            return bad("depth and width must be at least 1".into());
        }
        if !(self.labels > 0.0 && self.labels <= 1.0) {
            return bad(format!("--labels must lie in (0, 1], got {}", self.labels));
        }
        let digits = self.task_digits();
        if digits.is_empty() || digits.iter().any(|&d| d >= CLASSES) {
            return bad(format!(
                "the task's digits must lie in 0..=9, got {digits:?}"
            ));
        }
        if self.init == InitMethod::Transfer && digits.len() == CLASSES {
            return bad("transfer needs a task of fewer than ten digits (e.g. --digits 5-9): it pre-trains on the others".into());
        }
        Ok(())
    }

    /// Builds, starts and trains the network for `seed`.
    ///
    /// # Errors
    /// [`NnError::InvalidSetting`] for a setting out of range; the start's and training's
    /// errors.
    pub fn run(&self, split: &Split, seed: u64) -> Result<RunResult> {
        self.check()?;
        let digits = self.task_digits();
        let task = |set: &Dataset| set.filter_labels(|l| digits.contains(&l));
        let (train_all, test) = (task(&split.train), task(&split.test));
        let labelled = ((self.labels * train_all.len() as f64).ceil() as usize).max(1);
        let train_set = train_all.head(labelled);
        let config = TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            optimizer: self.optimizer,
            seed,
        };
        let widths = self.widths();
        let (mut model, details) = match &self.init {
            InitMethod::Scheme(scheme) => (self.drawn(scheme, seed)?, InitDetails::None),
            InitMethod::Lsuv => {
                let orthogonal: Scheme = "orthogonal".parse().expect("a fixed, valid scheme");
                let mut model = self.drawn(&orthogonal, seed)?;
                let order = shuffled(train_all.len(), 0, Stream::new(seed, "lsuv.batch"));
                let rows: Vec<usize> = order.into_iter().take(LSUV_BATCH).collect();
                let batch = train_all.features.select(Axis(0), &rows);
                let layers = lsuv(&mut model, batch.view(), LSUV_TOL, LSUV_MAX_ITERATIONS)?;
                (model, InitDetails::Lsuv(layers))
            }
            InitMethod::AePretrain => {
                let hidden = &widths[1..widths.len() - 1];
                let layers = pretrain(
                    train_all.features.view(),
                    hidden,
                    self.activation,
                    &PRETRAIN_DEFAULT,
                    seed,
                )?;
                let losses = layers
                    .iter()
                    .map(|l| (l.initial_loss, l.final_loss))
                    .collect();
                let mut model = self.drawn(&reference_scheme(self.activation), seed)?;
                for (h, l) in model.hidden.iter_mut().zip(layers) {
                    h.affine = l.encoder;
                }
                (model, InitDetails::Pretrain(losses))
            }
            InitMethod::Transfer => {
                let source_digits: Vec<usize> =
                    (0..CLASSES).filter(|d| !digits.contains(d)).collect();
                let source = |set: &Dataset| set.filter_labels(|l| source_digits.contains(&l));
                let mut model = self.drawn(&reference_scheme(self.activation), seed)?;
                let source_run = train(
                    &mut model,
                    &source(&split.train),
                    &source(&split.test),
                    &config,
                )?;
                let last = widths.len() - 1;
                model.output.weight = draw_scheme_matrix(
                    &reference_scheme(self.activation),
                    widths[last - 1],
                    widths[last],
                    seed,
                    "transfer.output.weight",
                )?;
                model.output.bias.fill(0.0);
                (
                    model,
                    InitDetails::Transfer {
                        source_digits,
                        source_test_accuracy: source_run.test_accuracy(),
                    },
                )
            }
        };
        let run = train(&mut model, &train_set, &test, &config)?;
        Ok(RunResult { seed, run, details })
    }

    /// The network with every weight matrix drawn from `scheme` (streams `layer{l}.weight`).
    fn drawn(&self, scheme: &Scheme, seed: u64) -> Result<Classifier> {
        let widths = self.widths();
        let laws = layer_laws(&widths, |_| *scheme)?;
        Classifier::from_weights(
            draw_weights(&widths, &laws, seed)?,
            self.activation,
            self.batch_norm,
        )
    }

    /// Runs every seed, in parallel (each run is deterministic; the results are in seed
    /// order).
    ///
    /// # Errors
    /// The first error of any run.
    pub fn run_seeds(&self, split: &Split, seeds: &[u64]) -> Result<Vec<RunResult>> {
        self.run_seeds_with_progress(split, seeds, &|| {})
    }

    /// [`Experiment::run_seeds`], calling `on_run` (from the worker threads) as each run
    /// finishes, for a progress display. The results are the same.
    ///
    /// # Errors
    /// The first error of any run.
    pub fn run_seeds_with_progress(
        &self,
        split: &Split,
        seeds: &[u64],
        on_run: &(dyn Fn() + Sync),
    ) -> Result<Vec<RunResult>> {
        seeds
            .par_iter()
            .map(|&s| {
                let run = self.run(split, s);
                on_run();
                run
            })
            .collect()
    }
}

/// Mean and sample standard deviation (0 for one value).
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}
