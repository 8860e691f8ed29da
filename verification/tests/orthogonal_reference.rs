//! `initspec::structured::orthogonal` against an independent QR: nalgebra's Householder QR of
//! the same Gaussian matrix, rebuilt here from the documented formula of the Gaussian draws,
//! with the same sign fix. A Q with orthonormal columns and R with a positive diagonal is
//! unique, so the two must agree to rounding.

use initspec::Stream;
use initspec::structured::{ORTHOGONAL_WORD, orthogonal};
use nalgebra::DMatrix;

/// `g(i)` as documented on `orthogonal`: the Box–Muller pair of Philox block ⌊i/2⌋ of
/// sub-stream 1, `u = (⌊W₀/2¹¹⌋ + 1)·2⁻⁵³`, `θ = 2π·⌊W₁/2¹²⌋·2⁻⁵²`.
fn gaussian(stream: &Stream, i: usize) -> f64 {
    let w = stream.block((i / 2) as u64, ORTHOGONAL_WORD);
    let w0 = (u64::from(w[1]) << 32) | u64::from(w[0]);
    let w1 = (u64::from(w[3]) << 32) | u64::from(w[2]);
    let u = ((w0 >> 11) as f64 + 1.0) * 2f64.powi(-53);
    let r = (-2.0 * u.ln()).sqrt();
    let theta = 2.0 * std::f64::consts::PI * ((w1 >> 12) as f64 * 2f64.powi(-52));
    if i.is_multiple_of(2) {
        r * theta.cos()
    } else {
        r * theta.sin()
    }
}

#[test]
fn orthogonal_equals_nalgebra_qr_with_the_sign_fix() {
    for (rows, cols, gain, seed) in [
        (50usize, 50usize, 1.0, 1u64),
        (120, 40, 2.0, 2),
        (40, 120, 0.5, 3),
        (200, 200, 1.0, 4),
        (300, 130, 1.0, 5),
    ] {
        let stream = Stream::new(seed, "reference");
        let (m, n) = (rows.max(cols), rows.min(cols));
        // Z[i][j] = g(i·n + j), m × n (the tall orientation).
        let z = DMatrix::from_fn(m, n, |i, j| gaussian(&stream, i * n + j));
        let qr = z.qr();
        let (q, r) = (qr.q(), qr.r());
        let ours = orthogonal(&[rows, cols], gain, &stream).unwrap();
        let mut worst = 0.0f64;
        for j in 0..n {
            let sign = if r[(j, j)] < 0.0 { -1.0 } else { 1.0 };
            for i in 0..m {
                let want = gain * sign * q[(i, j)];
                // Tall: W[i][j] = Q[i][j]; wide: W = Qᵀ, W[j][i] = Q[i][j].
                let got = if rows >= cols {
                    ours[i * cols + j]
                } else {
                    ours[j * cols + i]
                };
                worst = worst.max((got - want).abs());
            }
        }
        let tolerance = 1e-12 * m as f64 * gain;
        assert!(
            worst <= tolerance,
            "[{rows}, {cols}] gain {gain} seed {seed}: max |ours − nalgebra| = {worst:e} > {tolerance:e}"
        );
    }
}
