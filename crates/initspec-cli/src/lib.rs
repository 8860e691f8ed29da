//! The `initspec` command line, as a library: tensor file formats and the commands.
//!
//! The binary (`src/main.rs`) only parses arguments and maps results to exit codes:
//! 0 success / conforms, 1 does not conform, 2 usage or input error.

pub mod args;
pub mod audit;
pub mod bench;
pub mod calibrate;
pub mod error;
pub mod format;
pub mod identify;
pub mod input;
pub mod limits;
pub mod output;
pub mod propagate;
pub mod sample;
pub mod signals;
pub mod svg;
pub mod verify;

pub use error::CliError;
