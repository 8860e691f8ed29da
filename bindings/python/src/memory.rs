//! Memory the Python layer hands over by address: a NumPy array's data pointer or a torch
//! tensor's `data_ptr()`, with its length in bytes and its dtype.
//!
//! The Python layer (python/initspec/_arrays.py) checks before it calls in that the memory is
//! a C-contiguous, writable (for a fill), CPU-resident tensor of a floating dtype, and it
//! holds a reference to the owning object for the whole call, so the memory stays alive.
//! Here the address is checked for alignment and the length for a whole number of elements;
//! the views are made only inside [`Buffer::with_slice`] and [`Buffer::with_slice_mut`].
#![allow(unsafe_code)]

use half::{bf16, f16};
use initspec::Element;
use initspec_io::Dtype;
use pyo3::PyResult;
use pyo3::exceptions::PyValueError;

/// A region of `nbytes` bytes at `address` holding `dtype` values.
#[derive(Debug, Clone, Copy)]
pub struct Buffer {
    address: usize,
    nbytes: usize,
    dtype: Dtype,
}

/// The dtype named as NumPy and torch name it (`float32`, `float64`, `float16`, `bfloat16`).
pub fn dtype_of(name: &str) -> PyResult<Dtype> {
    match name {
        "float32" => Ok(Dtype::F32),
        "float64" => Ok(Dtype::F64),
        "float16" => Ok(Dtype::F16),
        "bfloat16" => Ok(Dtype::BF16),
        other => Err(PyValueError::new_err(format!(
            "unsupported dtype {other:?}: initspec fills and audits float32, float64, float16 and bfloat16"
        ))),
    }
}

/// Bytes of one `dtype` value.
pub fn size_of(dtype: Dtype) -> usize {
    match dtype {
        Dtype::F16 | Dtype::BF16 => 2,
        Dtype::F32 => 4,
        Dtype::F64 => 8,
    }
}

impl Buffer {
    /// The region, checked: a whole number of aligned `dtype` values, not at address 0.
    ///
    /// # Errors
    /// `ValueError` for a null or misaligned address, or a length that is not a multiple of
    /// the element size.
    pub fn new(address: usize, nbytes: usize, dtype: Dtype) -> PyResult<Buffer> {
        let size = size_of(dtype);
        if !nbytes.is_multiple_of(size) {
            return Err(PyValueError::new_err(format!(
                "{nbytes} bytes is not a whole number of {dtype} values ({size} bytes each)"
            )));
        }
        if nbytes > 0 && (address == 0 || !address.is_multiple_of(size)) {
            return Err(PyValueError::new_err(format!(
                "the data at address {address:#x} is not aligned to {size} bytes for {dtype}; pass a freshly allocated (aligned) array"
            )));
        }
        if nbytes > isize::MAX as usize || address.checked_add(nbytes).is_none() {
            return Err(PyValueError::new_err(format!(
                "a buffer of {nbytes} bytes at {address:#x} does not fit in the address space"
            )));
        }
        Ok(Buffer {
            address,
            nbytes,
            dtype,
        })
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.nbytes / size_of(self.dtype)
    }

    /// Calls `f` with the values as a slice of their own type.
    pub fn with_slice<R>(&self, f: impl FnOnce(Values<'_>) -> R) -> R {
        let n = self.len();
        // SAFETY: `new` checked alignment, a whole number of elements and that the region
        // fits the address space; the Python caller passes the address and length of a live,
        // C-contiguous CPU array of this dtype and keeps it alive for the whole call
        // (_arrays.py). An empty region uses a dangling, aligned pointer.
        unsafe {
            match self.dtype {
                Dtype::F32 => f(Values::F32(std::slice::from_raw_parts(self.ptr(), n))),
                Dtype::F64 => f(Values::F64(std::slice::from_raw_parts(self.ptr(), n))),
                Dtype::F16 => f(Values::F16(std::slice::from_raw_parts(self.ptr(), n))),
                Dtype::BF16 => f(Values::BF16(std::slice::from_raw_parts(self.ptr(), n))),
            }
        }
    }

    /// Calls `f` with the values as a mutable slice of their own type.
    pub fn with_slice_mut<R>(&self, f: impl FnOnce(ValuesMut<'_>) -> R) -> R {
        let n = self.len();
        // SAFETY: as in `with_slice`; in addition the Python caller checked that the array is
        // writable, and no other view of this region exists on the Rust side during `f`.
        unsafe {
            match self.dtype {
                Dtype::F32 => f(ValuesMut::F32(std::slice::from_raw_parts_mut(
                    self.ptr(),
                    n,
                ))),
                Dtype::F64 => f(ValuesMut::F64(std::slice::from_raw_parts_mut(
                    self.ptr(),
                    n,
                ))),
                Dtype::F16 => f(ValuesMut::F16(std::slice::from_raw_parts_mut(
                    self.ptr(),
                    n,
                ))),
                Dtype::BF16 => f(ValuesMut::BF16(std::slice::from_raw_parts_mut(
                    self.ptr(),
                    n,
                ))),
            }
        }
    }

    /// The address as a pointer to `T`, dangling (and aligned) for an empty region.
    fn ptr<T>(&self) -> *mut T {
        if self.nbytes == 0 {
            std::ptr::NonNull::<T>::dangling().as_ptr()
        } else {
            self.address as *mut T
        }
    }
}

/// Read-only values of one of the four dtypes.
#[derive(Debug, Clone, Copy)]
pub enum Values<'a> {
    /// float32.
    F32(&'a [f32]),
    /// float64.
    F64(&'a [f64]),
    /// float16.
    F16(&'a [f16]),
    /// bfloat16.
    BF16(&'a [bf16]),
}

impl<'a> Values<'a> {
    /// The same values as the verifier reads them, in their own width.
    pub fn verify(self) -> initspec_verify::sample::Values<'a> {
        match self {
            Values::F32(v) => v.into(),
            Values::F64(v) => v.into(),
            Values::F16(v) => v.into(),
            Values::BF16(v) => v.into(),
        }
    }
}

/// Writable values of one of the four dtypes.
#[derive(Debug)]
pub enum ValuesMut<'a> {
    /// float32.
    F32(&'a mut [f32]),
    /// float64.
    F64(&'a mut [f64]),
    /// float16.
    F16(&'a mut [f16]),
    /// bfloat16.
    BF16(&'a mut [bf16]),
}

/// Something done to a mutable slice of any element type.
pub trait SliceJob {
    /// Its result.
    type Output;
    /// Does it.
    fn run<T: Element>(self, out: &mut [T]) -> Self::Output;
}

impl ValuesMut<'_> {
    /// Runs `job` on the slice, whatever its element type.
    pub fn apply<J: SliceJob>(self, job: J) -> J::Output {
        match self {
            ValuesMut::F32(v) => job.run(v),
            ValuesMut::F64(v) => job.run(v),
            ValuesMut::F16(v) => job.run(v),
            ValuesMut::BF16(v) => job.run(v),
        }
    }
}
