//! Drawing a scheme into memory that Python owns: a whole tensor, or one block of it (the
//! local shard of a DTensor, one device's piece of a JAX array).
//!
//! The law comes from [`initspec_io::draw::law_for`], the same checks as `initspec sample`;
//! the values from [`Sampler::fill_block`], so any block equals the same block of the whole
//! tensor byte for byte, and the whole tensor equals the file `initspec sample` writes.

use std::ops::Range;

use initspec::{Element, Sampler};
use initspec_io::Dtype;
use initspec_io::draw::{DrawError, first_overflow, may_overflow};

use crate::memory::SliceJob;

/// Fills one slice with a block of the tensor of `shape` drawn by `sampler`.
pub struct FillBlock<'a> {
    /// The sampler of the whole tensor.
    pub sampler: &'a Sampler,
    /// The whole tensor's shape.
    pub shape: &'a [usize],
    /// The block: one range per dim.
    pub block: &'a [Range<usize>],
    /// The dtype of the slice (for the overflow message).
    pub dtype: Dtype,
}

impl SliceJob for FillBlock<'_> {
    type Output = Result<(), String>;

    fn run<T: Element>(self, out: &mut [T]) -> Result<(), String> {
        self.sampler
            .fill_block(self.shape, self.block, out)
            .map_err(|e| e.to_string())?;
        if !may_overflow(self.sampler.law(), self.dtype) {
            return Ok(());
        }
        match first_overflow(out) {
            None => Ok(()),
            Some(i) => Err(DrawError::Overflow {
                law: self.sampler.law().to_string(),
                element: global_index(self.shape, self.block, i),
                dtype: self.dtype,
            }
            .to_string()),
        }
    }
}

/// The C-order index in the whole tensor of element `i` (C order) of `block`.
pub fn global_index(shape: &[usize], block: &[Range<usize>], i: usize) -> u64 {
    let mut rest = i as u64;
    let mut index = 0u64;
    let mut stride = 1u64;
    for (dim, range) in shape.iter().zip(block).rev() {
        // A block with an element has no empty range.
        let extent = ((range.end - range.start) as u64).max(1);
        let local = rest % extent;
        rest /= extent;
        index += (range.start as u64 + local) * stride;
        stride *= *dim as u64;
    }
    index
}

/// The block that is the whole tensor.
pub fn whole(shape: &[usize]) -> Vec<Range<usize>> {
    shape.iter().map(|&n| 0..n).collect()
}

/// Checks that `block` lies in a tensor of `shape` and holds `len` values, as
/// [`Sampler::fill_block`] does (for an empty tensor, which has no law to fill with).
pub fn check_block(shape: &[usize], block: &[Range<usize>], len: usize) -> Result<(), String> {
    if shape.len() != block.len() {
        return Err(initspec::Error::BlockRank {
            shape: shape.to_vec(),
            block_rank: block.len(),
        }
        .to_string());
    }
    let mut elements = 1u64;
    for (axis, (n, range)) in shape.iter().zip(block).enumerate() {
        if range.start > range.end || range.end > *n {
            return Err(initspec::Error::BlockOutOfBounds {
                axis,
                start: range.start,
                end: range.end,
                dim: *n,
            }
            .to_string());
        }
        elements = elements.saturating_mul((range.end - range.start) as u64);
    }
    if elements != len as u64 {
        return Err(initspec::Error::BlockOutputLength {
            expected: elements,
            got: len,
        }
        .to_string());
    }
    Ok(())
}
