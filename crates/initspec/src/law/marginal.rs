//! [`Marginal`]: the law of one element of a structured tensor, taken at a uniformly random
//! position.
//!
//! Every structured law is, element by element, a zero with some probability `q` and otherwise
//! one of three things: the constant 1 (`eye`, `dirac`), a coordinate of a uniform unit vector
//! scaled by a gain (`orthogonal`, `delta_orthogonal`), or a Gaussian (`sparse`). The elements
//! are *not* independent (that is the point of a structure), so this marginal law gives exact
//! moments and a distribution function for summaries, never a licence for i.i.d. tests.

use super::Support;
use crate::special;

/// The non-zero part of a structured element.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Part {
    /// The constant 1.
    One,
    /// `gain · u` with `u` the first coordinate of a uniform unit vector in `R^dimension`:
    /// `(1 + u)/2 ~ Beta((d−1)/2, (d−1)/2)`, `E u² = 1/d`, `E u⁴ = 3/(d(d+2))`; for `d = 1`,
    /// `u = ±1` with probability ½ each.
    SphereCoordinate {
        /// The scale.
        gain: f64,
        /// The dimension `d ≥ 1` of the sphere's ambient space.
        dimension: usize,
    },
    /// `N(0, std²)`.
    Gaussian {
        /// The standard deviation.
        std: f64,
    },
}

/// With probability `zero` the value 0, otherwise a draw of `part`.
///
/// # Formula
/// ```text
/// X = 0 with probability q,  else X ~ part:   F(x) = q·[x ≥ 0] + (1 − q)·F_part(x)
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marginal {
    /// The probability of an exact structural zero, in [0, 1].
    pub zero: f64,
    /// The law of the rest.
    pub part: Part,
}

impl Part {
    /// `(E X, E X², E X³, E X⁴)`.
    fn raw_moments(&self) -> [f64; 4] {
        match *self {
            Part::One => [1.0; 4],
            Part::SphereCoordinate { gain, dimension } => {
                let d = dimension as f64;
                let g2 = gain * gain;
                [0.0, g2 / d, 0.0, 3.0 * g2 * g2 / (d * (d + 2.0))]
            }
            Part::Gaussian { std } => {
                let s2 = std * std;
                [0.0, s2, 0.0, 3.0 * s2 * s2]
            }
        }
    }

    fn cdf(&self, x: f64) -> f64 {
        match *self {
            Part::One => f64::from(u8::from(x >= 1.0)),
            Part::SphereCoordinate { gain, dimension } => sphere_cdf(x / gain, dimension),
            Part::Gaussian { std } => special::cdf(x / std),
        }
    }

    fn sf(&self, x: f64) -> f64 {
        match *self {
            Part::One => f64::from(u8::from(x < 1.0)),
            // Symmetric about 0.
            Part::SphereCoordinate { gain, dimension } => sphere_cdf(-x / gain, dimension),
            Part::Gaussian { std } => special::sf(x / std),
        }
    }

    /// The smallest closed interval holding the values.
    fn support(&self) -> (f64, f64) {
        match *self {
            Part::One => (1.0, 1.0),
            Part::SphereCoordinate { gain, .. } => (-gain, gain),
            Part::Gaussian { .. } => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }
}

/// `P(u ≤ t)` for the first coordinate `u` of a uniform unit vector in `R^d`.
fn sphere_cdf(t: f64, d: usize) -> f64 {
    if t.is_nan() {
        return f64::NAN;
    }
    if t < -1.0 {
        return 0.0;
    }
    if t >= 1.0 {
        return 1.0;
    }
    if d <= 1 {
        return 0.5;
    }
    let a = (d as f64 - 1.0) / 2.0;
    // (1 + t)/2 and (1 − t)/2, each computed directly so that both tails keep precision.
    special::beta_inc(a, a, 0.5 + 0.5 * t, 0.5 - 0.5 * t)
}

impl Marginal {
    /// The mean.
    ///
    /// # Formula
    /// ```text
    /// E X = (1 − q)·E X_part
    /// ```
    pub fn mean(&self) -> f64 {
        (1.0 - self.zero) * self.part.raw_moments()[0]
    }

