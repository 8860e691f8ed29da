//! The structured laws [`Eye`] and [`Dirac`]: deterministic identity-like tensors.

use super::conv_shape::{ConvShape, matrix};
use super::marginal::{Marginal, Part};
use crate::error::{Error, Result};
use crate::fans::Layout;

/// The identity matrix of a 2-D `[rows, cols]` tensor, as PyTorch `eye_` (`torch.eye`).
///
/// ```text
/// W[i][j] = 1 if i = j else 0;   one element: 1 with probability min(rows, cols)/(rows·cols)
/// ```
/// The layout does not matter: the identity's transpose is the identity of the transposed shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eye {
    rows: usize,
    cols: usize,
}

impl Eye {
    /// The identity of a 2-D `shape`.
    ///
    /// # Errors
    /// [`Error::RankUnsupported`] unless the rank is 2; [`Error::GroupsUnsupported`] for
    /// `groups ≠ 1`; [`Error::ElementCountOverflow`].
    pub fn of_shape(shape: &[usize], groups: usize) -> Result<Eye> {
        let (rows, cols) = matrix("eye", shape, groups)?;
        Ok(Eye { rows, cols })
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Element `i` (row-major).
    pub fn value(&self, i: usize) -> f64 {
        if self.cols == 0 {
            return 0.0;
        }
        f64::from(u8::from(i / self.cols == i % self.cols))
    }

    /// The law of one element.
    pub fn marginal(&self) -> Marginal {
        ones_marginal(self.rows.min(self.cols), self.rows * self.cols)
    }
}

/// The Dirac delta kernel of a convolution weight `[out, in/groups, *k]` (PyTorch `dirac_`).
///
/// ```text
/// o = out/groups,   W[g·o + d, d, k₁//2, …] = 1 for g < groups, d < min(o, in);   0 elsewhere
/// ```
/// Only the PyTorch layout `out-in` is accepted (`dirac_` is defined on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dirac {
    shape: ConvShape,
    groups: usize,
}

impl Dirac {
    /// `dirac(groups)` on `shape` in `layout`. `layout_groups` is the tensor's own `groups`
    /// (the command line's `--groups`): it must be 1 or equal `groups`, and when `groups` is 1
    /// it supplies the grouping.
    ///
    /// # Errors
    /// [`Error::RankUnsupported`] for a rank other than 3–5;
    /// [`Error::GroupsDoNotDivideChannels`] for groups that do not divide `shape[0]`;
    /// [`Error::LayoutUnsupported`] unless `layout` is `out-in`; [`Error::GroupsConflict`].
    pub fn of_shape(
        groups: usize,
        shape: &[usize],
        layout: &Layout,
        layout_groups: usize,
    ) -> Result<Dirac> {
        let groups = match (groups, layout_groups) {
            (g, 1) => g,
            (1, g) => g,
            (g, h) if g == h => g,
            (g, h) => {
                return Err(Error::GroupsConflict {
                    scheme_groups: g,
                    layout_groups: h,
                });
            }
        };
        let shape = ConvShape::new("dirac", shape)?;
        if *layout != Layout::OutIn {
            return Err(Error::LayoutUnsupported {
                scheme: "dirac",
                layout: layout.to_string(),
                accepted: "out-in (PyTorch's [out, in/groups, *kernel])",
            });
        }
        let out = shape.dims()[0];
        if groups == 0 || !out.is_multiple_of(groups) {
            return Err(Error::GroupsDoNotDivideChannels {
                out_channels: out,
                groups,
            });
        }
        Ok(Dirac { shape, groups })
    }

    /// The shape `[out, in/groups, *k]`.
    pub fn shape(&self) -> &[usize] {
        self.shape.dims()
    }

    /// The number of groups.
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// Element `i` (row-major).
    pub fn value(&self, i: usize) -> f64 {
        if self.shape.numel() == 0 {
            return 0.0;
        }
        let dims = self.shape.dims();
        let taps: usize = dims[2..].iter().product();
        let centre = dims[2..].iter().fold(0usize, |acc, &k| acc * k + k / 2);
        let (tap, channel) = (i % taps, i / taps);
        let (d, o) = (channel % dims[1], channel / dims[1]);
        let per_group = dims[0] / self.groups;
        let is_one = tap == centre && o % per_group == d && d < per_group.min(dims[1]);
        f64::from(u8::from(is_one))
    }

    /// The number of ones: `groups · min(out/groups, in)` (0 for an empty tensor).
    pub fn ones(&self) -> usize {
        if self.shape.numel() == 0 {
            return 0;
        }
        let dims = self.shape.dims();
        self.groups * (dims[0] / self.groups).min(dims[1])
    }

    /// The law of one element.
    pub fn marginal(&self) -> Marginal {
        ones_marginal(self.ones(), self.shape.numel())
    }
}

/// One element of a 0/1 tensor with `ones` ones among `total` elements.
fn ones_marginal(ones: usize, total: usize) -> Marginal {
    let p = if total == 0 {
        0.0
    } else {
        ones as f64 / total as f64
    };
    Marginal {
        zero: 1.0 - p,
        part: Part::One,
    }
}
