//! [`Element`]: the floating-point types a tensor can be filled in.

use half::{bf16, f16};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for half::bf16 {}
    impl Sealed for half::f16 {}
}

/// The precision a draw is computed in before it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Drawn by the single-precision kernels (one 32-bit word per element).
    Single,
    /// Drawn by the double-precision kernels (two 32-bit words per element).
    Double,
}

/// A mutable slice of one of the four element types.
#[doc(hidden)]
#[derive(Debug)]
pub enum OutSlice<'a> {
    /// `f32` elements.
    F32(&'a mut [f32]),
    /// `f64` elements.
    F64(&'a mut [f64]),
    /// `bf16` elements.
    Bf16(&'a mut [bf16]),
    /// `f16` elements.
    F16(&'a mut [f16]),
}

/// A storage type for weights: `f32`, `f64`, `bf16` or `f16`.
///
/// `bf16` and `f16` are drawn in single precision and rounded to the nearest representable
/// value (ties to even): the stored tensor is a draw from the law rounded to that format.
pub trait Element: Copy + Default + Send + Sync + sealed::Sealed + 'static {
    /// The dtype name: `f32`, `f64`, `bf16`, `f16`.
    const NAME: &'static str;
    /// Which kernels draw this type.
    const PRECISION: Precision;
    /// Rounds a single-precision draw to this type (nearest, ties to even).
    fn from_f32(x: f32) -> Self;
    /// Rounds a double-precision draw to this type (nearest, ties to even).
    fn from_f64(x: f64) -> Self;
    /// The stored value, exactly, as `f64`.
    fn to_f64(self) -> f64;
    /// `out` as one of the four concrete slice types, so that the kernels are compiled once,
    /// in this crate, and not again in every crate that fills a tensor.
    #[doc(hidden)]
    fn as_out_slice(out: &mut [Self]) -> OutSlice<'_>;
    /// `out` itself when `Self` is `f32` (the kernels then write into it directly).
    #[doc(hidden)]
    fn as_f32_slice(out: &mut [Self]) -> Option<&mut [f32]> {
        let _ = out;
        None
    }
    /// `out` itself when `Self` is `f64` (the kernels then write into it directly).
    #[doc(hidden)]
    fn as_f64_slice(out: &mut [Self]) -> Option<&mut [f64]> {
        let _ = out;
        None
    }
}

impl Element for f32 {
    const NAME: &'static str = "f32";
    fn as_out_slice(out: &mut [Self]) -> OutSlice<'_> {
        OutSlice::F32(out)
    }
    const PRECISION: Precision = Precision::Single;
    fn from_f32(x: f32) -> Self {
        x
    }
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn as_f32_slice(out: &mut [Self]) -> Option<&mut [f32]> {
        Some(out)
    }
}

impl Element for f64 {
    const NAME: &'static str = "f64";
    fn as_out_slice(out: &mut [Self]) -> OutSlice<'_> {
        OutSlice::F64(out)
    }
    const PRECISION: Precision = Precision::Double;
    fn from_f32(x: f32) -> Self {
        f64::from(x)
    }
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn as_f64_slice(out: &mut [Self]) -> Option<&mut [f64]> {
        Some(out)
    }
}

impl Element for bf16 {
    const NAME: &'static str = "bf16";
    fn as_out_slice(out: &mut [Self]) -> OutSlice<'_> {
        OutSlice::Bf16(out)
    }
    const PRECISION: Precision = Precision::Single;
    fn from_f32(x: f32) -> Self {
        bf16::from_f32(x)
    }
    fn from_f64(x: f64) -> Self {
        bf16::from_f32(round_to_odd_f32(x))
    }
    fn to_f64(self) -> f64 {
        bf16::to_f64(self)
    }
}

impl Element for f16 {
    const NAME: &'static str = "f16";
    fn as_out_slice(out: &mut [Self]) -> OutSlice<'_> {
        OutSlice::F16(out)
    }
    const PRECISION: Precision = Precision::Single;
    fn from_f32(x: f32) -> Self {
        f16::from_f32(x)
    }
    fn from_f64(x: f64) -> Self {
        f16::from_f32(round_to_odd_f32(x))
    }
    fn to_f64(self) -> f64 {
        f16::to_f64(self)
    }
}

