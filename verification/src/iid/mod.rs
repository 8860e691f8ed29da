//! The checks that a tensor's values were drawn *independently*, not only from the right
//! marginal law: a sorted, serially correlated, atom-laden or row-copied tensor can have a
//! perfect marginal. [`crate::audit::audit`] runs them on scalar laws, in the Holm family
//! of the marginal checks of [`crate::check`].
//!
//! ```text
//! serial          neighbours in flat C order (xₜ, xₜ₊₁)          exact sign test, Binom(k, ½)
//! serial_axisK    neighbours along axis K < rank − 1 (xₜ, xₜ₊ₛ),  the same, s = Π shape[K+1..]
//!                 shape[K] ≥ 2 (the last axis is the flat order's)
//! atoms           the largest count K of one value               P(K ≥ k) ≤ T(n, p*, k) / p*
//! duplicate_rows  rows (slices along the first axis), columns     P(some pair equal)
//!   _columns      (along the last) and, rank ≥ 3, blocks of the     ≤ C(R, 2) · p*ᴸ
//!   _blocks       last two axes, bit-for-bit equal, by hash
//! similar_rows    pairs of rows (columns) whose signs agree far   min over pairs of
//!   _columns      more (or less) often than chance: near-copies     C(R, 2) · p(Binom(k, ½))
//! ```
//!
//! The slice checks, duplicates and near-duplicates, are derived in [`slices`]'s docs.
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
//! The sample autocorrelation r = Σ (xₜ − μ)(xₜ₊ₛ − μ) / Σ (xₜ − μ)² about the law's mean
//! (Box & Jenkins' estimator) is reported for the reader (r ≈ 1 for a sorted tensor); the
//! p-value is the sign test's. When the p-value is below 10⁻⁶ the check also says whether
//! the tensor is sorted along that axis.
//!
//! **Atoms.** Let p* bound the largest mass of one storage cell under the law
//! ([`largest_cell_mass`]: in each binade the cells have one width w and the density is at
//! most its value f(q) at the binade's point q nearest the mode, so a cell there holds at
//! most w·f(q)). For a value v of cell mass pᵥ ≤ p* and k − 1 ≥ (n − 1)p*, the binomial
//! tail T(n, p, k) = P(Binom(n, p) ≥ k) satisfies T(n, pᵥ, k) ≤ (pᵥ/p*)·T(n, p*, k)
//! (T/p is the mean over [0, p] of a density increasing up to (k−1)/(n−1)), so summed over
//! all cells (Σ pᵥ = 1): P(the largest count ≥ k) ≤ T(n, p*, k)/p*. That bound is the
//! p-value (1 when k − 1 < (n − 1)p*: the largest count is then within what the heaviest
//! cell gives). p* also counts the sampler: a stored value holds at most its law mass plus
//! one point of the uniform integer grid the sampler inverts, 2⁻²³ in single precision and
//! 2⁻⁵² in double ([`largest_cell_mass`] says which samplers this covers). In f32 one value
//! of a normal law then holds at most 1.25·2⁻²³ ≈ 1.5·10⁻⁷, so 262 exact zeros in 2¹⁸
//! values give p ≈ 10⁻⁸⁸⁴; bf16 cells hold up to ~10⁻³ and correct bf16 tensors repeat
//! values thousands of times without failing. +0 and −0 count as one value. A sampler with
//! a coarser grid than 23 bits (2⁻²³ of mass per value) fails `atoms` on large tensors: its
//! values are then not draws of a continuous law to f32 precision, which is worth knowing.
//!
//! **Structured laws** (orthogonal, eye, dirac, delta-orthogonal, sparse) are dependent by
//! construction (orthonormal rows, fixed zero counts per column), so none of these checks
//! applies to them: [`crate::structured`] checks their structure instead.

use initspec::Law;

use crate::check::Check;
use crate::sample::Stored;
use crate::storage::Storage;

mod atoms;
mod serial;
pub mod slices;

pub(crate) use atoms::Atoms;
pub use atoms::largest_cell_mass;
use serial::{Lag, serial_checks, sign_centre};
use slices::{Slices, duplicate_slices, similar_slices};

/// The fixed names of the checks of this module, as they appear in a
/// [`crate::check::Verdict`]; a tensor of rank r ≥ 3 also gets `serial_axis1` …
/// `serial_axis{r−2}`.
pub const IID_CHECKS: [&str; 8] = [
    "serial",
    "serial_axis0",
    "atoms",
    "duplicate_rows",
    "duplicate_columns",
    "duplicate_blocks",
    "similar_rows",
    "similar_columns",
];

/// The shortest slice the duplicate checks look at.
const MIN_DUPLICATE_LEN: usize = 8;

/// Whether `name` is one of this module's checks.
pub fn is_iid_check(name: &str) -> bool {
    name.starts_with("serial") || IID_CHECKS.contains(&name)
}

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
    let centre = sign_centre(law, storage);
    let mut lags = vec![Lag {
        stride: 1,
        name: "serial".to_string(),
        along: "the flat C order".to_string(),
    }];
    // Axis k's neighbours lie Π shape[k+1..] apart; the last axis is the flat order's.
    let matrix = shape.len() >= 2 && shape.iter().product::<usize>() == n;
    if matrix {
        for k in 0..shape.len() - 1 {
            if shape[k] >= 2 {
                lags.push(Lag {
                    stride: shape[k + 1..].iter().product(),
                    name: format!("serial_axis{k}"),
                    along: format!("axis {k}"),
                });
            }
        }
    }
    let mut checks = serial_checks(law, centre, values, &lags);
    let p_max = largest_cell_mass(law, storage);
    checks.push(atoms.check(n, p_max));
    if matrix {
        let last = shape[shape.len() - 1];
        let views = [
            ("rows", Slices::rows(shape[0], n / shape[0])),
            ("columns", Slices::columns(last, n / last)),
        ];
        // Slices of fewer than MIN_DUPLICATE_LEN values are left to `atoms`: a pair of them
        // is too likely to be equal for the check to say much, and their index would cost
        // more memory than their values.
        for (what, slices) in &views {
            if slices.count >= 2 && slices.len >= MIN_DUPLICATE_LEN {
                checks.push(duplicate_slices(values, slices, what, p_max));
            }
        }
        let block = shape[shape.len() - 2] * last;
        if shape.len() >= 3 && block >= MIN_DUPLICATE_LEN && n / block >= 2 {
            checks.push(duplicate_slices(
                values,
                &Slices::blocks(n / block, block, &shape[..shape.len() - 2]),
                "blocks",
                p_max,
            ));
        }
        if let Some(c) = centre {
            for (what, slices) in &views {
                if let Some(check) = similar_slices(values, slices, what, c) {
                    checks.push(check);
                }
            }
        }
    }
    checks
}
