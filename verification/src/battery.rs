//! The scalar checks of [`crate::check`] computed in one sweep over the runs of a sorted
//! sample ([`crate::order`]), in bounded memory.
//!
//! Each run (a distinct value x and its multiplicity k) costs one evaluation of the law's
//! distribution function F(x) (and of its survival function S(x) with ln F, ln S for
//! Anderson–Darling); these are computed in parallel over a block of runs ("stage A").
//! Everything that depends on the order of the values is then accumulated in one
//! sequential pass over the block ("stage B"), in exactly the order and with exactly the
//! operations of the value-by-value statistics of [`crate::gof`] on the sorted sample:
//!
//! ```text
//! support      #{x outside the rounded support}                     per run, + k
//! exact        #{x ≠ the rounded constant}                           per run, + k
//! ks           D⁺ = max (i+1)/n − F(x₍ᵢ₎), D⁻ = max F(x₍ᵢ₎) − i/n     per run (its ends)
//! ks, lattice  Arnold & Emerson over tie groups (−0 and +0 tie)      per group
//! anderson_darling   Σ (2i−1) ln F + (2n+1−2i) ln S, compensated    per value, in order
//! chi2         equiprobable bin counts of F(x); lattice: #{x < edge} per run
//! mean, variance     Σ (x − μ), Σ (x − μ)², compensated               per value, in order
//! ```
//!
//! So the verdict is bit for bit that of the checks on the sorted `f64` sample; only the
//! work per repeated value and the memory differ. A block holds at most
//! [`crate::order::RUN_BLOCK`] runs, so stage A needs 24 bytes a run of that block.

use initspec::Law;
use rayon::prelude::*;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::check::{CHI2_BINS, Check, Verdict, exact, finish, statistical};
use crate::gof::anderson_darling::AdRunning;
use crate::gof::chi_square::{chi_square_of_counts, equiprobable_bin};
use crate::gof::ks::{KsDiscreteRunning, KsRunning, ks_sf};
use crate::gof::moments::{MomentSums, mean_test_of, variance_test_of};
use crate::normal_tails::normal_cdf_sf;
use crate::order::{RUN_BLOCK, Run};
use crate::storage::Storage;

/// Runs in a block at or above which stage A runs in parallel.
const PARALLEL_RUNS: usize = 4096;

/// Runs per parallel task of stage A.
const TASK_RUNS: usize = 2048;

/// What stage A computes per run.
#[derive(Debug, Clone, Copy, Default)]
struct PerRun {
    /// F(x) (continuous) or F(m⁺(x)), the CDF at the top of x's cell (lattice).
    u: f64,
    /// ln F for Anderson–Darling, NaN when F or S is NaN (continuous); F(m⁻(x)), the CDF at
    /// the bottom of x's cell (lattice).
    v: f64,
    /// ln S for Anderson–Darling (continuous).
    w: f64,
}

/// The counts a lattice sample needs: its tie group in progress and its χ² edges.
#[derive(Debug, Clone)]
struct Lattice {
    ks: KsDiscreteRunning,
    /// The tie group being accumulated: (value, F(v), F(v⁻), first position, count).
    group: Option<(f64, f64, f64, usize, usize)>,
    /// The χ² bin edges (−∞, …, +∞), see [`lattice_edges`].
    edges: Vec<f64>,
    /// `below[j]` = #{x < edges[j]}.
    below: Vec<u64>,
}

/// The scalar checks of one sample against one law, accumulated run by run.
///
/// Stage A of a block runs while stage B of the block before it runs (`rayon::join`), so
/// the sequential sums overlap the parallel distribution-function evaluations.
#[derive(Debug, Clone)]
pub(crate) struct Battery<'l> {
    law: &'l Law,
    storage: Storage,
    /// A constant law's value rounded to the storage.
    constant: Option<f64>,
    sums: Sums,
    /// The block whose stage A is done and whose stage B is not.
    pending: Vec<Run>,
    pending_stage: Vec<PerRun>,
    spare_stage: Vec<PerRun>,
}

