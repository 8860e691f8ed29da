//! The command line: the commands, their parsing, and the exit status of a run.
//!
//! Exit codes: 0 success / conforms, 1 does not conform (audit, verify), 2 usage or input
//! error, 128 + N when stopped by signal N (after removing any file it was writing). Every
//! error is one line on standard error (the error and its context, joined by `: `); nothing
//! panics on any input.

use std::process::ExitCode;

use crate::output::{Outcome, report_error};
use crate::{
    audit, bench, calibrate, checkpoint, identify, init, propagate, sample, signals, train, verify,
};
use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

/// The reference implementation and auditor of neural-network weight initialization.
#[derive(Parser, Debug)]
#[command(name = "initspec", version, long_about = None)]
struct Cli {
    /// No progress bars. They are drawn on standard error only when it is a terminal, and
    /// cleared when the work ends; --quiet silences them there too.
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Draw a scheme into a .npy or .safetensors file.
    Sample(sample::SampleArgs),
    /// Initialize a whole model from a manifest into a .safetensors file or a sharded
    /// checkpoint directory.
    Init(init::InitArgs),
    /// Check every built-in scheme against its exact law (the conformance suite).
    Verify(verify::VerifyArgs),
    /// Hold weights from a .npy or .safetensors file against the scheme they claim.
    Audit(audit::AuditArgs),
    /// Say which known laws fit the weights in a file or checkpoint, best first.
    Identify(identify::IdentifyArgs),
    /// Write the manifest of a checkpoint: each tensor's name, shape, dtype and the best
    /// scheme identify finds for it.
    Manifest(checkpoint::ManifestArgs),
    /// Measure the false-positive rate and power of each check of the audit.
    Calibrate(calibrate::CalibrateArgs),
    /// Run a unit-Gaussian batch through a freshly initialized dense stack and compare each
    /// layer's statistics with the variance recursion.
    Propagate(propagate::PropagateArgs),
    /// Throughput of the fill kernels against memset and rand_distr, measured in the same run.
    Bench(bench::BenchArgs),
    /// Train a digit classifier from a given start (a scheme, lsuv, ae-pretrain, transfer)
    /// over several seeds: test accuracy per epoch and learning curves.
    Train(train::TrainArgs),
}

/// Parses the arguments. `--help` and `--version` print in full (exit 0); every other parser
/// error is one line naming the problem and pointing at `--help` (exit 2).
fn parse() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|error| match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let text = error.render().to_string();
            Outcome::success(text).emit()
        }
        _ => {
            report_error(&one_line(&error));
            ExitCode::from(2)
        }
    })
}

/// The first line of clap's error, without its `error: ` prefix, and where to look next.
fn one_line(error: &clap::Error) -> String {
    if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return "a command is needed: sample, init, verify, audit, identify, manifest, calibrate, propagate or bench (see initspec --help)".to_string();
    }
    let rendered = error.render().to_string();
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    if first.ends_with(':') {
        // "the following required arguments were not provided:" lists them on the next
        // lines, one each, before the usage line.
        let listed: Vec<&str> = lines.take_while(|l| !l.starts_with("Usage:")).collect();
        return format!("{first} {} (see initspec --help)", listed.join(", "));
    }
    format!("{first} (see initspec --help)")
}

fn run(command: &Command) -> anyhow::Result<Outcome> {
    match command {
        Command::Sample(args) => sample::command(args),
        Command::Init(args) => init::run(args),
        Command::Verify(args) => verify::command(args),
        Command::Audit(args) => audit::run(args),
        Command::Identify(args) => identify::run(args),
        Command::Manifest(args) => checkpoint::manifest(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Propagate(args) => propagate::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Train(args) => train::run(args),
    }
}

/// Runs `initspec` with the process's arguments and returns its exit status.
pub fn main() -> ExitCode {
    signals::remove_temporaries_on_termination();
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    crate::progress::set_quiet(cli.quiet);
    match run(&cli.command) {
        Ok(outcome) => outcome.emit(),
        Err(error) => {
            // `{:#}`: the error and its context, outermost first, on one line.
            report_error(&format!("{error:#}"));
            ExitCode::from(2)
        }
    }
}
