//! [`Law`]: the exact target distribution of one tensor.
//!
//! Every scheme resolves to a `Law` for given fans; the sampler draws from it and the verifier
//! tests against it, so the two can never drift apart. Each scalar law prints as the base
//! scheme string that yields it, and parsing that string gives the same law back.
//!
//! Each law type ([`Constant`], [`Uniform`], [`Normal`], [`TruncatedNormal`], [`Marginal`])
//! carries its own moments, support, distribution and survival functions and quantile, with
//! their formulas; [`Law`] only dispatches to them.
//!
//! The structured laws ([`Orthogonal`], [`Eye`], [`Dirac`], [`DeltaOrthogonal`], [`Sparse`])
//! describe a whole tensor, whose elements depend on each other; they carry the tensor's
//! (flattened) shape and print as their scheme (`orthogonal(gain=2)`, `eye`), which needs a
//! shape to become a law again. Their scalar methods ([`Law::mean`], [`Law::cdf`], ...) describe one
//! element taken at a uniformly random position ([`Marginal`]).

mod constant;
mod conv_shape;
mod delta_orthogonal;
mod identity;
mod marginal;
mod normal;
mod orthogonal;
mod sparse;
mod truncated_normal;
mod uniform;

use std::fmt;
use std::str::FromStr;

pub use constant::Constant;
pub use conv_shape::ConvShape;
pub use delta_orthogonal::{ConvLayout, DeltaOrthogonal};
pub use identity::{Dirac, Eye};
pub use marginal::{Marginal, Part};
pub use normal::Normal;
pub use orthogonal::Orthogonal;
pub use sparse::Sparse;
pub use truncated_normal::TruncatedNormal;
pub use uniform::Uniform;

use crate::error::{Error, Result};
use crate::grammar::format_number;
use crate::scheme::Scheme;

/// The exact distribution of every element of a tensor.
///
/// # Example
/// ```
/// use initspec::{Fans, Law, Scheme};
/// let scheme: Scheme = "xavier_uniform".parse().unwrap();
/// let law = scheme.law(&Fans::new(96, 32).unwrap()).unwrap();
/// assert_eq!(law.to_string(), "uniform(a=-0.21650635094610965, b=0.21650635094610965)");
/// assert_eq!(law.to_string().parse::<Law>().unwrap(), law);
/// assert!((law.variance() - 2.0 / 128.0).abs() < 1e-17);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Law {
    /// A point mass.
    Constant(Constant),
    /// A continuous uniform law.
    Uniform(Uniform),
    /// A Gaussian.
    Normal(Normal),
    /// A Gaussian cut to an interval.
    TruncatedNormal(TruncatedNormal),
    /// Haar-random orthonormal rows or columns (structured).
    Orthogonal(Orthogonal),
    /// The identity matrix (structured, deterministic).
    Eye(Eye),
    /// The identity convolution kernel of PyTorch `dirac_` (structured, deterministic).
    Dirac(Dirac),
    /// An orthogonal matrix at the centre tap of a convolution kernel (structured).
    DeltaOrthogonal(DeltaOrthogonal),
    /// Exactly ⌈sparsity·rows⌉ zeros per column, Gaussian elsewhere (structured).
    Sparse(Sparse),
}

/// The smallest closed interval holding every value of a law.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Support {
    /// Lower end (may be −∞).
    pub low: f64,
    /// Upper end (may be +∞). For a uniform law the upper end itself is never drawn.
    pub high: f64,
}

impl Support {
    /// Whether `x` lies in `[low, high]`.
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

impl Law {
    /// The short family name: `constant`, `uniform`, `normal`, `truncated_normal`,
    /// `orthogonal`, `eye`, `dirac`, `delta_orthogonal`, `sparse`.
    pub fn family(&self) -> &'static str {
        match self {
            Law::Constant(_) => "constant",
            Law::Uniform(_) => "uniform",
            Law::Normal(_) => "normal",
            Law::TruncatedNormal(_) => "truncated_normal",
            Law::Orthogonal(_) => "orthogonal",
            Law::Eye(_) => "eye",
            Law::Dirac(_) => "dirac",
            Law::DeltaOrthogonal(_) => "delta_orthogonal",
            Law::Sparse(_) => "sparse",
        }
    }