/// Everything stage B accumulates, in sorted order.
#[derive(Debug, Clone)]
struct Sums {
    n: usize,
    seen: usize,
    /// The support, rounded to the storage.
    low: f64,
    high: f64,
    outside: u64,
    /// Values that differ from a constant law's value.
    differ: u64,
    mean: f64,
    moments: MomentSums,
    ks: KsRunning,
    ad: AdRunning,
    bins: [u64; CHI2_BINS],
    chi2_nan: bool,
    lattice: Option<Lattice>,
}

impl<'l> Battery<'l> {
    /// The checks of `n ≥ 1` finite values stored as `storage` against the scalar `law`.
    pub(crate) fn new(law: &'l Law, storage: Storage, n: usize) -> Self {
        let support = law.support();
        let constant = match law {
            Law::Constant(c) => Some(storage.round(c.value())),
            _ => None,
        };
        let lattice = (storage.is_lattice() && constant.is_none()).then(|| {
            let edges = lattice_edges(law, storage);
            Lattice {
                ks: KsDiscreteRunning::new(n),
                group: None,
                below: vec![0; edges.len()],
                edges,
            }
        });
        Battery {
            law,
            storage,
            constant,
            sums: Sums {
                n,
                seen: 0,
                low: storage.round(support.low),
                high: storage.round(support.high),
                outside: 0,
                differ: 0,
                mean: law.mean(),
                moments: MomentSums::default(),
                ks: KsRunning::new(n),
                ad: AdRunning::new(n),
                bins: [0; CHI2_BINS],
                chi2_nan: false,
                lattice,
            },
            pending: Vec::new(),
            pending_stage: Vec::new(),
            spare_stage: Vec::new(),
        }
    }

    /// The next runs of the sorted sample, in order.
    pub(crate) fn feed(&mut self, runs: &[Run]) {
        for block in runs.chunks(RUN_BLOCK) {
            self.feed_block(block);
        }
    }

    fn feed_block(&mut self, runs: &[Run]) {
        if self.process(runs) {
            self.pending.clear();
            self.pending.extend_from_slice(runs);
        }
    }

    /// [`Battery::feed`] of one block of at most [`RUN_BLOCK`] runs that the caller hands
    /// over: it becomes the pending block without a copy (`block` gets the old one's
    /// buffer, to be cleared and refilled).
    pub(crate) fn feed_block_owned(&mut self, block: &mut Vec<Run>) {
        if block.len() > RUN_BLOCK {
            self.feed(block);
        } else if self.process(block) {
            std::mem::swap(&mut self.pending, block);
        }
    }

    /// Stage A of `runs` alongside stage B of the pending block; whether `runs` is now the
    /// pending block (false for a constant law, whose counts are taken here at once).
    fn process(&mut self, runs: &[Run]) -> bool {
        if let Some(value) = self.constant {
            self.sums.constant_block(runs, value);
            return false;
        }
        let (law, storage) = (self.law, self.storage);
        let lattice = self.sums.lattice.is_some();
        let (sums, pending, pending_stage) = (&mut self.sums, &self.pending, &self.pending_stage);
        let spare = &mut self.spare_stage;
        if runs.len() >= PARALLEL_RUNS {
            rayon::join(
                || stage_a(law, storage, lattice, runs, spare),
                || sums.stage_b(pending, pending_stage),
            );
        } else {
            sums.stage_b(pending, pending_stage);
            stage_a(law, storage, lattice, runs, spare);
        }
        std::mem::swap(&mut self.pending_stage, &mut self.spare_stage);
        true
    }

    /// Finishes stage B of the last block.
    fn drain(&mut self) {
        self.sums.stage_b(&self.pending, &self.pending_stage);
        self.pending.clear();
        self.pending_stage.clear();
    }

