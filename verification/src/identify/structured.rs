//! The structured candidates of [`crate::identify`]: `eye`, `dirac`, `orthogonal`,
//! `delta_orthogonal` and `sparse`, proposed when the tensor's values show their signature and
//! then held against their law in place with [`check_structured`].
//!
//! ```text
//! eye, dirac        every value is 0 or 1 (rank 2: eye; rank 3–5, out-in: dirac with the
//!                   given groups, else the first divisor of the output channels that fits)
//! orthogonal        rank ≥ 2, flattened as the layout says (out-in: [dim0, rest];
//!                   in-out: [rest, last]); gain = √(Σ x² / min(rows, cols)), the common norm
//!                   of the orthonormal rows or columns, snapped to a known gain (1, √2, 5/3,
//!                   ...) or the shortest decimal within the storage's rounding
//! delta_orthogonal  rank 3–5 with every tap but the centre (k−1)//2 zero; gain from the centre
//! sparse            rank 2 and every column has the same number z ≥ 1 of exact zeros:
//!                   sparsity z/rows, std the root mean square of the non-zero values (fitted)
//! ```

use initspec::grammar::format_number;
use initspec::{Law, Layout, Scheme};

use crate::haar;
use crate::identify::Candidate;
use crate::sample::{Sample, Stored, with_slice};
use crate::storage::Storage;
use crate::structured::check_structured;

/// The most multiply-adds of an orthogonality check identify runs (`min² · max`): 2³⁶,
/// a few seconds.
pub const MAX_ORTHOGONALITY_WORK: f64 = 68_719_476_736.0;

/// The structured candidates for `values` (a tensor of `shape`), each checked at level 1e-3.
///
/// The signatures are read from the values in their own width; the values are widened to
/// `f64` only when a candidate is proposed (its checks need the whole tensor in place).
pub fn structured_candidates(sample: &Sample<'_>) -> Vec<Candidate> {
    with_slice!(sample.values(), v => candidates_of(v, sample))
}

