//! The checks that a tensor's values were drawn *independently*, not only from the right
//! marginal law: a sorted, serially correlated, atom-laden or row-copied tensor can have a
//! perfect marginal. [`crate::audit::audit`] runs them on scalar laws, in the Holm family
//! of the marginal checks of [`crate::check`].
//!
//! ```text
//! serial         neighbours in flat C order (xₜ, xₜ₊₁)            exact sign test, Binom(k, ½)
//! serial_axis0   neighbours along the first axis (xₜ, xₜ₊ₛ),      the same, s = n / shape[0]
//!                rank ≥ 2 and shape[0] ≥ 2
//! atoms          the largest count K of one value                 P(K ≥ k) ≤ T(n, p*, k) / p*
//! duplicate_rows rows (slices along the first axis) that are      P(some pair equal)
//!                bit-for-bit equal, found by hash                   ≤ C(R, 2) · p*ᴸ
//! ```
//!
//! **Serial tests.** For a law symmetric about its mean c, with c representable in the
//! storage and its rounding cell symmetric about it (c = 0, or c not a power of two), the
//! stored values are > c or < c with probability ½ each, exactly, after rounding. Under
//! iid the signs sᵢ = sign(xᵢ − c) of the values ≠ c are then iid fair coins, and the
//! agreements sᵢ = sᵢ₊ₛ of the neighbour pairs along any chain are independent fair coins
//! too (the map from (s₁, …, sₘ) to (s₁, s₁⊕s₂, …, sₘ₋₁⊕sₘ) is a bijection of {±1}ᵐ): the
//! number of agreeing pairs among the k pairs with neither value equal to c is *exactly*
//! Binom(k, ½), whatever the law's shape, scale or storage. This is the Wald–Wolfowitz runs
//! test about a known centre (Wald & Wolfowitz 1940). The p-value is the exact two-sided
//! binomial one. A lag-1 correlation ρ moves the agreement rate to ½ + arcsin(ρ)/π
//! (Sheppard 1899) for a Gaussian pair, so AR(1) rows with ρ = 0.1 give
//! z ≈ 0.064·√k (65 at k = 2²⁰); a sorted tensor agrees at every pair but one.
//!
//! For a law that is not symmetric about a representable centre (a truncated normal cut
//! asymmetrically) the test uses disjoint blocks of four along the axis,
//! (a, b, c, d) = (xₜ, xₜ₊ₛ, xₜ₊₂ₛ, xₜ₊₃ₛ): under iid, exchanging a and c preserves the
//! block's law and flips the sign of a − c alone, so the concordance
//! sign(a − c) = sign(b − d) of the blocks with no tie is again exactly Binom(k, ½), for
//! any law and any storage (power: ½ + arcsin(ρ/2)/π per block, on n/4 blocks).
//!
//! The Pearson lag correlation r = Σ (xₜ − μ)(xₜ₊ₛ − μ) / √(Σ (xₜ − μ)² · Σ (xₜ₊ₛ − μ)²)
//! about the law's mean is reported for the reader (r ≈ 1 for a sorted tensor); the
//! p-value is the sign test's.
//!
//! **Atoms.** Let p* bound the largest mass of one storage cell under the law
//! ([`largest_cell_mass`]: in each binade the cells have one width w and the density is at
//! most its value f(q) at the binade's point q nearest the mode, so a cell there holds at
//! most w·f(q)). For a value v of cell mass pᵥ ≤ p* and k − 1 ≥ (n − 1)p*, the binomial
//! tail T(n, p, k) = P(Binom(n, p) ≥ k) satisfies T(n, pᵥ, k) ≤ (pᵥ/p*)·T(n, p*, k)
//! (T/p is the mean over [0, p] of a density increasing up to (k−1)/(n−1)), so summed over
//! all cells (Σ pᵥ = 1): P(the largest count ≥ k) ≤ T(n, p*, k)/p*. That bound is the
//! p-value (1 when k − 1 < (n − 1)p*: the largest count is then within what the heaviest
//! cell gives). For f32 and f64, p* is at least 2⁻²⁴ and 2⁻⁵³: samplers draw from uniform
//! integers of that width, so at the ends of a uniform law one stored value carries a grid
//! point's mass, more than the law's thinner cell. In f32 one value of a normal law then
//! holds at most 2⁻²⁴ ≈ 6·10⁻⁸, so 262 exact zeros in 2¹⁸ values give p ≈ 10⁻³⁰⁰⁰; bf16 cells hold up to ~10⁻³ and correct bf16
//! tensors repeat values thousands of times without failing. +0 and −0 count as one value.
//!
//! **Duplicate rows.** Two independent rows of L values are equal with probability
//! (Σᵥ pᵥ²)ᴸ ≤ p*ᴸ, so with R rows P(some pair equal) ≤ C(R, 2)·p*ᴸ: that is the p-value
//! when a pair is found (1 otherwise). Rows are hashed in parallel and equal hashes are
//! compared bit for bit; the groups found are reported by index.
//!
//! **Structured laws** (orthogonal, eye, dirac, delta-orthogonal, sparse) are dependent by
//! construction (orthonormal rows, fixed zero counts per column), so none of these checks
//! applies to them: [`crate::structured`] checks their structure instead.

