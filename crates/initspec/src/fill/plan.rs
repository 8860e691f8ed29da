//! [`Plan`]: the constants a kernel needs for one law, computed once per tensor.

use crate::law::{Law, TruncatedNormal};
use crate::special;

/// Largest `f32` strictly below `x` (for `x > 0` finite or not).
fn f32_below(x: f32) -> f32 {
    if x > 0.0 {
        f32::from_bits(x.to_bits() - 1)
    } else if x == 0.0 {
        -f32::from_bits(1)
    } else {
        f32::from_bits(x.to_bits() + 1)
    }
}

/// Largest `f64` strictly below `x`.
fn f64_below(x: f64) -> f64 {
    if x > 0.0 {
        f64::from_bits(x.to_bits() - 1)
    } else if x == 0.0 {
        -f64::from_bits(1)
    } else {
        f64::from_bits(x.to_bits() + 1)
    }
}

/// Inverse-CDF constants of a truncated normal: with `u ∈ (0, 1)`,
/// `p = lower + u·mass` is `P(Z < z)` and `q = upper + (1 − u)·mass` is `P(Z > z)`;
/// the kernel inverts whichever is smaller, so both tails keep their relative precision.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TruncatedPlan<T> {
    pub mean: T,
    pub std: T,
    pub a: T,
    pub b: T,
    pub alpha: T,
    pub beta: T,
    /// `Φ(α)`.
    pub lower: T,
    /// `1 − Φ(β)`.
    pub upper: T,
    /// `Φ(β) − Φ(α)`.
    pub mass: T,
}

/// Below this interval mass the single-precision inverse CDF would leave the normal range of
/// `f32` (`p ≥ 2⁻²⁴·mass` must stay above 1.2e-38); such laws are drawn in double precision
/// and rounded.
const MIN_SINGLE_MASS: f64 = 1e-30;

/// Per-law kernel constants.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Plan<T> {
    Constant(T),
    /// `a + width·u`, capped at `below_b` (the largest value below `b`).
    Uniform {
        a: T,
        width: T,
        below_b: T,
    },
    Normal {
        mean: T,
        std: T,
    },
    Truncated(TruncatedPlan<T>),
    /// A law single precision cannot draw faithfully: a truncated normal too far in the tail,
    /// or a uniform whose width `b − a` overflows `f32`. It is drawn in double precision and
    /// rounded.
    ViaDouble,
}

impl Plan<f64> {
    pub(crate) fn double(law: &Law) -> Plan<f64> {
        match law {
            Law::Constant(c) => Plan::Constant(c.value()),
            Law::Uniform(u) => Plan::Uniform {
                a: u.a(),
                width: u.b() - u.a(),
                below_b: f64_below(u.b()).max(u.a()),
            },
            Law::Normal(n) => Plan::Normal {
                mean: n.mean(),
                std: n.std(),
            },
            Law::TruncatedNormal(t) => Plan::Truncated(truncated_plan(t)),
            // Never run: the `Sampler` fills structured laws itself (fill/structured.rs).
            _ => Plan::Constant(f64::NAN),
        }
    }
}

fn truncated_plan(t: &TruncatedNormal) -> TruncatedPlan<f64> {
    TruncatedPlan {
        mean: t.parent_mean(),
        std: t.parent_std(),
        a: t.a(),
        b: t.b(),
        alpha: t.alpha(),
        beta: t.beta(),
        lower: special::cdf(t.alpha()),
        upper: special::sf(t.beta()),
        mass: t.mass(),
    }
}

impl Plan<f32> {
    pub(crate) fn single(law: &Law) -> Plan<f32> {
        match law {
            Law::Constant(c) => Plan::Constant(c.value() as f32),
            Law::Uniform(u) if ((u.b() - u.a()) as f32).is_finite() => {
                let a = u.a() as f32;
                Plan::Uniform {
                    a,
                    width: (u.b() - u.a()) as f32,
                    below_b: f32_below(u.b() as f32).max(a),
                }
            }
            Law::Uniform(_) => Plan::ViaDouble,
            Law::Normal(n) => Plan::Normal {
                mean: n.mean() as f32,
                std: n.std() as f32,
            },
            Law::TruncatedNormal(t) if t.mass() >= MIN_SINGLE_MASS => {
                let p = truncated_plan(t);
                Plan::Truncated(TruncatedPlan {
                    mean: p.mean as f32,
                    std: p.std as f32,
                    a: p.a as f32,
                    b: p.b as f32,
                    alpha: p.alpha as f32,
                    beta: p.beta as f32,
                    lower: p.lower as f32,
                    upper: p.upper as f32,
                    mass: p.mass as f32,
                })
            }
            Law::TruncatedNormal(_) => Plan::ViaDouble,
            // Never run: the `Sampler` fills structured laws itself (fill/structured.rs).
            _ => Plan::Constant(f32::NAN),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_is_the_previous_float() {
        assert_eq!(f32_below(1.0), 1.0 - f32::EPSILON / 2.0);
        assert_eq!(f32_below(-1.0), -1.0 - f32::EPSILON);
        assert!(f32_below(0.0) < 0.0);
        assert_eq!(f64_below(1.0), 1.0 - f64::EPSILON / 2.0);
        assert!(f64_below(-0.5) < -0.5);
    }
}
