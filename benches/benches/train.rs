//! One training epoch of the experiment's network: 10 hidden layers of 256 ReLU units,
//! He-initialized, on the 1,348 training digits, SGD with momentum, batches of 32 (one
//! thread; the matrix products are single-threaded). The baseline, in the same run, is the
//! epoch's matrix products alone (per layer and batch: `x·W`, `xᵀ·g` and `g·Wᵀ` of the same
//! shapes), so `epoch / gemm_only` is what the rest of the loop (activations, softmax,
//! shuffling, optimizer) costs on top.
//!
//! `cargo bench -p initspec-benches --bench train`; docs/PERFORMANCE.md records the results.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use initspec_nn::digits::digits;
use initspec_nn::experiment::Experiment;
use initspec_nn::ndarray::Array2;
use initspec_nn::optimizer::OptimizerKind;
use initspec_nn::train::{TrainConfig, train};
use initspec_nn::{Classifier, draw_weights, layer_laws};

const DEPTH: usize = 10;
const WIDTH: usize = 256;
const BATCH: usize = 32;

fn epoch(c: &mut Criterion) {
    let split = digits();
    let experiment = Experiment {
        init: "kaiming_normal(nonlinearity=relu)"
            .parse()
            .expect("valid scheme"),
        activation: initspec_nn::Activation::Relu,
        depth: DEPTH,
        width: WIDTH,
        batch_norm: false,
        epochs: 1,
        batch_size: BATCH,
        optimizer: OptimizerKind::SGD_DEFAULT,
        labels: 1.0,
        digits: None,
    };
    let widths = experiment.widths();
    let scheme = "kaiming_normal(nonlinearity=relu)"
        .parse()
        .expect("valid scheme");
    let laws = layer_laws(&widths, |_| scheme).expect("resolves");
    let fresh = || {
        Classifier::from_weights(
            draw_weights(&widths, &laws, 0).expect("draws"),
            experiment.activation,
            false,
        )
        .expect("chains")
    };
    let config = TrainConfig {
        epochs: 1,
        batch_size: BATCH,
        optimizer: OptimizerKind::SGD_DEFAULT,
        seed: 0,
    };
    let mut group = c.benchmark_group("train_epoch_10x256_relu");
    group.sample_size(10);
    group.bench_function("epoch", |b| {
        b.iter_batched(
            fresh,
            |mut model| train(&mut model, &split.train, &split.test, &config).expect("trains"),
            criterion::BatchSize::LargeInput,
        );
    });
    let weights: Vec<Array2<f64>> = fresh().weights().into_iter().cloned().collect();
    group.bench_function("gemm_only", |b| {
        b.iter(|| {
            let n = split.train.len();
            for start in (0..n).step_by(BATCH) {
                let rows = BATCH.min(n - start);
                let mut x = Array2::<f64>::ones((rows, widths[0]));
                for w in &weights {
                    let z = x.dot(w);
                    let g = Array2::<f64>::ones(z.dim());
                    black_box(x.t().dot(&g));
                    black_box(g.dot(&w.t()));
                    x = z;
                }
            }
        });
    });
    group.finish();
}

criterion_group!(benches, epoch);
criterion_main!(benches);
