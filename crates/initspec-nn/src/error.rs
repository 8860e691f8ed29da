//! [`NnError`]: why a network could not be built, run or trained.

use std::fmt;

/// An invalid network, input or training request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NnError {
    /// A network needs at least one layer: `widths` must hold the input width and at least
    /// one layer width (or `weights` at least one matrix).
    EmptyNetwork,
    /// Every width (input and layers) must be at least 1; `layer` 0 is the input.
    ZeroWidth {
        /// The offending position in the widths (0 = input).
        layer: usize,
    },
    /// An array does not have the shape the network needs.
    ShapeMismatch {
        /// What was being checked (`"input"`, `"layer 3 weight"`, ...).
        what: String,
        /// The shape required.
        expected: Vec<usize>,
        /// The shape given.
        found: Vec<usize>,
    },
    /// A batch must hold at least one row.
    EmptyBatch,
    /// The scheme could not be resolved or drawn for a layer's weight.
    Init {
        /// The 1-based layer.
        layer: usize,
        /// The core library's error.
        source: initspec::Error,
    },
    /// An activation name the crate does not know, or a malformed parameter.
    UnknownActivation {
        /// The text given.
        name: String,
    },
    /// A leaky-ReLU slope must be finite.
    InvalidSlope {
        /// The slope given.
        value: f64,
    },
    /// A data file that cannot be read as labelled samples.
    Data {
        /// The 1-based line, or 0 for the file as a whole.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A training setting out of its range (named, with the range).
    InvalidSetting {
        /// The setting and why it is refused.
        reason: String,
    },
    /// A learning rate must be finite.
    InvalidLearningRate {
        /// The rate given.
        value: f64,
    },
}

impl fmt::Display for NnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NnError::EmptyNetwork => {
                f.write_str("a network needs an input width and at least one layer width")
            }
            NnError::ZeroWidth { layer: 0 } => f.write_str("the input width must be at least 1"),
            NnError::ZeroWidth { layer } => {
                write!(f, "the width of layer {layer} must be at least 1")
            }
            NnError::ShapeMismatch {
                what,
                expected,
                found,
            } => write!(
                f,
                "{what} has shape {found:?} but the network needs {expected:?}"
            ),
            NnError::EmptyBatch => f.write_str("the batch must hold at least one row"),
            NnError::Init { layer, source } => {
                write!(f, "cannot initialize layer {layer}: {source}")
            }
            NnError::UnknownActivation { name } => write!(
                f,
                "unknown activation `{name}`: use linear, tanh, relu, leaky_relu, \
                 leaky_relu(negative_slope=S), sigmoid or selu"
            ),
            NnError::InvalidSlope { value } => {
                write!(
                    f,
                    "the leaky_relu negative_slope must be finite, got {value}"
                )
            }
            NnError::Data { line: 0, reason } => write!(f, "malformed data file: {reason}"),
            NnError::Data { line, reason } => {
                write!(f, "malformed data file: line {line}: {reason}")
            }
            NnError::InvalidSetting { reason } => f.write_str(reason),
            NnError::InvalidLearningRate { value } => {
                write!(f, "the learning rate must be finite, got {value}")
            }
        }
    }
}

impl std::error::Error for NnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NnError::Init { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `Result` with [`NnError`].
pub type Result<T> = std::result::Result<T, NnError>;
