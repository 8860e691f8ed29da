//! Both tails of a normal law from one evaluation of `erfc`, bit for bit what two calls give.
//!
//! `initspec` computes `F(x) = ½·erfc(−t)` and `S(x) = ½·erfc(t)` with `t = (x − μ)/σ · 1/√2`,
//! each by the `libm` port of FreeBSD's msun `erfc` (s_erf.c). That routine is symmetric
//! in a way that gives `erfc(−t)` for free once `erfc(t)` is known:
//!
//! ```text
//! |t| < 2⁻⁵⁶            erfc(±t) = 1 ∓ t
//! |t| < 0.84375         y = P(t²)/Q(t²) depends on t² only, and
//!                       erfc(x) = 1 − (x + x·y)            for x < ¼ (either sign)
//!                       erfc(x) = ½ − (x − ½ + x·y)        for ¼ ≤ x < 0.84375
//! 0.84375 ≤ |t| < 28    erfc(−|t|) = 2 − erfc(|t|)         (msun computes it so)
//! otherwise (|t| ≥ 28, ±∞, NaN): two calls
//! ```
//!
//! The polynomials below are msun's (`pp0`–`pp4`, `qq1`–`qq5`, given by their bits), and
//! every operation is the one msun performs in the same order (Rust never contracts to FMA),
//! so the pair equals the two calls exactly: the unit tests compare them on millions of
//! arguments and at every branch boundary.

/// msun `pp0`–`pp4`: the numerator of erf(x)/x − 1 on |x| < 0.84375.
const PP: [u64; 5] = [
    0x3FC0_6EBA_8214_DB68,
    0xBFD4_CD7D_691C_B913,
    0xBF9D_2A51_DBD7_194F,
    0xBF77_A291_2366_68E4,
    0xBEF8_EAD6_1200_16AC,
];

/// msun `qq1`–`qq5`: its denominator (with a leading 1).
const QQ: [u64; 5] = [
    0x3FD9_7779_CDDA_DC09,
    0x3FB0_A54C_5536_CEBA,
    0x3F74_D022_C4D3_6B0F,
    0x3F21_5DC9_221C_1A10,
    0xBED0_9C43_42A2_6120,
];

/// `(erfc(t), erfc(−t))`, equal bit for bit to `(libm::erfc(t), libm::erfc(-t))`.
pub(crate) fn erfc_pair(t: f64) -> (f64, f64) {
    let high = (t.to_bits() >> 32) as u32 & 0x7fff_ffff;
    if high >= 0x403c_0000 {
        // |t| ≥ 28, ±∞ or NaN.
        return (libm::erfc(t), libm::erfc(-t));
    }
    if high < 0x3feb_0000 {
        if high < 0x3c70_0000 {
            return (1.0 - t, 1.0 - -t);
        }
        let p = PP.map(f64::from_bits);
        let q = QQ.map(f64::from_bits);
        let z = t * t;
        let r = p[0] + z * (p[1] + z * (p[2] + z * (p[3] + z * p[4])));
        let s = 1.0 + z * (q[0] + z * (q[1] + z * (q[2] + z * (q[3] + z * q[4]))));
        let y = r / s;
        let of = |x: f64| {
            if x.is_sign_negative() || high < 0x3fd0_0000 {
                1.0 - (x + x * y)
            } else {
                0.5 - (x - 0.5 + x * y)
            }
        };
        return (of(t), of(-t));
    }
    let e = libm::erfc(t.abs());
    if t.is_sign_negative() {
        (2.0 - e, e)
    } else {
        (e, 2.0 - e)
    }
}

/// `(F(x), S(x))` of N(`mean`, `std`²), bit for bit `initspec`'s `Normal::cdf` and
/// `Normal::sf`: `z = (x − μ)/σ`, `t = z/√2`, `F = ½·erfc(−t)`, `S = ½·erfc(t)`.
pub(crate) fn normal_cdf_sf(x: f64, mean: f64, std: f64) -> (f64, f64) {
    let t = (x - mean) / std * std::f64::consts::FRAC_1_SQRT_2;
    let (upper, lower) = erfc_pair(t);
    (0.5 * lower, 0.5 * upper)
}

#[cfg(test)]
mod tests {
    use super::*;
    use initspec::Law;

    /// A xorshift generator for test arguments.
    struct Xorshift(u64);
    impl Xorshift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn assert_pair(t: f64) {
        let (a, b) = erfc_pair(t);
        assert_eq!(
            (a.to_bits(), b.to_bits()),
            (libm::erfc(t).to_bits(), libm::erfc(-t).to_bits()),
            "t = {t:e} ({:#x})",
            t.to_bits()
        );
    }

    #[test]
    fn the_pair_is_two_calls_of_libm_at_every_boundary() {
        let edges = [
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            5e-324,
            2f64.powi(-56),
            0.25,
            0.84375,
            1.25,
            1.0 / 0.35,
            6.0,
            28.0,
            f64::INFINITY,
            f64::NAN,
        ];
        for &e in &edges {
            for t in [
                e,
                -e,
                e.next_up(),
                e.next_down(),
                -e.next_up(),
                -e.next_down(),
            ] {
                assert_pair(t);
            }
        }
    }

    #[test]
    fn the_pair_is_two_calls_of_libm_on_random_arguments() {
        let mut rng = Xorshift(0x2545_f491_4f6c_dd1d);
        for _ in 0..2_000_000 {
            let bits = rng.next();
            // Uniform on [−8, 8], and arbitrary bit patterns (every exponent).
            let uniform = ((bits >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 16.0;
            assert_pair(uniform);
            assert_pair(f64::from_bits(rng.next()));
        }
    }

    #[test]
    fn normal_tails_are_the_laws_cdf_and_sf() {
        let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
        for law in [
            "normal(mean=0, std=0.02)",
            "normal(mean=-1.5, std=3)",
            "normal",
        ] {
            let law: Law = law.parse().unwrap();
            let Law::Normal(n) = &law else {
                panic!("{law} is normal")
            };
            for _ in 0..500_000 {
                let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                let x = n.mean() + u * 20.0 * n.std();
                let (cdf, sf) = normal_cdf_sf(x, n.mean(), n.std());
                assert_eq!(cdf.to_bits(), law.cdf(x).to_bits(), "{law} cdf({x:e})");
                assert_eq!(sf.to_bits(), law.sf(x).to_bits(), "{law} sf({x:e})");
            }
        }
    }
}
