//! The standard normal density, distribution and quantile in double precision.
//!
//! `Φ` and its complement are computed from `erfc` (the `libm` port of FreeBSD's msun, < 1 ulp),
//! so that tail probabilities keep their relative precision: `Φ(−40)` is 3.6e-350 → 0 in f64,
//! but `Φ(−37)` = 5.7e-300 is exact to ~1e-15 relative. The quantile is Wichura's AS 241
//! (rational approximations on three regions, within a few ulp).
//!
//! Everything here uses the pure-Rust `libm` (never the platform's C library), so the sampler,
//! which calls these functions, produces the same bytes on every operating system and CPU.

use std::f64::consts::FRAC_1_SQRT_2;

/// `1/√(2π)`.
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// The standard normal density `φ(x) = exp(−x²/2)/√(2π)`.
pub fn pdf(x: f64) -> f64 {
    FRAC_1_SQRT_2PI * libm::exp(-0.5 * x * x)
}

/// The standard normal distribution function `Φ(x) = erfc(−x/√2)/2`.
pub fn cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * FRAC_1_SQRT_2)
}

/// The standard normal survival function `1 − Φ(x) = Φ(−x) = erfc(x/√2)/2`, accurate in the
/// upper tail.
pub fn sf(x: f64) -> f64 {
    0.5 * libm::erfc(x * FRAC_1_SQRT_2)
}

/// Wichura's AS 241 (PPND16) coefficients, numerator and denominator of the rational
/// function of r = 0.180625 − q² on the central region |q| = |p − ½| ≤ 0.425, lowest degree
/// first (M. J. Wichura, "Algorithm AS 241: The percentage points of the normal
/// distribution", Applied Statistics 37(3), 477–484, 1988; the digits as published).
#[allow(
    clippy::excessive_precision,
    reason = "the published 20-digit coefficients, rounded to f64 by the compiler"
)]
const AS241_CENTRAL: ([f64; 8], [f64; 8]) = (
    [
        3.387_132_872_796_366_608_0,
        1.331_416_678_917_843_774_5e2,
        1.971_590_950_306_551_442_7e3,
        1.373_169_376_550_946_112_5e4,
        4.592_195_393_154_987_145_7e4,
        6.726_577_092_700_870_085_3e4,
        3.343_057_558_358_812_810_5e4,
        2.509_080_928_730_122_672_7e3,
    ],
    [
        1.0,
        4.231_333_070_160_091_125_2e1,
        6.871_870_074_920_579_083_0e2,
        5.394_196_021_424_751_107_7e3,
        2.121_379_430_158_659_586_7e4,
        3.930_789_580_009_271_061_0e4,
        2.872_908_573_572_194_267_4e4,
        5.226_495_278_852_854_561_0e3,
    ],
);

/// AS 241 on the intermediate tail, a rational function of r − 1.6 with r = √(−ln p) ≤ 5
/// (p ≥ e⁻²⁵ ≈ 1.4e-11).
#[allow(
    clippy::excessive_precision,
    reason = "the published 21-digit coefficients, rounded to f64 by the compiler"
)]
const AS241_NEAR_TAIL: ([f64; 8], [f64; 8]) = (
    [
        1.423_437_110_749_683_577_34,
        4.630_337_846_156_545_295_90,
        5.769_497_221_460_691_405_50,
        3.647_848_324_763_204_605_04,
        1.270_458_252_452_368_382_58,
        2.417_807_251_774_506_117_70e-1,
        2.272_384_498_926_918_458_33e-2,
        7.745_450_142_783_414_076_40e-4,
    ],
    [
        1.0,
        2.053_191_626_637_758_821_87,
        1.676_384_830_183_803_849_40,
        6.897_673_349_851_000_045_50e-1,
        1.481_039_764_274_800_745_90e-1,
        1.519_866_656_361_645_719_66e-2,
        5.475_938_084_995_344_946_00e-4,
        1.050_750_071_644_416_843_24e-9,
    ],
);

/// AS 241 on the far tail, a rational function of r − 5 with r = √(−ln p) > 5.
#[allow(
    clippy::excessive_precision,
    reason = "the published 21-digit coefficients, rounded to f64 by the compiler"
)]
const AS241_FAR_TAIL: ([f64; 8], [f64; 8]) = (
    [
        6.657_904_643_501_103_777_20,
        5.463_784_911_164_114_369_90,
        1.784_826_539_917_291_335_80,
        2.965_605_718_285_048_912_30e-1,
        2.653_218_952_657_612_309_30e-2,
        1.242_660_947_388_078_438_60e-3,
        2.711_555_568_743_487_578_15e-5,
        2.010_334_399_292_288_132_65e-7,
    ],
    [
        1.0,
        5.998_322_065_558_879_376_90e-1,
        1.369_298_809_227_358_053_10e-1,
        1.487_536_129_085_061_485_25e-2,
        7.868_691_311_456_132_591_00e-4,
        1.846_318_317_510_054_681_80e-5,
        1.421_511_758_316_445_888_70e-7,
        2.044_263_103_389_939_785_64e-15,
    ],
);

