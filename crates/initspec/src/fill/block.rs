//! Drawing a block (hyper-rectangle) of a tensor on its own: the values equal, byte for
//! byte, the same block of the whole tensor, so each rank of a sharded model can fill its own
//! shard and the global tensor never depends on the sharding (DESIGN.md, "Sampling a block").
//!
//! Element `(i₀, …, i_{d−1})` of a C-order tensor of shape `[n₀, …, n_{d−1}]` is element
//! `Σₖ iₖ·sₖ` of the flat tensor, `sₖ = Π_{m>k} n_m`, and the sampler draws element `i` from
//! counter `i` alone. A block `[a₀..b₀] × … × [a_{d−1}..b_{d−1}]` is therefore a set of runs
//! of consecutive counters: its innermost range, widened to whole trailing dimensions when
//! the block spans them fully (the block `[0..4] × [0..n₁]` of a matrix is one run of
//! `4·n₁`). Each run is filled by [`Sampler::fill_range`], so a large block fills at the
//! speed of a contiguous fill; many short runs are shared between threads, which the bytes
//! do not depend on. A structured law (orthogonal, sparse, eye, dirac) computes its whole
//! tensor once and copies the runs out of it.

use std::ops::Range;

use rayon::prelude::*;

use super::{Element, PARALLEL_CHUNK, Sampler};
use crate::error::{Error, Result};
use crate::fans::element_count;

impl Sampler {
    /// Fills `out` (C order, `Π (bₖ − aₖ)` elements) with the block `block[k] = aₖ..bₖ` of the
    /// tensor of `shape`, equal to the same elements of [`fill`](Sampler::fill) on the whole
    /// tensor, whatever the block, the dtype and the thread count.
    ///
    /// # Errors
    /// [`Error::BlockRank`] when `block` and `shape` differ in length;
    /// [`Error::BlockOutOfBounds`] for a range past its dimension or reversed;
    /// [`Error::BlockOutputLength`] when `out` does not hold the block exactly;
    /// [`Error::ElementCountOverflow`] for a shape whose size exceeds 64 bits.
    ///
    /// # Example
    /// ```
    /// use initspec::{Law, Sampler, Stream};
    /// let law: Law = "normal(mean=0, std=0.02)".parse().unwrap();
    /// let sampler = Sampler::new(&law, Stream::new(7, "layers.0.weight"));
    /// let shape = [6, 5];
    /// let mut whole = vec![0f32; 30];
    /// sampler.fill(&mut whole);
    /// // Rank 1 of a Shard(1) layout over 2 ranks holds columns 3..5 (of a 2 + 3 split).
    /// let mut shard = vec![0f32; 6 * 2];
    /// sampler.fill_block(&shape, &[0..6, 3..5], &mut shard).unwrap();
    /// for (r, row) in shard.chunks(2).enumerate() {
    ///     assert_eq!(row, &whole[r * 5 + 3..r * 5 + 5]);
    /// }
    /// // A block that does not fit is an error, not a panic.
    /// assert!(sampler.fill_block(&shape, &[0..7, 0..5], &mut vec![0f32; 35]).is_err());
    /// ```
    pub fn fill_block<T: Element>(
        &self,
        shape: &[usize],
        block: &[Range<usize>],
        out: &mut [T],
    ) -> Result<()> {
        let runs = Runs::new(shape, block)?;
        if out.len() as u64 != runs.elements() {
            return Err(Error::BlockOutputLength {
                expected: runs.elements(),
                got: out.len(),
            });
        }
        if out.is_empty() {
            return Ok(());
        }
        let run = runs.run_len;
        if run >= PARALLEL_CHUNK || runs.count() == 1 {
            // Long runs: each one is filled in parallel by fill_range itself.
            for (r, chunk) in out.chunks_mut(run).enumerate() {
                self.fill_range(runs.start(r), chunk);
            }
        } else {
            // Short runs: groups of them per thread, each filled serially.
            let per_task = PARALLEL_CHUNK.div_ceil(run);
            out.par_chunks_mut(run * per_task)
                .enumerate()
                .for_each(|(task, group)| {
                    for (k, chunk) in group.chunks_mut(run).enumerate() {
                        self.fill_serial(runs.start(task * per_task + k), chunk);
                    }
                });
        }
        Ok(())
    }
}

/// The runs of consecutive counters that make up a block, in C order.
#[derive(Debug, Clone, PartialEq)]
struct Runs {
    /// Elements per run: the innermost range, times every trailing dimension the block
    /// spans whole.
    run_len: usize,
    /// The block's ranges of the outer axes (those that are not folded into a run).
    outer: Vec<Range<u64>>,
    /// The flat stride of each outer axis.
    strides: Vec<u64>,
    /// Flat offset of the run's first element within its outer position.
    run_offset: u64,
}

