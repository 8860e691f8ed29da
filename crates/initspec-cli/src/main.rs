//! The `initspec` binary: argument parsing and exit codes only; the work is in the library.
//!
//! Exit codes: 0 success / conforms, 1 does not conform (audit, verify), 2 usage or input
//! error. Nothing panics on any input.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use initspec_cli::args::{parse_layout, parse_scheme, parse_shape};
use initspec_cli::format::Dtype;
use initspec_cli::{CliError, audit, bench, calibrate, identify, sample, verify};

/// The reference implementation and auditor of neural-network weight initialization.
#[derive(Parser, Debug)]
#[command(name = "initspec", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Draw a scheme into a .npy or .safetensors file.
    Sample(SampleArgs),
    /// Check every built-in scheme against its exact law (the conformance suite).
    Verify(VerifyArgs),
    /// Hold weights from a .npy or .safetensors file against the scheme they claim.
    Audit(audit::AuditArgs),
    /// Say which known laws fit the weights in a file, best first.
    Identify(identify::IdentifyArgs),
    /// Measure the false-positive rate and power of each check of the audit.
    Calibrate(calibrate::CalibrateArgs),
    /// Run a unit-Gaussian batch through a freshly initialized dense stack and compare each
    /// layer's statistics with the variance recursion.
    Propagate(initspec_cli::propagate::PropagateArgs),
    /// Throughput of the fill kernels against memset and rand_distr, measured in the same run.
    Bench(bench::BenchArgs),
}

#[derive(clap::Args, Debug)]
struct SampleArgs {
    /// The scheme, e.g. `kaiming_uniform(a=2.23606797749979)` or `he_normal`.
    #[arg(long)]
    scheme: String,
    /// Comma-separated dimensions, e.g. 256,784 (an empty string is a scalar).
    #[arg(long, allow_hyphen_values = true)]
    shape: String,
    /// Where the fans are: out-in (PyTorch), in-out (Keras/JAX), transposed (ConvTranspose)
    /// or axes(in=[..], out=[..], batch=[..]).
    #[arg(long, default_value = "out-in")]
    layout: String,
    /// Convolution groups.
    #[arg(long, default_value_t = 1)]
    groups: usize,
    /// The seed of the random stream.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The tensor's name: part of its stream key, and its name inside .safetensors.
    #[arg(long, default_value = "weight")]
    name: String,
    /// Stored dtype: f32, f64, bf16 or f16.
    #[arg(long, default_value = "f32")]
    dtype: String,
    /// Worker threads (default: all cores). Changes speed, never bytes.
    #[arg(long)]
    threads: Option<usize>,
    /// Output file: .npy or .safetensors.
    #[arg(long)]
    out: PathBuf,
}

#[derive(clap::Args, Debug)]
struct VerifyArgs {
    /// Samples drawn per case.
    #[arg(long, default_value_t = verify::DEFAULT_SAMPLES)]
    samples: usize,
    /// The seed of every case's stream.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Family-wise significance level of each case's statistical checks (Holm).
    #[arg(long, default_value_t = verify::DEFAULT_ALPHA)]
    alpha: f64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs `work` on a rayon pool of `threads` workers (all cores when `None`).
fn with_threads<T: Send>(
    threads: Option<usize>,
    work: impl FnOnce() -> Result<T, CliError> + Send,
) -> Result<T, CliError> {
    match threads {
        None => work(),
        Some(0) => Err(CliError::new("--threads must be at least 1")),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| CliError::new(format!("cannot start {n} threads: {e}")))?
            .install(work),
    }
}

fn run_sample(args: &SampleArgs) -> Result<i32, CliError> {
    let request = sample::SampleRequest {
        scheme: parse_scheme(&args.scheme)?,
        shape: parse_shape(&args.shape)?,
        layout: parse_layout(&args.layout)?,
        groups: args.groups,
        seed: args.seed,
        name: args.name.clone(),
        dtype: args
            .dtype
            .parse::<Dtype>()
            .map_err(|e| CliError::new(format!("invalid --dtype: {e}")))?,
        out: args.out.clone(),
    };
    let summary = with_threads(args.threads, || sample::run(&request))?;
    let law = summary.law.map_or_else(
        || "empty tensor, nothing drawn".to_string(),
        |law| law.to_string(),
    );
    println!(
        "wrote {}: {:?} {} {} -> {law} (seed {}, name {:?})",
        request.out.display(),
        request.shape,
        request.dtype,
        request.scheme,
        request.seed,
        request.name
    );
    Ok(0)
}

/// A reader that stops early (`initspec verify | head`) closes the pipe; printing then fails
/// with `BrokenPipe`, which `println!` turns into a panic. That is not an error of ours: exit
/// quietly, as Unix tools do. Any other panic keeps the default report.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Sample(args) => run_sample(args),
        Command::Verify(args) => with_threads(args.threads, || {
            verify::run(args.samples, args.seed, args.alpha, args.json)
        }),
        Command::Audit(args) => audit::run(args),
        Command::Identify(args) => identify::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Propagate(args) => initspec_cli::propagate::run(args),
        Command::Bench(args) => bench::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(error) => {
            eprintln!("initspec: error: {error}");
            ExitCode::from(2)
        }
    }
}
