//! `initspec train`: does the network train, and by how much does its start matter? A dense
//! classifier of the 1,797 handwritten digits (`initspec_nn::digits`, embedded) started by a
//! scheme, LSUV, autoencoder pre-training or transfer, trained with SGD or Adam over one or
//! more seeds; test accuracy per epoch, a summary over seeds, learning curves in SVG.

use std::path::PathBuf;

use initspec_nn::digits::{self, CLASSES};
use initspec_nn::experiment::{Experiment, InitDetails, InitMethod, RunResult, mean_sd};
use initspec_nn::optimizer::OptimizerKind;
use initspec_nn::{Activation, NnError};
use serde_json::{Value, json};

use crate::limits;
use crate::output::{Outcome, outln};
use crate::svg;
use crate::train_plot;
use anyhow::anyhow;

/// The most hidden layers `train` builds.
pub const MAX_TRAIN_DEPTH: usize = 50;
/// The most units per hidden layer.
pub const MAX_TRAIN_WIDTH: usize = 1024;
/// The most epochs.
pub const MAX_EPOCHS: usize = 1000;
/// The most seeds in one call.
pub const MAX_SEEDS: usize = 100;

/// The options of `initspec train`.
#[derive(clap::Args, Debug, Clone)]
pub struct TrainArgs {
    /// How the network starts: a scheme (xavier_uniform, kaiming_normal(nonlinearity=relu),
    /// normal(std=0.01), zeros, orthogonal, ...; fans in the in-out layout of `x @ W`), lsuv,
    /// ae-pretrain or transfer.
    #[arg(long)]
    pub init: String,
    /// Activation of the hidden layers: linear, tanh, relu, leaky_relu,
    /// leaky_relu(negative_slope=S), sigmoid, selu.
    #[arg(long)]
    pub activation: String,
    /// Hidden layers, 1 to 50.
    #[arg(long)]
    pub depth: usize,
    /// Units per hidden layer, 1 to 1024.
    #[arg(long)]
    pub width: usize,
    /// Batch normalization (learned γ, β) before each hidden activation.
    #[arg(long)]
    pub batchnorm: bool,
    /// sgd (momentum 0.9, learning rate 0.01) or adam (learning rate 0.001).
    #[arg(long, default_value = "sgd")]
    pub optimizer: String,
    /// Overrides the optimizer's learning rate.
    #[arg(long)]
    pub learning_rate: Option<f64>,
    /// Passes over the training set, 1 to 1000.
    #[arg(long, default_value_t = 20)]
    pub epochs: usize,
    /// Samples per step.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// The fraction of the training samples whose labels are used, in (0, 1] (the first
    /// ⌈fraction·n⌉ in file order; pre-training still sees every training input).
    #[arg(long, default_value_t = 1.0)]
    pub labels: f64,
    /// The task's digits, e.g. 5-9 or 0,2,4 (default: all ten; transfer: 5-9, pre-trained
    /// on the others).
    #[arg(long)]
    pub digits: Option<String>,
    /// Runs, one per seed: seed, seed + 1, …, up to 100.
    #[arg(long, default_value_t = 1)]
    pub seeds: usize,
    /// The first seed (of the weights, the shuffles and the start's own randomness).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// A digits file to use instead of the embedded one (gzip or plain CSV: 64 pixel counts
    /// 0..16 and a label per line).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Worker threads for the seeds, 1 to 1024 (default: all cores). Changes speed, never
    /// numbers.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also draw the learning curves (test accuracy per epoch, mean and band over seeds)
    /// into this SVG file.
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

/// Parses `5-9`, `0,2,4` or a mix (`0-2,7`).
fn parse_digits(text: &str) -> anyhow::Result<Vec<usize>> {
    let bad = || anyhow!("invalid --digits `{text}`: write e.g. 5-9 or 0,2,4 (digits 0 to 9)");
    let mut digits = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let (a, b): (usize, usize) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
        if a > b || b >= CLASSES {
            return Err(bad());
        }
        digits.extend(a..=b);
    }
    digits.sort_unstable();
    digits.dedup();
    Ok(digits)
}

