//! The `rand_distr` loop every speed figure is measured against (feature `baseline`).
//!
//! A per-element loop of `rand_distr`'s `Uniform`, `StandardNormal`, or `StandardNormal`
//! redrawn while outside `[−bound, bound]`, on `Xoshiro256PlusPlus`: the usual way to fill a
//! Rust buffer with random numbers. `initspec bench` and the criterion benchmarks both time
//! this one function, so their ratios compare the same thing. It is not part of the sampler
//! and its values are not reproducible across `rand` versions; only its speed matters.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::uniform::SampleUniform;
use rand_distr::{StandardNormal, Uniform};

use crate::fill::Element;

/// Which `rand_distr` loop to run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Baseline {
    /// `Uniform::new(low, high)` per element.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound (excluded).
        high: f64,
    },
    /// `StandardNormal` per element.
    Normal,
    /// `StandardNormal`, redrawn while `|z| > bound` (rejection sampling of the truncated
    /// normal).
    Truncated {
        /// The symmetric bound in standard deviations, e.g. 2.
        bound: f64,
    },
}

/// The benchmarked kernels, shared by `initspec bench` and the criterion benches: name, law
/// (a base-scheme string), and the `rand_distr` loop it is compared with.
pub const KERNELS: [(&str, &str, Baseline); 3] = [
    (
        "uniform",
        "uniform(a=-0.0625, b=0.0625)",
        Baseline::Uniform {
            low: -0.0625,
            high: 0.0625,
        },
    ),
    ("normal", "normal(mean=0, std=1)", Baseline::Normal),
    (
        "trunc_normal",
        "trunc_normal(mean=0, std=1, a=-2, b=2)",
        Baseline::Truncated { bound: 2.0 },
    ),
];

/// A float type the baseline can fill: `f32` or `f64`.
pub trait BaselineFloat: Element + SampleUniform + PartialOrd
where
    StandardNormal: rand_distr::Distribution<Self>,
{
    /// `x` rounded to this type.
    fn of(x: f64) -> Self;
}

impl BaselineFloat for f32 {
    fn of(x: f64) -> f32 {
        x as f32
    }
}

impl BaselineFloat for f64 {
    fn of(x: f64) -> f64 {
        x
    }
}

/// A generator for the baseline, seeded from `seed` (e.g. a chunk index, so that parallel
/// chunks draw independent streams).
pub fn generator(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// Fills `out` with the `baseline` loop on `rng`. A uniform baseline with bounds that
/// `rand_distr` refuses (empty or non-finite) leaves `out` unchanged.
///
/// # Example
/// ```
/// use initspec::baseline::{Baseline, generator, rand_distr_fill};
/// let mut out = vec![0f32; 1000];
/// rand_distr_fill(Baseline::Truncated { bound: 2.0 }, &mut generator(1), &mut out);
/// assert!(out.iter().all(|z| z.abs() <= 2.0) && out.iter().any(|&z| z != 0.0));
/// ```
pub fn rand_distr_fill<T: BaselineFloat>(
    baseline: Baseline,
    rng: &mut Xoshiro256PlusPlus,
    out: &mut [T],
) where
    StandardNormal: rand_distr::Distribution<T>,
{
    match baseline {
        Baseline::Uniform { low, high } => {
            let Ok(uniform) = Uniform::new(T::of(low), T::of(high)) else {
                return;
            };
            for x in out.iter_mut() {
                *x = rng.sample(&uniform);
            }
        }
        Baseline::Normal => {
            for x in out.iter_mut() {
                *x = rng.sample(StandardNormal);
            }
        }
        Baseline::Truncated { bound } => {
            // A bound ≤ 0 (or NaN) would never accept a draw.
            if !(bound > 0.0) {
                return;
            }
            let (low, high) = (T::of(-bound), T::of(bound));
            for x in out.iter_mut() {
                *x = loop {
                    let z: T = rng.sample(StandardNormal);
                    if low <= z && z <= high {
                        break z;
                    }
                };
            }
        }
    }
}
