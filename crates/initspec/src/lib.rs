//! # initspec
//!
//! The reference implementation of neural-network weight initialization: every scheme
//! (Xavier/Glorot, He/Kaiming, LeCun, variance scaling, truncated normals, ...) resolves to an
//! exact [`Law`] for a tensor's [`Fans`], and a counter-based [`Sampler`] draws that law
//! reproducibly to the byte on any number of threads.
//!
//! ```
//! use initspec::{Layout, Sampler, Scheme, Stream};
//!
//! // PyTorch nn.Linear(784, 256) weight, He-initialized for ReLU.
//! let scheme: Scheme = "kaiming_normal(nonlinearity=relu)".parse().unwrap();
//! let law = scheme.resolve(&[256, 784], &Layout::OutIn, 1).unwrap();
//! assert_eq!(law.to_string(), "normal(mean=0, std=0.05050762722761054)");
//!
//! let mut weight = vec![0f32; 256 * 784];
//! Sampler::new(&law, Stream::new(42, "fc1.weight")).fill(&mut weight);
//! ```
//!
//! The crate has no I/O; the `initspec` command line writes `.npy` and `.safetensors`, and
//! `initspec-verify` holds samples from anywhere against the same laws.

#[cfg(feature = "baseline")]
pub mod baseline;
pub mod error;
pub mod fans;
pub mod fill;
pub mod gain;
pub mod grammar;
pub mod law;
pub mod philox;
pub mod scheme;
pub mod special;
pub mod stream;
pub mod structured;

pub use error::{Error, Result};
pub use fans::{FanMode, Fans, Layout, element_count};
pub use fill::{Element, Precision, Sampler};
pub use gain::Nonlinearity;
pub use law::{Law, Support};
pub use scheme::{Distribution, Scheme};
pub use stream::Stream;
