//! [`Storage`]: the number format a sample was stored in, and the lattice of the 16-bit ones.
//!
//! A tensor stored in bf16 or f16 is a draw from the law rounded to that format (to nearest,
//! ties to even). Its values live on a lattice, so its distribution function is a step
//! function: `P(R ≤ x) = F(m⁺(x))` and `P(R < x) = F(m⁻(x))` for a representable `x`, where
//! `m⁻(x)` and `m⁺(x)` are the midpoints between `x` and its neighbours (the edges of the
//! cell that rounds to `x`). Testing such a tensor against the continuous `F` would reject a
//! perfectly correct bf16 tensor of a few million values; tests here use the rounded law.

use half::{bf16, f16};
use initspec::Element;

/// The format of the stored values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Storage {
    /// binary64: treated as continuous.
    F64,
    /// binary32: treated as continuous (its spacing is far below any test's resolution).
    F32,
    /// bfloat16: 8 significant bits; tested against the rounded (lattice) law.
    BF16,
    /// binary16: 11 significant bits; tested against the rounded (lattice) law.
    F16,
}

impl Storage {
    /// The dtype name (`f64`, `f32`, `bf16`, `f16`).
    pub fn name(self) -> &'static str {
        match self {
            Storage::F64 => "f64",
            Storage::F32 => "f32",
            Storage::BF16 => "bf16",
            Storage::F16 => "f16",
        }
    }

    /// The unit roundoff `u` (half the machine epsilon: 2⁻⁵³, 2⁻²⁴, 2⁻⁸, 2⁻¹¹): rounding a
    /// normal number `x` to this format errs by at most `u·|x|`.
    pub fn unit_roundoff(self) -> f64 {
        match self {
            Storage::F64 => f64::EPSILON / 2.0,
            Storage::F32 => f64::from(f32::EPSILON) / 2.0,
            Storage::BF16 => 2f64.powi(-8),
            Storage::F16 => 2f64.powi(-11),
        }
    }

    /// Half the smallest positive subnormal (0 for f64, where it is negligible; 2⁻¹⁵⁰, 2⁻¹³⁴,
    /// 2⁻²⁵): rounding any `x` errs by at most `unit_roundoff()·|x| + half_min_subnormal()`.
    pub fn half_min_subnormal(self) -> f64 {
        match self {
            Storage::F64 => 0.0,
            Storage::F32 => 2f64.powi(-150),
            Storage::BF16 => 2f64.powi(-134),
            Storage::F16 => 2f64.powi(-25),
        }
    }

    /// Whether the sample lives on a coarse lattice that the tests must model.
    pub fn is_lattice(self) -> bool {
        matches!(self, Storage::BF16 | Storage::F16)
    }

    /// `x` rounded to this format (nearest, ties to even; correctly rounded from `f64`, as
    /// the sampler rounds, see [`Element::from_f64`]).
    pub fn round(self, x: f64) -> f64 {
        match self {
            Storage::F64 => x,
            Storage::F32 => f64::from(x as f32),
            Storage::BF16 => <bf16 as Element>::from_f64(x).to_f64(),
            Storage::F16 => <f16 as Element>::from_f64(x).to_f64(),
        }
    }

    /// The cell `(m⁻, m⁺)` of values that round to the representable `x`: the midpoints to
    /// its neighbours (±∞ beyond the largest finite value). For the continuous formats the
    /// cell is `(x, x)`.
    pub fn cell(self, x: f64) -> (f64, f64) {
        let (down, up) = match self {
            Storage::F64 | Storage::F32 => return (x, x),
            Storage::BF16 => neighbours(
                x,
                |v| <bf16 as Element>::from_f64(v).to_bits(),
                |b| bf16::from_bits(b).to_f64(),
            ),
            Storage::F16 => neighbours(
                x,
                |v| <f16 as Element>::from_f64(v).to_bits(),
                |b| f16::from_bits(b).to_f64(),
            ),
        };
        let low = if down.is_finite() {
            0.5 * (down + x)
        } else {
            f64::NEG_INFINITY
        };
        let high = if up.is_finite() {
            0.5 * (x + up)
        } else {
            f64::INFINITY
        };
        (low, high)
    }
}

/// The representable values just below and just above `x` in a 16-bit sign–magnitude format.
fn neighbours(x: f64, to_bits: impl Fn(f64) -> u16, from_bits: impl Fn(u16) -> f64) -> (f64, f64) {
    let bits = to_bits(x);
    let magnitude = bits & 0x7fff;
    let negative = bits & 0x8000 != 0;
    let step = |up: bool| -> f64 {
        // Moving away from zero increases the magnitude; toward zero decreases it, crossing
        // to the other sign at zero.
        let away = up != negative;
        if away {
            from_bits(bits + 1)
        } else if magnitude == 0 {
            from_bits((bits ^ 0x8000) + 1)
        } else {
            from_bits(bits - 1)
        }
    };
    (step(false), step(true))
}

impl std::fmt::Display for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bf16_cells_are_the_rounding_midpoints() {
        // bf16 spacing in [1, 2) is 2⁻⁷.
        let (low, high) = Storage::BF16.cell(1.0);
        assert_eq!((low, high), (1.0 - 2f64.powi(-9), 1.0 + 2f64.powi(-8)));
        let (low, high) = Storage::BF16.cell(-1.5);
        assert_eq!((low, high), (-1.5 - 2f64.powi(-8), -1.5 + 2f64.powi(-8)));
        let (low, high) = Storage::BF16.cell(0.0);
        assert!(low < 0.0 && high > 0.0 && high < 1e-38);
        // Values just inside a cell round to its centre.
        assert_eq!(Storage::BF16.round(1.0 + 2f64.powi(-8) * 0.99), 1.0);
        assert_eq!(
            Storage::F16.round(1.0 + 2f64.powi(-11) * 1.01),
            1.0 + 2f64.powi(-10)
        );
        let (low, high) = Storage::F16.cell(65504.0);
        assert_eq!((low, high), (65504.0 - 16.0, f64::INFINITY));
        assert_eq!(Storage::F32.cell(0.3), (0.3, 0.3));
    }
}
