//! Filling a structured law ([`Law::is_structured`]): element by element for the
//! deterministic ones, from the whole tensor, computed once, for the random ones.
//!
//! A structured tensor is computed in double precision (the QR of an orthogonal matrix, the
//! mask and values of a sparse one) and each element is then rounded to the output type
//! ([`Element::from_f64`], round to nearest even), so the bytes of every dtype follow from
//! the same `f64` tensor, whatever the chunking or the thread count.

use std::fmt;
use std::sync::OnceLock;

use super::Element;
use crate::law::Law;
use crate::stream::Stream;

/// The values of one structured law on one stream.
pub(crate) struct StructuredFill {
    law: Law,
    stream: Stream,
    whole: OnceLock<Vec<f64>>,
}

impl fmt::Debug for StructuredFill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StructuredFill")
            .field("law", &self.law)
            .field("computed", &self.whole.get().is_some())
            .finish()
    }
}

impl StructuredFill {
    /// `Some` for a structured law.
    pub(crate) fn new(law: &Law, stream: Stream) -> Option<StructuredFill> {
        law.is_structured().then(|| StructuredFill {
            law: *law,
            stream,
            whole: OnceLock::new(),
        })
    }

    /// Element `i`, or NaN past the end of the tensor.
    fn value(&self, i: u64) -> f64 {
        let Ok(i) = usize::try_from(i) else {
            return f64::NAN;
        };
        if i >= self.law.tensor_len().unwrap_or(0) {
            return f64::NAN;
        }
        match &self.law {
            Law::Eye(e) => e.value(i),
            Law::Dirac(d) => d.value(i),
            _ => self.whole().get(i).copied().unwrap_or(f64::NAN),
        }
    }

    /// The whole tensor of a random structured law, computed on first use.
    fn whole(&self) -> &[f64] {
        self.whole.get_or_init(|| match &self.law {
            Law::Orthogonal(o) => o.generate(&self.stream),
            Law::DeltaOrthogonal(d) => d.generate(&self.stream),
            Law::Sparse(s) => s.generate(&self.stream),
            _ => Vec::new(),
        })
    }

    /// Fills `out` with elements `start..start + out.len()` (NaN past the end of the tensor).
    pub(crate) fn fill_range<T: Element>(&self, start: u64, out: &mut [T]) {
        for (k, x) in out.iter_mut().enumerate() {
            *x = T::from_f64(self.value(start + k as u64));
        }
    }
}