/// The experiment the arguments ask for.
///
/// # Errors
/// Every out-of-range or unparsable argument, in one line.
pub fn experiment(args: &TrainArgs) -> anyhow::Result<Experiment> {
    let init: InitMethod = args
        .init
        .parse()
        .map_err(|e: NnError| anyhow!("invalid --init: {e}"))?;
    let activation: Activation = args
        .activation
        .parse()
        .map_err(|e: NnError| anyhow!("invalid --activation: {e}"))?;
    let range = |name: &str, value: usize, max: usize| {
        if (1..=max).contains(&value) {
            Ok(())
        } else {
            Err(anyhow!("--{name} must lie in 1..={max}, got {value}"))
        }
    };
    range("depth", args.depth, MAX_TRAIN_DEPTH)?;
    range("width", args.width, MAX_TRAIN_WIDTH)?;
    range("epochs", args.epochs, MAX_EPOCHS)?;
    range("seeds", args.seeds, MAX_SEEDS)?;
    range("batch-size", args.batch_size, 1 << 20)?;
    if !(args.labels > 0.0 && args.labels <= 1.0) {
        return Err(anyhow!("--labels must lie in (0, 1], got {}", args.labels));
    }
    let mut optimizer = match args.optimizer.as_str() {
        "sgd" => OptimizerKind::SGD_DEFAULT,
        "adam" => OptimizerKind::ADAM_DEFAULT,
        other => return Err(anyhow!("invalid --optimizer `{other}`: use sgd or adam")),
    };
    if let Some(rate) = args.learning_rate {
        if !(rate > 0.0 && rate.is_finite()) {
            return Err(anyhow!(
                "--learning-rate must be positive and finite, got {rate}"
            ));
        }
        optimizer = match optimizer {
            OptimizerKind::Sgd { momentum, .. } => OptimizerKind::Sgd {
                learning_rate: rate,
                momentum,
            },
            OptimizerKind::Adam { .. } => OptimizerKind::Adam {
                learning_rate: rate,
            },
        };
    }
    let digits = args.digits.as_deref().map(parse_digits).transpose()?;
    Ok(Experiment {
        init,
        activation,
        depth: args.depth,
        width: args.width,
        batch_norm: args.batchnorm,
        epochs: args.epochs,
        batch_size: args.batch_size,
        optimizer,
        labels: args.labels,
        digits,
    })
}

/// Runs `initspec train`.
///
/// # Errors
/// Bad arguments, an unreadable or malformed data file, an unwritable plot.
pub fn run(args: &TrainArgs) -> anyhow::Result<Outcome> {
    let experiment = experiment(args)?;
    if let Some(path) = &args.plot {
        svg::check_plot_path(path)?;
    }
    let split = match &args.data {
        None => digits::digits(),
        Some(path) => {
            let bytes = std::fs::read(path)
                .map_err(|e| anyhow!("cannot read --data {}: {e}", path.display()))?;
            let raw = digits::parse(&bytes).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            digits::split(&raw)
        }
    };
    let seeds: Vec<u64> = (0..args.seeds as u64)
        .map(|i| args.seed.wrapping_add(i))
        .collect();
    let progress = crate::progress::bar(
        seeds.len() as u64,
        crate::progress::Unit::Items("runs"),
        &format!("training {}", experiment.init),
    );
    let runs = limits::with_threads(args.threads, || {
        experiment
            .run_seeds_with_progress(&split, &seeds, &|| progress.inc(1))
            .map_err(|e| anyhow!("{e}"))
    });
    progress.finish_and_clear();
    let runs = runs?;
    let accuracies: Vec<f64> = runs.iter().map(|r| r.run.test_accuracy()).collect();
    let (mean, sd) = mean_sd(&accuracies);
    if let Some(path) = &args.plot {
        let title = title(&experiment);
        svg::write_svg(
            path,
            &train_plot::learning_curves_svg(&title, &runs, args.epochs),
        )?;
    }
    let mut out = String::new();
    if args.json {
        let value = json!({
            "init": experiment.init.to_string(),
            "activation": experiment.activation.name(),
            "depth": experiment.depth,
            "width": experiment.width,
            "batchnorm": experiment.batch_norm,
            "optimizer": experiment.optimizer.name(),
            "epochs": experiment.epochs,
            "batch_size": experiment.batch_size,
            "labels": experiment.labels,
            "digits": experiment.task_digits(),
            "runs": runs.iter().map(|r| run_json(&experiment, r)).collect::<Vec<_>>(),
            "summary": {
                "test_accuracy_mean": mean,
                "test_accuracy_sd": sd,
                "runs": runs.len(),
            },
        });
        outln!(out, "{}", serde_json::to_string_pretty(&value)?);
    } else {
        outln!(out, "{}", title(&experiment));
        outln!(
            out,
            "{:>6}  {:>9}  {:>9}  {:>10}  {:>8}  start",
            "seed",
            "acc@0",
            "acc@end",
            "loss@end",
            "epochs"
        );
        for r in &runs {
            let last_loss = r.run.epochs.last().map_or(f64::NAN, |e| e.train_loss);
            outln!(
                out,
                "{:>6}  {:>9.4}  {:>9.4}  {:>10.4}  {:>8}  {}",
                r.seed,
                r.run.initial_test_accuracy,
                r.run.test_accuracy(),
                last_loss,
                r.run.epochs.len(),
                details_text(&r.details, r.run.diverged_at)
            );
        }
        outln!(
            out,
            "test accuracy {mean:.4} ± {sd:.4} (mean ± sd over {} seeds; chance is {:.2})",
            runs.len(),
            1.0 / experiment.task_digits().len() as f64
        );
    }
    Ok(Outcome::success(out))
}