/// `x` rounded to `f32` with *round to odd*: truncated toward zero, then the last bit set if
/// anything was cut off.
///
/// Rounding to odd at 24 bits and then to nearest (ties to even) at p ≤ 22 bits gives the
/// correctly rounded p-bit result (Boldo & Melquiond 2008, "Emulation of FMA and correctly
/// rounded sums: proved algorithms using rounding to odd"): the odd last bit keeps an inexact
/// value off the p-bit midpoints, so no double rounding can happen. bf16 (8 bits) and f16
/// (11 bits) are reached this way from `f64`, on every CPU alike. (The `half` crate's own
/// `from_f64` rounds through `f32` to nearest first, which double-rounds about one value in
/// 2¹⁰–2¹³, and on CPUs without F16C truncates.) The same holds in the subnormal ranges,
/// where f32 keeps at least 16 more bits than bf16 and f16.
fn round_to_odd_f32(x: f64) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    let nearest = x as f32;
    if f64::from(nearest) == x {
        return nearest;
    }
    // Toward zero: one step back from the nearest when it rounded away from zero (an
    // overflow to ±∞ steps back to ±f32::MAX).
    let toward_zero = if f64::from(nearest).abs() > x.abs() {
        f32::from_bits(nearest.to_bits() - 1)
    } else {
        nearest
    };
    f32::from_bits(toward_zero.to_bits() | 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The correctly rounded (nearest, ties to even) 16-bit value of `x`, by comparing `x`
    /// with the midpoint of its two neighbours (exact in f64).
    fn reference<T: Element>(x: f64, from_bits: impl Fn(u16) -> T) -> u16 {
        let value = |b: u16| from_bits(b).to_f64();
        // All finite non-negative bit patterns, ordered by value.
        let max_finite = (0..=0x7fffu16)
            .rev()
            .find(|&b| value(b).is_finite())
            .unwrap();
        let magnitude = x.abs();
        let (mut low, mut high) = (0u16, max_finite);
        if magnitude >= value(max_finite) {
            // Beyond the largest finite value: ∞ once past the midpoint to the next binade.
            let ulp = value(max_finite) - value(max_finite - 1);
            let result = if magnitude >= value(max_finite) + ulp / 2.0 {
                max_finite + 1
            } else {
                max_finite
            };
            return result | if x.is_sign_negative() { 0x8000 } else { 0 };
        }
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if value(mid) <= magnitude {
                low = mid;
            } else {
                high = mid;
            }
        }
        let midpoint = (value(low) + value(high)) / 2.0;
        let bits = if magnitude < midpoint || (magnitude == midpoint && low % 2 == 0) {
            low
        } else {
            high
        };
        bits | if x.is_sign_negative() { 0x8000 } else { 0 }
    }

    /// Values near every kind of 16-bit rounding boundary: midpoints and their f64
    /// neighbours, sticky bits far below f32 precision, subnormals, overflow.
    fn hard_cases<T: Element>(from_bits: impl Fn(u16) -> T) -> Vec<f64> {
        let mut out = Vec::new();
        for bits in (0..0x7c00u16).step_by(7).chain(0x7f00..0x7f80) {
            let (a, b) = (from_bits(bits).to_f64(), from_bits(bits + 1).to_f64());
            if !(a.is_finite() && b.is_finite()) {
                continue;
            }
            let mid = (a + b) / 2.0;
            for x in [
                mid,
                mid.next_up(),
                mid.next_down(),
                a,
                b,
                mid * (1.0 + 2f64.powi(-40)),
            ] {
                out.push(x);
                out.push(-x);
            }
        }
        out.extend([
            1.0 + 2f64.powi(-8) + 2f64.powi(-22),
            1.0 + 2f64.powi(-11) + 2f64.powi(-22),
        ]);
        out.extend([
            1e-45, 1e-40, 6e-8, 3e-8, 65519.0, 65520.0, 3.3961e38, 3.3964e38, 1e300,
        ]);
        out
    }

    #[test]
    fn sixteen_bit_rounding_from_f64_is_correct() {
        // Spot checks the `half` crate gets wrong (bf16 ignores the low bits on a tie; f16
        // double-rounds through f32).
        assert_eq!(
            <bf16 as Element>::from_f64(1.0 + 2f64.powi(-8) + 2f64.powi(-22)).to_bits(),
            0x3f81
        );
        assert_eq!(
            <f16 as Element>::from_f64(1.0 + 2f64.powi(-11) + 2f64.powi(-22)).to_bits(),
            0x3c01
        );
        for x in hard_cases(bf16::from_bits) {
            let want = reference(x, bf16::from_bits);
            assert_eq!(
                <bf16 as Element>::from_f64(x).to_bits(),
                want,
                "bf16 of {x:e}"
            );
        }
        for x in hard_cases(f16::from_bits) {
            let want = reference(x, f16::from_bits);
            assert_eq!(
                <f16 as Element>::from_f64(x).to_bits(),
                want,
                "f16 of {x:e}"
            );
        }
        assert!(<bf16 as Element>::from_f64(f64::NAN).is_nan());
        assert!(
            <f16 as Element>::from_f64(f64::INFINITY)
                .to_f64()
                .is_infinite()
        );
        assert_eq!(<f16 as Element>::from_f64(-0.0).to_bits(), 0x8000);
    }
}