/// `num(x)/den(x)` for the coefficient set chosen per value: the central set where
/// `central`, else the near-tail set where `near`, else the far-tail set; both polynomials of
/// degree 7, lowest degree first, by Horner's rule (separate multiplies and adds: no fused
/// multiply-add, so the bits are the same on every CPU). Choosing the coefficients rather than
/// the result evaluates one rational function per value instead of three, and stays
/// branch-free, so it vectorizes.
#[inline(always)]
fn rational(central: bool, near: bool, x: f64) -> f64 {
    let pick = |k: usize, den: usize| {
        let set = |c: &([f64; 8], [f64; 8])| if den == 0 { c.0[k] } else { c.1[k] };
        let tail = if near {
            set(&AS241_NEAR_TAIL)
        } else {
            set(&AS241_FAR_TAIL)
        };
        if central { set(&AS241_CENTRAL) } else { tail }
    };
    let mut n = pick(7, 0);
    let mut d = pick(7, 1);
    for k in (0..7).rev() {
        n = n * x + pick(k, 0);
        d = d * x + pick(k, 1);
    }
    n / d
}

/// The standard normal quantile `Φ⁻¹(p)`: `−∞` at 0, `+∞` at 1, NaN outside [0, 1].
///
/// For `p > 1/2` precision is limited by `p` itself (its distance to 1 is known only to
/// 2⁻⁵³); use [`isf`] with the upper-tail probability there.
pub fn quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p > 0.5 {
        return -lower_quantile(1.0 - p);
    }
    lower_quantile(p)
}

/// The inverse survival function `Φ⁻¹(1 − q) = −Φ⁻¹(q)`, accurate for tiny `q`.
pub fn isf(q: f64) -> f64 {
    -quantile(q)
}

/// `Φ⁻¹(p)` for `p` in (0, 1/2], by Wichura's AS 241:
///
/// ```text
/// q = p − ½;  |q| ≤ 0.425:  z = q·A(0.180625 − q²)/B(0.180625 − q²)
/// otherwise   r = √(−ln p):  z = −C(r − 1.6)/D(r − 1.6)   (r ≤ 5, p ≥ e⁻²⁵)
///                            z = −E(r − 5)/F(r − 5)       (r > 5)
/// ```
///
/// with A…F the degree-7 polynomials of the constants above. Measured against mpmath at 360
/// digits (4 500 values of p from 1e-300 to ½, `verification/scripts/as241_accuracy.py`):
/// within 5 ulp everywhere (4 in the centre and near tail); the tests below hold it to 8 ulp
/// at fixed points.
///
/// Written without branches (each value picks its region's coefficients and evaluates one
/// rational function; `ln` is the fill kernels' branch-free fdlibm logarithm, subnormal `p`
/// included, computed for every value), so that the sampler's
/// double-precision truncated normal, which calls it once per value, vectorizes; with
/// `+ − × ÷ √` only, each exactly rounded, the bits are the same on every CPU and kernel path.
/// That made the kernel several times faster than the Acklam-plus-Halley-step it replaced,
/// which called `erfc` and `exp` for every value (docs/PERFORMANCE.md).
#[inline(always)]
pub(crate) fn lower_quantile(p: f64) -> f64 {
    as241(p, as241_root(p))
}

/// `r = √(−ln p)`, the tail argument of AS 241 (computed for every `p`, central ones too, so
/// that it vectorizes; p > 0 here, and the smallest subnormal stands in should a caller's `p`
/// underflow to 0).
#[inline(always)]
pub(crate) fn as241_root(p: f64) -> f64 {
    let p = if p > 0.0 { p } else { f64::from_bits(1) };
    (-crate::fill::ln_f64(p)).sqrt()
}

/// AS 241 for `p` in (0, 1/2] given `r` = [`as241_root`]`(p)`: the region's argument, its
/// rational function, and the sign. [`lower_quantile`] in two steps, so that a kernel can run
/// each step over a whole tile before the next (independent values in flight, instead of one
/// long chain of dependent operations per value).
#[inline(always)]
pub(crate) fn as241(p: f64, r: f64) -> f64 {
    let q = p - 0.5;
    let central = q.abs() <= 0.425;
    let near = r <= 5.0;
    let x = if central {
        0.180625 - q * q
    } else if near {
        r - 1.6
    } else {
        r - 5.0
    };
    let ratio = rational(central, near, x);
    if central { q * ratio } else { -ratio }
}