/// A one-line description of the experiment.
fn title(e: &Experiment) -> String {
    let digits = e.task_digits();
    let task = if digits.len() == CLASSES {
        "digits 0-9".to_string()
    } else {
        format!("digits {digits:?}")
    };
    format!(
        "train {task}: init {}, {} × {} {}{}, {} (lr {}), {} epochs of batch {}, {}% of the labels",
        e.init,
        e.depth,
        e.width,
        e.activation.name(),
        if e.batch_norm { " + batch norm" } else { "" },
        e.optimizer.name(),
        match e.optimizer {
            OptimizerKind::Sgd { learning_rate, .. } | OptimizerKind::Adam { learning_rate } =>
                learning_rate,
        },
        e.epochs,
        e.batch_size,
        e.labels * 100.0
    )
}

fn details_text(details: &InitDetails, diverged_at: Option<usize>) -> String {
    let mut text = match details {
        InitDetails::None => String::new(),
        InitDetails::Lsuv(layers) => format!(
            "lsuv scales {}",
            layers
                .iter()
                .map(|l| format!("{:.3}", l.scale))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        InitDetails::Pretrain(losses) => format!(
            "pre-trained reconstruction loss {}",
            losses
                .iter()
                .map(|(a, b)| format!("{a:.3}->{b:.3}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        InitDetails::Transfer {
            source_digits,
            source_test_accuracy,
        } => format!("source digits {source_digits:?} test accuracy {source_test_accuracy:.4}"),
    };
    if let Some(epoch) = diverged_at {
        text.push_str(&format!(" (diverged: loss not finite in epoch {epoch})"));
    }
    text
}

/// A finite number, or JSON `null` (a diverged run's loss).
fn number(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

fn run_json(e: &Experiment, r: &RunResult) -> Value {
    let details = match &r.details {
        InitDetails::None => Value::Null,
        InitDetails::Lsuv(layers) => json!(
            layers
                .iter()
                .map(|l| json!({
                    "layer": l.layer,
                    "initial_std": number(l.initial_std),
                    "scale": number(l.scale),
                    "iterations": l.iterations,
                    "final_std": number(l.final_std),
                }))
                .collect::<Vec<_>>()
        ),
        InitDetails::Pretrain(losses) => json!(
            losses
                .iter()
                .enumerate()
                .map(|(l, (a, b))| json!({
                    "layer": l + 1,
                    "initial_loss": number(*a),
                    "final_loss": number(*b),
                }))
                .collect::<Vec<_>>()
        ),
        InitDetails::Transfer {
            source_digits,
            source_test_accuracy,
        } => json!({
            "source_digits": source_digits,
            "source_test_accuracy": source_test_accuracy,
        }),
    };
    json!({
        "init": e.init.to_string(),
        "seed": r.seed,
        "test_accuracy": r.run.test_accuracy(),
        "initial_test_accuracy": r.run.initial_test_accuracy,
        "diverged_at": r.run.diverged_at,
        "init_details": details,
        "epochs": r.run.epochs.iter().map(|ep| json!({
            "epoch": ep.epoch,
            "train_loss": number(ep.train_loss),
            "test_accuracy": ep.test_accuracy,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_lists() {
        assert_eq!(parse_digits("5-9").unwrap(), vec![5, 6, 7, 8, 9]);
        assert_eq!(parse_digits("0,2, 4").unwrap(), vec![0, 2, 4]);
        assert_eq!(parse_digits("0-2,1,7").unwrap(), vec![0, 1, 2, 7]);
        for bad in ["", "9-5", "10", "a", "1-"] {
            assert!(parse_digits(bad).is_err(), "{bad}");
        }
    }
}