    /// m₂ = (1/n) Σ (x − μ)² about the law's mean, over the values fed (sorted order).
    pub(crate) fn second_moment(&mut self) -> f64 {
        self.drain();
        self.sums.moments.second_moment(self.sums.n)
    }

    /// The checks and the verdict at family-wise level `alpha`, as [`crate::check`] lists
    /// them.
    pub(crate) fn verdict(mut self, alpha: f64) -> Verdict {
        self.drain();
        let n = self.sums.n;
        let mut checks = vec![exact("finite", 0, "all finite".to_string())];
        let outside = self.sums.outside as usize;
        checks.push(exact(
            "support",
            outside,
            format!(
                "{outside} of {n} values outside [{}, {}]",
                self.sums.low, self.sums.high
            ),
        ));
        if let Some(value) = self.constant {
            let wrong = self.sums.differ as usize;
            checks.push(exact(
                "exact",
                wrong,
                format!("{wrong} of {n} values differ from {value}"),
            ));
            return finish(checks, alpha, n);
        }
        let law = self.law;
        let lattice = self.sums.lattice.take().map(Lattice::close);
        let ks = match &lattice {
            Some(l) => l.ks.statistic(),
            None => self.sums.ks.statistic(),
        };
        let (statistic, p_value) = (ks.d, ks_sf(n, ks.d));
        checks.push(statistical(
            "ks",
            statistic,
            p_value,
            format!(
                "D = {statistic:.3e}{}",
                if lattice.is_some() {
                    " (rounded law)"
                } else {
                    ""
                }
            ),
        ));
        if lattice.is_none() {
            let ad = self.sums.ad.test();
            checks.push(statistical(
                "anderson_darling",
                ad.statistic,
                ad.p_value,
                format!("A² = {:.4}", ad.statistic),
            ));
        }
        let chi2 = match &lattice {
            Some(l) => lattice_chi_square(law, &l.edges, &l.below, n),
            None if self.sums.chi2_nan => None,
            None => {
                let c = chi_square_of_counts(&self.sums.bins, n);
                Some((c.statistic, c.p_value, c.bins))
            }
        };
        if let Some((statistic, p_value, bins)) = chi2 {
            checks.push(statistical(
                "chi2",
                statistic,
                p_value,
                format!("X² = {statistic:.2} on {} df", bins - 1),
            ));
        }
        let (mean, variance) = (law.mean(), law.variance());
        if let Ok(m) = mean_test_of(&self.sums.moments, n, mean, variance) {
            checks.push(statistical(
                "mean",
                m.statistic,
                m.p_value,
                format!(
                    "mean {:.4e} vs {:.4e} (z = {:.2})",
                    m.observed_mean, mean, m.statistic
                ),
            ));
        }
        if let Ok(v) = variance_test_of(
            self.second_moment(),
            n,
            mean,
            variance,
            law.fourth_central_moment(),
            law.is_normal(),
        ) {
            checks.push(statistical(
                "variance",
                v.statistic,
                v.p_value,
                format!(
                    "variance {:.5e} = {:.4}× the law's {:.5e}",
                    v.observed_variance, v.ratio, variance
                ),
            ));
        }
        finish(checks, alpha, n)
    }
}

