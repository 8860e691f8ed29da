//! The continuous uniform law [`Uniform`].

use crate::error::{Error, Result};

/// `U(a, b)`: density `1/(b − a)` on `[a, b)`.
///
/// ```text
/// mean = (a + b)/2    variance = (b − a)²/12    μ₄ = (b − a)⁴/80    kurtosis = 9/5
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uniform {
    a: f64,
    b: f64,
}

impl Uniform {
    /// # Errors
    /// [`Error::NonFinite`] if a bound or the width `b − a` is not finite;
    /// [`Error::EmptyInterval`] unless `a < b`.
    ///
    /// # Example
    /// ```
    /// use initspec::law::Uniform;
    /// assert!(Uniform::new(-0.5, 0.5).is_ok());
    /// assert!(Uniform::new(1.0, 1.0).is_err());
    /// assert!(Uniform::new(f64::NAN, 1.0).is_err());
    /// ```
    pub fn new(a: f64, b: f64) -> Result<Uniform> {
        if !a.is_finite() {
            return Err(Error::NonFinite { key: "a", value: a });
        }
        if !b.is_finite() {
            return Err(Error::NonFinite { key: "b", value: b });
        }
        if !(a < b) {
            return Err(Error::EmptyInterval {
                low_key: "a",
                low: a,
                high_key: "b",
                high: b,
            });
        }
        if !(b - a).is_finite() {
            return Err(Error::NonFinite {
                key: "b - a",
                value: b - a,
            });
        }
        Ok(Uniform { a, b })
    }

    /// The symmetric law `U(−bound, bound)`.
    ///
    /// # Errors
    /// As [`Uniform::new`]; in particular `bound` must be finite and > 0.
    pub fn symmetric(bound: f64) -> Result<Uniform> {
        if !(bound > 0.0) || !bound.is_finite() {
            return Err(if bound.is_finite() {
                Error::NotPositive {
                    key: "bound",
                    value: bound,
                }
            } else {
                Error::NonFinite {
                    key: "bound",
                    value: bound,
                }
            });
        }
        Uniform::new(-bound, bound)
    }

    /// The lower bound (included).
    pub fn a(&self) -> f64 {
        self.a
    }

    /// The upper bound (excluded).
    pub fn b(&self) -> f64 {
        self.b
    }
}
