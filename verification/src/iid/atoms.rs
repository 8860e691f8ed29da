//! The atoms check: is one value repeated more often than the law, rounded to the storage,
//! lets any value be? (bound derived in the module docs of [`super`]).

use initspec::Law;
use statrs::distribution::{Binomial, DiscreteCDF};

use crate::check::{Check, statistical};
use crate::order::Run;
use crate::storage::Storage;

/// The largest count of one value, gathered from the sorted runs (+0 and −0 are one value).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Atoms {
    /// The first run with the largest count so far.
    largest: Option<(f64, u64)>,
    /// The count of −0 and +0 together.
    zeros: u64,
}

impl Atoms {
    /// The next runs, in sorted order. Runs are the distinct stored values, so the largest
    /// count is the largest run's, except that −0 and +0 are two runs of one value; a
    /// vectorized maximum per block keeps this cheap (one run per value of an f32 tensor).
    pub(crate) fn add(&mut self, runs: &[Run]) {
        if let Some(most) = runs.iter().map(|r| r.count).max()
            && self.largest.is_none_or(|(_, best)| most > best)
            && let Some(r) = runs.iter().find(|r| r.count == most)
        {
            self.largest = Some((r.x, most));
        }
        let first = runs.partition_point(|r| r.x < 0.0);
        self.zeros += runs[first..]
            .iter()
            .take_while(|r| r.x == 0.0)
            .map(|r| r.count)
            .sum::<u64>();
    }

    /// The most frequent value (0 for ±0) and its count.
    fn most_frequent(&self) -> (f64, u64) {
        match self.largest {
            Some((x, k)) if k > self.zeros && x != 0.0 => (x, k),
            Some(_) => (0.0, self.zeros),
            None => (0.0, 0),
        }
    }

    /// The `atoms` check of `n` values whose law puts at most `p_max` in one cell.
    pub(super) fn check(&self, n: usize, p_max: f64) -> Check {
        let (x, k) = self.most_frequent();
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

/// An upper bound p* of the largest probability that `law`, drawn by a sampler and rounded
/// to `storage`, puts on one stored value: the law's largest cell mass plus one point of
/// the sampler's uniform grid.
///
/// The law's part is the maximum over binades [2ᵉ, 2ᵉ⁺¹) of either sign (and the
/// subnormal range with 0) of the cell width there times the density's maximum over the
/// binade widened by the half cell below it (a rounding cell can reach that far), which
/// for these unimodal laws is the density at the widened binade's point nearest the mode.
///
/// The grid's part: samplers turn uniform integers into values through a monotone map
/// (inversion), so the values that round to one stored value come from an interval of
/// integers, and a stored value of law mass p holds at most p + one integer's mass. The
/// grid is at least 23 bits wide for every single-precision (and bf16/f16, drawn in single
/// precision then rounded) sampler we know, 52 bits for double precision: JAX draws the
/// 23 (52) mantissa bits, PyTorch and NumPy 24 (53), initspec's single-precision inversion
/// 23 and its double 52 or more. So the grid adds 2⁻²³ (2⁻⁵²): where the law's own cells are
/// thinner than the grid (near the mode of an f32 normal, the ends of a uniform law) it is
/// what bounds a value's mass.
///
/// # Example
/// ```
/// use initspec::Law;
/// use initspec_verify::{iid::largest_cell_mass, storage::Storage};
/// let law: Law = "normal(mean=0, std=1)".parse().unwrap();
/// // An f32 cell of a normal law holds at most about (x/σ)·φ(x/σ)·2⁻²³ ≤ 0.242·2⁻²³ (x = 2ᵉ,
/// // the cell width 2ᵉ⁻²³), plus one point of a 23-bit sampler's grid, 2⁻²³.
/// let p = largest_cell_mass(&law, Storage::F32);
/// assert!(p > 1.24 * 2f64.powi(-23) && p < 1.25 * 2f64.powi(-23), "{p}");
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
        // The binade, widened by the half cell of the binade below (a quarter of `width`).
        let (lo, hi) = (
            pow2(e) - width / 4.0,
            if e < 1023 { pow2(e + 1) } else { f64::MAX },
        );
        for (lo, hi) in [(lo, hi), (-hi, -lo)] {
            best = best.max(width * density(mode.clamp(lo, hi)));
        }
    }
    let grid = match storage {
        Storage::F64 => pow2(-52),
        Storage::F32 | Storage::BF16 | Storage::F16 => pow2(-23),
    };
    (best + grid).min(1.0)
}
