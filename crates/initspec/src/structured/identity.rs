//! Identity-like initializations: `eye` (2-D), `dirac` (convolutions, PyTorch) and
//! `delta_orthogonal` (convolutions, JAX).

use crate::Stream;
use crate::error::Result;
use crate::fans::Layout;
use crate::law::{DeltaOrthogonal, Dirac, Eye};

/// The identity matrix of a 2-D shape `[rows, cols]` (ones on the main diagonal), row-major.
///
/// # Formula
/// ```text
/// W[i][j] = 1 if i = j, else 0          (PyTorch eye_ = torch.eye(rows, cols))
/// ```
///
/// # Errors
/// As [`Eye::of_shape`]: [`crate::Error::RankUnsupported`] unless the shape has exactly 2
/// dimensions.
///
/// # Example
/// ```
/// use initspec::structured::eye;
/// assert_eq!(eye(&[2, 3]).unwrap(), vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
/// ```
#[doc(alias = "eye_")]
#[doc(alias = "identity")]
pub fn eye(shape: &[usize]) -> Result<Vec<f64>> {
    let law = Eye::of_shape(shape, 1)?;
    Ok((0..law.rows() * law.cols()).map(|i| law.value(i)).collect())
}

/// The Dirac delta kernel of a convolution weight `[out, in, *k]` (PyTorch layout), row-major:
/// each of the `groups` groups passes its first `min(out/groups, in)` input channels through
/// unchanged.
///
/// # Formula
/// ```text
/// o = out / groups,   d_max = min(o, in)
/// W[g·o + d, d, k₁//2, …, k_s//2] = 1   for g < groups, d < d_max;   0 elsewhere
/// ```
///
/// The centre tap is `k//2` as in PyTorch `dirac_`: for an even kernel it is the upper of the
/// two middle taps (k = 4 → index 2). JAX's [`delta_orthogonal`] uses `(k−1)//2`, the lower
/// one (k = 4 → index 1); the two agree for odd kernels.
///
/// # Errors
/// As [`Dirac::of_shape`] in the layout `out-in`: [`crate::Error::RankUnsupported`] unless the
/// rank is 3, 4 or 5; [`crate::Error::GroupsDoNotDivideChannels`] when `groups` is 0 or does
/// not divide `shape[0]`.
///
/// # Example
/// ```
/// use initspec::structured::dirac;
/// // Conv1d(2 → 2, kernel 3): identity at the middle tap.
/// assert_eq!(
///     dirac(&[2, 2, 3], 1).unwrap(),
///     vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
/// );
/// ```
#[doc(alias = "dirac_")]
pub fn dirac(shape: &[usize], groups: usize) -> Result<Vec<f64>> {
    let law = Dirac::of_shape(groups, shape, &Layout::OutIn, 1)?;
    let total: usize = law.shape().iter().product();
    Ok((0..total).map(|i| law.value(i)).collect())
}