/// F (and S, ln F, ln S) of every run into `stage`, in parallel for a large block.
///
/// A normal law's F and S come from one `erfc` ([`normal_cdf_sf`], the same bits).
fn stage_a(law: &Law, storage: Storage, lattice: bool, runs: &[Run], stage: &mut Vec<PerRun>) {
    let normal = match law {
        Law::Normal(n) => Some((n.mean(), n.std())),
        _ => None,
    };
    let one = |r: &Run| -> PerRun {
        if lattice {
            let (low, high) = storage.cell(r.x);
            PerRun {
                u: law.cdf(high),
                v: law.cdf(low),
                w: 0.0,
            }
        } else {
            let (u, s) = match normal {
                Some((mean, std)) => normal_cdf_sf(r.x, mean, std),
                None => (law.cdf(r.x), law.sf(r.x)),
            };
            // The logarithms of clamped probabilities are finite: NaN marks their absence.
            let (v, w) = AdRunning::logs(u, s).unwrap_or((f64::NAN, f64::NAN));
            PerRun { u, v, w }
        }
    };
    stage.clear();
    stage.resize(runs.len(), PerRun::default());
    if runs.len() >= PARALLEL_RUNS {
        stage
            .par_chunks_mut(TASK_RUNS)
            .zip(runs.par_chunks(TASK_RUNS))
            .for_each(|(out, runs)| {
                for (o, r) in out.iter_mut().zip(runs) {
                    *o = one(r);
                }
            });
    } else {
        for (o, r) in stage.iter_mut().zip(runs) {
            *o = one(r);
        }
    }
}

impl Sums {
    /// The support and exact counts of a block, against a constant law's `value`.
    fn constant_block(&mut self, runs: &[Run], value: f64) {
        for r in runs {
            self.outside += r.count * u64::from(!(self.low <= r.x && r.x <= self.high));
            self.differ += r.count * u64::from(r.x != value);
            self.seen += r.count as usize;
        }
    }

    /// The order-dependent sums of a block whose stage A gave `stage`.
    ///
    /// The running values are copied into locals for the loop (so they live in registers,
    /// not in memory that each step would store and reload); the χ² counts are merged per
    /// bin change (consecutive runs mostly share a bin).
    fn stage_b(&mut self, runs: &[Run], stage: &[PerRun]) {
        if let Some(lattice) = &mut self.lattice {
            for (r, a) in runs.iter().zip(stage) {
                let count = r.count as usize;
                self.outside += r.count * u64::from(!(self.low <= r.x && r.x <= self.high));
                lattice.add(r.x, a.u, a.v, self.seen, count);
                for _ in 0..count {
                    self.moments.add(r.x, self.mean);
                }
                self.seen += count;
            }
            return;
        }
        let (low, high, mean) = (self.low, self.high, self.mean);
        let (mut seen, mut outside) = (self.seen, self.outside);
        let (mut ks, mut ad, mut moments) = (self.ks, self.ad, self.moments);
        let (mut bin, mut in_bin, mut chi2_nan) = (0usize, 0u64, self.chi2_nan);
        for (r, a) in runs.iter().zip(stage) {
            let count = r.count as usize;
            outside += r.count * u64::from(!(low <= r.x && r.x <= high));
            ks.add(a.u, seen, count);
            if a.u.is_nan() {
                chi2_nan = true;
            } else {
                let b = equiprobable_bin(a.u, CHI2_BINS);
                if b != bin {
                    self.bins[bin] += in_bin;
                    (bin, in_bin) = (b, 0);
                }
                in_bin += r.count;
            }
            let logs = (!a.v.is_nan()).then_some((a.v, a.w));
            ad.add_each(logs, seen, count, || moments.add(r.x, mean));
            seen += count;
        }
        self.bins[bin] += in_bin;
        (self.seen, self.outside, self.chi2_nan) = (seen, outside, chi2_nan);
        (self.ks, self.ad, self.moments) = (ks, ad, moments);
    }
}

impl Lattice {
    /// Adds the run of `count` copies of `x` at sorted position `first`, with F(cell high) =
    /// `u` and F(cell low) = `u_left`; runs of equal values (−0 and +0) form one tie group,
    /// taken at its first value.
    fn add(&mut self, x: f64, u: f64, u_left: f64, first: usize, count: usize) {
        for (edge, below) in self.edges.iter().zip(self.below.iter_mut()) {
            if x < *edge {
                *below += count as u64;
            }
        }
        match &mut self.group {
            Some((v, _, _, _, c)) if *v == x => *c += count,
            group => {
                if let Some((_, gu, gl, gf, gc)) = group.take() {
                    self.ks.add(gu, gl, gf, gc);
                }
                *group = Some((x, u, u_left, first, count));
            }
        }
    }

