//! [`ConvShape`]: the shape of a convolution kernel, kept inline so that laws stay `Copy`.

use std::fmt;

use crate::error::{Error, Result};
use crate::fans::element_count;
use crate::structured::StructuredError;

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
    /// [`Error::Structured`] (rank) naming `scheme`; [`Error::ElementCountOverflow`].
    pub fn new(scheme: &'static str, shape: &[usize]) -> Result<ConvShape> {
        if !(3..=5).contains(&shape.len()) {
            return Err(Error::Structured(StructuredError::Rank {
                scheme,
                rank: shape.len(),
                accepted: "3, 4 or 5",
            }));
        }
        let total = element_count(shape)?;
        if usize::try_from(total).is_err() {
            return Err(Error::ElementCountOverflow {
                shape: shape.to_vec(),
            });
        }
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

impl fmt::Debug for ConvShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.dims().fmt(f)
    }
}
