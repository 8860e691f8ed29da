//! The serial tests: do neighbours along an axis agree in sign more (or less) often than
//! independent draws would? (the module docs of [`super`] derive the exact null law).

use initspec::Law;
use rayon::prelude::*;

use crate::check::{Check, statistical};
use crate::cross::binomial_two_sided;
use crate::sample::Stored;
use crate::storage::Storage;

/// Pairs per parallel task of the serial tests.
const SERIAL_CHUNK: usize = 1 << 16;

/// The centre c about which the stored values are > c or < c with probability ½ each,
/// exactly: the mean of a law symmetric about it, when c is representable in `storage`
/// and its rounding cell is symmetric (c = 0, or c not a power of two).
pub(super) fn sign_centre(law: &Law, storage: Storage) -> Option<f64> {
    let symmetric = match law {
        Law::Normal(_) | Law::Uniform(_) => true,
        Law::TruncatedNormal(t) => t.parent_mean() - t.a() == t.b() - t.parent_mean(),
        _ => false,
    };
    let c = law.mean();
    let power_of_two = c != 0.0 && (c.abs().to_bits() & ((1u64 << 52) - 1)) == 0;
    (symmetric && c.is_finite() && storage.round(c) == c && (c == 0.0 || !power_of_two))
        .then_some(c)
}

/// What one task of a serial test counts.
#[derive(Debug, Clone, Copy, Default)]
struct SerialSums {
    /// Pairs (or blocks) with no value at the centre (no tie in a block).
    pairs: u64,
    /// Of those, the ones whose signs agree (concordant blocks).
    agree: u64,
    /// Σ (xₜ − μ)(xₜ₊ₛ − μ).
    sxy: f64,
}

impl SerialSums {
    fn merge(mut self, o: SerialSums) -> SerialSums {
        self.pairs += o.pairs;
        self.agree += o.agree;
        self.sxy += o.sxy;
        self
    }
}

/// One serial test: the neighbour pairs `stride` apart, named `name`, along `along`.
#[derive(Debug, Clone)]
pub(super) struct Lag {
    pub stride: usize,
    pub name: String,
    pub along: String,
}

/// The serial tests of `lags` (see the module docs), in one pass over `values`: each
/// task reads its chunk once for all lags, so the tensor streams from memory once.
pub(super) fn serial_checks<T: Stored>(
    law: &Law,
    centre: Option<f64>,
    values: &[T],
    lags: &[Lag],
) -> Vec<Check> {
    let n = values.len();
    let mean = law.mean();
    let starts: Vec<usize> = (0..n).step_by(SERIAL_CHUNK).collect();
    let parts: Vec<(f64, Vec<SerialSums>)> = starts
        .par_iter()
        .map(|&start| {
            let end = (start + SERIAL_CHUNK).min(n);
            let squares = values[start..end]
                .iter()
                .map(|x| (x.to_f64() - mean).powi(2))
                .sum::<f64>();
            let sums = lags
                .iter()
                .map(|lag| {
                    let end = end.min(n.saturating_sub(lag.stride));
                    chunk_sums(values, start, end, lag.stride, mean, centre)
                })
                .collect();
            (squares, sums)
        })
        .collect();
    let squares: f64 = parts.iter().map(|p| p.0).sum();
    lags.iter()
        .enumerate()
        .map(|(i, lag)| {
            let sums = parts
                .iter()
                .map(|p| p.1[i])
                .fold(SerialSums::default(), SerialSums::merge);
            serial_check(values, &sums, squares, centre, lag)
        })
        .collect()
}

/// The sums of the pairs (xₜ, xₜ₊ₛ) for `start` ≤ t < `end`.
fn chunk_sums<T: Stored>(
    values: &[T],
    start: usize,
    end: usize,
    stride: usize,
    mean: f64,
    centre: Option<f64>,
) -> SerialSums {
    let mut s = SerialSums::default();
    if start >= end {
        return s;
    }
    let (xs, ys) = (&values[start..end], &values[start + stride..end + stride]);
    // Four lanes of products, so that the sum vectorizes (f64 addition is not reordered).
    let mut sxy = [0.0f64; 4];
    let (mut pairs, mut agree) = (0u64, 0u64);
    let c = centre.unwrap_or(f64::NAN);
    let mut pair = |lane: usize, a: f64, b: f64| {
        sxy[lane] += (a - mean) * (b - mean);
        let valid = (a != c) & (b != c);
        pairs += u64::from(valid);
        agree += u64::from(valid & ((a > c) == (b > c)));
    };
    let (xq, yq) = (xs.chunks_exact(4), ys.chunks_exact(4));
    let (xr, yr) = (xq.remainder(), yq.remainder());
    for (x4, y4) in xq.zip(yq) {
        for lane in 0..4 {
            pair(lane, x4[lane].to_f64(), y4[lane].to_f64());
        }
    }
    for (x, y) in xr.iter().zip(yr) {
        pair(0, x.to_f64(), y.to_f64());
    }
    s.sxy = sxy.iter().sum();
    if centre.is_some() {
        s.pairs = pairs;
        s.agree = agree;
    } else {
        // Disjoint blocks (xₜ, xₜ₊ₛ, xₜ₊₂ₛ, xₜ₊₃ₛ) starting where ⌊t/s⌋ ≡ 0 (mod 4).
        let n = values.len();
        for t in start..end {
            if (t / stride).is_multiple_of(4) && t + 3 * stride < n {
                let (a, b) = (values[t].to_f64(), values[t + stride].to_f64());
                let (c, d) = (
                    values[t + 2 * stride].to_f64(),
                    values[t + 3 * stride].to_f64(),
                );
                if a != c && b != d {
                    s.pairs += 1;
                    s.agree += u64::from((a > c) == (b > d));
                }
            }
        }
    }
    s
}

/// The level below which a serial check also looks for sorted order, to say so.
const SORTED_SCAN_LEVEL: f64 = 1e-6;

/// The check of one lag from its sums; `squares` is Σ (xₜ − μ)² over the whole tensor.
fn serial_check<T: Stored>(
    values: &[T],
    s: &SerialSums,
    squares: f64,
    centre: Option<f64>,
    lag: &Lag,
) -> Check {
    // The sample autocorrelation at this lag (Box & Jenkins' estimator).
    let r = if squares > 0.0 && s.sxy.is_finite() {
        (s.sxy / squares).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let rate = if s.pairs > 0 {
        s.agree as f64 / s.pairs as f64
    } else {
        0.5
    };
    let p_value = binomial_two_sided(s.agree, s.pairs);
    let order = if p_value > SORTED_SCAN_LEVEL {
        ""
    } else if sorted_along(values, lag.stride, |a, b| a <= b) {
        "sorted ascending; "
    } else if sorted_along(values, lag.stride, |a, b| a >= b) {
        "sorted descending; "
    } else {
        ""
    };
    let what = match centre {
        Some(c) => format!("signs about {c} agree in {rate:.4} of {} pairs", s.pairs),
        None => format!("{rate:.4} of {} blocks of four concordant", s.pairs),
    };
    statistical(
        &lag.name,
        rate,
        p_value,
        format!("along {}: {order}lag-1 r = {r:.4}, {what}", lag.along),
    )
}

/// Whether `in_order(xₜ, xₜ₊ₛ)` holds for every neighbour pair `stride` apart.
fn sorted_along<T: Stored>(values: &[T], stride: usize, in_order: fn(f64, f64) -> bool) -> bool {
    values
        .iter()
        .zip(&values[stride..])
        .all(|(a, b)| in_order(a.to_f64(), b.to_f64()))
}
