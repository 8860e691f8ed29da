//! Branch-free elementary functions for the fill kernels.
//!
//! They use only `+ − × ÷`, `sqrt`, integer and bit operations, each exactly rounded and in a
//! fixed order (Rust never fuses `a·b + c` into an FMA on its own), so a vectorized loop over
//! them yields the same bytes as the scalar code on every CPU. The platform's `ln`/`sin`
//! (a C library call that differs between systems and cannot be vectorized) is never used.
//!
//! Accuracy, measured against f64 references by the tests below:
//!
//! ```text
//! ln_f32        Cephes logf                 ≤ 2 ulp on (0, 1]
//! cos_sin_f32   Cephes sinf/cosf on ±π/4     ≤ 2 ulp (after exact quadrant reduction)
//! ln_f64        fdlibm log (Lg1..Lg7)        ≤ 1 ulp on (0, 1], subnormals included
//! cos_sin_f64   fdlibm kernels on ±π/4       ≤ 2 ulp
//! probit_f32    Giles + Acklam, single       ≤ 4e-7 relative (|z| ≥ 1e-3), 1e-9 absolute near 0
//! ```
//!
//! Coefficients are quoted digit for digit as published, so that they can be checked against
//! the sources; the compiler rounds them to the nearest float.
#![allow(clippy::excessive_precision)]

/// The bits of √½ (rounded to `f32`, `0x3f3504f3`): the split point of the logarithm's
/// mantissa range.
const SQRT_HALF_BITS: u32 = std::f32::consts::FRAC_1_SQRT_2.to_bits();

/// Natural logarithm of a positive, normal `x` (Cephes `logf`).
///
/// ```text
/// x = m·2^e, m ∈ [√½, √2);  t = m − 1
/// ln x = t − t²/2 + t³·P(t) + e·ln 2      (ln 2 split as 0.693359375 − 2.12194440e-4)
/// ```
///
/// `e` and `m` come from one integer subtraction (as in musl's `logf`): `bits(x) − bits(√½)`
/// borrows from the exponent field exactly when the mantissa of `x` is below that of √½, so
/// its exponent field (read with an arithmetic shift) is `e`, and subtracting `e` from the
/// exponent field of `x` leaves `m`, already in `[√½, √2)`. For every `x` whose sign bit is clear (every
/// argument the kernels pass) this gives the same `e` and `m`, so the same bits, as Cephes'
/// mantissa-in-[½, 1)-then-double-if-below-√½ form that this crate used first, in three
/// vector operations fewer (docs/PERFORMANCE.md).
#[inline(always)]
pub(crate) fn ln_f32(x: f32) -> f32 {
    let bits = x.to_bits();
    let offset = bits.wrapping_sub(SQRT_HALF_BITS);
    let e = offset as i32 >> 23;
    // Mantissa in [√½, √2).
    let m = f32::from_bits(bits.wrapping_sub(offset & 0xff80_0000));
    let t = m - 1.0;
    let z = t * t;
    let mut y = 7.037_683_6e-2_f32;
    y = y * t - 1.151_461_1e-1;
    y = y * t + 1.167_699_9e-1;
    y = y * t - 1.242_014_1e-1;
    y = y * t + 1.424_932_3e-1;
    y = y * t - 1.666_805_8e-1;
    y = y * t + 2.000_071_5e-1;
    y = y * t - 2.499_999_4e-1;
    y = y * t + 3.333_333_1e-1;
    y = y * t * z;
    let fe = e as f32;
    y += -2.121_944_4e-4 * fe;
    y += -0.5 * z;
    let r = t + y;
    r + 0.693_359_4 * fe
}