use std::collections::HashMap;

use initspec::Law;
use rayon::prelude::*;
use statrs::distribution::{Binomial, DiscreteCDF};

use crate::check::{Check, statistical};
use crate::cross::binomial_two_sided;
use crate::order::Run;
use crate::sample::Stored;
use crate::storage::Storage;

/// Pairs per parallel task of the serial tests.
const SERIAL_CHUNK: usize = 1 << 16;

/// The most duplicate groups a `duplicate_rows` detail lists.
const LISTED_GROUPS: usize = 3;

/// The most row indices a listed group names.
const LISTED_ROWS: usize = 8;

/// The names of the checks of this module, as they appear in a [`crate::check::Verdict`].
pub const IID_CHECKS: [&str; 4] = ["serial", "serial_axis0", "atoms", "duplicate_rows"];

/// The iid checks of `values` in C order, of `shape`, stored as `storage`, against the
/// scalar `law` with positive variance; `atoms` is the largest count of one value (from
/// the sorted runs, [`Atoms`]). Empty for a structured or constant law.
pub(crate) fn iid_checks<T: Stored>(
    law: &Law,
    values: &[T],
    shape: &[usize],
    storage: Storage,
    atoms: &Atoms,
) -> Vec<Check> {
    let n = values.len();
    if law.is_structured() || !(law.variance() > 0.0) || n < 2 {
        return Vec::new();
    }
    let mut checks = vec![serial(
        law,
        storage,
        values,
        1,
        "serial",
        "the flat C order",
    )];
    let rows = shape.first().copied().unwrap_or(n);
    let by_rows = shape.len() >= 2 && rows >= 2 && n.is_multiple_of(rows);
    if by_rows {
        checks.push(serial(
            law,
            storage,
            values,
            n / rows,
            "serial_axis0",
            "the first axis",
        ));
    }
    let p_max = largest_cell_mass(law, storage);
    checks.push(atoms.check(n, p_max));
    if by_rows {
        checks.push(duplicate_rows(values, rows, p_max));
    }
    checks
}

/// The centre c about which the stored values are > c or < c with probability ½ each,
/// exactly: the mean of a law symmetric about it, when c is representable in `storage`
/// and its rounding cell is symmetric (c = 0, or c not a power of two).
fn sign_centre(law: &Law, storage: Storage) -> Option<f64> {
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
    /// Neighbour pairs (xₜ, xₜ₊ₛ) with xₜ₊ₛ ≥ xₜ, and with xₜ₊ₛ ≤ xₜ.
    rising: u64,
    falling: u64,
    /// Σ (xₜ − μ)(xₜ₊ₛ − μ), Σ (xₜ − μ)², Σ (xₜ₊ₛ − μ)².
    sxy: f64,
    sxx: f64,
    syy: f64,
}

