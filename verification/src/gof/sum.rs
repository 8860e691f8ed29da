//! Compensated summation shared by the statistics of this module.

/// Neumaier's (1974) improved Kahan summation.
///
/// The error of the total is bounded by about 2ε·Σ|vᵢ| independently of the number of
/// terms, so sums over 10⁸ weights keep full f64 precision (naive summation loses up to
/// n·ε relative).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Neumaier {
    sum: f64,
    comp: f64,
}

impl Neumaier {
    /// Adds one term.
    pub(super) fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.comp += (self.sum - t) + v;
        } else {
            self.comp += (v - t) + self.sum;
        }
        self.sum = t;
    }

    /// The compensated total.
    pub(super) fn total(&self) -> f64 {
        self.sum + self.comp
    }
}
