//! # initspec-verify
//!
//! Holds samples of weights, initspec's own or anyone's, against the exact [`initspec::Law`]
//! their scheme specifies, with calibrated statistics.
//!
//! - [`gof`]: goodness-of-fit tests for fully specified laws (Kolmogorov–Smirnov with exact
//!   p-values, Anderson–Darling, χ², mean and variance tests, Holm).
//! - [`storage`]: the number format of a sample; bf16/f16 samples are tested against the law
//!   rounded to that format.
//! - [`check`]: the battery of checks of one sample and its verdict; [`structured`] the
//!   checks of the structured laws (orthogonal, eye, dirac, delta-orthogonal, sparse), with
//!   the Haar tests of [`haar`].
//! - [`conformance`]: the built-in cases of `initspec verify`.
//! - [`conforms`]: [`assert_conforms`] and [`conforms()`], one-line assertions for other
//!   crates' tests that their weights were drawn from a scheme.
//! - [`audit`] and [`identify`]: a tensor from anywhere (a [`sample::Sample`], its values in
//!   their own width: f64, f32, bf16 or f16) against its claimed scheme, and which laws fit it.
//! - [`order`]: the sorted order of a sample (its distinct values and their counts) without
//!   copying or widening it, in bounded memory; the scalar checks read the sample through it.
//! - [`calibrate`]: measured false-positive rates and power of every check.
//! - [`iid`]: the audit's checks that a tensor's values are independent draws (serial
//!   dependence along its axes, atoms, duplicate rows).
//! - [`independence`]: checks that two tensors (or neighbours in one) are uncorrelated.
//! - [`cross`]: the checks between the tensors of a checkpoint (copies, shared streams).
//!
//! The propagation studies (the variance recursion through deep stacks) live with the network
//! they run, in `initspec_nn::propagation`.

pub mod audit;
mod battery;
pub mod calibrate;
pub mod check;
pub mod conformance;
pub mod conforms;
pub mod cross;
pub mod gof;
pub mod haar;
pub mod identify;
pub mod iid;
pub mod independence;
mod normal_tails;
pub mod order;
pub mod sample;
pub mod storage;
pub mod structured;

pub use conforms::{CONFORMS_ALPHA, assert_conforms, conforms};

/// The README's Rust examples, compiled and run as doctests
/// (`cargo test -p initspec-verify --doc`; this crate depends on `initspec`, so examples of
/// both crates compile here).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