    /// Closes the last tie group.
    fn close(mut self) -> Self {
        if let Some((_, u, u_left, first, count)) = self.group.take() {
            self.ks.add(u, u_left, first, count);
        }
        self
    }
}

/// The χ² bin edges of a lattice sample: equiprobable quantiles of the law, each moved to
/// the nearest cell boundary of the lattice so that every stored value falls wholly in one
/// bin (duplicates dropped), between −∞ and +∞.
fn lattice_edges(law: &Law, storage: Storage) -> Vec<f64> {
    let mut edges = vec![f64::NEG_INFINITY];
    for j in 1..CHI2_BINS {
        let q = law.quantile(j as f64 / CHI2_BINS as f64);
        let (low, high) = storage.cell(storage.round(q));
        let edge = if (q - low).abs() <= (high - q).abs() {
            low
        } else {
            high
        };
        if edges.last().is_some_and(|&last| edge > last) {
            edges.push(edge);
        }
    }
    edges.push(f64::INFINITY);
    edges
}

/// χ² for a lattice sample of `n` values with `below[j]` = #{x < edges[j]}
/// ([`lattice_edges`]): expected counts are the law's mass between the edges; bins with an
/// expected count below 5 are merged into their neighbour (Cochran 1954). Returns
/// (X², p, bins), or `None` when fewer than two bins remain.
fn lattice_chi_square(
    law: &Law,
    edges: &[f64],
    below: &[u64],
    n: usize,
) -> Option<(f64, f64, usize)> {
    let nf = n as f64;
    // (expected, observed) per bin, merged until every expected count is ≥ 5.
    let mut bins: Vec<(f64, f64)> = Vec::new();
    for (pair, counts) in edges.windows(2).zip(below.windows(2)) {
        let expected = nf * (law.cdf(pair[1]) - law.cdf(pair[0]));
        let observed = (counts[1] - counts[0]) as f64;
        match bins.last_mut() {
            Some(last) if last.0 < 5.0 => {
                last.0 += expected;
                last.1 += observed;
            }
            _ => bins.push((expected, observed)),
        }
    }
    if bins.len() > 1 && bins.last()?.0 < 5.0 {
        let (e, o) = bins.pop()?;
        let last = bins.last_mut()?;
        last.0 += e;
        last.1 += o;
    }
    if bins.len() < 2 {
        return None;
    }
    let statistic: f64 = bins.iter().map(|(e, o)| (o - e) * (o - e) / e).sum();
    let p_value = ChiSquared::new((bins.len() - 1) as f64).ok()?.sf(statistic);
    Some((statistic, p_value, bins.len()))
}

/// The `finite` check of a sample with `non_finite` NaN or infinite values, the first at
/// flat index `first`.
pub(crate) fn finite_check(non_finite: usize, first: Option<usize>) -> Check {
    let detail = match first {
        Some(first) if non_finite > 0 => {
            format!("{non_finite} non-finite values, the first at flat index {first}")
        }
        _ => "all finite".to_string(),
    };
    exact("finite", non_finite, detail)
}

#[cfg(test)]
mod tests {
    use half::{bf16, f16};
    use initspec::{Element, Law, Sampler, Stream};

    use crate::check::{check_sample, check_sorted};
    use crate::gof::sort_sample;
    use crate::sample::Values;
    use crate::storage::Storage;

    /// The checks as `check::check_sorted` computed them value by value on the sorted `f64`
    /// sample before the runs (commit 1619376), kept verbatim as the reference.
    mod reference {
        use initspec::Law;
        use statrs::distribution::{ChiSquared, ContinuousCDF};

