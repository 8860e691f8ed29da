//! The shapes of the structured laws: [`ConvShape`], the shape of a convolution kernel, kept
//! inline so that laws stay `Copy`, and the checks shared by the laws of matrices.

use std::fmt;

use crate::error::{Error, Result};
use crate::fans::element_count;

/// A tensor shape of rank 3, 4 or 5 (1-D, 2-D and 3-D convolutions).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConvShape {
    dims: [usize; 5],
    rank: u8,
}

impl ConvShape {
    /// `shape` if its rank is 3, 4 or 5 and its element count fits in `usize`.
    ///
    /// # Errors
    /// [`Error::RankUnsupported`] naming `scheme`; [`Error::ElementCountOverflow`].
    pub fn new(scheme: &'static str, shape: &[usize]) -> Result<ConvShape> {
        if !(3..=5).contains(&shape.len()) {
            return Err(Error::RankUnsupported {
                scheme,
                rank: shape.len(),
                accepted: "3, 4 or 5",
            });
        }
        numel(shape)?;
        let mut dims = [0; 5];
        dims[..shape.len()].copy_from_slice(shape);
        Ok(ConvShape {
            dims,
            rank: shape.len() as u8,
        })
    }

    /// The dimensions.
    pub fn dims(&self) -> &[usize] {
        &self.dims[..usize::from(self.rank)]
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.dims().iter().product()
    }
}

/// The number of elements of `shape`, which must fit in `usize` (and, counting its non-zero
/// dimensions, in `u64`: [`element_count`]).
///
/// # Errors
/// [`Error::ElementCountOverflow`].
pub(crate) fn numel(shape: &[usize]) -> Result<usize> {
    let total = element_count(shape)?;
    usize::try_from(total).map_err(|_| Error::ElementCountOverflow {
        shape: shape.to_vec(),
    })
}

/// `(rows, cols)` of the 2-D `shape` of `scheme`, a structured scheme without groups.
///
/// # Errors
/// As [`ungrouped`].
pub(crate) fn matrix(
    scheme: &'static str,
    shape: &[usize],
    groups: usize,
) -> Result<(usize, usize)> {
    ungrouped(scheme, shape, groups, shape.len() == 2, "2")?;
    Ok((shape[0], shape[1]))
}

/// The element count of `shape` for `scheme`, a structured scheme without groups, whose ranks
/// (`accepted`, in words) include the rank of `shape` when `rank_ok`.
///
/// # Errors
/// [`Error::RankUnsupported`] unless `rank_ok`; [`Error::GroupsUnsupported`] for
/// `groups ≠ 1`; [`Error::ElementCountOverflow`].
pub(crate) fn ungrouped(
    scheme: &'static str,
    shape: &[usize],
    groups: usize,
    rank_ok: bool,
    accepted: &'static str,
) -> Result<usize> {
    if !rank_ok {
        return Err(Error::RankUnsupported {
            scheme,
            rank: shape.len(),
            accepted,
        });
    }
    if groups != 1 {
        return Err(Error::GroupsUnsupported { scheme, groups });
    }
    numel(shape)
}

impl fmt::Debug for ConvShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.dims().fmt(f)
    }
}
