//! The robust facts of the training experiment, on the real training loop and the digits
//! (docs/EXPERIMENTS.md, "Does it train?"). Each network is 10 hidden layers of 64 units,
//! trained for 5 epochs with SGD (η = 0.01, momentum 0.9, batches of 32) on the fixed split
//! (1,348 training, 449 test samples; chance is 1/10).
//!
//! The thresholds come from a recorded sweep of 20 seeds (0..20) per fact, e.g.
//! `initspec train --init zeros --activation relu --depth 10 --width 64 --epochs 5 --seeds 20`
//! (Zen 4, 2026-12-05):
//!
//! | fact | sweep: min … max test accuracy over 20 seeds | threshold here |
//! |---|---|---|
//! | zeros (ReLU and tanh) stays at chance | 0.0913 … 0.0958 | ≤ 0.15 |
//! | small N(0, 0.01²) tanh does not learn | 0.0913 … 0.0958 | ≤ 0.15 |
//! | He (kaiming_normal, ReLU gain) + ReLU learns | 0.7773 … 0.9465 | ≥ 0.60 |
//! | batch norm rescues small N(0, 0.01²) tanh | 0.7973 … 0.9109 | ≥ 0.60 |
//!
//! The tests run seeds 0, 1 and 2; the thresholds sit well outside each sweep's range, so a
//! failure means the fact (or the training loop) changed, not an unlucky seed.

use initspec_nn::digits::{Split, digits};
use initspec_nn::experiment::{Experiment, InitMethod};
use initspec_nn::optimizer::OptimizerKind;
use initspec_nn::{Activation, Classifier};

fn experiment(init: &str, activation: &str, batch_norm: bool) -> Experiment {
    Experiment {
        init: init.parse().unwrap(),
        activation: activation.parse().unwrap(),
        depth: 10,
        width: 64,
        batch_norm,
        epochs: 5,
        batch_size: 32,
        optimizer: OptimizerKind::SGD_DEFAULT,
        labels: 1.0,
        digits: None,
    }
}

fn accuracies(e: &Experiment, split: &Split) -> Vec<f64> {
    e.run_seeds(split, &[0, 1, 2])
        .unwrap()
        .iter()
        .map(|r| r.run.test_accuracy())
        .collect()
}

#[test]
fn zero_init_stays_at_chance() {
    let split = digits();
    for activation in ["relu", "tanh"] {
        for a in accuracies(&experiment("zeros", activation, false), &split) {
            assert!(a <= 0.15, "{activation}: {a}");
        }
    }
}

#[test]
fn small_init_tanh_at_depth_10_does_not_learn_and_batch_norm_rescues_it() {
    let split = digits();
    for a in accuracies(&experiment("normal(std=0.01)", "tanh", false), &split) {
        assert!(a <= 0.15, "small tanh: {a}");
    }
    for a in accuracies(&experiment("normal(std=0.01)", "tanh", true), &split) {
        assert!(a >= 0.60, "small tanh + batch norm: {a}");
    }
}

#[test]
fn he_init_relu_at_depth_10_learns() {
    let split = digits();
    let he = experiment("kaiming_normal(nonlinearity=relu)", "relu", false);
    for a in accuracies(&he, &split) {
        assert!(a >= 0.60, "He + ReLU: {a}");
    }
}

/// Column `j` of every hidden weight, and bias `j`: the unit's incoming parameters.
fn units_identical(model: &Classifier) -> bool {
    model.hidden.iter().all(|h| {
        let w = &h.affine.weight;
        (1..w.ncols()).all(|j| w.column(j) == w.column(0) && h.affine.bias[j] == h.affine.bias[0])
    })
}

#[test]
fn zero_init_leaves_the_units_of_each_layer_identical_after_training() {
    // The symmetry argument on the real loop: with W = 0 every unit of a layer computes the
    // same function and receives the same gradient, so after any amount of training the units
    // are still copies of each other. A random start (the control) breaks the symmetry.
    let split = digits();
    let train = split.train.head(256);
    let config = initspec_nn::train::TrainConfig {
        epochs: 3,
        batch_size: 32,
        optimizer: OptimizerKind::SGD_DEFAULT,
        seed: 4,
    };
    let widths = [64, 32, 32, 32, 10];
    for (scheme, symmetric) in [
        ("zeros", true),
        ("constant(value=0.05)", true),
        ("xavier_uniform", false),
    ] {
        let scheme: initspec::Scheme = scheme.parse().unwrap();
        let laws = initspec_nn::layer_laws(&widths, |_| scheme).unwrap();
        let weights = initspec_nn::draw_weights(&widths, &laws, 4).unwrap();
        let mut model = Classifier::from_weights(weights, Activation::Tanh, false).unwrap();
        initspec_nn::train::train(&mut model, &train, &split.test, &config).unwrap();
        // Training moved the parameters (with W = 0 and tanh(0) = 0 only the output bias
        // gets a gradient; with W = 0.05 every layer moves).
        assert!(model.output.bias.iter().any(|&v| v != 0.0), "{scheme}");
        assert_eq!(units_identical(&model), symmetric, "{scheme}");
    }
}

#[test]
fn runs_are_the_same_on_one_and_two_threads() {
    let split = digits();
    let e = Experiment {
        depth: 3,
        width: 32,
        epochs: 2,
        ..experiment("lsuv", "relu", false)
    };
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| e.run_seeds(&split, &[7, 8, 9]).unwrap())
    };
    assert_eq!(on(1), on(2));
    assert!(matches!(e.init, InitMethod::Lsuv));
}

#[test]
fn pretraining_and_transfer_start_better_than_chance_on_few_labels() {
    // Seeds 0..3, depth 3, width 64, 5 epochs, 10 % of the labels: both starts learn.
    let split = digits();
    for init in ["ae-pretrain", "transfer"] {
        let e = Experiment {
            depth: 3,
            labels: 0.1,
            ..experiment(init, "tanh", false)
        };
        let runs = e.run_seeds(&split, &[0, 1, 2]).unwrap();
        for r in &runs {
            assert!(
                r.run.test_accuracy() >= 0.5,
                "{init}: {}",
                r.run.test_accuracy()
            );
        }
    }
}
