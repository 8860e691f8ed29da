//! The Gaussian law [`Normal`].

use super::Support;
use crate::error::{Result, finite, positive};
use crate::special;

/// `N(mean, std²)`.
///
/// # Formula
/// ```text
/// f(x) = exp(−(x − μ)²/(2σ²)) / (σ√(2π))
/// mean = μ    variance = σ²    μ₄ = 3σ⁴    F(x) = Φ((x − μ)/σ)
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normal {
    mean: f64,
    std: f64,
}

impl Normal {
    /// # Errors
    /// [`crate::Error::NonFinite`] if `mean` or `std` is not finite;
    /// [`crate::Error::NotPositive`] unless `std > 0`.
    ///
    /// # Example
    /// ```
    /// use initspec::law::Normal;
    /// assert!(Normal::new(0.0, 0.02).is_ok());
    /// assert!(Normal::new(0.0, 0.0).is_err());
    /// assert!(Normal::new(0.0, f64::INFINITY).is_err());
    /// ```
    pub fn new(mean: f64, std: f64) -> Result<Normal> {
        let mean = finite("mean", mean)?;
        let std = positive("std", std)?;
        Ok(Normal { mean, std })
    }

    /// The mean `μ`.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The standard deviation `σ`.
    pub fn std(&self) -> f64 {
        self.std
    }

    /// The variance.
    ///
    /// # Formula
    /// ```text
    /// Var X = σ²
    /// ```
    pub fn variance(&self) -> f64 {
        self.std * self.std
    }

    /// The fourth central moment.
    ///
    /// # Formula
    /// ```text
    /// μ₄ = 3σ⁴
    /// ```
    pub fn fourth_central_moment(&self) -> f64 {
        3.0 * self.std.powi(4)
    }

    /// The support, the whole real line.
    pub fn support(&self) -> Support {
        Support {
            low: f64::NEG_INFINITY,
            high: f64::INFINITY,
        }
    }

    /// The distribution function.
    ///
    /// # Formula
    /// ```text
    /// F(x) = Φ((x − μ)/σ)
    /// ```
    pub fn cdf(&self, x: f64) -> f64 {
        special::cdf((x - self.mean) / self.std)
    }

    /// The survival function, accurate in the upper tail.
    ///
    /// # Formula
    /// ```text
    /// S(x) = Φ(−(x − μ)/σ)
    /// ```
    pub fn sf(&self, x: f64) -> f64 {
        special::sf((x - self.mean) / self.std)
    }

    /// The quantile; NaN for `p` outside [0, 1].
    ///
    /// # Formula
    /// ```text
    /// F⁻¹(p) = μ + σ·Φ⁻¹(p)
    /// ```
    pub fn quantile(&self, p: f64) -> f64 {
        if p.is_nan() || !(0.0..=1.0).contains(&p) {
            return f64::NAN;
        }
        self.mean + self.std * special::quantile(p)
    }
}