/// `(cos θ, sin θ)` for `θ = 2π·k/2²⁴`, `k = ⌊w/2⁸⌋` (the top 24 bits of the word `w`).
///
/// The angle is reduced exactly in integers: `k = j·2²² + r` with `−2²¹ ≤ r < 2²¹`, so
/// `θ = j·π/2 + φ`, `φ = r·π/2²³ ∈ [−π/4, π/4]`; then Cephes' minimax polynomials for
/// `sin φ`, `cos φ` and a rotation by the quadrant `j`. Read off the word: `r` is bits 8–29
/// of `w` as a signed 22-bit number (a shift left by 2, an arithmetic shift right by 10), and
/// `j mod 4` is the top two bits of `w + 2²⁹` (the `+ 2²⁹` is the rounding of `k/2²²`, and
/// only `j mod 4` matters).
#[inline(always)]
pub(crate) fn cos_sin_word_f32(w: u32) -> (f32, f32) {
    let r = (w << 2) as i32 >> 10;
    let quadrant = w.wrapping_add(1 << 29);
    let phi = r as f32 * (std::f32::consts::PI / 8_388_608.0);
    let z = phi * phi;
    let mut c = 2.443_315_7e-5_f32;
    c = c * z - 1.388_731_6e-3;
    c = c * z + 4.166_664_6e-2;
    let c = c * z * z - 0.5 * z + 1.0;
    let mut s = -1.951_529_6e-4_f32;
    s = s * z + 8.332_160_9e-3;
    s = s * z - 1.666_665_5e-1;
    let s = s * z * phi + phi;
    rotate_f32(quadrant, c, s)
}

/// `(cos, sin)` of `φ + j·π/2` from `(cos φ, sin φ)`, without branches; `j mod 4` is in the
/// top two bits of `quadrant`.
#[inline(always)]
fn rotate_f32(quadrant: u32, c: f32, s: f32) -> (f32, f32) {
    let swap = quadrant & (1 << 30) != 0;
    let (x, y) = if swap { (s, c) } else { (c, s) };
    // cos is negated in quadrants 1 and 2 (bit 1 of j + 1), sin in quadrants 2 and 3 (bit 1
    // of j).
    let cos_sign = quadrant.wrapping_add(1 << 30) & 0x8000_0000;
    let sin_sign = quadrant & 0x8000_0000;
    (
        f32::from_bits(x.to_bits() ^ cos_sign),
        f32::from_bits(y.to_bits() ^ sin_sign),
    )
}

/// 1.5·2⁵²: adding an integer `|n| < 2⁵¹` to it only changes the low mantissa bits.
const MAGIC_I64: f64 = 6_755_399_441_055_744.0;
/// 2⁵²: the value whose mantissa bits hold an integer `n < 2⁵²` after `bits | n`.
const TWO_52: f64 = 4_503_599_627_370_496.0;

/// `n as f64` for `|n| < 2⁵¹`, exactly, with integer and float operations that vectorize on
/// every x86 level (SSE2/AVX2 have no vector `i64 → f64` conversion):
///
/// ```text
/// bits(1.5·2⁵²) + n  is the float 1.5·2⁵² + n  (same exponent);  subtract 1.5·2⁵² (exact)
/// ```
#[inline(always)]
pub(crate) fn i64_to_f64_exact(n: i64) -> f64 {
    f64::from_bits(MAGIC_I64.to_bits().wrapping_add(n as u64)) - MAGIC_I64
}

/// `n as f64` for `n ≤ 2⁵³`, exactly (see [`i64_to_f64_exact`]): `n = h·2²¹ + l` with
/// `h, l < 2⁵²`, each converted through the mantissa bits of 2⁵², and `h·2²¹ + l` is an
/// integer ≤ 2⁵³, so every step is exact.
#[inline(always)]
pub(crate) fn u64_to_f64_exact(n: u64) -> f64 {
    let h = f64::from_bits(TWO_52.to_bits() | (n >> 21)) - TWO_52;
    let l = f64::from_bits(TWO_52.to_bits() | (n & 0x1f_ffff)) - TWO_52;
    h * 2_097_152.0 + l
}

/// `x` limited to `[lo, hi]` as `f32::clamp` does, without its panicking check (which
/// would keep a loop from vectorizing); the plans guarantee `lo ≤ hi`.
#[inline(always)]
pub(crate) fn clamp_f32(x: f32, lo: f32, hi: f32) -> f32 {
    let x = if x < lo { lo } else { x };
    if x > hi { hi } else { x }
}