fn candidates_of<T: Stored>(values: &[T], sample: &Sample<'_>) -> Vec<Candidate> {
    let (shape, layout) = (sample.shape(), sample.layout());
    let (groups, storage) = (sample.groups(), sample.storage());
    if values.is_empty() || values.iter().any(|x| !x.to_f64().is_finite()) {
        return Vec::new();
    }
    let mut schemes: Vec<(String, &'static str)> = Vec::new();
    let zero_one = values.iter().all(|x| {
        let x = x.to_f64();
        x == 0.0 || x == 1.0
    });
    if zero_one && values.iter().any(|x| x.to_f64() == 1.0) {
        match shape.len() {
            2 => schemes.push(("eye".into(), "named structured scheme")),
            3..=5 => {
                // The groups given, else every divisor of the output channels that fits.
                let out = shape[0];
                let fitting = (1..=out)
                    .filter(|g| out.is_multiple_of(*g))
                    .find(|&g| dirac_fits(values, shape, g));
                let g = if dirac_fits(values, shape, groups) {
                    groups
                } else {
                    fitting.unwrap_or(groups)
                };
                schemes.push((format!("dirac(groups={g})"), "named structured scheme"));
            }
            _ => {}
        }
    }
    if !zero_one && let Some(scheme) = orthogonal_candidate(values, shape, layout, storage) {
        schemes.push((scheme, "orthogonal (gain measured from the norms)"));
    }
    if let Some(scheme) = delta_candidate(values, shape, layout, storage) {
        schemes.push((scheme, "delta-orthogonal (gain measured at the centre tap)"));
    }
    if let Some(scheme) = sparse_candidate(values, shape) {
        schemes.push((
            scheme,
            "sparse (sparsity from the zero count; p-value optimistic: std estimated)",
        ));
    }
    if schemes.is_empty() {
        return Vec::new();
    }
    // The values widened to f64 once, when a candidate needs the checks in place.
    let mut wide: Option<Vec<f64>> = None;
    let mut candidates = Vec::new();
    for (text, origin) in schemes {
        let Some(law) = text
            .parse::<Scheme>()
            .ok()
            .and_then(|s| s.resolve(shape, layout, groups).ok())
        else {
            continue;
        };
        let mean = law.mean();
        // Σ (x − μ)², naively in index order, as `variance_ratio` sums it.
        let sum = values
            .iter()
            .map(|x| {
                let x = x.to_f64();
                (x - mean) * (x - mean)
            })
            .sum::<f64>();
        let ratio = sum / values.len().max(1) as f64;
        let variance_ratio = if law.variance() > 0.0 {
            ratio / law.variance()
        } else {
            f64::NAN
        };
        let (p_value, ks_statistic) = match early_orthogonal_failure(values, &law, storage) {
            Some(ks_statistic) => (0.0, ks_statistic),
            None => {
                let wide = wide.get_or_insert_with(|| values.iter().map(|x| x.to_f64()).collect());
                let verdict = check_structured(&law, wide, storage, 1e-3);
                let ks = ["haar_diagonal", "ks"]
                    .iter()
                    .find_map(|n| verdict.check(n))
                    .map_or(0.0, |c| c.statistic);
                (verdict.p_value(), ks)
            }
        };
        candidates.push(Candidate {
            scheme: law.to_string(),
            law: law.to_string(),
            p_value,
            ks_statistic,
            variance_ratio,
            origin: origin.to_string(),
            law_value: law,
        });
    }
    candidates
}

/// For an orthogonal candidate whose first two vectors already break orthogonality
/// ([`haar::orthogonality_fails_early`]): the KS statistic of its Haar diagonal check, which
/// with p = 0 (the exact check fails) is all of its verdict that a [`Candidate`] keeps; the
/// Gram matrix (`min²·max` multiply-adds) is not formed. `None` otherwise.
fn early_orthogonal_failure<T: Stored>(values: &[T], law: &Law, storage: Storage) -> Option<f64> {
    let Law::Orthogonal(o) = law else {
        return None;
    };
    let (rows, cols, gain) = (o.rows(), o.cols(), o.gain());
    if rows.checked_mul(cols) != Some(values.len()) || rows.min(cols) == 0 {
        return None;
    }
    // Vector k of the short side: row k (rows ≤ cols) or column k.
    let vector = |k: usize| -> Vec<f64> {
        if rows <= cols {
            values[k * cols..(k + 1) * cols]
                .iter()
                .map(|x| x.to_f64())
                .collect()
        } else {
            (0..rows).map(|r| values[r * cols + k].to_f64()).collect()
        }
    };
    let first = vector(0);
    let second = (rows.min(cols) >= 2).then(|| vector(1));
    if !haar::orthogonality_fails_early(&first, second.as_deref(), rows.max(cols), gain, storage) {
        return None;
    }
    let entries: Vec<f64> = (0..rows.min(cols))
        .map(|i| values[i * cols + i].to_f64())
        .collect();
    Some(
        haar::diagonal_test_stored(&entries, rows.max(cols), gain, storage)
            .map_or(0.0, |t| t.statistic),
    )
}

/// Whether `values` are exactly `dirac(groups)` on `shape` (out-in).
fn dirac_fits<T: Stored>(values: &[T], shape: &[usize], groups: usize) -> bool {
    let Ok(Law::Dirac(d)) = Scheme::dirac(groups).and_then(|s| s.resolve(shape, &Layout::OutIn, 1))
    else {
        return false;
    };
    values
        .iter()
        .enumerate()
        .all(|(i, x)| x.to_f64() == d.value(i))
}

/// The gains of `Nonlinearity::gain` worth recognising: 1, √2 (ReLU), 5/3 (tanh), 3/4 (SELU),
/// √(2/(1 + 0.01²)) (leaky ReLU), and 2 and ½.
fn known_gains() -> [f64; 7] {
    [
        1.0,
        std::f64::consts::SQRT_2,
        5.0 / 3.0,
        0.75,
        (2.0 / (1.0 + 0.01f64 * 0.01)).sqrt(),
        2.0,
        0.5,
    ]
}

/// The scheme with a measured gain: a known gain (1 prints as no parameter) when the
/// measurement is within `4u` relative of it (u the storage's unit roundoff: the norms of
/// rounded vectors err by at most that), else the shortest decimal within `4u`.
fn gain_text(scheme: &str, gain: f64, storage: Storage) -> Option<String> {
    if !(gain > 0.0 && gain.is_finite()) {
        return None;
    }
    let tolerance = (4.0 * storage.unit_roundoff()).max(1e-12);
    let close = |g: f64| ((g - gain) / g).abs() <= tolerance;
    let value = known_gains()
        .into_iter()
        .find(|&g| close(g))
        .or_else(|| {
            (1..=17)
                .filter_map(|digits| format!("{gain:.*e}", digits - 1).parse::<f64>().ok())
                .find(|&g| close(g))
        })
        .unwrap_or(gain);
    Some(if value == 1.0 {
        scheme.to_string()
    } else {
        format!("{scheme}(gain={})", format_number(value))
    })
}

fn orthogonal_candidate<T: Stored>(
    values: &[T],
    shape: &[usize],
    layout: &Layout,
    storage: Storage,
) -> Option<String> {
    let law = Scheme::orthogonal(1.0)
        .ok()?
        .resolve(shape, layout, 1)
        .ok()?;
    let Law::Orthogonal(o) = law else { return None };
    let (short, long) = (o.rows().min(o.cols()), o.rows().max(o.cols()));
    if short == 0 || (short as f64).powi(2) * long as f64 > MAX_ORTHOGONALITY_WORK {
        return None;
    }
    let sum_squares: f64 = values
        .iter()
        .map(|x| {
            let x = x.to_f64();
            x * x
        })
        .sum();
    gain_text("orthogonal", (sum_squares / short as f64).sqrt(), storage)
}

fn delta_candidate<T: Stored>(
    values: &[T],
    shape: &[usize],
    layout: &Layout,
    storage: Storage,
) -> Option<String> {
    let law = Scheme::delta_orthogonal(1.0)
        .ok()?
        .resolve(shape, layout, 1)
        .ok()?;
    let Law::DeltaOrthogonal(d) = law else {
        return None;
    };
    let taps: usize = d.kernel().iter().product();
    if taps < 2 || d.in_channels() == 0 {
        return None;
    }
    // The centre tap's values; every other tap must be zero.
    let centre_values = crate::structured::delta_centre(&d, values)?;
    let sum_squares: f64 = centre_values.iter().map(|x| x * x).sum();
    gain_text(
        "delta_orthogonal",
        (sum_squares / d.in_channels() as f64).sqrt(),
        storage,
    )
}

fn sparse_candidate<T: Stored>(values: &[T], shape: &[usize]) -> Option<String> {
    let [rows, cols] = *shape else { return None };
    if rows == 0 || cols == 0 {
        return None;
    }
    let zeros = |c: usize| {
        (0..rows)
            .filter(|&r| values[r * cols + c].to_f64() == 0.0)
            .count()
    };
    let z = zeros(0);
    if z == 0 || z == rows || (1..cols).any(|c| zeros(c) != z) {
        return None;
    }
    let non_zeros: Vec<f64> = values
        .iter()
        .map(|x| x.to_f64())
        .filter(|&x| x != 0.0)
        .collect();
    let std = (non_zeros.iter().map(|x| x * x).sum::<f64>() / non_zeros.len() as f64).sqrt();
    // ⌈sparsity·rows⌉ must give back z: z/rows can round up past z (0.3·10 = 3.0000000000000004).
    let mut sparsity = z as f64 / rows as f64;
    if (sparsity * rows as f64).ceil() as usize != z {
        sparsity = (z as f64 - 0.5) / rows as f64;
    }
    Some(format!(
        "sparse(sparsity={}, std={})",
        format_number(sparsity),
        format_number(std)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use initspec::{Sampler, Stream};

    /// The early exit of an orthogonal candidate gives what the full check gives a
    /// [`Candidate`]: p = 0 and the Haar diagonal's KS statistic; a truly orthogonal matrix
    /// never exits early.
    #[test]
    fn an_early_orthogonal_failure_matches_the_full_check() {
        for (shape, storage) in [
            ([64usize, 96usize], Storage::F32),
            ([96, 64], Storage::F64),
            ([50, 50], Storage::BF16),
        ] {
            let law = Scheme::orthogonal(1.0)
                .and_then(|s| s.resolve(&shape, &Layout::OutIn, 1))
                .unwrap();
            let normal: Law = "normal(mean=0, std=0.1)".parse().unwrap();
            let mut noise = vec![0f64; shape[0] * shape[1]];
            Sampler::new(&normal, Stream::new(5, "noise")).fill(&mut noise);
            let noise: Vec<f64> = noise.iter().map(|&x| storage.round(x)).collect();
            let early = early_orthogonal_failure(&noise, &law, storage).unwrap();
            let verdict = check_structured(&law, &noise, storage, 1e-3);
            assert_eq!(verdict.p_value(), 0.0, "{shape:?} {storage}");
            let full = verdict.check("haar_diagonal").map_or(0.0, |c| c.statistic);
            assert_eq!(early.to_bits(), full.to_bits(), "{shape:?} {storage}");
            let mut q = vec![0f64; shape[0] * shape[1]];
            Sampler::new(&law, Stream::new(5, "q")).fill(&mut q);
            assert_eq!(early_orthogonal_failure(&q, &law, Storage::F64), None);
        }
    }
}
