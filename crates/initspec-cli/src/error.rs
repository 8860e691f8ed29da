//! [`CliError`]: an input or usage problem, reported in one line with exit status 2.

use std::fmt;

/// A problem with the request or its input: an unknown scheme, a bad shape, an unreadable
/// or unwritable file. The binary prints it as one line and exits with status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    message: String,
}

impl CliError {
    /// An error with this one-line message.
    pub fn new(message: impl Into<String>) -> CliError {
        let message: String = message.into();
        CliError {
            message: message.replace('\n', " "),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<initspec::Error> for CliError {
    fn from(error: initspec::Error) -> CliError {
        CliError::new(error.to_string())
    }
}

impl From<crate::format::FormatError> for CliError {
    fn from(error: crate::format::FormatError) -> CliError {
        CliError::new(error.to_string())
    }
}
