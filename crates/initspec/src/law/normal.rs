//! The Gaussian law [`Normal`].

use crate::error::{Error, Result};

/// `N(mean, std²)`.
///
/// ```text
/// variance = std²    μ₄ = 3·std⁴
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normal {
    mean: f64,
    std: f64,
}

impl Normal {
    /// # Errors
    /// [`Error::NonFinite`] if `mean` or `std` is not finite; [`Error::NotPositive`] unless
    /// `std > 0`.
    ///
    /// # Example
    /// ```
    /// use initspec::law::Normal;
    /// assert!(Normal::new(0.0, 0.02).is_ok());
    /// assert!(Normal::new(0.0, 0.0).is_err());
    /// assert!(Normal::new(0.0, f64::INFINITY).is_err());
    /// ```
    pub fn new(mean: f64, std: f64) -> Result<Normal> {
        if !mean.is_finite() {
            return Err(Error::NonFinite {
                key: "mean",
                value: mean,
            });
        }
        if !std.is_finite() {
            return Err(Error::NonFinite {
                key: "std",
                value: std,
            });
        }
        if !(std > 0.0) {
            return Err(Error::NotPositive {
                key: "std",
                value: std,
            });
        }
        Ok(Normal { mean, std })
    }

    /// The mean.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The standard deviation.
    pub fn std(&self) -> f64 {
        self.std
    }
}
