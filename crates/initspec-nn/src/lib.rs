//! # initspec-nn
//!
//! The smallest dense network that initspec's experiments need: linear layers in the
//! `InOut` layout of NumPy's `x @ W` (no biases), the activations linear, tanh, ReLU, leaky
//! ReLU, sigmoid and SELU, batch normalization in training mode before the activation,
//! forward and backward passes, and a plain SGD step. Weights are drawn from initspec
//! schemes, one independent stream per layer (`layer{l}.weight`).
//!
//! For training: [`Classifier`] (biases, batch norm with learned γ, β and running
//! estimates, a linear output), [`loss`] (softmax cross-entropy), [`optimizer`] (SGD with
//! momentum, Adam), [`train`] (deterministic mini-batch training), [`digits`] (the 1,797
//! handwritten digits, embedded), [`lsuv`], [`pretrain`] (denoising autoencoders) and
//! [`experiment`], which puts them together.
//!
//! ```
//! use initspec_nn::{Activation, Network, layer_statistics, theory};
//! use ndarray::Array2;
//!
//! let scheme = "kaiming_normal(nonlinearity=relu)".parse().unwrap();
//! let net = Network::init(&[64, 64, 64], &scheme, Activation::Relu, false, 1).unwrap();
//! let x = Array2::from_shape_fn((32, 64), |(i, j)| ((i * 64 + j) as f64).sin());
//! let stats = layer_statistics(&net.forward(x.view()).unwrap());
//! assert_eq!(stats.len(), 2);
//! assert!(stats[1].post.mean > 0.0);
//! ```
//!
//! [`theory`] holds what the variance recursion predicts for each layer, [`layers`] resolves
//! and draws each layer's weights (the one place the experiments do), and [`propagation`]
//! runs the variance recursion as a statistical study over many independent networks.

pub mod activation;
pub mod batch_norm;
pub mod classifier;
pub mod digits;
pub mod error;
pub mod experiment;
pub mod layers;
pub mod loss;
pub mod lsuv;
pub mod network;
pub mod optimizer;
pub mod pretrain;
pub mod propagation;
pub mod stats;
pub mod theory;
pub mod train;

/// The `ndarray` this crate's signatures use, re-exported so callers need no second copy.
pub use ndarray;

pub use activation::Activation;
pub use batch_norm::BATCH_NORM_EPS;
pub use classifier::{Classifier, Mode};
pub use error::{NnError, Result};
pub use experiment::{Experiment, InitMethod, RunResult};
pub use layers::{
    draw_matrix, draw_scheme_matrix, draw_weights, layer_laws, standard_normal_matrix,
    weight_stream_name,
};
pub use network::{Forward, Gradients, LayerTrace, Loss, Network, mse_loss};
pub use stats::{
    GradientStatistics, LayerStatistics, Moments, gradient_statistics, layer_statistics,
};
pub use theory::{Basis, LayerPrediction, predict};
