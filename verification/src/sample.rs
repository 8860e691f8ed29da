//! [`Sample`]: one tensor from anywhere, as [`crate::audit::audit`] and
//! [`crate::identify::identify`] see it: its values, its shape, where its fans are, and the
//! number format it was stored in.

use initspec::Layout;

use crate::storage::Storage;

/// A tensor to examine: values in C order, the shape they fill, the layout and groups that
/// place its fans, and its storage format (bf16/f16 values are tested against the law rounded
/// to that format).
///
/// # Example
/// ```
/// use initspec::Layout;
/// use initspec_verify::sample::Sample;
/// use initspec_verify::storage::Storage;
/// let values = vec![0.0; 12];
/// let kernel = Sample::new(&values, &[3, 4], Storage::F32).with_layout(Layout::InOut);
/// assert_eq!((kernel.groups, kernel.layout), (1, Layout::InOut));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    /// The values, in C order, converted exactly to `f64`.
    pub values: &'a [f64],
    /// The tensor's shape.
    pub shape: &'a [usize],
    /// Where the fans are (default: PyTorch's out-in).
    pub layout: Layout,
    /// Convolution groups (default 1).
    pub groups: usize,
    /// The format the values were stored in.
    pub storage: Storage,
}

impl<'a> Sample<'a> {
    /// `values` of `shape` stored as `storage`, in the out-in layout with one group.
    pub fn new(values: &'a [f64], shape: &'a [usize], storage: Storage) -> Sample<'a> {
        Sample {
            values,
            shape,
            layout: Layout::OutIn,
            groups: 1,
            storage,
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
}
