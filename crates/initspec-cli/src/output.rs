//! What a command prints and its exit status, and how they reach the terminal.
//!
//! Commands do not print as they go: they return an [`Outcome`], the whole text for standard
//! output beside the exit status it implies (0 conforms, 1 does not). [`Outcome::emit`] then
//! writes the text in one piece, so a write that fails cannot change the verdict:
//!
//! - a reader that closed the pipe early (`initspec audit … | head -1`) ends the write
//!   silently, and the exit status is still the verdict's (1 stays 1 under `pipefail`);
//! - any other write error (`> /dev/full`) is a one-line error on standard error, exit 2.
//!
//! Standard error is written with [`report_error`], which never panics, even when standard
//! error itself cannot be written.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::process::ExitCode;

/// Appends a formatted line to a `String` (formatting into a `String` cannot fail).
macro_rules! outln {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}
pub(crate) use outln;

/// Appends formatted text, without a newline, to a `String`.
macro_rules! out {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = write!($out, $($arg)*);
    }};
}
pub(crate) use out;

/// The result of a command that ran: its standard output and its exit status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// 0 success / conforms, 1 does not conform.
    pub status: u8,
    /// Everything for standard output.
    pub text: String,
}

impl Outcome {
    /// Status 0 with this text.
    pub fn success(text: String) -> Outcome {
        Outcome { status: 0, text }
    }

    /// Status 0 when `pass`, else 1, with this text.
    pub fn verdict(pass: bool, text: String) -> Outcome {
        Outcome {
            status: if pass { 0 } else { 1 },
            text,
        }
    }

    /// Writes the text to standard output and returns the exit status: the outcome's own, also
    /// when the reader closed the pipe; 2 (after a one-line error) when the write failed
    /// otherwise.
    pub fn emit(&self) -> ExitCode {
        ExitCode::from(self.emit_to(&mut io::stdout().lock()))
    }

    /// [`Outcome::emit`] into any writer; returns the exit status.
    pub fn emit_to(&self, out: &mut impl Write) -> u8 {
        match out
            .write_all(self.text.as_bytes())
            .and_then(|()| out.flush())
        {
            Ok(()) => self.status,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => self.status,
            Err(e) => {
                report_error(&format!("cannot write to standard output: {e}"));
                2
            }
        }
    }
}

/// Prints `initspec: error: MESSAGE` as one line on standard error; a failure to write it is
/// ignored (there is nowhere left to report it), never a panic.
pub fn report_error(message: &str) {
    let mut line = String::new();
    let _ = writeln!(line, "initspec: error: {}", message.replace('\n', " "));
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that fails every write with one error kind.
    struct Failing(io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(self.0))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::from(self.0))
        }
    }

    #[test]
    fn a_closed_pipe_keeps_the_verdict() {
        let fail = Outcome::verdict(false, "FAIL\n".into());
        assert_eq!(fail.emit_to(&mut Failing(io::ErrorKind::BrokenPipe)), 1);
        let pass = Outcome::verdict(true, "PASS\n".into());
        assert_eq!(pass.emit_to(&mut Failing(io::ErrorKind::BrokenPipe)), 0);
    }

    #[test]
    fn other_write_errors_are_status_2() {
        let fail = Outcome::verdict(false, "FAIL\n".into());
        assert_eq!(fail.emit_to(&mut Failing(io::ErrorKind::StorageFull)), 2);
        assert_eq!(
            Outcome::success(String::new()).emit_to(&mut Failing(io::ErrorKind::Other)),
            2
        );
    }

    #[test]
    fn text_arrives_whole() {
        let mut sink = Vec::new();
        let mut text = String::new();
        outln!(text, "a {}", 1);
        out!(text, "b");
        outln!(text);
        assert_eq!(Outcome::success(text).emit_to(&mut sink), 0);
        assert_eq!(sink, b"a 1\nb\n");
    }
}
