//! Termination signals: SIGINT (Ctrl-C), SIGTERM and SIGHUP remove every temporary file the
//! process is writing ([`initspec_io::AtomicFile`]), then end it with status 128 + N, as a
//! shell reports a process killed by signal N. The final path of an interrupted write is never
//! created, and now no temporary file is left beside it either.
//!
//! SIGKILL cannot be caught: the temporary it leaves is named so that the next write into the
//! same directory recognises and removes it ([`initspec_io::AtomicFile::create`]).

/// Starts a thread that waits for SIGINT, SIGTERM or SIGHUP, removes the temporaries being
/// written and exits with 128 + the signal's number. Does nothing where signals cannot be
/// registered.
#[cfg(unix)]
pub fn remove_temporaries_on_termination() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;

    let Ok(mut signals) = Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("initspec-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                initspec_io::remove_live_temporaries();
                std::process::exit(128 + signal);
            }
        });
    // Without the thread the signals keep their default action (the process ends); the
    // temporaries are then removed by the next write into their directory.
    drop(spawned);
}

/// Signals are not handled on this platform; interrupted temporaries are removed by the next
/// write into their directory.
#[cfg(not(unix))]
pub fn remove_temporaries_on_termination() {}