        use crate::check::{CHI2_BINS, Verdict, exact, finish, statistical};
        use crate::gof;
        use crate::storage::Storage;

        pub(super) fn check_sorted(
            law: &Law,
            sorted: &[f64],
            storage: Storage,
            alpha: f64,
        ) -> Verdict {
            let values = sorted;
            let n = values.len();
            let mut checks = Vec::new();
            if law.is_structured() {
                checks.push(exact(
                    "shape",
                    1,
                    format!("{law} is structured: check the values in place, not sorted"),
                ));
                return finish(checks, alpha, n);
            }
            let non_finite: Vec<usize> = values
                .iter()
                .enumerate()
                .filter(|(_, x)| !x.is_finite())
                .map(|(i, _)| i)
                .collect();
            let detail = match non_finite.first() {
                None => "all finite".to_string(),
                Some(first) => format!(
                    "{} non-finite values, the first at flat index {first}",
                    non_finite.len()
                ),
            };
            checks.push(exact("finite", non_finite.len(), detail));
            if !non_finite.is_empty() || n == 0 {
                return finish(checks, alpha, n);
            }
            let support = law.support();
            let (low, high) = (storage.round(support.low), storage.round(support.high));
            let outside = values.iter().filter(|&&x| !(low <= x && x <= high)).count();
            checks.push(exact(
                "support",
                outside,
                format!("{outside} of {n} values outside [{low}, {high}]"),
            ));
            if let Law::Constant(c) = law {
                let value = storage.round(c.value());
                let wrong = values.iter().filter(|&&x| x != value).count();
                checks.push(exact(
                    "exact",
                    wrong,
                    format!("{wrong} of {n} values differ from {value}"),
                ));
                return finish(checks, alpha, n);
            }

            let cdf = |x: f64| law.cdf(x);
            let ks = if storage.is_lattice() {
                gof::ks_test_discrete(
                    sorted,
                    |x| law.cdf(storage.cell(x).1),
                    |x| law.cdf(storage.cell(x).0),
                )
            } else {
                gof::ks_test(sorted, cdf)
            };
            checks.push(statistical(
                "ks",
                ks.statistic,
                ks.p_value,
                format!(
                    "D = {:.3e}{}",
                    ks.statistic,
                    if storage.is_lattice() {
                        " (rounded law)"
                    } else {
                        ""
                    }
                ),
            ));
            if !storage.is_lattice() {
                let ad = gof::anderson_darling(sorted, cdf, |x| law.sf(x));
                checks.push(statistical(
                    "anderson_darling",
                    ad.statistic,
                    ad.p_value,
                    format!("A² = {:.4}", ad.statistic),
                ));
            }
            let chi2 = if storage.is_lattice() {
                lattice_chi_square(law, sorted, storage)
            } else {
                gof::chi_square_equiprobable(values, cdf, CHI2_BINS)
                    .ok()
                    .map(|c| (c.statistic, c.p_value, c.bins))
            };
            if let Some((statistic, p_value, bins)) = chi2 {
                checks.push(statistical(
                    "chi2",
                    statistic,
                    p_value,
                    format!("X² = {statistic:.2} on {} df", bins - 1),
                ));
            }
            let (mean, variance) = (law.mean(), law.variance());
            if let Ok(m) = gof::mean_test(values, mean, variance) {
                checks.push(statistical(
                    "mean",
                    m.statistic,
                    m.p_value,
                    format!(
                        "mean {:.4e} vs {:.4e} (z = {:.2})",
                        m.observed_mean, mean, m.statistic
                    ),
                ));
            }
            if let Ok(v) = gof::variance_test(
                values,
                mean,
                variance,
                law.fourth_central_moment(),
                law.is_normal(),
            ) {
                checks.push(statistical(
                    "variance",
                    v.statistic,
                    v.p_value,
                    format!(
                        "variance {:.5e} = {:.4}× the law's {:.5e}",
                        v.observed_variance, v.ratio, variance
                    ),
                ));
            }
            finish(checks, alpha, n)
        }