/// The regularized incomplete beta function `I_x(a, b) = B(x; a, b)/B(a, b)` for `a, b > 0`,
/// with `y = 1 − x` passed separately so that the upper tail keeps its relative precision;
/// 0 for `x ≤ 0`, 1 for `x ≥ 1`, NaN for a NaN argument or a non-positive `a` or `b`.
///
/// ```text
/// I_x(a, b) = xᵃ yᵇ / (a·B(a, b)) · 1/(1+ d₁/(1+ d₂/(1+ …)))     for x < (a+1)/(a+b+2)
/// I_x(a, b) = 1 − I_y(b, a)                                      otherwise
/// d₂ₖ₊₁ = −(a+k)(a+b+k)x / ((a+2k)(a+2k+1)),   d₂ₖ = k(b−k)x / ((a+2k−1)(a+2k))
/// ```
///
/// The continued fraction (Abramowitz & Stegun 26.5.8) is evaluated by the modified Lentz
/// method; it converges in O(√max(a, b)) terms on the side chosen. Relative accuracy ~1e-13
/// for moderate `a, b`; for `a, b ~ 10⁶` the prefactor `ln Γ(a+b) − ln Γ(a) − ln Γ(b)` loses
/// about 1e-10 to cancellation, which is far below what a goodness-of-fit test resolves.
pub fn beta_inc(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() || !(a > 0.0) || !(b > 0.0) {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if y <= 0.0 {
        return 1.0;
    }
    let ln_front = libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b)
        + a * libm::log(x)
        + b * libm::log(y);
    if x < (a + 1.0) / (a + b + 2.0) {
        libm::exp(ln_front) * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - libm::exp(ln_front) * beta_continued_fraction(b, a, y) / b
    }
}

