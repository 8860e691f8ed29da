//! Generators shared by the property suites (`props_streams.rs`, `props_blocks.rs`).

use initspec::Law;
use proptest::prelude::*;

/// A scalar law as a base-scheme string, from parameters that are always valid.
pub fn law_string(kind: u8, x: f64, width: f64, std: f64) -> String {
    match kind {
        0 => format!("constant(value={x:e})"),
        1 => format!("uniform(a={x:e}, b={:e})", x + width),
        2 => format!("normal(mean={x:e}, std={std:e})"),
        // Bounds around the mean, in any position: central, one-sided, far tails.
        _ => format!(
            "trunc_normal(mean={x:e}, std={std:e}, a={:e}, b={:e})",
            x + (width - 3.0) * std * 4.0,
            x + (width - 3.0) * std * 4.0 + width * std,
        ),
    }
}

prop_compose! {
    /// Any scalar law: constant, uniform, normal or truncated normal.
    pub fn arb_law()(
        kind in 0u8..4,
        x in -10.0f64..10.0,
        width in 0.01f64..8.0,
        std in 1e-3f64..5.0,
    ) -> Law {
        let text = law_string(kind, x, width, std);
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }
}
