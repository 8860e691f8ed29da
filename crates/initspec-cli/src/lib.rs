//! The `initspec` command line. The binary (`src/main.rs`) calls [`main`]; every command
//! lives in its own private module beside its arguments, and returns its report and exit
//! status (0 success / conforms, 1 does not conform) or an error (exit 2, one line).
//!
//! Public beyond [`main`] only: [`args`], the parsers of command-line values, for the fuzz
//! targets. The file formats live in the `initspec-io` crate.

pub mod args;
mod audit;
mod audit_plot;
mod bench;
mod bench_gate;
mod calibrate;
mod checkpoint;
mod cli;
mod identify;
mod init;
mod input;
mod limits;
mod output;
mod progress;
mod propagate;
mod report;
mod sample;
mod signals;
mod svg;
mod train;
mod train_plot;
mod verify;

pub use cli::main;