impl SerialSums {
    fn merge(mut self, o: SerialSums) -> SerialSums {
        self.pairs += o.pairs;
        self.agree += o.agree;
        self.rising += o.rising;
        self.falling += o.falling;
        self.sxy += o.sxy;
        self.sxx += o.sxx;
        self.syy += o.syy;
        self
    }
}

/// The serial test of the neighbour pairs `stride` apart (see the module docs), named
/// `name`, along `along`.
fn serial<T: Stored>(
    law: &Law,
    storage: Storage,
    values: &[T],
    stride: usize,
    name: &str,
    along: &str,
) -> Check {
    let n = values.len();
    let mean = law.mean();
    let centre = sign_centre(law, storage);
    let last = n - stride;
    let starts: Vec<usize> = (0..last).step_by(SERIAL_CHUNK).collect();
    let parts: Vec<SerialSums> = starts
        .par_iter()
        .map(|&start| {
            let mut s = SerialSums::default();
            for t in start..(start + SERIAL_CHUNK).min(last) {
                let (a, b) = (values[t].to_f64(), values[t + stride].to_f64());
                s.rising += u64::from(b >= a);
                s.falling += u64::from(b <= a);
                let (da, db) = (a - mean, b - mean);
                s.sxy += da * db;
                s.sxx += da * da;
                s.syy += db * db;
                match centre {
                    Some(c) => {
                        if a != c && b != c {
                            s.pairs += 1;
                            s.agree += u64::from((a > c) == (b > c));
                        }
                    }
                    None => {
                        if (t / stride).is_multiple_of(4) && t + 3 * stride < n {
                            let (c, d) = (values[t + 2 * stride].to_f64(), values[t + 3 * stride]);
                            let d = d.to_f64();
                            if a != c && b != d {
                                s.pairs += 1;
                                s.agree += u64::from((a > c) == (b > d));
                            }
                        }
                    }
                }
            }
            s
        })
        .collect();
    let s = parts
        .into_iter()
        .fold(SerialSums::default(), SerialSums::merge);
    let r = if s.sxx > 0.0 && s.syy > 0.0 && s.sxy.is_finite() {
        (s.sxy / (s.sxx.sqrt() * s.syy.sqrt())).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let rate = if s.pairs > 0 {
        s.agree as f64 / s.pairs as f64
    } else {
        0.5
    };
    let p_value = binomial_two_sided(s.agree, s.pairs);
    let pairs = last as u64;
    let order = if s.rising == pairs {
        "sorted ascending; "
    } else if s.falling == pairs {
        "sorted descending; "
    } else {
        ""
    };
    let what = match centre {
        Some(c) => format!("signs about {c} agree in {rate:.4} of {} pairs", s.pairs),
        None => format!("{rate:.4} of {} blocks of four concordant", s.pairs),
    };
    statistical(
        name,
        rate,
        p_value,
        format!("along {along}: {order}lag-1 r = {r:.4}, {what}"),
    )
}

/// The largest count of one value, gathered from the sorted runs (+0 and −0 are one value).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Atoms {
    current: Option<(f64, u64)>,
    largest: Option<(f64, u64)>,
}

impl Atoms {
    /// The next runs, in sorted order.
    pub(crate) fn add(&mut self, runs: &[Run]) {
        for r in runs {
            self.current = match self.current {
                Some((x, k)) if x == r.x => Some((x, k + r.count)),
                _ => Some((r.x, r.count)),
            };
            if let Some((x, k)) = self.current
                && self.largest.is_none_or(|(_, best)| k > best)
            {
                self.largest = Some((if x == 0.0 { 0.0 } else { x }, k));
            }
        }
    }