/// `x` limited to `[lo, hi]`, as [`clamp_f32`].
#[inline(always)]
pub(crate) fn clamp_f64(x: f64, lo: f64, hi: f64) -> f64 {
    let x = if x < lo { lo } else { x };
    if x > hi { hi } else { x }
}

/// `ln 2` split so that `k·LN2_HI` is exact for |k| < 2¹¹ (fdlibm).
const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
/// The rest of `ln 2`.
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;

/// 2⁵⁴: a subnormal times it is normal.
const TWO_54: f64 = 18_014_398_509_481_984.0;

/// Natural logarithm of a positive, finite `x` (fdlibm's `__ieee754_log` without its special
/// cases; a subnormal `x` is first scaled by 2⁵⁴, as fdlibm does, and 54 taken off `k`).
///
/// ```text
/// x = m·2^k, m ∈ [√½, √2);  f = m − 1;  s = f/(2 + f)
/// ln m = f − f²/2 + s·(f²/2 + R(s²)),  R(z) = Lg1·z + Lg2·z² + … + Lg7·z⁷
/// ```
#[inline(always)]
pub(crate) fn ln_f64(x: f64) -> f64 {
    let subnormal = x < f64::MIN_POSITIVE;
    let x = if subnormal { x * TWO_54 } else { x };
    let bits = x.to_bits();
    let mut k = ((bits >> 52) & 0x7ff) as i64 - 1023 - if subnormal { 54 } else { 0 };
    // Mantissa in [1, 2), halved when above √2.
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let big = m > std::f64::consts::SQRT_2;
    k += big as i64;
    let m = if big { m * 0.5 } else { m };
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w
        * (3.999_999_999_940_941_908e-1
            + w * (2.222_219_843_214_978_396e-1 + w * 1.531_383_769_920_937_332e-1));
    let t2 = z
        * (6.666_666_666_666_735_130e-1
            + w * (2.857_142_874_366_239_149e-1
                + w * (1.818_357_216_161_805_012e-1 + w * 1.479_819_860_511_658_591e-1)));
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    let dk = i64_to_f64_exact(k);
    dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f)
}

/// `(cos θ, sin θ)` for `θ = 2π·k/2⁵²`, `k < 2⁵²`: exact integer reduction to
/// `φ ∈ [−π/4, π/4]`, then fdlibm's `__kernel_cos`/`__kernel_sin` polynomials.
#[inline(always)]
pub(crate) fn cos_sin_turns_f64(k: u64) -> (f64, f64) {
    let j = (k + (1 << 49)) >> 50;
    let r = k as i64 - (j << 50) as i64;
    let phi = i64_to_f64_exact(r) * (std::f64::consts::PI / 2_251_799_813_685_248.0);
    let z = phi * phi;
    let s = phi
        + phi
            * z
            * (-1.666_666_666_666_663_243_48e-1
                + z * (8.333_333_333_322_489_461_24e-3
                    + z * (-1.984_126_982_985_794_931_34e-4
                        + z * (2.755_731_370_707_006_767_89e-6
                            + z * (-2.505_076_025_340_686_341_95e-8
                                + z * 1.589_690_995_211_550_102_21e-10)))));
    let c = 1.0 - 0.5 * z
        + z * z
            * (4.166_666_666_666_660_190_37e-2
                + z * (-1.388_888_888_887_410_957_49e-3
                    + z * (2.480_158_728_947_672_941_78e-5
                        + z * (-2.755_731_435_139_066_330_35e-7
                            + z * (2.087_572_321_298_174_827_90e-9
                                + z * -1.135_964_755_778_819_482_65e-11)))));
    let j = j as u32;
    let swap = j & 1 != 0;
    let (x, y) = if swap { (s, c) } else { (c, s) };
    let cos_sign = u64::from((j + 1) & 2) << 62;
    let sin_sign = u64::from(j & 2) << 62;
    (
        f64::from_bits(x.to_bits() ^ cos_sign),
        f64::from_bits(y.to_bits() ^ sin_sign),
    )
}

