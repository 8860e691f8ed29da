//! The point mass [`Constant`].

use crate::error::{Error, Result};

/// Every element equals `value`: zeros, ones, `constant(value)`.
///
/// A constant init cannot break the symmetry between the units of a layer: they compute the
/// same function and receive the same gradient forever (docs/SPEC.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constant {
    value: f64,
}

impl Constant {
    /// # Errors
    /// [`Error::NonFinite`] if `value` is NaN or infinite.
    pub fn new(value: f64) -> Result<Constant> {
        if !value.is_finite() {
            return Err(Error::NonFinite {
                key: "value",
                value,
            });
        }
        Ok(Constant { value })
    }

    /// The value.
    pub fn value(&self) -> f64 {
        self.value
    }
}
