//! [`Sample`]: one tensor from anywhere, as [`crate::audit::audit`] and
//! [`crate::identify::identify`] see it: its values in their own width ([`Values`]), its
//! shape, where its fans are, and the number format it was stored in.

use half::{bf16, f16};
use initspec::Layout;

use crate::storage::Storage;

/// The values of a tensor in the width they were stored in, borrowed: `f64`, `f32`, `bf16`
/// or `f16`. Nothing is widened up front; every check converts one value at a time, exactly
/// (each of these formats is a subset of `f64`), so an f32 tensor costs 4 bytes a value and
/// a bf16 tensor 2.
///
/// Built with `From` from a slice, a `Vec` or an array of any of the four element types,
/// which is what [`Sample::new`] and [`crate::check::check_sample`] accept:
///
/// ```
/// use half::bf16;
/// use initspec_verify::sample::Values;
/// use initspec_verify::storage::Storage;
/// let w = vec![0.5f32, -1.25];
/// let v = Values::from(&w);
/// assert_eq!((v.len(), v.get(1), v.storage()), (2, Some(-1.25), Storage::F32));
/// let h = [bf16::from_f32(0.5)];
/// assert_eq!(Values::from(&h).storage(), Storage::BF16);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Values<'a> {
    /// binary64 values.
    F64(&'a [f64]),
    /// binary32 values.
    F32(&'a [f32]),
    /// bfloat16 values.
    BF16(&'a [bf16]),
    /// binary16 values.
    F16(&'a [f16]),
}

/// Values held in their storage's own width, owned: what a reader of a file returns, and
/// what the calibration checks, so that its trials order their values as an audit does.
///
/// # Example
/// ```
/// use initspec_verify::sample::OwnedValues;
/// use initspec_verify::storage::Storage;
/// let v = OwnedValues::from_f64(&[0.5, -1.25], Storage::BF16);
/// assert_eq!((v.values().storage(), v.values().get(1)), (Storage::BF16, Some(-1.25)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedValues {
    /// binary64 values.
    F64(Vec<f64>),
    /// binary32 values.
    F32(Vec<f32>),
    /// bfloat16 values.
    BF16(Vec<bf16>),
    /// binary16 values.
    F16(Vec<f16>),
}

impl OwnedValues {
    /// `values` rounded to `storage` (exactly, when they were drawn in it).
    pub fn from_f64(values: &[f64], storage: Storage) -> OwnedValues {
        match storage {
            Storage::F64 => OwnedValues::F64(values.to_vec()),
            Storage::F32 => OwnedValues::F32(values.iter().map(|&x| x as f32).collect()),
            Storage::BF16 => OwnedValues::BF16(values.iter().map(|&x| bf16::from_f64(x)).collect()),
            Storage::F16 => OwnedValues::F16(values.iter().map(|&x| f16::from_f64(x)).collect()),
        }
    }

    /// The values, borrowed.
    pub fn values(&self) -> Values<'_> {
        match self {
            OwnedValues::F64(v) => Values::F64(v),
            OwnedValues::F32(v) => Values::F32(v),
            OwnedValues::BF16(v) => Values::BF16(v),
            OwnedValues::F16(v) => Values::F16(v),
        }
    }
}

/// Runs `$body` with `$v` bound to the slice inside `$values`, whatever its element type; the
/// element type implements [`Stored`], so the body is compiled once per type and its loops
/// run without a per-value dispatch.
macro_rules! with_slice {
    ($values:expr, $v:ident => $body:expr) => {
        match $values {
            $crate::sample::Values::F64($v) => $body,
            $crate::sample::Values::F32($v) => $body,
            $crate::sample::Values::BF16($v) => $body,
            $crate::sample::Values::F16($v) => $body,
        }
    };
}
pub(crate) use with_slice;

impl<'a> Values<'a> {
    /// The number of values.
    pub fn len(&self) -> usize {
        with_slice!(*self, v => v.len())
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The format of the element type (`F64`, `F32`, `BF16`, `F16`).
    pub fn storage(&self) -> Storage {
        with_slice!(*self, v => element_storage(v))
    }

    /// Value `i`, converted exactly to `f64`; `None` past the end.
    pub fn get(&self, i: usize) -> Option<f64> {
        with_slice!(*self, v => v.get(i).map(|x| x.to_f64()))
    }

    /// All values converted exactly to `f64`, in order (8 bytes a value: for the checks that
    /// need random access to the whole tensor, the structured laws).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        with_slice!(*self, v => v.iter().map(|x| x.to_f64()).collect())
    }

    /// Whether `f` holds for some value (converted to `f64`), stopping at the first.
    pub fn any(&self, f: impl Fn(f64) -> bool) -> bool {
        with_slice!(*self, v => v.iter().any(|x| f(x.to_f64())))
    }

    /// `Σ g(xᵢ)` in index order, summed naively (left to right) in `f64`.
    pub fn sum_by(&self, g: impl Fn(f64) -> f64) -> f64 {
        with_slice!(*self, v => v.iter().map(|x| g(x.to_f64())).sum())
    }

    /// The storage a sample of these values declared as `declared` is tested in: `declared`
    /// for `f64` values (an `f64` can hold a value of any format exactly); for `f32` values
    /// `declared` when it is a 16-bit lattice (f32 values widened from bf16 or f16), else
    /// `F32`; for `bf16` and `f16` values their own format. So the support is always rounded
    /// to a format at least as coarse as the values' own.
    pub fn storage_declared_as(&self, declared: Storage) -> Storage {
        match (self.storage(), declared) {
            (Storage::F64, declared) => declared,
            (Storage::F32, lattice @ (Storage::BF16 | Storage::F16)) => lattice,
            (own, _) => own,
        }
    }
}

/// The storage of a slice's element type.
fn element_storage<T: Stored>(_: &[T]) -> Storage {
    T::STORAGE
}

/// An element type the checks read in its own width: the four formats of [`Storage`].
///
/// Sealed: implemented for `f64`, `f32`, `half::bf16` and `half::f16` only.
pub trait Stored: Copy + Send + Sync + sealed::Sealed + 'static {
    /// The format of this type.
    const STORAGE: Storage;
    /// The value, converted exactly to `f64`.
    fn to_f64(self) -> f64;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for f32 {}
    impl Sealed for half::bf16 {}
    impl Sealed for half::f16 {}
}