/// `Φ⁻¹(t)` in single precision for `t` in (0, ~½], `t` normal; both branches are evaluated
/// and one is selected.
///
/// ```text
/// t ≥ 0.0017:  Φ⁻¹(t) = √2·erfinv(2t − 1), Giles' single-precision erfinv (central branch):
///              w = −ln(4t(1 − t)) − 2.5,  erfinv(x) = x·P(w)
/// t < 0.0017:  Acklam's tail: q = √(−2 ln t),  Φ⁻¹(t) = C(q)/D(q)
/// ```
///
/// M. Giles, "Approximating the erfinv function", GPU Computing Gems Jade, 2011;
/// P. J. Acklam, "An algorithm for computing the inverse normal CDF", 2003.
#[inline(always)]
pub(crate) fn probit_lower_f32(t: f32) -> f32 {
    let central = probit_central_f32(t);
    let tail = probit_tail_f32(t);
    if t < PROBIT_SPLIT_F32 { tail } else { central }
}

/// The central branch of [`probit_lower_f32`] (Giles), exactly as it computes it; on its own
/// for laws whose every `t` is at least [`PROBIT_SPLIT_F32`], where the tail is never chosen.
#[inline(always)]
pub(crate) fn probit_central_f32(t: f32) -> f32 {
    // Giles, central branch (w < 5 ⇔ t > 0.00169).
    let w = -ln_f32(4.0 * t * (1.0 - t)) - 2.5;
    let mut p = 2.810_226_4e-8_f32;
    p = 3.432_739_4e-7 + p * w;
    p = -3.523_387_7e-6 + p * w;
    p = -4.391_506_5e-6 + p * w;
    p = 2.185_808_7e-4 + p * w;
    p = -1.253_725e-3 + p * w;
    p = -4.177_681_6e-3 + p * w;
    p = 2.466_407_3e-1 + p * w;
    p = 1.501_409_4 + p * w;
    std::f32::consts::SQRT_2 * p * (2.0 * t - 1.0)
}

/// The tail branch of [`probit_lower_f32`] (Acklam).
#[inline(always)]
fn probit_tail_f32(t: f32) -> f32 {
    let q = (-2.0 * ln_f32(t)).max(0.0).sqrt();
    let num = ((((-7.784_894e-3_f32 * q - 3.223_964_6e-1) * q - 2.400_758_3) * q - 2.549_732_5)
        * q
        + 4.374_664_1)
        * q
        + 2.938_164;
    let den =
        (((7.784_695_7e-3_f32 * q + 3.224_671_3e-1) * q + 2.445_134_1) * q + 3.754_408_7) * q + 1.0;
    num / den
}

/// Where [`probit_lower_f32`] switches from Acklam's tail to Giles' central branch:
/// `4t(1 − t) = e⁻⁵`, the end of Giles' central range.
pub(crate) const PROBIT_SPLIT_F32: f32 = 0.001_692;

#[cfg(test)]
mod tests {
    use super::*;

    fn ulp_f32(x: f64) -> f64 {
        let f = x as f32;
        (f32::from_bits(f.abs().to_bits() + 1) - f.abs()) as f64
    }

    #[test]
    fn exact_integer_conversions_match_casts() {
        let mut n = 0x243f_6a88_85a3_08d3u64;
        for _ in 0..100_000 {
            n = n
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let wide = n >> 11;
            assert_eq!(u64_to_f64_exact(wide), wide as f64, "{wide}");
            assert_eq!(u64_to_f64_exact(wide + 1), (wide + 1) as f64);
            let small = (n as i64) >> 14;
            assert_eq!(i64_to_f64_exact(small), small as f64, "{small}");
        }
        for n in [0, 1, (1 << 53) - 1, 1 << 53] {
            assert_eq!(u64_to_f64_exact(n), n as f64);
        }
        for n in [0, 1, -1, (1 << 50) - 1, -(1 << 50), 1023, -1074] {
            assert_eq!(i64_to_f64_exact(n), n as f64);
        }
        for (x, lo, hi) in [(0.5f32, -1.0, 1.0), (-3.0, -1.0, 1.0), (3.0, -1.0, 1.0)] {
            assert_eq!(clamp_f32(x, lo, hi), x.clamp(lo, hi));
        }
        assert!(clamp_f32(f32::NAN, -1.0, 1.0).is_nan());
    }