/// The continued fraction of [`beta_inc`] (modified Lentz; Numerical Recipes §6.4 `betacf`).
fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let max_terms = 10_000 + (20.0 * a.max(b).sqrt()) as usize;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - qab * x / qap);
    let mut h = d;
    for k in 1..=max_terms {
        let k = k as f64;
        let k2 = 2.0 * k;
        let even = k * (b - k) * x / ((qam + k2) * (a + k2));
        d = 1.0 / guard(1.0 + even * d);
        c = guard(1.0 + even / c);
        h *= d * c;
        let odd = -(a + k) * (qab + k) * x / ((a + k2) * (qap + k2));
        d = 1.0 / guard(1.0 + odd * d);
        c = guard(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values: SciPy 1.17.1 (scipy.stats.norm).
    #[test]
    fn cdf_matches_scipy() {
        let cases = [
            (-5.0, 2.866_515_718_791_933e-7),
            (-3.0, 0.001_349_898_031_630_093_3),
            (-1.0, 0.158_655_253_931_457_07),
            (2.0, 0.977_249_868_051_820_8),
        ];
        for (x, want) in cases {
            let got = cdf(x);
            assert!(
                ((got - want) / want).abs() < 1e-14,
                "Φ({x}) = {got}, want {want}"
            );
            let got_sf = sf(-x);
            assert!(
                ((got_sf - want) / want).abs() < 1e-14,
                "sf({}) = {got_sf}",
                -x
            );
        }
        assert_eq!(cdf(f64::NEG_INFINITY), 0.0);
        assert_eq!(cdf(f64::INFINITY), 1.0);
    }

    #[test]
    fn quantile_matches_scipy() {
        let cases = [
            (1e-6, -4.753_424_308_822_899),
            (0.001, -3.090_232_306_167_813),
        ];
        for (p, want) in cases {
            let got = quantile(p);
            assert!(
                ((got - want) / want).abs() < 1e-14,
                "Φ⁻¹({p}) = {got}, want {want}"
            );
            assert!(((isf(p) + want) / want).abs() < 1e-14);
        }
        assert_eq!(quantile(0.5), 0.0);
        assert_eq!(quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(quantile(1.0), f64::INFINITY);
        assert!(quantile(-0.1).is_nan() && quantile(f64::NAN).is_nan() && quantile(1.5).is_nan());
    }

    #[test]
    fn quantile_inverts_cdf_across_the_range() {
        let mut worst: f64 = 0.0;
        for i in 1..2000 {
            let x = -37.0 + 37.0 * i as f64 / 2000.0;
            let p = cdf(x);
            let back = quantile(p);
            worst = worst.max(((back - x) / x.abs().max(1.0)).abs());
        }
        assert!(worst < 1e-13, "worst relative round-trip error {worst}");
    }

    /// Φ⁻¹(p) from mpmath 1.3 at 400 digits (`-sqrt(2)·erfinv(1 − 2p)`, printed to 20
    /// digits), across the three regions of AS 241 and their borders (0.075 = ½ − 0.425;
    /// e⁻²⁵ = 1.3887943864964021e-11, where r = 5), down to the smallest normal f64.
    #[test]
    #[allow(
        clippy::excessive_precision,
        reason = "reference values as printed by mpmath, 20 digits"
    )]
    fn quantile_matches_mpmath_within_8_ulp() {
        let cases = [
            (0.49, -0.025_068_908_258_711_058_033),
            (0.4, -0.253_347_103_135_799_741_32),
            (0.320_485_162_803_210_2, -0.466_342_551_226_604_490_32),
            (0.25, -0.674_489_750_196_081_743_2),
            (0.1, -1.281_551_565_544_600_435_3),
            (0.075, -1.439_531_470_938_455_934_9),
            (0.0749, -1.440_238_267_527_963_663_1),
            (0.05, -1.644_853_626_951_472_688),
            (0.02425, -1.972_961_051_311_884_837_6),
            (0.01, -2.326_347_874_040_841_093_1),
            (0.001, -3.090_232_306_167_813_535_4),
            (1.527_153_815_526_971e-10, -6.295_996_753_988_011_055_4),
            (1e-11, -6.706_023_155_495_136_296_1),
            (1.388_794_386_496_402e-11, -6.657_904_643_501_103_600_8),
            (1e-15, -7.941_345_326_170_996_771_3),
            (1e-30, -11.464_024_688_443_615_72),
            (1e-100, -21.273_453_560_965_324_294),
            (5.775_572_822_925_846e-181, -28.661_422_162_110_139_78),
            (1e-250, -33.799_586_172_694_837_47),
            (1e-300, -37.047_096_299_361_199_237),
            (2.225_073_858_507_201_4e-308, -37.519_379_347_144_499_821),
        ];
        for (p, want) in cases {
            let got = quantile(p);
            let ulps = (got - want).abs() / (want.abs() * f64::EPSILON / 2.0);
            assert!(
                ulps <= 8.0,
                "Φ⁻¹({p:e}) = {got:e}, mpmath {want:e}: {ulps:.1} ulp"
            );
            // The upper half by symmetry, exactly.
            assert_eq!(isf(p), -got);
        }
        assert_eq!(quantile(0.5), 0.0);
    }

    #[test]
    #[allow(
        clippy::excessive_precision,
        reason = "reference values as printed by mpmath, 17 digits"
    )]
    fn beta_inc_matches_mpmath_and_scipy() {
        // (a, b, x, I_x(a, b)): mpmath 1.3 at 40 digits; the last three rows scipy.special.betainc.
        let cases = [
            (0.5, 0.5, 0.1, 0.204_832_764_699_133_46),
            (1.5, 1.5, 0.3, 0.252_315_787_734_345_46),
            (2.0, 3.0, 0.7, 0.9163),
            (10.0, 10.0, 0.5, 0.5),
            (10.0, 10.0, 0.01, 8.509_104_732_905_514_6e-16),
            (127.5, 127.5, 0.45, 0.054_874_927_025_048_035),
            (2047.5, 2047.5, 0.52, 0.994_774_758_097_584_2),
            (3.5, 3.5, 1e-6, 1.862_563_940_927_081e-20),
            (0.5, 0.5, 0.999_999, 0.999_363_380_121_548_2),
            (500_000.0, 500_000.0, 0.5005, 0.841_344_746_068_556_9),
        ];
        for (a, b, x, want) in cases {
            let got = beta_inc(a, b, x, 1.0 - x);
            let tolerance = if a > 1e5 { 1e-9 } else { 1e-12 };
            assert!(
                ((got - want) / want).abs() < tolerance,
                "I_{x}({a}, {b}) = {got}, want {want}"
            );
        }
        // The upper tail through y = 1 − x keeps its relative precision (scipy: I_0.1(127.5,
        // 127.5) = 1 − I_0.9 = 8.351175500089176e-59).
        let tail = beta_inc(127.5, 127.5, 0.1, 0.9);
        assert!(
            (tail / 8.351_175_500_089_176e-59 - 1.0).abs() < 1e-11,
            "{tail}"
        );
        assert_eq!(beta_inc(2.0, 2.0, 0.0, 1.0), 0.0);
        assert_eq!(beta_inc(2.0, 2.0, 1.0, 0.0), 1.0);
        assert!(beta_inc(0.0, 2.0, 0.5, 0.5).is_nan());
        assert!(beta_inc(2.0, 2.0, f64::NAN, 0.5).is_nan());
    }
}