        /// χ² for a lattice sample: bin edges at equiprobable quantiles of the law, each moved to the
        /// nearest cell boundary of the lattice so that every stored value falls wholly in one bin;
        /// expected counts are the law's mass between the edges; bins with expected count below 5
        /// are merged into their neighbour (Cochran 1954).
        fn lattice_chi_square(
            law: &Law,
            sorted: &[f64],
            storage: Storage,
        ) -> Option<(f64, f64, usize)> {
            let n = sorted.len() as f64;
            let mut edges = vec![f64::NEG_INFINITY];
            for j in 1..CHI2_BINS {
                let q = law.quantile(j as f64 / CHI2_BINS as f64);
                let (low, high) = storage.cell(storage.round(q));
                let edge = if (q - low).abs() <= (high - q).abs() {
                    low
                } else {
                    high
                };
                if edge > *edges.last()? {
                    edges.push(edge);
                }
            }
            edges.push(f64::INFINITY);
            // (expected, observed) per bin, merged until every expected count is ≥ 5.
            let mut bins: Vec<(f64, f64)> = Vec::new();
            for pair in edges.windows(2) {
                let expected = n * (law.cdf(pair[1]) - law.cdf(pair[0]));
                let below_high = sorted.partition_point(|&x| x < pair[1]);
                let below_low = sorted.partition_point(|&x| x < pair[0]);
                let observed = (below_high - below_low) as f64;
                match bins.last_mut() {
                    Some(last) if last.0 < 5.0 => {
                        last.0 += expected;
                        last.1 += observed;
                    }
                    _ => bins.push((expected, observed)),
                }
            }
            if bins.len() > 1 && bins.last()?.0 < 5.0 {
                let (e, o) = bins.pop()?;
                let last = bins.last_mut()?;
                last.0 += e;
                last.1 += o;
            }
            if bins.len() < 2 {
                return None;
            }
            let statistic: f64 = bins.iter().map(|(e, o)| (o - e) * (o - e) / e).sum();
            let p_value = ChiSquared::new((bins.len() - 1) as f64).ok()?.sf(statistic);
            Some((statistic, p_value, bins.len()))
        }
    }