    #[test]
    fn ln_f32_is_within_two_ulp() {
        let mut worst: f64 = 0.0;
        let mut x = 2f32.powi(-32);
        while x <= 1.0 {
            for step in 0..64 {
                let y = f32::from_bits(x.to_bits() + step * 4099);
                if y > 1.0 {
                    break;
                }
                let exact = (y as f64).ln();
                if exact != 0.0 {
                    worst = worst.max((ln_f32(y) as f64 - exact).abs() / ulp_f32(exact));
                }
            }
            x *= 1.37;
        }
        assert!(worst <= 2.0, "worst {worst} ulp");
        assert_eq!(ln_f32(1.0), 0.0);
    }

    #[test]
    fn cos_sin_f32_are_within_two_ulp_of_unit_scale() {
        let mut worst: f64 = 0.0;
        for k in (0..1u32 << 24).step_by(997) {
            let theta = std::f64::consts::TAU * k as f64 / 16_777_216.0;
            let (c, s) = cos_sin_word_f32((k << 8) | (k & 0xff));
            // Error relative to the unit circle (absolute, in units of 2⁻²⁴).
            worst = worst.max(
                (c as f64 - theta.cos())
                    .abs()
                    .max((s as f64 - theta.sin()).abs())
                    * 16_777_216.0,
            );
        }
        assert!(worst <= 2.0, "worst {worst}·2⁻²⁴");
        assert_eq!(cos_sin_word_f32(0), (1.0, 0.0));
        assert_eq!(cos_sin_word_f32(1 << 30), (-0.0, 1.0));
    }

    #[test]
    fn ln_f64_is_within_one_ulp() {
        let mut worst: f64 = 0.0;
        let mut x = f64::from_bits(1);
        while x <= 1.0 {
            for step in 0..32u64 {
                let y = f64::from_bits(x.to_bits() + step * 0x1_0000_0001);
                if y > 1.0 {
                    break;
                }
                let exact = libm::log(y);
                if exact != 0.0 {
                    let ulp = f64::from_bits(exact.abs().to_bits() + 1) - exact.abs();
                    worst = worst.max((ln_f64(y) - exact).abs() / ulp);
                }
            }
            // Subnormals grow by at least one step (x·1.29 rounds back to x near 2⁻¹⁰⁷⁴).
            x = (x * 1.29).max(f64::from_bits(x.to_bits() + 1));
        }
        assert!(worst <= 1.0, "worst {worst} ulp");
    }

    #[test]
    fn cos_sin_f64_are_accurate() {
        let mut worst: f64 = 0.0;
        for i in 0..100_000u64 {
            let k = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 12;
            let theta = std::f64::consts::TAU * (k as f64 / 4_503_599_627_370_496.0);
            let (c, s) = cos_sin_turns_f64(k);
            worst = worst.max(
                (c - libm::cos(theta))
                    .abs()
                    .max((s - libm::sin(theta)).abs()),
            );
        }
        // θ itself carries a rounding error of ~2π·2⁻⁵³ in the reference.
        assert!(worst < 4.0 * f64::EPSILON, "worst {worst:e}");
    }

    #[test]
    fn probit_f32_is_accurate() {
        let mut worst_rel: f64 = 0.0;
        let mut t = 1e-37f32;
        while t <= 0.5 {
            let exact = crate::special::quantile(t as f64);
            let got = probit_lower_f32(t) as f64;
            if exact.abs() > 1e-3 {
                worst_rel = worst_rel.max(((got - exact) / exact).abs());
            } else {
                assert!((got - exact).abs() < 1e-9, "t = {t}");
            }
            t *= 1.013;
        }
        assert!(worst_rel < 4e-7, "worst relative error {worst_rel:e}");
    }
}
