//! Progress bars for long work (`init`, `calibrate`, `verify`, `audit`, `train`), on standard
//! error, drawn only when standard error is a terminal and `--quiet` was not given. Piped or
//! redirected output (JSON, CI logs) never contains one, and the bar is cleared when the work
//! ends, so the terminal keeps only the report.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Audits draw a bar only when they read at least this much (1 GiB): below it an audit
/// takes seconds, and a bar would only flicker.
pub const AUDIT_MIN_BYTES: u64 = 1 << 30;

/// Set by `--quiet`.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Silences every progress bar of this process (`--quiet`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// What a bar counts.
#[derive(Clone, Copy, Debug)]
pub enum Unit {
    /// Bytes, shown as KiB/MiB/GiB with a rate.
    Bytes,
    /// Whole items of the named kind ("trials", "cases", "runs").
    Items(&'static str),
}

/// [`bar`] for an audit of `total` bytes; hidden below [`AUDIT_MIN_BYTES`].
pub fn audit_bar(total: u64, message: &str) -> ProgressBar {
    if total < AUDIT_MIN_BYTES {
        return ProgressBar::hidden();
    }
    bar(total, Unit::Bytes, message)
}

/// A bar of `total` units with its rate and ETA, and `message` after it; hidden (every call
/// on it does nothing) when standard error is not a terminal or `--quiet` was given.
pub fn bar(total: u64, unit: Unit, message: &str) -> ProgressBar {
    if QUIET.load(Ordering::Relaxed) || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = match unit {
        Unit::Bytes => "{bar:30} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, ETA {eta}) {wide_msg}".to_string(),
        Unit::Items(kind) => {
            format!("{{bar:30}} {{pos}}/{{len}} {kind} ({{elapsed}}, ETA {{eta}}) {{wide_msg}}")
        }
    };
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar.set_message(message.to_string());
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audits_below_a_gibibyte_draw_nothing() {
        // Hidden whatever stderr is: the threshold comes first.
        assert!(audit_bar(AUDIT_MIN_BYTES - 1, "").is_hidden());
    }

    #[test]
    fn quiet_hides_every_bar() {
        set_quiet(true);
        assert!(bar(10, Unit::Items("runs"), "").is_hidden());
        assert!(audit_bar(AUDIT_MIN_BYTES, "").is_hidden());
        set_quiet(false);
    }
}