    /// The verdict of the reference on `values` widened and sorted, and of the runs on the
    /// values in their own width and on the sorted `f64` sample, as `Debug` text (which
    /// tells every two `f64` bit patterns apart, NaN payloads aside).
    fn verdicts<'a>(law: &Law, values: impl Into<Values<'a>>, storage: Storage) -> [String; 3] {
        let values = values.into();
        let mut sorted = values.to_f64_vec();
        sort_sample(&mut sorted);
        let storage = values.storage_declared_as(storage);
        [
            format!("{:?}", reference::check_sorted(law, &sorted, storage, 1e-3)),
            format!("{:?}", check_sample(law, values, storage, 1e-3)),
            format!("{:?}", check_sorted(law, &sorted, storage, 1e-3)),
        ]
    }

    fn assert_same(law: &Law, what: &str, [reference, native, sorted]: [String; 3]) {
        assert_eq!(
            native, reference,
            "{law}, {what}: runs of the native values"
        );
        assert_eq!(
            sorted, reference,
            "{law}, {what}: runs of the sorted f64 values"
        );
    }

    fn draw<T: Element>(law: &Law, n: usize, seed: u64) -> Vec<T> {
        let mut v = vec![T::from_f64(0.0); n];
        Sampler::new(law, Stream::new(seed, "battery")).fill(&mut v);
        v
    }

    const LAWS: &[&str] = &[
        "normal(mean=0, std=0.02)",
        "normal(mean=0.5, std=3)",
        "uniform(a=-0.0625, b=0.0625)",
        "trunc_normal(mean=0, std=1, a=-2, b=2)",
        "truncated_normal(mean=0.1, stddev=0.05)",
        "constant(value=0.25)",
    ];

    /// The runs give the reference's verdict bit for bit: every law, every storage, samples
    /// drawn from the law and from a wrong one (an exact p-value comparison, no statistics).
    #[test]
    fn runs_reproduce_the_value_by_value_checks() {
        for (k, text) in LAWS.iter().enumerate() {
            let law: Law = text.parse().unwrap();
            let wrong: Law = "normal(mean=0.001, std=0.5)".parse().unwrap();
            for (source, name) in [(&law, "its own draw"), (&wrong, "a wrong draw")] {
                for n in [0, 1, 2, 7, 1000, 40_000, 150_000] {
                    let seed = k as u64 * 31 + n as u64;
                    let what = format!("{name}, n = {n}");
                    let f: Vec<f64> = draw(source, n, seed);
                    assert_same(&law, &what, verdicts(&law, &f, Storage::F64));
                    let s: Vec<f32> = draw(source, n, seed);
                    assert_same(&law, &what, verdicts(&law, &s, Storage::F32));
                    let b: Vec<bf16> = draw(source, n, seed);
                    assert_same(&law, &what, verdicts(&law, &b, Storage::BF16));
                    let h: Vec<f16> = draw(source, n, seed);
                    assert_same(&law, &what, verdicts(&law, &h, Storage::F16));
                    // bf16 values widened to f64 and to f32, declared bf16.
                    let wide: Vec<f64> = b.iter().map(|x| x.to_f64()).collect();
                    assert_same(&law, &what, verdicts(&law, &wide, Storage::BF16));
                    let mid: Vec<f32> = b.iter().map(|x| x.to_f32()).collect();
                    assert_same(&law, &what, verdicts(&law, &mid, Storage::BF16));
                }
            }
        }
    }

    /// Ties, signed zeros, subnormals and values outside the support take the same path.
    #[test]
    fn runs_reproduce_ties_and_signed_zeros() {
        let law: Law = "uniform(a=-1, b=1)".parse().unwrap();
        let mut v: Vec<f64> = (0..50_000)
            .map(|i| ((i * 7919) % 201) as f64 / 100.0 - 1.0)
            .collect();
        v.extend([0.0, -0.0, -0.0, 5e-324, -5e-324, 1.5, -3.0, 1.0, 1.0, -1.0]);
        assert_same(&law, "lattice-like f64", verdicts(&law, &v, Storage::F64));
        let b: Vec<bf16> = v.iter().map(|&x| bf16::from_f64(x)).collect();
        assert_same(&law, "bf16 with ±0", verdicts(&law, &b, Storage::BF16));
        let h: Vec<f16> = v.iter().map(|&x| f16::from_f64(x)).collect();
        assert_same(&law, "f16 with ±0", verdicts(&law, &h, Storage::F16));
        let s: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        assert_same(&law, "f32 with ±0", verdicts(&law, &s, Storage::F32));
    }

    /// A non-finite value fails `finite` alone, and is named by its flat index in the tensor.
    #[test]
    fn non_finite_values_are_named_by_their_flat_index() {
        let law: Law = "normal(mean=0, std=1)".parse().unwrap();
        for n in [10, 100_000] {
            let mut v = vec![0.5f32; n];
            v[n / 2] = f32::NAN;
            v[n - 1] = f32::NEG_INFINITY;
            let verdict = check_sample(&law, &v, Storage::F32, 1e-3);
            assert!(!verdict.pass);
            assert_eq!(verdict.checks.len(), 1);
            let finite = &verdict.checks[0];
            assert_eq!((finite.name.as_str(), finite.statistic), ("finite", 2.0));
            assert!(
                finite
                    .detail
                    .ends_with(&format!("the first at flat index {}", n / 2)),
                "{}",
                finite.detail
            );
        }
    }
}
