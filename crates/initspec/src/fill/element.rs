//! [`Element`]: the floating-point types a tensor can be filled in.

use half::{bf16, f16};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for half::bf16 {}
    impl Sealed for half::f16 {}
}

/// The precision a draw is computed in before it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Drawn by the single-precision kernels (one 32-bit word per element).
    Single,
    /// Drawn by the double-precision kernels (two 32-bit words per element).
    Double,
}

/// A mutable slice of one of the four element types.
#[doc(hidden)]
#[derive(Debug)]
pub enum OutSlice<'a> {
    /// `f32` elements.
    F32(&'a mut [f32]),
    /// `f64` elements.
    F64(&'a mut [f64]),
    /// `bf16` elements.
    Bf16(&'a mut [bf16]),
    /// `f16` elements.
    F16(&'a mut [f16]),
}

/// A storage type for weights: `f32`, `f64`, `bf16` or `f16`.
///
/// `bf16` and `f16` are drawn in single precision and rounded to the nearest representable
/// value (ties to even): the stored tensor is a draw from the law rounded to that format.
pub trait Element: Copy + Default + Send + Sync + sealed::Sealed + 'static {
    /// The dtype name: `f32`, `f64`, `bf16`, `f16`.
    const NAME: &'static str;
    /// Which kernels draw this type.
    const PRECISION: Precision;
    /// Rounds a single-precision draw to this type (nearest, ties to even).
    fn from_f32(x: f32) -> Self;
    /// Rounds a double-precision draw to this type (nearest, ties to even).
    fn from_f64(x: f64) -> Self;
    /// The stored value, exactly, as `f64`.
    fn to_f64(self) -> f64;
    /// `out` as one of the four concrete slice types, so that the kernels are compiled once,
    /// in this crate, and not again in every crate that fills a tensor.
    #[doc(hidden)]
    fn as_out_slice(out: &mut [Self]) -> OutSlice<'_>;
    /// `out` itself when `Self` is `f32` (the kernels then write into it directly).
    #[doc(hidden)]
    fn as_f32_slice(out: &mut [Self]) -> Option<&mut [f32]> {
        let _ = out;
        None
    }
    /// `out` itself when `Self` is `f64` (the kernels then write into it directly).
    #[doc(hidden)]
    fn as_f64_slice(out: &mut [Self]) -> Option<&mut [f64]> {
        let _ = out;
        None
    }
}

impl Element for f32 {
    const NAME: &'static str = "f32";
    fn as_out_slice(out: &mut [Self]) -> OutSlice<'_> {
        OutSlice::F32(out)
    }
    const PRECISION: Precision = Precision::Single;
    fn from_f32(x: f32) -> Self {
        x
    }
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn as_f32_slice(out: &mut [Self]) -> Option<&mut [f32]> {
        Some(out)
    }
}

impl Element for f64 {
    const NAME: &'static str = "f64";
    fn as_out_slice(out: &mut [Self]) -> OutSlice<'_> {
        OutSlice::F64(out)
    }
    const PRECISION: Precision = Precision::Double;
    fn from_f32(x: f32) -> Self {
        f64::from(x)
    }
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn as_f64_slice(out: &mut [Self]) -> Option<&mut [f64]> {
        Some(out)
    }
}

impl Element for bf16 {
    const NAME: &'static str = "bf16";
    fn as_out_slice(out: &mut [Self]) -> OutSlice<'_> {
        OutSlice::Bf16(out)
    }
    const PRECISION: Precision = Precision::Single;
    fn from_f32(x: f32) -> Self {
        bf16::from_f32(x)
    }
    fn from_f64(x: f64) -> Self {
        bf16::from_f64(x)
    }
    fn to_f64(self) -> f64 {
        bf16::to_f64(self)
    }
}

impl Element for f16 {
    const NAME: &'static str = "f16";
    fn as_out_slice(out: &mut [Self]) -> OutSlice<'_> {
        OutSlice::F16(out)
    }
    const PRECISION: Precision = Precision::Single;
    fn from_f32(x: f32) -> Self {
        f16::from_f32(x)
    }
    fn from_f64(x: f64) -> Self {
        f16::from_f64(x)
    }
    fn to_f64(self) -> f64 {
        f16::to_f64(self)
    }
}
