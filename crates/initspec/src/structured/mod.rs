//! Structured initializations: orthogonal, identity-like (eye, dirac, delta-orthogonal) and
//! sparse weights.
//!
//! Unlike the scalar laws, these fill a tensor as a whole: the value of one element depends on
//! the others (the rows of an orthogonal matrix are orthonormal; a sparse column has an exact
//! count of zeros). Every random draw is still index-determined: the Gaussian matrix behind
//! [`orthogonal`] and the mask keys behind [`sparse`] are functions of `(stream, sub-stream,
//! element index)` only, and the linear algebra runs in one fixed order of operations, so the
//! result is the same to the byte for a given `(seed, name)` whatever the number of threads.
//!
//! # Formula
//! ```text
//! orthogonal        Z ~ N(0,1)^{m×n} (m ≥ n, the tall orientation), Z = QR (Householder),
//!                   W = gain · Q·diag(sign Rᵢᵢ), transposed back when rows < cols
//! eye               W[i][j] = 1 if i = j else 0                                   (2-D)
//! dirac             W[g·o + d, d, k₁//2, …] = 1 for d < min(o, in), o = out/groups  (3/4/5-D)
//! delta_orthogonal  W[(k₁−1)//2, …, :, :] = orthogonal([in, out], gain), 0 elsewhere (JAX layout)
//! sparse            per column ⌈sparsity·rows⌉ zeros at uniformly random rows, the rest N(0, std²)
//! ```
//!
//! # Sub-streams
//! The Philox counter's third word separates the independent uses of one [`Stream`](crate::Stream):
//! [`VALUE_WORD`] (0) for the Gaussian values of [`sparse`] (the same draws as the scalar
//! `normal(mean=0, std=…)` law of that stream), [`ORTHOGONAL_WORD`] (1) for the Gaussian
//! matrix of [`orthogonal`] and [`delta_orthogonal`], and [`MASK_WORD`] (2) for the zero
//! positions of [`sparse`].
//!
//! # Why the sign fix
//! Householder QR returns `Rᵢᵢ = −sign(zᵢᵢ)·‖·‖` (the LAPACK convention), so `Q` alone is not
//! Haar-distributed: its first column has `Q₁₁ < 0` always. Multiplying each column of `Q` by
//! `sign(Rᵢᵢ)` makes the factorization unique (`R` with a positive diagonal), and the unique `Q`
//! of a Gaussian matrix is Haar on O(n) (Mezzadri 2007, §5). PyTorch `orthogonal_`, Keras and JAX
//! apply the same correction; [`orthogonal_without_sign_fix`] omits it, as a negative control.
//!
//! # References
//! - Saxe, McClelland & Ganguli (2014), *Exact solutions to the nonlinear dynamics of learning
//!   in deep linear neural networks*, ICLR (orthogonal initialization).
//! - Mezzadri (2007), *How to generate random matrices from the classical compact groups*,
//!   Notices of the AMS 54(5):592–604 (the sign fix).
//! - Martens (2010), *Deep learning via Hessian-free optimization*, ICML (sparse initialization).
//! - Xiao, Bahri, Sohl-Dickstein, Schoenholz & Pennington (2018), *Dynamical isometry and a
//!   mean field theory of CNNs*, ICML (delta-orthogonal kernels).

use std::fmt;

pub(crate) mod gemm;
mod identity;
mod orthogonal;
mod sparse;

pub use identity::{delta_orthogonal, dirac, eye};
pub use orthogonal::orthogonal;
#[doc(hidden)]
pub use orthogonal::orthogonal_without_sign_fix;
pub use sparse::sparse;

/// Sub-stream (Philox counter word 2) of the Gaussian values of [`sparse`].
pub const VALUE_WORD: u32 = 0;
/// Sub-stream of the Gaussian matrix of [`orthogonal`] and [`delta_orthogonal`].
pub const ORTHOGONAL_WORD: u32 = 1;
/// Sub-stream of the mask keys of [`sparse`].
pub const MASK_WORD: u32 = 2;

/// What can be wrong with the shape or the parameters of a structured initialization.
///
/// The functions of this module return it directly; through the grammar and
/// [`Scheme::resolve`](crate::Scheme::resolve) it arrives wrapped in
/// [`Error::Structured`](crate::Error::Structured).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StructuredError {
    /// The tensor's rank is not one the scheme supports.
    Rank {
        /// The scheme.
        scheme: &'static str,
        /// The rank given.
        rank: usize,
        /// The ranks accepted, in words.
        accepted: &'static str,
    },
    /// A parameter is NaN or infinite.
    NonFinite {
        /// The parameter.
        key: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A parameter that must be strictly positive is not: `!(value > 0)`.
    NotPositive {
        /// The parameter.
        key: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A parameter lies outside its closed interval `[low, high]` (or is NaN).
    OutOfRange {
        /// The parameter.
        key: &'static str,
        /// The offending value.
        value: f64,
        /// Lower end of the interval.
        low: f64,
        /// Upper end of the interval.
        high: f64,
    },
    /// `groups` is 0 or does not divide the number of output channels `shape[0]`.
    GroupsDoNotDivide {
        /// `shape[0]`.
        out_channels: usize,
        /// The groups given.
        groups: usize,
    },
    /// Delta-orthogonal needs `in ≤ out` (JAX: "fan_in must be less or equal than fan_out").
    InExceedsOut {
        /// `shape[rank − 2]`.
        in_channels: usize,
        /// `shape[rank − 1]`.
        out_channels: usize,
    },
    /// The number of elements overflows `usize`.
    TooLarge {
        /// The shape.
        shape: Vec<usize>,
    },
}

impl fmt::Display for StructuredError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StructuredError::Rank {
                scheme,
                rank,
                accepted,
            } => write!(
                f,
                "{scheme} needs a tensor of rank {accepted}, got rank {rank}; reshape the tensor"
            ),
            StructuredError::NonFinite { key, value } => {
                write!(f, "{key} = {value} is not finite; give a finite number")
            }
            StructuredError::NotPositive { key, value } => {
                write!(f, "{key} = {value} must be greater than 0")
            }
            StructuredError::OutOfRange {
                key,
                value,
                low,
                high,
            } => write!(f, "{key} = {value} must lie in [{low}, {high}]"),
            StructuredError::GroupsDoNotDivide {
                out_channels,
                groups,
            } => write!(
                f,
                "groups = {groups} must be at least 1 and divide the {out_channels} output channels"
            ),
            StructuredError::InExceedsOut {
                in_channels,
                out_channels,
            } => write!(
                f,
                "delta_orthogonal needs in ≤ out, got in = {in_channels} > out = {out_channels}; \
                 use a kernel with at least as many output as input channels"
            ),
            StructuredError::TooLarge { shape } => {
                write!(f, "shape {shape:?} has more elements than fit in memory")
            }
        }
    }
}

impl std::error::Error for StructuredError {}

/// The number of elements of `shape`, or [`StructuredError::TooLarge`].
pub(crate) fn numel(shape: &[usize]) -> Result<usize, StructuredError> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| StructuredError::TooLarge {
            shape: shape.to_vec(),
        })
}

/// Checks that `gain` is finite and strictly positive.
pub(crate) fn check_gain(gain: f64) -> Result<(), StructuredError> {
    if !gain.is_finite() {
        return Err(StructuredError::NonFinite {
            key: "gain",
            value: gain,
        });
    }
    if !(gain > 0.0) {
        return Err(StructuredError::NotPositive {
            key: "gain",
            value: gain,
        });
    }
    Ok(())
}
