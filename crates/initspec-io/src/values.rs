//! [`Values`]: a tensor's elements in the width they were stored in, and [`StoredElement`],
//! the four element types a tensor file holds.
//!
//! Readers keep f16, bf16 and f32 values in their own width (2, 2 and 4 bytes a value), so
//! a checkpoint is never widened to `f64` wholesale; [`Values::to_f64`] converts exactly
//! (every f16, bf16 and f32 value is an `f64`) when a caller needs it.

use half::{bf16, f16};
use initspec::Element;

use crate::Dtype;

/// An element type a tensor file stores: its [`Dtype`] and its little-endian encoding.
pub trait StoredElement: Element {
    /// The file dtype of this type.
    const DTYPE: Dtype;
    /// Writes the little-endian bytes of `self` into `out` (exactly `DTYPE.size_bytes()`).
    fn write_le(self, out: &mut [u8]);
    /// Reads one element from its bytes, little- or big-endian.
    fn read(bytes: &[u8], big_endian: bool) -> Self;
    /// This type's vector as [`Values`].
    fn into_values(values: Vec<Self>) -> Values;
}

macro_rules! stored_element {
    ($t:ty, $dtype:ident, $n:literal, $variant:ident) => {
        impl StoredElement for $t {
            const DTYPE: Dtype = Dtype::$dtype;
            fn write_le(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_le_bytes());
            }
            fn read(bytes: &[u8], big_endian: bool) -> Self {
                let mut b = [0u8; $n];
                b.copy_from_slice(&bytes[..$n]);
                if big_endian {
                    <$t>::from_be_bytes(b)
                } else {
                    <$t>::from_le_bytes(b)
                }
            }
            fn into_values(values: Vec<Self>) -> Values {
                Values::$variant(values)
            }
        }
    };
}

stored_element!(f16, F16, 2, F16);
stored_element!(bf16, BF16, 2, BF16);
stored_element!(f32, F32, 4, F32);
stored_element!(f64, F64, 8, F64);

/// A tensor's values in C order, in their stored width.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// binary16 values.
    F16(Vec<f16>),
    /// bfloat16 values.
    BF16(Vec<bf16>),
    /// binary32 values.
    F32(Vec<f32>),
    /// binary64 values.
    F64(Vec<f64>),
}

impl Values {
    /// The stored dtype.
    pub fn dtype(&self) -> Dtype {
        match self {
            Values::F16(_) => Dtype::F16,
            Values::BF16(_) => Dtype::BF16,
            Values::F32(_) => Dtype::F32,
            Values::F64(_) => Dtype::F64,
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Values::F16(v) => v.len(),
            Values::BF16(v) => v.len(),
            Values::F32(v) => v.len(),
            Values::F64(v) => v.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `i` as `f64` (exact), or `None` past the end.
    pub fn get_f64(&self, i: usize) -> Option<f64> {
        match self {
            Values::F16(v) => v.get(i).map(|x| x.to_f64()),
            Values::BF16(v) => v.get(i).map(|x| x.to_f64()),
            Values::F32(v) => v.get(i).map(|&x| f64::from(x)),
            Values::F64(v) => v.get(i).copied(),
        }
    }

    /// Every value converted exactly to `f64`, in C order (8 bytes a value: for callers that
    /// need doubles, one tensor at a time).
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            Values::F16(v) => v.iter().map(|x| x.to_f64()).collect(),
            Values::BF16(v) => v.iter().map(|x| x.to_f64()).collect(),
            Values::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Values::F64(v) => v.clone(),
        }
    }

    /// The little-endian bytes of the values, as a `.safetensors` file stores them.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        fn encode<T: StoredElement>(v: &[T]) -> Vec<u8> {
            let size = T::DTYPE.size_bytes();
            let mut out = vec![0u8; v.len() * size];
            for (chunk, &x) in out.chunks_exact_mut(size).zip(v) {
                x.write_le(chunk);
            }
            out
        }
        match self {
            Values::F16(v) => encode(v),
            Values::BF16(v) => encode(v),
            Values::F32(v) => encode(v),
            Values::F64(v) => encode(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_round_trip_in_both_endians() {
        let x = f32::from_bits(0x3fc0_0000); // 1.5
        let mut le = [0u8; 4];
        x.write_le(&mut le);
        assert_eq!(le, [0, 0, 0xc0, 0x3f]);
        assert_eq!(f32::read(&le, false), 1.5);
        assert_eq!(f32::read(&[0x3f, 0xc0, 0, 0], true), 1.5);
        assert_eq!(bf16::read(&[0x80, 0x3f], false).to_f64(), 1.0);
        assert_eq!(f16::read(&[0x3c, 0x00], true).to_f64(), 1.0);
        assert_eq!(f64::read(&(-2.25f64).to_be_bytes(), true), -2.25);
    }

    #[test]
    fn values_convert_exactly() {
        let v = Values::BF16(vec![bf16::from_f64(0.5), bf16::from_f64(-3.0)]);
        assert_eq!((v.dtype(), v.len(), v.is_empty()), (Dtype::BF16, 2, false));
        assert_eq!(v.to_f64(), [0.5, -3.0]);
        assert_eq!((v.get_f64(1), v.get_f64(2)), (Some(-3.0), None));
        assert_eq!(v.to_le_bytes(), [0x00, 0x3f, 0x40, 0xc0]);
        assert_eq!(Values::F32(vec![1.0]).to_le_bytes(), 1f32.to_le_bytes());
    }
}
