//! The point mass [`Constant`].

use super::Support;
use crate::error::{Result, finite};

/// Every element equals `value`: zeros, ones, `constant(value)`.
///
/// A constant init cannot break the symmetry between the units of a layer: they compute the
/// same function and receive the same gradient forever (docs/SPEC.md).
///
/// # Formula
/// ```text
/// P(X = c) = 1:   mean = c,   variance = 0,   μ₄ = 0,   F(x) = [x ≥ c]
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constant {
    value: f64,
}

impl Constant {
    /// # Errors
    /// [`crate::Error::NonFinite`] if `value` is NaN or infinite.
    pub fn new(value: f64) -> Result<Constant> {
        Ok(Constant {
            value: finite("value", value)?,
        })
    }

    /// The value.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The mean.
    ///
    /// # Formula
    /// ```text
    /// E[X] = c
    /// ```
    pub fn mean(&self) -> f64 {
        self.value
    }

    /// The variance.
    ///
    /// # Formula
    /// ```text
    /// Var X = 0
    /// ```
    pub fn variance(&self) -> f64 {
        0.0
    }

    /// The fourth central moment.
    ///
    /// # Formula
    /// ```text
    /// μ₄ = 0
    /// ```
    pub fn fourth_central_moment(&self) -> f64 {
        0.0
    }

    /// The support, the single point `[c, c]`.
    pub fn support(&self) -> Support {
        Support {
            low: self.value,
            high: self.value,
        }
    }

    /// The distribution function (0 for NaN).
    ///
    /// # Formula
    /// ```text
    /// F(x) = 1 if x ≥ c, else 0
    /// ```
    pub fn cdf(&self, x: f64) -> f64 {
        if x >= self.value { 1.0 } else { 0.0 }
    }

    /// The survival function.
    ///
    /// # Formula
    /// ```text
    /// S(x) = 1 − F(x)
    /// ```
    pub fn sf(&self, x: f64) -> f64 {
        1.0 - self.cdf(x)
    }

    /// The quantile: `c` for every `p` in [0, 1], NaN otherwise.
    ///
    /// # Formula
    /// ```text
    /// F⁻¹(p) = c
    /// ```
    pub fn quantile(&self, p: f64) -> f64 {
        if p.is_nan() || !(0.0..=1.0).contains(&p) {
            return f64::NAN;
        }
        self.value
    }
}
