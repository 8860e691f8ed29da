//! `Sampler::fill_block` against a contiguous fill of the same number of elements, in one
//! run: a block of whole rows (one long run of counters) and a block of columns (8192 runs
//! of 2048), both 2²⁴ f32 values of N(0, 0.02²) out of a [8192, 4096] tensor, the median of 7
//! alternated rounds after two warm-up fills (docs/PERFORMANCE.md, "Blocks of a tensor").
//!
//! ```sh
//! cargo build --release -p initspec-benches --bin block_speed
//! RAYON_NUM_THREADS=1 target/release/block_speed
//! ```

use std::time::Instant;

use initspec::{Law, Sampler, Stream};

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn timed(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

fn main() {
    let law: Law = "normal(mean=0, std=0.02)".parse().expect("a valid law");
    let sampler = Sampler::new(&law, Stream::new(1, "weight"));
    let shape = [8192usize, 4096];
    let mut out = vec![0f32; 4096 * 4096];
    for _ in 0..2 {
        sampler.fill(&mut out);
    }
    let (mut whole, mut rows, mut columns) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..7 {
        whole.push(timed(|| sampler.fill_range(0, &mut out)));
        rows.push(timed(|| {
            sampler
                .fill_block(&shape, &[0..4096, 0..4096], &mut out)
                .expect("the block fits")
        }));
        columns.push(timed(|| {
            sampler
                .fill_block(&shape, &[0..8192, 2048..4096], &mut out)
                .expect("the block fits")
        }));
    }
    let (whole, rows, columns) = (median(whole), median(rows), median(columns));
    println!(
        "threads {}: contiguous fill of 2^24 f32 {:.1} ms; rows [0..4096, :] {:.1} ms ({:.2}x its speed); \
         columns [:, 2048..4096] {:.1} ms ({:.2}x)",
        rayon::current_num_threads(),
        whole * 1e3,
        rows * 1e3,
        whole / rows,
        columns * 1e3,
        whole / columns
    );
}
