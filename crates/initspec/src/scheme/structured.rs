//! The structured family: `orthogonal`, `eye`, `dirac`, `delta_orthogonal` and `sparse`,
//! schemes whose law is a whole tensor ([`crate::structured`]), their constructors and the
//! functions that build their laws from a tensor's shape, layout and groups.

use super::Scheme;
use super::params::{Args, Value};
use super::table::row;
use crate::error::Result;
use crate::fans::Layout;
use crate::law::{DeltaOrthogonal, Dirac, Eye, Law, Orthogonal, Sparse};

impl Scheme {
    /// `orthogonal(gain=1)`: `gain` times a Haar-random matrix with orthonormal rows or
    /// columns (PyTorch `orthogonal_`, Keras/JAX `orthogonal`; see [`Orthogonal`]).
    ///
    /// # Errors
    /// [`crate::Error::NonFinite`] / [`crate::Error::NotPositive`] unless `gain` is finite and
    /// positive.
    pub fn orthogonal(gain: f64) -> Result<Scheme> {
        Scheme::new(row!("orthogonal"), &[Value::Number(gain)])
    }

    /// `eye`: the identity matrix of a 2-D tensor (PyTorch `eye_`; see [`Eye`]).
    pub fn eye() -> Scheme {
        Scheme::preset(row!("eye"))
    }

    /// `dirac(groups=1)`: the identity convolution kernel (PyTorch `dirac_`; see [`Dirac`]).
    ///
    /// # Errors
    /// [`crate::Error::NotPositive`] for `groups = 0`.
    pub fn dirac(groups: usize) -> Result<Scheme> {
        Scheme::new(row!("dirac"), &[Value::Count(groups)])
    }

    /// `delta_orthogonal(gain=1)`: an orthogonal matrix at the centre tap of a convolution
    /// kernel, zero elsewhere (JAX `delta_orthogonal`; see [`DeltaOrthogonal`]).
    ///
    /// # Errors
    /// As [`Scheme::orthogonal`].
    pub fn delta_orthogonal(gain: f64) -> Result<Scheme> {
        Scheme::new(row!("delta_orthogonal"), &[Value::Number(gain)])
    }

    /// `sparse(sparsity, std=0.01)`: `⌈sparsity·rows⌉` zeros per column, `N(0, std²)` elsewhere
    /// (PyTorch `sparse_`; see [`Sparse`]).
    ///
    /// # Errors
    /// [`crate::Error::OutOfRange`] unless `0 ≤ sparsity ≤ 1`; [`crate::Error::NonFinite`] /
    /// [`crate::Error::NotPositive`] for `std`.
    pub fn sparse(sparsity: f64, std: f64) -> Result<Scheme> {
        Scheme::new(
            row!("sparse"),
            &[Value::Number(sparsity), Value::Number(std)],
        )
    }
}

/// `orthogonal(gain)`: [`Orthogonal::of_shape`].
pub(super) fn orthogonal(args: &Args, shape: &[usize], layout: &Layout, g: usize) -> Result<Law> {
    Orthogonal::of_shape(args.number(0), shape, layout, g).map(Law::Orthogonal)
}

/// `eye`: [`Eye::of_shape`].
pub(super) fn eye(_: &Args, shape: &[usize], _: &Layout, groups: usize) -> Result<Law> {
    Eye::of_shape(shape, groups).map(Law::Eye)
}

/// `dirac(groups)`: [`Dirac::of_shape`], with the tensor's own groups `g`.
pub(super) fn dirac(args: &Args, shape: &[usize], layout: &Layout, g: usize) -> Result<Law> {
    Dirac::of_shape(args.count(0), shape, layout, g).map(Law::Dirac)
}

/// `delta_orthogonal(gain)`: [`DeltaOrthogonal::of_shape`].
pub(super) fn delta_orthogonal(
    args: &Args,
    shape: &[usize],
    layout: &Layout,
    g: usize,
) -> Result<Law> {
    DeltaOrthogonal::of_shape(args.number(0), shape, layout, g).map(Law::DeltaOrthogonal)
}

/// `sparse(sparsity, std)`: [`Sparse::of_shape`].
pub(super) fn sparse(args: &Args, shape: &[usize], _: &Layout, groups: usize) -> Result<Law> {
    Sparse::of_shape(args.number(0), args.number(1), shape, groups).map(Law::Sparse)
}
