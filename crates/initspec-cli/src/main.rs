//! The `initspec` binary; everything it does is in the `initspec_cli` library
//! (`initspec_cli::main`).

use std::process::ExitCode;

fn main() -> ExitCode {
    initspec_cli::main()
}
