//! The error type of the goodness-of-fit module.

use std::fmt;

/// Why a goodness-of-fit computation was refused.
///
/// Functions return this instead of panicking on degenerate input.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum GofError {
    /// The sample has no values (n = 0), so the statistic is undefined.
    EmptySample,
    /// The sample contains a NaN, at this index (the first one found).
    NanInSample {
        /// Index of the first NaN.
        index: usize,
    },
    /// A χ² test needs `bins ≥ 2` equiprobable bins.
    TooFewBins {
        /// The number of bins asked for.
        bins: usize,
    },
    /// The hypothesised variance must be finite and `> 0`.
    InvalidVariance {
        /// The variance given.
        variance: f64,
    },
    /// The hypothesised mean must be finite.
    InvalidMean {
        /// The mean given.
        mean: f64,
    },
    /// The hypothesised fourth central moment μ₄ must be finite and `> σ⁴`
    /// (μ₄ ≥ σ⁴ always holds; equality is the degenerate two-point law ±σ).
    InvalidFourthMoment {
        /// The fourth central moment given.
        fourth_central_moment: f64,
        /// The variance σ² it is compared with.
        variance: f64,
    },
    /// A confidence level must lie strictly between 0 and 1.
    InvalidLevel {
        /// The level given.
        level: f64,
    },
}

impl fmt::Display for GofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::EmptySample => write!(f, "the sample is empty; provide at least one value"),
            Self::NanInSample { index } => write!(
                f,
                "the sample contains NaN (first at index {index}); such weights conform to no law: report them before testing the rest"
            ),
            Self::TooFewBins { bins } => {
                write!(f, "a χ² test needs at least 2 bins, got {bins}")
            }
            Self::InvalidVariance { variance } => write!(
                f,
                "the hypothesised variance must be finite and > 0, got {variance}"
            ),
            Self::InvalidMean { mean } => {
                write!(f, "the hypothesised mean must be finite, got {mean}")
            }
            Self::InvalidFourthMoment {
                fourth_central_moment,
                variance,
            } => write!(
                f,
                "the fourth central moment must be finite and > variance² ({}), got {fourth_central_moment}",
                variance * variance
            ),
            Self::InvalidLevel { level } => {
                write!(f, "a confidence level must lie in (0, 1), got {level}")
            }
        }
    }
}

impl std::error::Error for GofError {}
