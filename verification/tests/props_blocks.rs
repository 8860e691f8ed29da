//! Block sampling (DESIGN.md, "Sampling a block of a tensor"): `Sampler::fill_block` of any
//! hyper-rectangle equals, byte for byte, the same elements of the whole tensor, for every
//! scalar law and dtype, and for the structured laws; tiling a tensor with the shards of any
//! Shard(0) × Shard(1) layout reassembles the whole tensor, whatever the world size.

use std::ops::Range;

use half::{bf16, f16};
use initspec::{Element, Law, Layout, Sampler, Scheme, Stream};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, RngSeed};

mod common;
use common::arb_law;

/// Saved failing cases, replayed before new ones (absolute path, as in props_streams.rs).
const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/proptest-regressions/props_blocks.txt"
);

prop_compose! {
    /// A shape of rank 1 to 4 (at most 9⁴ elements) and a block of it: per axis a range
    /// `a..b` with `a ≤ b ≤ n`, empty ones included.
    fn arb_block()(shape in prop::collection::vec(1usize..10, 1..5))(
        ends in shape.iter().map(|&n| (0..=n, 0..=n)).collect::<Vec<_>>(),
        shape in Just(shape),
    ) -> (Vec<usize>, Vec<Range<usize>>) {
        let block = ends.into_iter().map(|(a, b)| a.min(b)..a.max(b)).collect();
        (shape, block)
    }
}

/// The block `block` of the C-order tensor `whole` of `shape`, gathered element by element.
fn gather<T: Copy>(whole: &[T], shape: &[usize], block: &[Range<usize>]) -> Vec<T> {
    let mut out = Vec::new();
    let mut index = block.iter().map(|r| r.start).collect::<Vec<_>>();
    if block.iter().any(|r| r.is_empty()) {
        return out;
    }
    loop {
        let flat = index
            .iter()
            .zip(shape)
            .fold(0usize, |acc, (&i, &n)| acc * n + i);
        out.push(whole[flat]);
        // Odometer over the block, last axis fastest.
        let mut axis = block.len();
        loop {
            if axis == 0 {
                return out;
            }
            axis -= 1;
            index[axis] += 1;
            if index[axis] < block[axis].end {
                break;
            }
            index[axis] = block[axis].start;
        }
    }
}

/// `fill_block` equals the gathered block of `fill`.
fn check_block<T: Element + PartialEq + std::fmt::Debug>(
    sampler: &Sampler,
    shape: &[usize],
    block: &[Range<usize>],
) -> Result<(), TestCaseError> {
    let mut whole = vec![T::default(); shape.iter().product()];
    sampler.fill(&mut whole);
    let len: usize = block.iter().map(|r| r.len()).product();
    let mut part = vec![T::default(); len];
    sampler.fill_block(shape, block, &mut part).unwrap();
    prop_assert_eq!(
        gather(&whole, shape, block),
        part,
        "{} {} block {:?} of {:?}",
        sampler.law(),
        T::NAME,
        block,
        shape
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        rng_seed: RngSeed::Fixed(0xb10c_5eed_0001),
        ..ProptestConfig::default()
    })]

    #[test]
    fn blocks_equal_the_same_elements_of_the_whole(
        law in arb_law(),
        seed in any::<u64>(),
        (shape, block) in arb_block(),
    ) {
        let sampler = Sampler::new(&law, Stream::new(seed, "block"));
        check_block::<f32>(&sampler, &shape, &block)?;
        check_block::<f64>(&sampler, &shape, &block)?;
        check_block::<bf16>(&sampler, &shape, &block)?;
        check_block::<f16>(&sampler, &shape, &block)?;
    }
}