    /// The `atoms` check of `n` values whose law puts at most `p_max` in one cell.
    fn check(&self, n: usize, p_max: f64) -> Check {
        let (x, k) = self.largest.unwrap_or((0.0, 0));
        let expected = n as f64 * p_max;
        let p_value = binomial_tail_over_p(n as u64, p_max, k);
        statistical(
            "atoms",
            k as f64,
            p_value,
            format!(
                "the most frequent value {x:e} occurs {k} times; the law rounded to the storage \
                 puts at most {p_max:.3e} in one value (≤ {expected:.3} expected)"
            ),
        )
    }
}

/// min(1, P(Binom(n, p) ≥ k) / p) when k − 1 ≥ (n − 1)p, else 1 (see the module docs).
fn binomial_tail_over_p(n: u64, p: f64, k: u64) -> f64 {
    if k < 2 || !(p > 0.0) || ((k - 1) as f64) < (n - 1) as f64 * p {
        return 1.0;
    }
    match Binomial::new(p.min(1.0), n) {
        Ok(b) => (b.sf(k - 1) / p).min(1.0),
        Err(_) => 1.0,
    }
}

/// 2ᵉ for −1074 ≤ e ≤ 1023, exactly.
fn pow2(e: i32) -> f64 {
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}

/// An upper bound p* of the largest probability that `law` rounded to `storage` puts on one
/// stored value: the maximum over binades [2ᵉ, 2ᵉ⁺¹) of either sign (and the subnormal
/// range with 0) of the cell width there times the density's maximum there, which for
/// these unimodal laws is its value at the binade's point nearest the mode; for f32 and f64
/// at least 2⁻²⁴ and 2⁻⁵³, the mass of one value of a sampler's uniform integer grid.
///
/// # Example
/// ```
/// use initspec::Law;
/// use initspec_verify::{iid::largest_cell_mass, storage::Storage};
/// let law: Law = "normal(mean=0, std=1)".parse().unwrap();
/// // An f32 cell of a normal law holds at most (x/σ)·φ(x/σ)·2⁻²³ ≤ 0.242·2⁻²³ (x = 2ᵉ, the
/// // cell width 2ᵉ⁻²³), below one point of a 24-bit sampler's grid, 2⁻²⁴: that bounds it.
/// assert_eq!(largest_cell_mass(&law, Storage::F32), 2f64.powi(-24));
/// let u: Law = "uniform(a=-0.0875, b=0.0875)".parse().unwrap();
/// assert_eq!(largest_cell_mass(&u, Storage::F32), 2f64.powi(-24));
/// // f16 cells near 1 are 2⁻¹⁰ wide: 0.242·2⁻¹⁰ ≈ 2.4·10⁻⁴ (the maximum is just below 1).
/// let h = largest_cell_mass(&law, Storage::F16);
/// assert!(h > 0.23 * 2f64.powi(-10) && h < 0.25 * 2f64.powi(-10), "{h}");
/// assert!(largest_cell_mass(&law, Storage::BF16) > 1e-3);
/// ```
pub fn largest_cell_mass(law: &Law, storage: Storage) -> f64 {
    // Stored significand bits and the exponent range of the normal numbers.
    let (bits, e_min, e_max) = match storage {
        Storage::F64 => (52, -1022, 1023),
        Storage::F32 => (23, -126, 127),
        Storage::BF16 => (7, -126, 127),
        Storage::F16 => (10, -14, 15),
    };
    let (mode, density): (f64, Box<dyn Fn(f64) -> f64>) = match law {
        Law::Normal(d) => {
            let (m, s) = (d.mean(), d.std());
            (
                m,
                Box::new(move |x| initspec::special::pdf((x - m) / s) / s),
            )
        }
        Law::TruncatedNormal(t) => {
            let (m, s, a, b, z) = (t.parent_mean(), t.parent_std(), t.a(), t.b(), t.mass());
            let f = move |x: f64| {
                if a <= x && x <= b {
                    initspec::special::pdf((x - m) / s) / (s * z)
                } else {
                    0.0
                }
            };
            (m.clamp(a, b), Box::new(f))
        }
        Law::Uniform(u) => {
            let (a, b) = (u.a(), u.b());
            let f = move |x: f64| if a <= x && x <= b { 1.0 / (b - a) } else { 0.0 };
            (0.5 * (a + b), Box::new(f))
        }
        _ => return 1.0,
    };
    let low = pow2(e_min);
    let mut best = pow2(e_min - bits) * density(mode.clamp(-low, low));
    for e in e_min..=e_max {
        let width = pow2(e - bits);
        let (lo, hi) = (pow2(e), if e < 1023 { pow2(e + 1) } else { f64::MAX });
        for (lo, hi) in [(lo, hi), (-hi, -lo)] {
            best = best.max(width * density(mode.clamp(lo, hi)));
        }
    }
    // Samplers in f32 and f64 draw from uniform integers of 24 and 53 bits (PyTorch's and
    // initspec's single-precision path, every double-precision path): where the law's cells
    // are thinner than that grid (the ends of a uniform law) one stored value carries 2⁻²⁴
    // (2⁻⁵³), more than the law's cell. The bound takes the larger.
    let grid = match storage {
        Storage::F32 => pow2(-24),
        Storage::F64 => pow2(-53),
        Storage::BF16 | Storage::F16 => 0.0,
    };
    best.max(grid).min(1.0)
}

