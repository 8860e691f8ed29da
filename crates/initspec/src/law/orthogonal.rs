//! The structured law [`Orthogonal`]: Haar-random orthonormal rows or columns.

use super::conv_shape::{numel, ungrouped};
use super::marginal::{Marginal, Part};
use crate::error::{Error, Result, positive};
use crate::fans::Layout;
use crate::fill::KernelPath;
use crate::stream::Stream;
use crate::structured;

/// `gain` times a Haar-random matrix with orthonormal columns (`rows ≥ cols`) or rows
/// (`rows < cols`), stored row-major as `[rows, cols]`: the tensor flattened as its framework
/// does.
///
/// ```text
/// out-in, transposed (PyTorch orthogonal_):  rows = shape[0],        cols = Π shape[1..]
/// in-out (Keras, JAX orthogonal):            rows = Π shape[..r−1],  cols = shape[r−1]
/// WᵀW = gain²·I (rows ≥ cols)   or   WWᵀ = gain²·I (rows < cols)
/// one element: gain·u, u a coordinate of a uniform unit vector in R^m, m = max(rows, cols):
///   E = 0,  Var = gain²/m,  μ₄ = 3·gain⁴/(m(m+2)),  (1 + u)/2 ~ Beta((m−1)/2, (m−1)/2)
/// ```
///
/// Drawn by [`Orthogonal::generate`], the Householder QR of a Gaussian matrix with the sign fix
/// of [`structured::orthogonal`].
///
/// # Example
/// ```
/// use initspec::{Layout, Scheme};
/// let law = "orthogonal(gain=2)".parse::<Scheme>().unwrap()
///     .resolve(&[64, 3, 3, 3], &Layout::OutIn, 1).unwrap();
/// assert_eq!(law.to_string(), "orthogonal(gain=2)");
/// assert_eq!(law.variance(), 4.0 / 64.0); // m = max(64, 27)
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Orthogonal {
    gain: f64,
    rows: usize,
    cols: usize,
}

impl Orthogonal {
    /// The law of `orthogonal(gain)` on a `[rows, cols]` matrix.
    ///
    /// # Errors
    /// [`Error::NonFinite`] / [`Error::NotPositive`] for a bad `gain`;
    /// [`Error::ElementCountOverflow`] when `rows·cols` overflows.
    pub fn new(gain: f64, rows: usize, cols: usize) -> Result<Orthogonal> {
        positive("gain", gain)?;
        numel(&[rows, cols])?;
        Ok(Orthogonal { gain, rows, cols })
    }

    /// The law for a tensor of `shape` in `layout` (flattened as the table above).
    ///
    /// # Errors
    /// [`Error::RankUnsupported`] for rank < 2; [`Error::LayoutUnsupported`] for explicit axes;
    /// [`Error::GroupsUnsupported`] for `groups ≠ 1`; the errors of [`Orthogonal::new`].
    pub fn of_shape(gain: f64, shape: &[usize], layout: &Layout, groups: usize) -> Result<Self> {
        let (rows, cols) = flatten("orthogonal", shape, layout, groups)?;
        Orthogonal::new(gain, rows, cols)
    }

    /// `Orthogonal::new` for arguments already validated by the caller's own law: a finite
    /// positive `gain` and `rows·cols` that fits in `usize`.
    pub(super) fn validated(gain: f64, rows: usize, cols: usize) -> Orthogonal {
        Orthogonal { gain, rows, cols }
    }

    /// The gain.
    pub fn gain(&self) -> f64 {
        self.gain
    }

    /// Rows of the flattened matrix.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns of the flattened matrix.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The law of one element.
    pub fn marginal(&self) -> Marginal {
        Marginal {
            zero: 0.0,
            part: Part::SphereCoordinate {
                gain: self.gain,
                dimension: self.rows.max(self.cols).max(1),
            },
        }
    }

    /// The whole matrix, row-major.
    pub fn generate(&self, stream: &Stream) -> Vec<f64> {
        structured::haar(self, stream, true, KernelPath::best())
    }
}

/// `[rows, cols]` of a tensor flattened for `scheme` in `layout`.
pub(crate) fn flatten(
    scheme: &'static str,
    shape: &[usize],
    layout: &Layout,
    groups: usize,
) -> Result<(usize, usize)> {
    let total = ungrouped(scheme, shape, groups, shape.len() >= 2, "2 or more")?;
    match layout {
        Layout::OutIn | Layout::Transposed => {
            let rest: usize = shape[1..].iter().product();
            Ok((shape[0], rest))
        }
        Layout::InOut => {
            let last = shape[shape.len() - 1];
            let lead: usize = shape[..shape.len() - 1].iter().product();
            debug_assert!(lead.checked_mul(last) == Some(total));
            Ok((lead, last))
        }
        Layout::Axes { .. } => Err(Error::LayoutUnsupported {
            scheme,
            layout: layout.to_string(),
            accepted: "out-in, in-out, transposed",
        }),
    }
}
