//! Structured initializations: orthogonal, identity-like (eye, dirac, delta-orthogonal) and
//! sparse weights.
//!
//! Unlike the scalar laws, these fill a tensor as a whole: the value of one element depends on
//! the others (the rows of an orthogonal matrix are orthonormal; a sparse column has an exact
//! count of zeros). Every random draw is still index-determined: the Gaussian matrix behind
//! [`orthogonal`] and the mask keys behind [`sparse`] are functions of `(stream, sub-stream,
//! element index)` only, and the linear algebra runs in one fixed order of operations, so the
//! result is the same to the byte for a given `(seed, name)` whatever the number of threads.
//!
//! # Formula
//! ```text
//! orthogonal        Z ~ N(0,1)^{m×n} (m ≥ n, the tall orientation), Z = QR (Householder),
//!                   W = gain · Q·diag(sign Rᵢᵢ), transposed back when rows < cols
//! eye               W[i][j] = 1 if i = j else 0                                   (2-D)
//! dirac             W[g·o + d, d, k₁//2, …] = 1 for d < min(o, in), o = out/groups  (3/4/5-D)
//! delta_orthogonal  W[(k₁−1)//2, …, :, :] = orthogonal([in, out], gain), 0 elsewhere (JAX layout)
//! sparse            per column ⌈sparsity·rows⌉ zeros at uniformly random rows, the rest N(0, std²)
//! ```
//!
//! # Validation
//! Each function here is a shortcut for its law in [`crate::law`]
//! ([`Orthogonal`](crate::law::Orthogonal), [`Eye`](crate::law::Eye),
//! [`Dirac`](crate::law::Dirac), [`DeltaOrthogonal`](crate::law::DeltaOrthogonal),
//! [`Sparse`](crate::law::Sparse)): the law's constructor validates the shape and the
//! parameters, once, with the crate's one [`Error`](crate::Error), and the generator behind it
//! takes the validated law and cannot fail.
//!
//! # Sub-streams
//! The Philox counter's third word separates the independent uses of one [`Stream`](crate::Stream):
//! [`VALUE_WORD`] (0) for the Gaussian values of [`sparse`] (the same draws as the scalar
//! `normal(mean=0, std=…)` law of that stream), [`ORTHOGONAL_WORD`] (1) for the Gaussian
//! matrix of [`orthogonal`] and [`delta_orthogonal`], and [`MASK_WORD`] (2) for the zero
//! positions of [`sparse`].
//!
//! # Why the sign fix
//! Householder QR returns `Rᵢᵢ = −sign(zᵢᵢ)·‖·‖` (the LAPACK convention), so `Q` alone is not
//! Haar-distributed: its first column has `Q₁₁ < 0` always. Multiplying each column of `Q` by
//! `sign(Rᵢᵢ)` makes the factorization unique (`R` with a positive diagonal), and the unique `Q`
//! of a Gaussian matrix is Haar on O(n) (Mezzadri 2007, §5). PyTorch `orthogonal_`, Keras and JAX
//! apply the same correction; [`orthogonal_without_sign_fix`] omits it, as a negative control.
//!
//! # References
//! - Saxe, McClelland & Ganguli (2014), *Exact solutions to the nonlinear dynamics of learning
//!   in deep linear neural networks*, ICLR (orthogonal initialization).
//! - Mezzadri (2007), *How to generate random matrices from the classical compact groups*,
//!   Notices of the AMS 54(5):592–604 (the sign fix).
//! - Martens (2010), *Deep learning via Hessian-free optimization*, ICML (sparse initialization).
//! - Xiao, Bahri, Sohl-Dickstein, Schoenholz & Pennington (2018), *Dynamical isometry and a
//!   mean field theory of CNNs*, ICML (delta-orthogonal kernels).

pub(crate) mod gemm;
mod identity;
mod orthogonal;
mod sparse;

pub use identity::{delta_orthogonal, dirac, eye};
pub(crate) use orthogonal::haar;
pub use orthogonal::orthogonal;
#[doc(hidden)]
pub use orthogonal::orthogonal_without_sign_fix;
pub(crate) use sparse::draw as draw_sparse;
pub use sparse::sparse;

/// Sub-stream (Philox counter word 2) of the Gaussian values of [`sparse`].
pub const VALUE_WORD: u32 = 0;
/// Sub-stream of the Gaussian matrix of [`orthogonal`] and [`delta_orthogonal`].
pub const ORTHOGONAL_WORD: u32 = 1;
/// Sub-stream of the mask keys of [`sparse`].
pub const MASK_WORD: u32 = 2;