impl Stored for f64 {
    const STORAGE: Storage = Storage::F64;
    fn to_f64(self) -> f64 {
        self
    }
}

impl Stored for f32 {
    const STORAGE: Storage = Storage::F32;
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Stored for bf16 {
    const STORAGE: Storage = Storage::BF16;
    fn to_f64(self) -> f64 {
        bf16::to_f64(self)
    }
}

impl Stored for f16 {
    const STORAGE: Storage = Storage::F16;
    fn to_f64(self) -> f64 {
        f16::to_f64(self)
    }
}

macro_rules! values_from {
    ($t:ty, $variant:ident) => {
        impl<'a> From<&'a [$t]> for Values<'a> {
            fn from(v: &'a [$t]) -> Self {
                Values::$variant(v)
            }
        }
        impl<'a> From<&'a Vec<$t>> for Values<'a> {
            fn from(v: &'a Vec<$t>) -> Self {
                Values::$variant(v)
            }
        }
        impl<'a, const N: usize> From<&'a [$t; N]> for Values<'a> {
            fn from(v: &'a [$t; N]) -> Self {
                Values::$variant(v)
            }
        }
    };
}
values_from!(f64, F64);
values_from!(f32, F32);
values_from!(bf16, BF16);
values_from!(f16, F16);

/// A tensor to examine: values in C order and in their own width, the shape they fill, the
/// layout and groups that place its fans, and its storage format (bf16/f16 values are tested
/// against the law rounded to that format).
///
/// The storage is [`Values::storage_declared_as`] the `storage` given: `f64` values can be
/// declared as any format (values read as `f64` from a bf16 file are `Storage::BF16`), `f32`
/// values as f32 or a 16-bit lattice, `bf16` and `f16` values are always their own format.
///
/// # Example
/// ```
/// use half::bf16;
/// use initspec::Layout;
/// use initspec_verify::sample::Sample;
/// use initspec_verify::storage::Storage;
/// let values = vec![0.0f32; 12];
/// let kernel = Sample::new(&values, &[3, 4], Storage::F32).with_layout(Layout::InOut);
/// assert_eq!((kernel.groups(), kernel.layout()), (1, &Layout::InOut));
/// // Native bf16 values: 2 bytes a value, tested on the bf16 lattice whatever is declared.
/// let half = vec![bf16::from_f32(0.25); 12];
/// assert_eq!(Sample::new(&half, &[3, 4], Storage::F64).storage(), Storage::BF16);
/// // f64 values read from an f16 file keep the f16 lattice.
/// let wide = vec![0.25f64; 12];
/// assert_eq!(Sample::new(&wide, &[3, 4], Storage::F16).storage(), Storage::F16);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    values: Values<'a>,
    shape: &'a [usize],
    layout: Layout,
    groups: usize,
    storage: Storage,
}

impl<'a> Sample<'a> {
    /// `values` of `shape` stored as `storage` (see the type's docs for how the storage and
    /// the element type combine), in the out-in layout with one group.
    pub fn new(values: impl Into<Values<'a>>, shape: &'a [usize], storage: Storage) -> Sample<'a> {
        let values = values.into();
        Sample {
            values,
            shape,
            layout: Layout::OutIn,
            groups: 1,
            storage: values.storage_declared_as(storage),
        }
    }

    /// The same sample with its fans in `layout`.
    pub fn with_layout(self, layout: Layout) -> Sample<'a> {
        Sample { layout, ..self }
    }

    /// The same sample with `groups` convolution groups.
    pub fn with_groups(self, groups: usize) -> Sample<'a> {
        Sample { groups, ..self }
    }

    /// The values, in C order.
    pub fn values(&self) -> Values<'a> {
        self.values
    }

    /// The tensor's shape.
    pub fn shape(&self) -> &'a [usize] {
        self.shape
    }

    /// Where the fans are (default: PyTorch's out-in).
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Convolution groups (default 1).
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// The format the values are tested in.
    pub fn storage(&self) -> Storage {
        self.storage
    }
}