/// Structured laws compute the whole tensor and copy the block: orthogonal (PyTorch's
/// flattening of a conv kernel), sparse, eye and dirac.
#[test]
fn structured_blocks_equal_the_same_elements_of_the_whole() {
    let cases: [(&str, &[usize]); 4] = [
        ("orthogonal", &[8, 4, 3, 3]),
        ("sparse(sparsity=0.3)", &[40, 12]),
        ("eye", &[7, 9]),
        ("dirac", &[6, 4, 3, 3]),
    ];
    for (scheme, shape) in cases {
        let law = scheme
            .parse::<Scheme>()
            .and_then(|s| s.resolve(shape, &Layout::OutIn, 1))
            .unwrap();
        let sampler = Sampler::new(&law, Stream::new(3, "structured"));
        let block: Vec<Range<usize>> = shape.iter().map(|&n| n / 3..n - n / 4).collect();
        check_block::<f32>(&sampler, shape, &block).unwrap();
        check_block::<f64>(&sampler, shape, &block).unwrap();
        check_block::<bf16>(&sampler, shape, &block).unwrap();
    }
}

/// torch.chunk's split of `n` into `parts`: chunks of ⌈n/parts⌉, the last one shorter (and
/// fewer chunks when they run out), as DTensor's Shard(d) places them.
fn chunks(n: usize, parts: usize) -> Vec<Range<usize>> {
    let size = n.div_ceil(parts);
    (0..parts)
        .map(|k| (k * size).min(n)..((k + 1) * size).min(n))
        .collect()
}

/// Every Shard(0) × Shard(1) layout of a [37, 29] weight over a mesh of r × c ranks, each
/// rank filling its own shard with `fill_block`, reassembles exactly the tensor one process
/// draws, for every mesh up to 8 × 8, in f32 and bf16 (the layouts of pytorch/pytorch#168058,
/// where DTensor's random init depends on them).
#[test]
fn every_sharding_reassembles_the_whole_tensor() {
    let shape = [37usize, 29];
    let law: Law = "normal(mean=0, std=0.02)".parse().unwrap();
    let sampler = Sampler::new(&law, Stream::new(2024, "model.layers.0.mlp.weight"));
    let mut whole = vec![0f32; 37 * 29];
    sampler.fill(&mut whole);
    let mut whole16 = vec![bf16::ZERO; 37 * 29];
    sampler.fill(&mut whole16);
    for rows in 1..=8 {
        for cols in 1..=8 {
            let mut assembled = vec![f32::NAN; 37 * 29];
            let mut assembled16 = vec![bf16::NAN; 37 * 29];
            for r in chunks(shape[0], rows) {
                for c in chunks(shape[1], cols) {
                    let block = [r.clone(), c.clone()];
                    let mut shard = vec![0f32; r.len() * c.len()];
                    sampler.fill_block(&shape, &block, &mut shard).unwrap();
                    let mut shard16 = vec![bf16::ZERO; r.len() * c.len()];
                    sampler.fill_block(&shape, &block, &mut shard16).unwrap();
                    for (i, row) in r.clone().enumerate() {
                        let at = row * shape[1] + c.start;
                        assembled[at..at + c.len()]
                            .copy_from_slice(&shard[i * c.len()..(i + 1) * c.len()]);
                        assembled16[at..at + c.len()]
                            .copy_from_slice(&shard16[i * c.len()..(i + 1) * c.len()]);
                    }
                }
            }
            assert_eq!(assembled, whole, "mesh {rows} x {cols}");
            assert_eq!(assembled16, whole16, "mesh {rows} x {cols}, bf16");
        }
    }
}

/// Large blocks take the parallel paths: many short runs (a column block, runs of 300 shared
/// between threads) and long runs (whole rows, each run filled in parallel chunks); both equal
/// the whole tensor's elements, on a 1-thread and a 2-thread pool alike.
#[test]
fn large_blocks_are_thread_count_invariant() {
    let shape = [400usize, 500];
    let law: Law = "trunc_normal(mean=0, std=1, a=-2, b=2)".parse().unwrap();
    let sampler = Sampler::new(&law, Stream::new(9, "large"));
    let mut whole = vec![0f64; 400 * 500];
    sampler.fill(&mut whole);
    for block in [[0..400, 100..400], [150..400, 0..500]] {
        let expected = gather(&whole, &shape, &block);
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut part = vec![0f64; expected.len()];
            pool.install(|| sampler.fill_block(&shape, &block, &mut part).unwrap());
            assert_eq!(part, expected, "{block:?} on {threads} threads");
        }
    }
}