/// The delta-orthogonal kernel of a convolution weight `[*k, in, out]` (JAX / Keras layout),
/// row-major: zero but an orthogonal `in × out` matrix at the centre tap (Xiao et al. 2018).
///
/// # Formula
/// ```text
/// W[(k₁−1)//2, …, (k_s−1)//2, :, :] = orthogonal([in, out], gain)   (orthonormal rows · gain)
/// W = 0 at every other tap;   requires in ≤ out
/// ```
///
/// The matrix is [`orthogonal`](super::orthogonal) of `[in, out]` with the same stream, so its
/// rows are orthonormal (times `gain`) and Haar-distributed. The centre tap is `(k−1)//2` as in JAX's
/// `delta_orthogonal`: for an even kernel the lower of the two middle taps (k = 4 → index 1),
/// whereas PyTorch's [`dirac`] uses `k//2` (k = 4 → index 2).
///
/// # Errors
/// As [`DeltaOrthogonal::of_shape`] in the layout `in-out`: the gain errors of
/// [`orthogonal`](super::orthogonal); [`crate::Error::RankUnsupported`] unless the rank is 3, 4
/// or 5; [`crate::Error::InExceedsOut`] when `in > out`.
///
/// # Example
/// ```
/// use initspec::Stream;
/// use initspec::structured::delta_orthogonal;
/// let w = delta_orthogonal(&[3, 2, 2], 1.0, &Stream::new(0, "conv")).unwrap();
/// // Only the middle tap (index 1 of 3) is non-zero: W[1] is a 2×2 orthogonal matrix.
/// assert!(w[..4].iter().chain(&w[8..]).all(|&x| x == 0.0));
/// let det = w[4] * w[7] - w[5] * w[6];
/// assert!((det.abs() - 1.0).abs() < 1e-12);
/// ```
#[doc(alias = "ConvolutionDeltaOrthogonal")]
pub fn delta_orthogonal(shape: &[usize], gain: f64, stream: &Stream) -> Result<Vec<f64>> {
    Ok(DeltaOrthogonal::of_shape(gain, shape, &Layout::InOut, 1)?.generate(stream))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::structured::orthogonal;

    #[test]
    fn eye_matches_torch_eye() {
        assert_eq!(eye(&[2, 2]).unwrap(), vec![1.0, 0.0, 0.0, 1.0]);
        assert_eq!(eye(&[3, 2]).unwrap(), vec![1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
        assert_eq!(eye(&[0, 3]).unwrap(), Vec::<f64>::new());
        for shape in [&[3][..], &[2, 2, 2][..], &[][..]] {
            assert!(matches!(eye(shape), Err(Error::RankUnsupported { .. })));
        }
    }

    #[test]
    fn dirac_exact_values() {
        // torch.nn.init.dirac_(torch.empty(4, 3, 3)): 1 at [d, d, 1] for d < 3.
        let w = dirac(&[4, 3, 3], 1).unwrap();
        let ones: Vec<usize> = (0..w.len()).filter(|&i| w[i] == 1.0).collect();
        assert_eq!(ones, vec![1, 3 * 3 + 3 + 1, 2 * 9 + 2 * 3 + 1]);
        assert_eq!(w.iter().filter(|&&x| x != 0.0).count(), 3);

        // Even kernel: centre k//2 = 2 for k = 4 (PyTorch), not (k−1)//2 = 1.
        let w = dirac(&[2, 2, 4], 1).unwrap();
        assert_eq!(w[2], 1.0);
        assert_eq!(w[(2 + 1) * 4 + 2], 1.0);
        assert_eq!(w.iter().sum::<f64>(), 2.0);

        // 2-D kernel 3×2: centre (1, 1) → offset 1·2 + 1 = 3 within a 6-tap block.
        let w = dirac(&[2, 2, 3, 2], 1).unwrap();
        assert_eq!(w[3], 1.0);
        assert_eq!(w[(2 + 1) * 6 + 3], 1.0);
        assert_eq!(w.iter().sum::<f64>(), 2.0);

        // 3-D kernel 3×3×3: centre (1,1,1) → 13.
        let w = dirac(&[1, 1, 3, 3, 3], 1).unwrap();
        assert_eq!(w[13], 1.0);
        assert_eq!(w.iter().sum::<f64>(), 1.0);
    }

    #[test]
    fn dirac_groups() {
        // dirac_(torch.empty(6, 2, 3), groups=2): out_per_group 3, min_dim 2,
        // ones at [g·3 + d, d, 1] for g < 2, d < 2.
        let w = dirac(&[6, 2, 3], 2).unwrap();
        let mut want = vec![0.0; 36];
        for (o, d) in [(0, 0), (1, 1), (3, 0), (4, 1)] {
            want[(o * 2 + d) * 3 + 1] = 1.0;
        }
        assert_eq!(w, want);
        // More inputs than outputs per group: min_dim = out_per_group.
        let w = dirac(&[4, 5, 1], 2).unwrap();
        let mut want = vec![0.0; 20];
        for (o, d) in [(0, 0), (1, 1), (2, 0), (3, 1)] {
            want[o * 5 + d] = 1.0;
        }
        assert_eq!(w, want);
    }

    #[test]
    fn dirac_errors() {
        assert!(matches!(
            dirac(&[6, 2, 3], 4),
            Err(Error::GroupsDoNotDivideChannels {
                out_channels: 6,
                groups: 4
            })
        ));
        assert!(matches!(
            dirac(&[6, 2, 3], 0),
            Err(Error::GroupsDoNotDivideChannels { .. })
        ));
        for shape in [&[2, 2][..], &[1, 1, 1, 1, 1, 1][..]] {
            assert!(matches!(
                dirac(shape, 1),
                Err(Error::RankUnsupported { .. })
            ));
        }
        assert_eq!(dirac(&[0, 2, 3], 1).unwrap(), Vec::<f64>::new());
    }

    #[test]
    fn delta_orthogonal_centre_and_orthogonality() {
        let stream = Stream::new(9, "conv");
        // [k1 = 4, k2 = 3, in = 3, out = 5]: centre ((4−1)//2, (3−1)//2) = (1, 1) → tap 1·3 + 1 = 4.
        let shape = [4, 3, 3, 5];
        let w = delta_orthogonal(&shape, 1.5, &stream).unwrap();
        let m = orthogonal(&[3, 5], 1.5, &stream).unwrap();
        let tap = 15;
        for (t, block) in w.chunks(tap).enumerate() {
            if t == 4 {
                assert_eq!(block, &m[..]);
            } else {
                assert!(block.iter().all(|&x| x == 0.0), "tap {t}");
            }
        }
        // Rows of the centre matrix are orthonormal·gain.
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..5).map(|c| m[i * 5 + c] * m[j * 5 + c]).sum();
                let want = if i == j { 2.25 } else { 0.0 };
                assert!((s - want).abs() < 1e-13);
            }
        }
        // 3-D kernel, even sizes: centre (1, 0, 1) of [4, 2, 4].
        let w = delta_orthogonal(&[4, 2, 4, 2, 2], 1.0, &stream).unwrap();
        let centre = (2 * 4) + 1;
        let nonzero: Vec<usize> = (0..w.len())
            .filter(|&i| w[i] != 0.0)
            .map(|i| i / 4)
            .collect();
        assert!(!nonzero.is_empty());
        assert!(nonzero.iter().all(|&t| t == centre));
    }

    #[test]
    fn delta_orthogonal_errors() {
        let s = Stream::new(0, "w");
        assert!(matches!(
            delta_orthogonal(&[3, 5, 4], 1.0, &s),
            Err(Error::InExceedsOut {
                in_channels: 5,
                out_channels: 4
            })
        ));
        for shape in [&[3, 3][..], &[1, 1, 1, 1, 3, 3][..]] {
            assert!(matches!(
                delta_orthogonal(shape, 1.0, &s),
                Err(Error::RankUnsupported { .. })
            ));
        }
        for gain in [f64::NAN, 0.0, -2.0, f64::INFINITY] {
            assert!(delta_orthogonal(&[3, 2, 2], gain, &s).is_err());
        }
        assert_eq!(
            delta_orthogonal(&[3, 0, 2], 1.0, &s).unwrap(),
            Vec::<f64>::new()
        );
        assert_eq!(
            delta_orthogonal(&[0, 2, 2], 1.0, &s).unwrap(),
            Vec::<f64>::new()
        );
    }
}