    /// The variance.
    ///
    /// # Formula
    /// ```text
    /// Var X = (1 − q)·E X²_part − (E X)²
    /// ```
    pub fn variance(&self) -> f64 {
        let m = self.mean();
        ((1.0 - self.zero) * self.part.raw_moments()[1] - m * m).max(0.0)
    }

    /// The fourth central moment, expanded in the raw moments `m_k = E X_partᵏ`.
    ///
    /// # Formula
    /// ```text
    /// E (X − μ)⁴ = q·μ⁴ + (1 − q)·(m₄ − 4μm₃ + 6μ²m₂ − 4μ³m₁ + μ⁴)
    /// ```
    pub fn fourth_central_moment(&self) -> f64 {
        let mu = self.mean();
        let [m1, m2, m3, m4] = self.part.raw_moments();
        let part = m4 - 4.0 * mu * m3 + 6.0 * mu * mu * m2 - 4.0 * mu.powi(3) * m1 + mu.powi(4);
        self.zero * mu.powi(4) + (1.0 - self.zero) * part
    }

    /// The smallest closed interval holding every value (0 included when `q > 0`).
    pub fn support(&self) -> Support {
        let (low, high) = self.part.support();
        if self.zero > 0.0 {
            Support {
                low: low.min(0.0),
                high: high.max(0.0),
            }
        } else {
            Support { low, high }
        }
    }

    /// The distribution function `P(X ≤ x)` (NaN for NaN).
    ///
    /// # Formula
    /// ```text
    /// F(x) = q·[x ≥ 0] + (1 − q)·F_part(x)
    /// ```
    pub fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        let atom = if x >= 0.0 { self.zero } else { 0.0 };
        atom + (1.0 - self.zero) * self.part.cdf(x)
    }

