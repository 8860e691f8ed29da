//! Sparse initialization (Martens 2010; PyTorch `sparse_`).

use super::MASK_WORD;
use crate::error::Result;
use crate::law::Sparse;
use crate::{Law, Sampler, Stream};

/// A 2-D weight `[rows, cols]`, row-major, with exactly `⌈sparsity·rows⌉` zeros in every
/// column at uniformly random rows, and `N(0, std²)` values elsewhere.
///
/// # Formula
/// ```text
/// z = ⌈sparsity · rows⌉
/// x[r][c] = normal(mean=0, std)[r·cols + c]           (value sub-stream 0)
/// key[r][c] = W of Philox block c·rows + r, sub-stream 2   (W = w₁·2³² + w₀)
/// column c: the z rows with the smallest (key, r) are set to 0
/// ```
///
/// Sorting the rows of a column by independent uniform 64-bit keys (ties broken by row, an event
/// of probability below 2⁻⁶⁴·rows²) gives a uniformly random permutation, so the zero set is a
/// uniformly random `z`-subset of the rows, independently across columns, as PyTorch's
/// `randperm(rows)[:z]`. Unlike PyTorch (which draws the mask from the global generator, not
/// `generator=`, pytorch PR #196941), the mask here is reproducible from the stream. The non-zero
/// values are exactly those of the scalar law `normal(mean=0, std=std)` on the same stream.
///
/// # Errors
/// As [`Sparse::of_shape`]: [`crate::Error::OutOfRange`] when `sparsity` is NaN or outside
/// [0, 1]; [`crate::Error::NonFinite`] / [`crate::Error::NotPositive`] for a bad `std`;
/// [`crate::Error::RankUnsupported`] unless the shape has 2 dimensions.
///
/// # Example
/// ```
/// use initspec::Stream;
/// use initspec::structured::sparse;
/// let w = sparse(&[10, 4], 0.25, 0.01, &Stream::new(1, "w")).unwrap();
/// for c in 0..4 {
///     let zeros = (0..10).filter(|&r| w[r * 4 + c] == 0.0).count();
///     assert_eq!(zeros, 3); // ⌈0.25 · 10⌉
/// }
/// ```
#[doc(alias = "sparse_")]
pub fn sparse(shape: &[usize], sparsity: f64, std: f64, stream: &Stream) -> Result<Vec<f64>> {
    Ok(draw(&Sparse::of_shape(sparsity, std, shape, 1)?, stream))
}

/// The tensor of a validated [`Sparse`] law (see [`sparse`] for the formula): it cannot fail.
pub(crate) fn draw(law: &Sparse, stream: &Stream) -> Vec<f64> {
    let (rows, cols) = (law.rows(), law.cols());
    let total = rows * cols;
    let mut out = vec![0.0; total];
    if total == 0 {
        return out;
    }
    Sampler::new(&Law::Normal(law.values()), *stream).fill(&mut out);

    // ⌈sparsity·rows⌉ ≤ rows since sparsity ≤ 1 (the cast saturates; min guards rounding).
    let zeros = law.zeros_per_column();
    if zeros == 0 {
        return out;
    }
    let mut keyed: Vec<(u64, usize)> = Vec::with_capacity(rows);
    for c in 0..cols {
        keyed.clear();
        keyed.extend((0..rows).map(|r| (mask_key(stream, c * rows + r), r)));
        if zeros < rows {
            keyed.select_nth_unstable(zeros - 1);
        }
        for &(_, r) in &keyed[..zeros] {
            out[r * cols + c] = 0.0;
        }
    }
    out
}

/// The 64-bit mask key of index `i`: the low word of Philox block `i` in [`MASK_WORD`].
fn mask_key(stream: &Stream, i: usize) -> u64 {
    let w = stream.block(i as u64, MASK_WORD);
    (u64::from(w[1]) << 32) | u64::from(w[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::law::Normal;

    fn zeros_per_column(w: &[f64], rows: usize, cols: usize) -> Vec<usize> {
        (0..cols)
            .map(|c| (0..rows).filter(|&r| w[r * cols + c] == 0.0).count())
            .collect()
    }

    #[test]
    fn exact_zero_count_per_column() {
        let stream = Stream::new(4, "sparse");
        for (rows, cols, sparsity) in [
            (10, 7, 0.1),
            (10, 7, 0.15), // ⌈1.5⌉ = 2
            (33, 5, 0.5),
            (8, 3, 1.0),
            (8, 3, 0.0),
            (1, 4, 0.3),
            (100, 20, 0.9),
        ] {
            let w = sparse(&[rows, cols], sparsity, 0.01, &stream).unwrap();
            let want = (sparsity * rows as f64).ceil() as usize;
            assert_eq!(
                zeros_per_column(&w, rows, cols),
                vec![want; cols],
                "{rows}×{cols}, sparsity {sparsity}"
            );
        }
    }

    #[test]
    fn non_zeros_are_the_normal_law_of_the_stream() {
        let stream = Stream::new(8, "s");
        let w = sparse(&[50, 40], 0.3, 0.02, &stream).unwrap();
        let mut dense = vec![0.0; 2000];
        Sampler::new(&Law::Normal(Normal::new(0.0, 0.02).unwrap()), stream).fill(&mut dense);
        for (a, b) in w.iter().zip(&dense) {
            assert!(*a == 0.0 || a == b);
        }
    }

    #[test]
    fn mask_positions_are_spread_over_rows() {
        // Over 2000 columns of 10 rows with 3 zeros, each row is zero with probability 0.3:
        // count ~ Bin(2000, 0.3), mean 600, sd 20.5; 6 sd = 123.
        let w = sparse(&[10, 2000], 0.3, 1.0, &Stream::new(2, "m")).unwrap();
        for r in 0..10 {
            let count = (0..2000).filter(|&c| w[r * 2000 + c] == 0.0).count();
            assert!((477..=723).contains(&count), "row {r}: {count}");
        }
    }

    #[test]
    fn deterministic_and_thread_independent() {
        let stream = Stream::new(1, "w");
        let a = sparse(&[64, 64], 0.25, 0.5, &stream).unwrap();
        let b = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| sparse(&[64, 64], 0.25, 0.5, &stream).unwrap());
        assert_eq!(a, b);
        assert_ne!(
            a,
            sparse(&[64, 64], 0.25, 0.5, &Stream::new(2, "w")).unwrap()
        );
    }

    #[test]
    fn errors() {
        let s = Stream::new(0, "w");
        for shape in [&[4][..], &[2, 2, 2][..]] {
            assert!(matches!(
                sparse(shape, 0.5, 0.01, &s),
                Err(Error::RankUnsupported { .. })
            ));
        }
        for sparsity in [f64::NAN, -0.1, 1.01, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(matches!(
                sparse(&[4, 4], sparsity, 0.01, &s),
                Err(Error::OutOfRange { .. })
            ));
        }
        for std in [f64::NAN, f64::INFINITY] {
            assert!(matches!(
                sparse(&[4, 4], 0.5, std, &s),
                Err(Error::NonFinite { .. })
            ));
        }
        for std in [0.0, -1.0] {
            assert!(matches!(
                sparse(&[4, 4], 0.5, std, &s),
                Err(Error::NotPositive { .. })
            ));
        }
        assert_eq!(sparse(&[0, 4], 0.5, 0.01, &s).unwrap(), Vec::<f64>::new());
    }
}
