//! The continuous uniform law [`Uniform`].

use super::Support;
use crate::error::{Result, finite, nonempty, positive};

/// `U(a, b)`: density `1/(b − a)` on `[a, b)`.
///
/// # Formula
/// ```text
/// mean = (a + b)/2    variance = (b − a)²/12    μ₄ = (b − a)⁴/80    kurtosis = 9/5
/// F(x) = (x − a)/(b − a) on [a, b]
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uniform {
    a: f64,
    b: f64,
}

impl Uniform {
    /// # Errors
    /// [`crate::Error::NonFinite`] if a bound or the width `b − a` is not finite;
    /// [`crate::Error::EmptyInterval`] unless `a < b`.
    ///
    /// # Example
    /// ```
    /// use initspec::law::Uniform;
    /// assert!(Uniform::new(-0.5, 0.5).is_ok());
    /// assert!(Uniform::new(1.0, 1.0).is_err());
    /// assert!(Uniform::new(f64::NAN, 1.0).is_err());
    /// ```
    pub fn new(a: f64, b: f64) -> Result<Uniform> {
        finite("a", a)?;
        finite("b", b)?;
        nonempty("a", a, "b", b)?;
        finite("b - a", b - a)?;
        Ok(Uniform { a, b })
    }

    /// The symmetric law `U(−bound, bound)`.
    ///
    /// # Errors
    /// As [`Uniform::new`]; in particular `bound` must be finite and > 0.
    pub fn symmetric(bound: f64) -> Result<Uniform> {
        positive("bound", bound)?;
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

    /// The mean.
    ///
    /// # Formula
    /// ```text
    /// E[X] = a/2 + b/2
    /// ```
    pub fn mean(&self) -> f64 {
        0.5 * self.a + 0.5 * self.b
    }

    /// The variance.
    ///
    /// # Formula
    /// ```text
    /// Var X = (b − a)²/12
    /// ```
    pub fn variance(&self) -> f64 {
        (self.b - self.a).powi(2) / 12.0
    }

    /// The fourth central moment.
    ///
    /// # Formula
    /// ```text
    /// μ₄ = (b − a)⁴/80
    /// ```
    pub fn fourth_central_moment(&self) -> f64 {
        (self.b - self.a).powi(4) / 80.0
    }

    /// The support `[a, b]` (the upper end itself is never drawn).
    pub fn support(&self) -> Support {
        Support {
            low: self.a,
            high: self.b,
        }
    }

    /// The distribution function.
    ///
    /// # Formula
    /// ```text
    /// F(x) = clamp((x − a)/(b − a), 0, 1)
    /// ```
    pub fn cdf(&self, x: f64) -> f64 {
        ((x - self.a) / (self.b - self.a)).clamp(0.0, 1.0)
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

    /// The quantile; NaN for `p` outside [0, 1].
    ///
    /// # Formula
    /// ```text
    /// F⁻¹(p) = clamp(a + p·(b − a), a, b)
    /// ```
    ///
    /// The clamp keeps the rounded result in the support: where b − a rounds (a = −1.8e308,
    /// b = −8e22 gives b − a = 1.8e308) the unclamped sum at p = 1 is 0, not b.
    ///
    /// # Example
    /// ```
    /// use initspec::law::Uniform;
    /// let u = Uniform::new(-f64::MAX, -8e22).unwrap();
    /// assert_eq!(u.quantile(1.0), -8e22);
    /// assert_eq!(u.quantile(0.0), -f64::MAX);
    /// ```
    pub fn quantile(&self, p: f64) -> f64 {
        if p.is_nan() || !(0.0..=1.0).contains(&p) {
            return f64::NAN;
        }
        (self.a + p * (self.b - self.a)).clamp(self.a, self.b)
    }
}