/// The `duplicate_rows` check of `values` as `rows` rows of equal length.
fn duplicate_rows<T: Stored>(values: &[T], rows: usize, p_max: f64) -> Check {
    let len = values.len() / rows;
    let hashes: Vec<u64> = values
        .par_chunks(len)
        .map(|row| {
            row.iter().fold(0x9E37_79B9_7F4A_7C15u64, |h, x| {
                (h.rotate_left(5) ^ x.to_f64().to_bits()).wrapping_mul(0x517C_C1B7_2722_0A95)
            })
        })
        .collect();
    let mut by_hash: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, &h) in hashes.iter().enumerate() {
        by_hash.entry(h).or_default().push(i);
    }
    let row = |i: usize| &values[i * len..(i + 1) * len];
    let same = |i: usize, j: usize| {
        row(i)
            .iter()
            .zip(row(j))
            .all(|(a, b)| a.to_f64().to_bits() == b.to_f64().to_bits())
    };
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut candidates: Vec<Vec<usize>> = by_hash.into_values().filter(|g| g.len() > 1).collect();
    candidates.sort_unstable();
    for mut g in candidates {
        while let Some(&first) = g.first() {
            let (equal, rest): (Vec<usize>, Vec<usize>) = g.iter().partition(|&&j| same(first, j));
            if equal.len() > 1 {
                groups.push(equal);
            }
            g = rest;
        }
    }
    groups.sort_unstable();
    let copies: usize = groups.iter().map(|g| g.len() - 1).sum();
    let p_value = if copies == 0 {
        1.0
    } else {
        let r = rows as f64;
        let ln_pairs = (r * (r - 1.0) / 2.0).ln();
        (ln_pairs + len as f64 * p_max.ln()).exp().min(1.0)
    };
    let detail = if copies == 0 {
        format!("no two of the {rows} rows of {len} values are identical")
    } else {
        let listed: Vec<String> = groups
            .iter()
            .take(LISTED_GROUPS)
            .map(|g| {
                let names: Vec<String> =
                    g.iter().take(LISTED_ROWS).map(|i| i.to_string()).collect();
                let more = if g.len() > LISTED_ROWS {
                    format!(" (and {} more)", g.len() - LISTED_ROWS)
                } else {
                    String::new()
                };
                format!("rows {}{more} are identical", names.join(", "))
            })
            .collect();
        let more = if groups.len() > LISTED_GROUPS {
            format!("; {} more groups", groups.len() - LISTED_GROUPS)
        } else {
            String::new()
        };
        format!(
            "{}{more} ({copies} of {rows} rows of {len} values repeat another)",
            listed.join("; ")
        )
    };
    statistical("duplicate_rows", copies as f64, p_value, detail)
}
