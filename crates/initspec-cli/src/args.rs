//! Parsers for command-line values shared by several commands.

use initspec::{Layout, Scheme};

use anyhow::anyhow;

/// Parses `--shape`: comma-separated dimensions (`256,784`, `64,3,7,7`); an empty string or
/// `scalar` is a rank-0 tensor. Dimensions may be 0 (an empty tensor).
///
/// # Errors
/// A dimension that is not a non-negative integer.
pub fn parse_shape(text: &str) -> anyhow::Result<Vec<usize>> {
    let trimmed = text
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("scalar") {
        return Ok(Vec::new());
    }
    trimmed
        .split(',')
        .map(|dim| {
            dim.trim().parse::<usize>().map_err(|_| {
                anyhow!(
                    "invalid --shape `{text}`: `{}` is not a non-negative integer (write e.g. 256,784)",
                    dim.trim()
                )
            })
        })
        .collect()
}

/// Parses `--scheme`.
///
/// # Errors
/// The grammar's error, prefixed with the option.
pub fn parse_scheme(text: &str) -> anyhow::Result<Scheme> {
    text.parse()
        .map_err(|e: initspec::Error| anyhow!("invalid --scheme: {e}"))
}

/// Parses `--layout`.
///
/// # Errors
/// An unknown layout.
pub fn parse_layout(text: &str) -> anyhow::Result<Layout> {
    text.parse()
        .map_err(|e: initspec::Error| anyhow!("invalid --layout: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(parse_shape("256,784").unwrap(), vec![256, 784]);
        assert_eq!(parse_shape(" 64, 3 ,7,7 ").unwrap(), vec![64, 3, 7, 7]);
        assert_eq!(parse_shape("[2,0]").unwrap(), vec![2, 0]);
        assert_eq!(parse_shape("").unwrap(), Vec::<usize>::new());
        assert_eq!(parse_shape("scalar").unwrap(), Vec::<usize>::new());
        for bad in ["2,a", "-1,3", "2,,3", "1.5", "2x3"] {
            let err = parse_shape(bad).unwrap_err();
            assert!(err.to_string().contains("--shape"), "{bad}");
        }
    }
}