impl Runs {
    /// Validates `block` against `shape` and folds the trailing axes the block spans whole
    /// into the runs.
    fn new(shape: &[usize], block: &[Range<usize>]) -> Result<Runs> {
        if shape.len() != block.len() {
            return Err(Error::BlockRank {
                shape: shape.to_vec(),
                block_rank: block.len(),
            });
        }
        element_count(shape)?;
        for (axis, (range, &dim)) in block.iter().zip(shape).enumerate() {
            if range.start > range.end || range.end > dim {
                return Err(Error::BlockOutOfBounds {
                    axis,
                    start: range.start,
                    end: range.end,
                    dim,
                });
            }
        }
        // Strides of the whole tensor (they fit: the element count does).
        let mut strides = vec![1u64; shape.len()];
        for k in (0..shape.len().saturating_sub(1)).rev() {
            strides[k] = strides[k + 1] * shape[k + 1] as u64;
        }
        if shape.is_empty() {
            return Ok(Runs {
                run_len: 1,
                outer: Vec::new(),
                strides: Vec::new(),
                run_offset: 0,
            });
        }
        // Fold axis k into the run while every axis after it is spanned whole.
        let mut first_run_axis = shape.len() - 1;
        while first_run_axis > 0 {
            let inner = &block[first_run_axis];
            if inner.start == 0 && inner.end == shape[first_run_axis] {
                first_run_axis -= 1;
            } else {
                break;
            }
        }
        let run_axis = &block[first_run_axis];
        let run_len =
            (run_axis.end - run_axis.start) * shape[first_run_axis + 1..].iter().product::<usize>();
        Ok(Runs {
            run_len,
            outer: block[..first_run_axis]
                .iter()
                .map(|r| r.start as u64..r.end as u64)
                .collect(),
            strides: strides[..first_run_axis].to_vec(),
            run_offset: run_axis.start as u64 * strides[first_run_axis],
        })
    }

    /// Number of runs.
    fn count(&self) -> usize {
        self.outer
            .iter()
            .map(|r| (r.end - r.start) as usize)
            .product()
    }

    /// Elements in the block.
    fn elements(&self) -> u64 {
        self.count() as u64 * self.run_len as u64
    }

    /// The counter of run `r`'s first element (runs in C order of the outer axes).
    fn start(&self, mut r: usize) -> u64 {
        let mut start = self.run_offset;
        for (range, stride) in self.outer.iter().zip(&self.strides).rev() {
            let len = (range.end - range.start) as usize;
            start += (range.start + (r % len) as u64) * stride;
            r /= len;
        }
        start
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Law, Stream};

    #[test]
    fn trailing_whole_axes_fold_into_one_run() {
        let runs = Runs::new(&[4, 5, 6], &[1..3, 0..5, 0..6]).unwrap();
        assert_eq!((runs.run_len, runs.count(), runs.start(0)), (60, 1, 30));
        let runs = Runs::new(&[4, 5, 6], &[1..3, 2..4, 0..6]).unwrap();
        assert_eq!((runs.run_len, runs.count()), (12, 2));
        assert_eq!((runs.start(0), runs.start(1)), (30 + 12, 60 + 12));
        let runs = Runs::new(&[4, 5, 6], &[0..4, 0..5, 1..2]).unwrap();
        assert_eq!(
            (runs.run_len, runs.count(), runs.start(7)),
            (1, 20, 7 * 6 + 1)
        );
    }

    #[test]
    fn bad_blocks_are_errors() {
        let sampler = Sampler::new(
            &"normal(mean=0, std=1)".parse::<Law>().unwrap(),
            Stream::new(1, "b"),
        );
        let mut out = vec![0f32; 4];
        // One range (0..2) for a rank-2 shape.
        let one_range = [Range { start: 0, end: 2 }];
        let e = sampler
            .fill_block(&[4, 4], &one_range, &mut out)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the block has 1 ranges but the shape [4, 4] has 2 dimensions; give one range per dimension"
        );
        #[allow(
            clippy::reversed_empty_ranges,
            reason = "a reversed range is the error tested"
        )]
        let reversed = 3..1;
        let e = sampler
            .fill_block(&[4, 4], &[0..2, reversed], &mut out)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "block range 3..1 of axis 1 is not within 0..4 (start ≤ end ≤ the dimension)"
        );
        let e = sampler
            .fill_block(&[4, 4], &[0..2, 0..5], &mut out)
            .unwrap_err();
        assert!(matches!(
            e,
            Error::BlockOutOfBounds {
                axis: 1,
                end: 5,
                dim: 4,
                ..
            }
        ));
        let e = sampler
            .fill_block(&[4, 4], &[0..2, 0..3], &mut out)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the block has 6 elements but the output holds 4"
        );
        let e = sampler
            .fill_block(&[usize::MAX, 4], &[0..1, 0..1], &mut out[..1])
            .unwrap_err();
        assert!(matches!(e, Error::ElementCountOverflow { .. }));
        // Empty blocks are fine and write nothing.
        assert!(
            sampler
                .fill_block::<f32>(&[4, 4], &[2..2, 0..4], &mut [])
                .is_ok()
        );
    }
}
