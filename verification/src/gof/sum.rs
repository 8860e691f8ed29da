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
    ///
    /// Both corrections are computed and one is selected (no branch to mispredict when the
    /// larger operand alternates); the result is the same bits as the branch.
    #[inline]
    pub(super) fn add(&mut self, v: f64) {
        let t = self.sum + v;
        let when_sum_larger = (self.sum - t) + v;
        let when_term_larger = (v - t) + self.sum;
        self.comp += if self.sum.abs() >= v.abs() {
            when_sum_larger
        } else {
            when_term_larger
        };
        self.sum = t;
    }

    /// The compensated total.
    pub(super) fn total(&self) -> f64 {
        self.sum + self.comp
    }
}
