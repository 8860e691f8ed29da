//! Goodness-of-fit statistics for fully specified laws.
//!
//! Every test here compares a sample with a law whose parameters are all given (none
//! is estimated from the data), which is the situation of an initializer audit: the
//! scheme fixes the law, the weights are the sample.
//!
//! | file                  | what                                                          |
//! |-----------------------|---------------------------------------------------------------|
//! | [`ks`]                | Kolmogorov–Smirnov: statistic, exact p-value (`kstwo.sf`), limit law, lattice variant |
//! | [`anderson_darling`](mod@anderson_darling) | Anderson–Darling, case 0, Marsaglia & Marsaglia (2004) p-value |
//! | [`chi_square`]        | Pearson χ² with k equiprobable bins                          |
//! | [`moments`]           | z-test of the mean, χ²ₙ / kurtosis-aware test of the variance, variance-ratio interval |
//! | [`holm`](mod@holm)    | Holm (1979) step-down multiple testing                        |
//! | [`sort`]              | radix sort of large samples in total order                     |
//!
//! All functions are total: degenerate input (empty samples, NaN) gives a documented
//! answer or a [`GofError`], never a panic. The p-values are checked against SciPy
//! 1.17 (`scipy.stats.kstwo`, `scipy.special.kolmogorov`, `scipy.stats.chi2`, …) in
//! the unit tests, with the reference values in `tests/fixtures/gof_reference.json`
//! written by `scripts/make_gof_fixtures.py`.

pub mod anderson_darling;
pub mod chi_square;
mod error;
pub mod holm;
pub mod ks;
pub mod moments;
pub mod sort;
mod sum;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_exact;

pub use anderson_darling::{
    AndersonDarling, anderson_darling, anderson_darling_limit_cdf, anderson_darling_sf,
};
pub use chi_square::{ChiSquare, chi_square_equiprobable};
pub use error::GofError;
pub use holm::{holm, holm_adjusted};
pub use ks::{
    KsStatistic, KsTest, kolmogorov_sf, ks_sf, ks_statistic, ks_statistic_discrete, ks_test,
    ks_test_discrete, smirnov_sf,
};
pub use moments::{
    MeanTest, VarianceRatioInterval, VarianceTest, mean_test, variance_ratio_interval,
    variance_test,
};
pub use sort::sort_sample;