    /// Whether the law describes a whole tensor whose elements depend on each other
    /// (orthogonal, eye, dirac, delta_orthogonal, sparse) rather than independent elements.
    pub fn is_structured(&self) -> bool {
        self.marginal().is_some()
    }

    /// The number of elements of a structured law's tensor (its shape is part of the law);
    /// `None` for a scalar law, which draws any number of independent elements.
    pub fn tensor_len(&self) -> Option<usize> {
        match self {
            Law::Orthogonal(o) => Some(o.rows() * o.cols()),
            Law::Eye(e) => Some(e.rows() * e.cols()),
            Law::Dirac(d) => Some(d.shape().iter().product()),
            Law::DeltaOrthogonal(d) => Some(d.shape().iter().product()),
            Law::Sparse(s) => Some(s.rows() * s.cols()),
            Law::Constant(_) | Law::Uniform(_) | Law::Normal(_) | Law::TruncatedNormal(_) => None,
        }
    }

    /// The law of one element of a structured tensor at a uniformly random position; `None`
    /// for the scalar laws (whose elements are independent draws of the law itself).
    pub fn marginal(&self) -> Option<Marginal> {
        match self {
            Law::Orthogonal(o) => Some(o.marginal()),
            Law::Eye(e) => Some(e.marginal()),
            Law::Dirac(d) => Some(d.marginal()),
            Law::DeltaOrthogonal(d) => Some(d.marginal()),
            Law::Sparse(s) => Some(s.marginal()),
            Law::Constant(_) | Law::Uniform(_) | Law::Normal(_) | Law::TruncatedNormal(_) => None,
        }
    }

    /// The mean `E[X]` (of one element, for a structured law).
    pub fn mean(&self) -> f64 {
        match self {
            Law::Constant(c) => c.mean(),
            Law::Uniform(u) => u.mean(),
            Law::Normal(n) => n.mean(),
            Law::TruncatedNormal(t) => t.truncated_mean(),
            _ => self.marginal().map_or(f64::NAN, |m| m.mean()),
        }
    }

    /// The variance `E[(X − E X)²]` (of one element, for a structured law).
    pub fn variance(&self) -> f64 {
        match self {
            Law::Constant(c) => c.variance(),
            Law::Uniform(u) => u.variance(),
            Law::Normal(n) => n.variance(),
            Law::TruncatedNormal(t) => t.variance(),
            _ => self.marginal().map_or(f64::NAN, |m| m.variance()),
        }
    }

    /// The standard deviation `√variance`.
    pub fn std_dev(&self) -> f64 {
        self.variance().sqrt()
    }

    /// The fourth central moment `μ₄ = E[(X − E X)⁴]`, used by kurtosis-aware variance tests:
    /// the second sample moment has variance `(μ₄ − σ⁴)/n`.
    pub fn fourth_central_moment(&self) -> f64 {
        match self {
            Law::Constant(c) => c.fourth_central_moment(),
            Law::Uniform(u) => u.fourth_central_moment(),
            Law::Normal(n) => n.fourth_central_moment(),
            Law::TruncatedNormal(t) => t.fourth_central_moment(),
            _ => self
                .marginal()
                .map_or(f64::NAN, |m| m.fourth_central_moment()),
        }
    }

    /// The support.
    pub fn support(&self) -> Support {
        match self {
            Law::Constant(c) => c.support(),
            Law::Uniform(u) => u.support(),
            Law::Normal(n) => n.support(),
            Law::TruncatedNormal(t) => t.support(),
            _ => self.marginal().map_or(
                Support {
                    low: f64::NAN,
                    high: f64::NAN,
                },
                |m| m.support(),
            ),
        }
    }

