//! The structured law [`Sparse`]: an exact number of zeros per column, Gaussian elsewhere.

use super::conv_shape::matrix;
use super::marginal::{Marginal, Part};
use crate::error::{Result, within};
use crate::law::Normal;
use crate::stream::Stream;
use crate::structured;

/// PyTorch `sparse_(sparsity, std)` (Martens 2010) on a 2-D `[rows, cols]` tensor: in every
/// column exactly `z = ⌈sparsity·rows⌉` zeros at uniformly random rows, `N(0, std²)` elsewhere.
///
/// ```text
/// one element: 0 with probability z/rows, else N(0, std²):  Var = (1 − z/rows)·std²
/// ```
/// Drawn by [`Sparse::generate`], as [`structured::sparse`] (the zero rows from sub-stream 2 of
/// the stream, so the mask is reproducible from the seed; the Gaussian values are those of
/// `normal(mean=0, std)`).
/// The layout does not matter: columns are those of the 2-D tensor as stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sparse {
    sparsity: f64,
    values: Normal,
    rows: usize,
    cols: usize,
}

impl Sparse {
    /// `sparse(sparsity, std)` on a 2-D `shape`.
    ///
    /// # Errors
    /// [`crate::Error::OutOfRange`] unless `0 ≤ sparsity ≤ 1`; [`crate::Error::NonFinite`] /
    /// [`crate::Error::NotPositive`] for `std`; [`crate::Error::RankUnsupported`] unless the
    /// rank is 2; [`crate::Error::GroupsUnsupported`] for `groups ≠ 1`.
    pub fn of_shape(sparsity: f64, std: f64, shape: &[usize], groups: usize) -> Result<Sparse> {
        let values = check_parameters(sparsity, std)?;
        let (rows, cols) = matrix("sparse", shape, groups)?;
        Ok(Sparse {
            sparsity,
            values,
            rows,
            cols,
        })
    }

    /// The fraction of zeros asked for.
    pub fn sparsity(&self) -> f64 {
        self.sparsity
    }

    /// The standard deviation of the non-zero values.
    pub fn std(&self) -> f64 {
        self.values.std()
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Zeros per column: `⌈sparsity·rows⌉`.
    pub fn zeros_per_column(&self) -> usize {
        ((self.sparsity * self.rows as f64).ceil() as usize).min(self.rows)
    }

    /// The law of the non-zero values.
    pub fn values(&self) -> Normal {
        self.values
    }

    /// The law of one element.
    pub fn marginal(&self) -> Marginal {
        Marginal {
            zero: if self.rows == 0 {
                0.0
            } else {
                self.zeros_per_column() as f64 / self.rows as f64
            },
            part: Part::Gaussian {
                std: self.values.std(),
            },
        }
    }

    /// The whole tensor, row-major.
    pub fn generate(&self, stream: &Stream) -> Vec<f64> {
        structured::draw_sparse(self, stream)
    }
}

/// `sparsity ∈ [0, 1]`, `std` finite and positive; the law of the non-zero values.
fn check_parameters(sparsity: f64, std: f64) -> Result<Normal> {
    within("sparsity", sparsity, 0.0, 1.0)?;
    Normal::new(0.0, std)
}