    /// The survival function `P(X > x)` (NaN for NaN).
    ///
    /// # Formula
    /// ```text
    /// S(x) = q·[x < 0] + (1 − q)·S_part(x)
    /// ```
    pub fn sf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        let atom = if x < 0.0 { self.zero } else { 0.0 };
        atom + (1.0 - self.zero) * self.part.sf(x)
    }

    /// The quantile, by bisection on the distribution function (NaN for `p` outside [0, 1]).
    ///
    /// # Formula
    /// ```text
    /// F⁻¹(p) = inf { x : F(x) ≥ p }
    /// ```
    pub fn quantile(&self, p: f64) -> f64 {
        if p.is_nan() || !(0.0..=1.0).contains(&p) {
            return f64::NAN;
        }
        let Support { mut low, mut high } = self.support();
        if p == 0.0 {
            return low;
        }
        if p == 1.0 {
            return high;
        }
        if let Part::Gaussian { std } = self.part {
            // P(|N| > 40σ) underflows f64: the quantiles of (0, 1) lie within ±40σ.
            low = -40.0 * std;
            high = 40.0 * std;
        }
        if self.cdf(low) >= p {
            return low;
        }
        // Invariant: cdf(low) < p ≤ cdf(high).
        for _ in 0..2100 {
            let mid = 0.5 * low + 0.5 * high;
            if mid <= low || mid >= high {
                break;
            }
            if self.cdf(mid) >= p {
                high = mid;
            } else {
                low = mid;
            }
        }
        high
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_of_the_three_parts() {
        // Eye 3×4: three ones among twelve elements.
        let eye = Marginal {
            zero: 0.75,
            part: Part::One,
        };
        assert_eq!(eye.mean(), 0.25);
        assert!((eye.variance() - 0.1875).abs() < 1e-16);
        // Two-point law: μ₄ = p(1−p)(1 − 3p + 3p²).
        let p: f64 = 0.25;
        let want = p * (1.0 - p) * (1.0 - 3.0 * p + 3.0 * p * p);
        assert!((eye.fourth_central_moment() - want).abs() < 1e-16);

        let orthogonal = Marginal {
            zero: 0.0,
            part: Part::SphereCoordinate {
                gain: 2.0,
                dimension: 8,
            },
        };
        assert_eq!(orthogonal.variance(), 0.5);
        assert_eq!(orthogonal.fourth_central_moment(), 3.0 * 16.0 / 80.0);
        assert_eq!(
            orthogonal.support(),
            Support {
                low: -2.0,
                high: 2.0
            }
        );

        let sparse = Marginal {
            zero: 0.1,
            part: Part::Gaussian { std: 0.5 },
        };
        assert!((sparse.variance() - 0.9 * 0.25).abs() < 1e-16);
        assert!((sparse.fourth_central_moment() - 0.9 * 3.0 * 0.0625).abs() < 1e-16);
    }

    #[test]
    fn sphere_coordinate_distribution() {
        // d = 3: u is uniform on [−1, 1] (Archimedes).
        let u = Marginal {
            zero: 0.0,
            part: Part::SphereCoordinate {
                gain: 1.0,
                dimension: 3,
            },
        };
        for t in [-0.9, -0.3, 0.0, 0.4, 0.99] {
            assert!((u.cdf(t) - (t + 1.0) / 2.0).abs() < 1e-13, "{t}");
            assert!((u.sf(t) - (1.0 - t) / 2.0).abs() < 1e-13, "{t}");
            assert!((u.quantile((t + 1.0) / 2.0) - t).abs() < 1e-12, "{t}");
        }
        // d = 1: ±gain with probability ½.
        let sign = Marginal {
            zero: 0.0,
            part: Part::SphereCoordinate {
                gain: 3.0,
                dimension: 1,
            },
        };
        assert_eq!(
            (sign.cdf(-3.1), sign.cdf(-3.0), sign.cdf(3.0)),
            (0.0, 0.5, 1.0)
        );
        assert_eq!((sign.quantile(0.5), sign.quantile(0.51)), (-3.0, 3.0));
        // Large d: √d·u → N(0, 1).
        let big = Marginal {
            zero: 0.0,
            part: Part::SphereCoordinate {
                gain: 1.0,
                dimension: 100_000,
            },
        };
        let z = 1.5 / 100_000f64.sqrt();
        assert!((big.cdf(z) - special::cdf(1.5)).abs() < 1e-5);
    }

    #[test]
    fn atoms_in_cdf_sf_and_quantile() {
        let sparse = Marginal {
            zero: 0.3,
            part: Part::Gaussian { std: 1.0 },
        };
        assert!((sparse.cdf(-1e-300) - 0.35).abs() < 1e-15);
        assert!((sparse.cdf(0.0) - 0.65).abs() < 1e-15);
        assert!((sparse.sf(0.0) - 0.35).abs() < 1e-15);
        assert_eq!(sparse.quantile(0.5), 0.0);
        assert!((sparse.quantile(0.7 * special::cdf(-1.0)) + 1.0).abs() < 1e-12);
        let eye = Marginal {
            zero: 0.5,
            part: Part::One,
        };
        assert_eq!((eye.quantile(0.5), eye.quantile(0.500001)), (0.0, 1.0));
        assert!(eye.quantile(1.5).is_nan() && eye.cdf(f64::NAN).is_nan());
    }

    #[test]
    fn moments_support_and_quantiles_beyond_the_unit_cases() {
        // gain 3 (where g·g ≠ g + g): Var = g²/d, μ₄ = 3g⁴/(d(d + 2)).
        let orthogonal = Marginal {
            zero: 0.0,
            part: Part::SphereCoordinate {
                gain: 3.0,
                dimension: 8,
            },
        };
        assert_eq!(orthogonal.variance(), 9.0 / 8.0);
        assert_eq!(orthogonal.fourth_central_moment(), 3.0 * 81.0 / 80.0);
        // No structural zero: the support is the part's own, 0 not added (a 1×1 eye).
        let ones = Marginal {
            zero: 0.0,
            part: Part::One,
        };
        assert_eq!(
            ones.support(),
            Support {
                low: 1.0,
                high: 1.0
            }
        );
        // A wide Gaussian: the bisection bracket ±40σ must scale with σ (mpmath: 100·Φ⁻¹(0.025)).
        let wide = Marginal {
            zero: 0.0,
            part: Part::Gaussian { std: 100.0 },
        };
        assert!((wide.quantile(0.025) - -195.99639845400543).abs() < 1e-9);
        assert!(wide.quantile(0.5).abs() < 1e-9);
    }
}