    /// The distribution function `P(X ≤ x)`.
    pub fn cdf(&self, x: f64) -> f64 {
        match self {
            Law::Constant(c) => c.cdf(x),
            Law::Uniform(u) => u.cdf(x),
            Law::Normal(n) => n.cdf(x),
            Law::TruncatedNormal(t) => t.cdf(x),
            _ => self.marginal().map_or(f64::NAN, |m| m.cdf(x)),
        }
    }

    /// The survival function `P(X > x)`, accurate in the upper tail.
    pub fn sf(&self, x: f64) -> f64 {
        match self {
            Law::Constant(c) => c.sf(x),
            Law::Uniform(u) => u.sf(x),
            Law::Normal(n) => n.sf(x),
            Law::TruncatedNormal(t) => t.sf(x),
            _ => self.marginal().map_or(f64::NAN, |m| m.sf(x)),
        }
    }

    /// The quantile `inf { x : P(X ≤ x) ≥ p }`; NaN for `p` outside [0, 1].
    pub fn quantile(&self, p: f64) -> f64 {
        match self {
            Law::Constant(c) => c.quantile(p),
            Law::Uniform(u) => u.quantile(p),
            Law::Normal(n) => n.quantile(p),
            Law::TruncatedNormal(t) => t.quantile(p),
            _ => self.marginal().map_or(f64::NAN, |m| m.quantile(p)),
        }
    }

    /// Whether the law is exactly Gaussian (the variance test is then an exact χ² test).
    pub fn is_normal(&self) -> bool {
        matches!(self, Law::Normal(_))
    }

    /// The scheme that yields this law (for a structured law, on its shape).
    pub fn to_scheme(&self) -> Scheme {
        Scheme::from_law(self)
    }
}

impl fmt::Display for Law {
    /// The base scheme string that yields the law, e.g. `uniform(a=-0.25, b=0.25)`; for a
    /// structured law its scheme, e.g. `orthogonal(gain=2)` (defaults left out).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = format_number;
        match self {
            Law::Orthogonal(_)
            | Law::Eye(_)
            | Law::Dirac(_)
            | Law::DeltaOrthogonal(_)
            | Law::Sparse(_) => write!(f, "{}", self.to_scheme()),
            Law::Constant(c) => write!(f, "constant(value={})", n(c.value())),
            Law::Uniform(u) => write!(f, "uniform(a={}, b={})", n(u.a()), n(u.b())),
            Law::Normal(d) => write!(f, "normal(mean={}, std={})", n(d.mean()), n(d.std())),
            Law::TruncatedNormal(t) => write!(
                f,
                "trunc_normal(mean={}, std={}, a={}, b={})",
                n(t.parent_mean()),
                n(t.parent_std()),
                n(t.a()),
                n(t.b())
            ),
        }
    }
}

impl FromStr for Law {
    type Err = Error;

    /// Parses a scheme string whose law does not depend on fans (`uniform(a=-1, b=1)`,
    /// `trunc_normal(std=0.02)`; `he_normal` and `orthogonal` are errors: they need a shape).
    fn from_str(text: &str) -> Result<Law> {
        text.parse::<Scheme>()?.base_law()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_follow_the_closed_forms() {
        let u = Law::Uniform(Uniform::new(-0.3, 0.5).unwrap());
        assert!((u.mean() - 0.1).abs() < 1e-16);
        assert!((u.variance() - 0.64 / 12.0).abs() < 1e-16);
        assert!((u.fourth_central_moment() / u.variance().powi(2) - 1.8).abs() < 1e-12);
        let n = Law::Normal(Normal::new(0.25, 0.125).unwrap());
        assert_eq!(n.variance(), 0.015625);
        assert_eq!(n.fourth_central_moment(), 3.0 * 0.015625 * 0.015625);
        let c = Law::Constant(Constant::new(0.5).unwrap());
        assert_eq!((c.mean(), c.variance()), (0.5, 0.0));
    }

    #[test]
    fn cdf_quantile_and_support() {
        let u = Law::Uniform(Uniform::new(-2.0, 2.0).unwrap());
        assert_eq!(u.cdf(0.0), 0.5);
        assert_eq!(u.cdf(-3.0), 0.0);
        assert_eq!(u.quantile(0.75), 1.0);
        assert!(u.support().contains(-2.0) && !u.support().contains(2.5));
        let n = Law::Normal(Normal::new(1.0, 2.0).unwrap());
        assert!((n.cdf(1.0 + 2.0 * -3.0) - 0.001_349_898_031_630_093_3).abs() < 1e-17);
        assert!((n.sf(1.0 + 2.0 * 3.0) - 0.001_349_898_031_630_093_3).abs() < 1e-17);
        assert!((n.quantile(0.001) - (1.0 + 2.0 * -3.090_232_306_167_813)).abs() < 1e-13);
        assert!(n.quantile(1.5).is_nan());
        let c = Law::Constant(Constant::new(3.0).unwrap());
        assert_eq!((c.cdf(2.9), c.cdf(3.0)), (0.0, 1.0));
        // Every p in [0, 1] has the point mass as its quantile.
        assert_eq!(
            (c.quantile(0.0), c.quantile(0.3), c.quantile(1.0)),
            (3.0, 3.0, 3.0)
        );
        assert_eq!(n.std_dev(), 2.0);
        // The truncated normal's own sf (symmetric about 0: sf(0) = ½, 0 at b, 1 at a).
        let t = Law::TruncatedNormal(TruncatedNormal::new(0.0, 1.0, -2.0, 2.0).unwrap());
        assert_eq!((t.sf(-2.0), t.sf(2.0)), (1.0, 0.0));
        assert!((t.sf(0.0) - 0.5).abs() < 1e-15);
        assert!((t.sf(1.0) + t.cdf(1.0) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn family_names() {
        let scalar = [
            ("constant(value=1)", "constant"),
            ("uniform(a=-1, b=1)", "uniform"),
            ("normal(std=1)", "normal"),
            ("trunc_normal(std=0.02)", "truncated_normal"),
        ];
        for (text, family) in scalar {
            let law: Law = text.parse().unwrap();
            assert_eq!(law.family(), family, "{text}");
            assert!(!law.is_structured());
        }
        let structured = [
            ("orthogonal", &[4, 3][..], "orthogonal"),
            ("eye", &[4, 3], "eye"),
            ("dirac", &[4, 4, 3], "dirac"),
            ("delta_orthogonal", &[4, 4, 3], "delta_orthogonal"),
            ("sparse(sparsity=0.5)", &[4, 3], "sparse"),
        ];
        for (text, shape, family) in structured {
            let scheme: Scheme = text.parse().unwrap();
            let law = scheme
                .resolve(shape, &crate::fans::Layout::OutIn, 1)
                .unwrap();
            assert_eq!(law.family(), family, "{text}");
            assert!(law.is_structured());
        }
        let scheme: Scheme = "delta_orthogonal(gain=2)".parse().unwrap();
        match scheme.resolve(&[4, 4, 3], &crate::fans::Layout::OutIn, 1) {
            Ok(Law::DeltaOrthogonal(d)) => assert_eq!(d.gain(), 2.0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn laws_print_as_their_base_scheme_and_parse_back() {
        let laws = [
            Law::Constant(Constant::new(0.0).unwrap()),
            Law::Constant(Constant::new(-1.5).unwrap()),
            Law::Uniform(Uniform::new(-0.03125, 0.03125).unwrap()),
            Law::Normal(Normal::new(0.0, 0.1 + 0.2).unwrap()),
            Law::TruncatedNormal(TruncatedNormal::new(0.0, 0.02, -0.04, 0.04).unwrap()),
            Law::TruncatedNormal(TruncatedNormal::new(1e-300, 3e-5, -1e-4, 1e-3).unwrap()),
        ];
        for law in laws {
            let text = law.to_string();
            assert_eq!(text.parse::<Law>().unwrap(), law, "{text}");
        }
        assert_eq!(
            Law::Uniform(Uniform::new(-0.03125, 0.03125).unwrap()).to_string(),
            "uniform(a=-0.03125, b=0.03125)"
        );
        assert!(matches!(
            "he_normal".parse::<Law>(),
            Err(Error::NeedsFans { .. })
        ));
    }
}
