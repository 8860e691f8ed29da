//! The scheme grammar: `name` or `name(key=value, ...)`, whitespace ignored.
//!
//! ```text
//! scheme := name [ "(" [ param { "," param } ] ")" ]
//! param  := key "=" value
//! name, key := [A-Za-z_][A-Za-z0-9_]*
//! value  := a number in Rust float syntax (0.5, -2, 1e-3) or a word (fan_in, relu, ...)
//! ```
//!
//! This module only splits the text; [`crate::scheme`] gives the words their meaning, and other
//! crates that take the same `name(key=value, ...)` form (initspec-nn's activations) call
//! [`split`] too, so there is one grammar.

use crate::error::{Error, Result};

/// A `name(key=value, ...)` string split into its name and raw `key=value` pairs, in the
/// order written; names and keys are lower-cased, values kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawScheme {
    /// The name, lower-cased.
    pub name: String,
    /// The `(key, value)` pairs, keys lower-cased.
    pub params: Vec<(String, String)>,
}

fn is_word(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits `input` into name and parameters.
///
/// # Errors
/// [`Error::Syntax`] naming what was expected where the text stops following the grammar.
///
/// # Example
/// ```
/// let call = initspec::grammar::split("leaky_relu( negative_slope = 0.2 )").unwrap();
/// assert_eq!(call.name, "leaky_relu");
/// assert_eq!(call.params, vec![("negative_slope".to_string(), "0.2".to_string())]);
/// assert!(initspec::grammar::split("leaky_relu(0.2)").is_err());
/// ```
pub fn split(input: &str) -> Result<RawScheme> {
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let syntax = |expected| Error::Syntax {
        input: input.to_string(),
        expected,
    };
    let (name, args) = match compact.split_once('(') {
        None => (compact.as_str(), None),
        Some((name, rest)) => {
            let args = rest
                .strip_suffix(')')
                .ok_or_else(|| syntax("a closing `)` at the end"))?;
            (name, Some(args))
        }
    };
    if !is_word(name) {
        return Err(syntax("a scheme name of letters, digits and `_`"));
    }
    let mut params = Vec::new();
    if let Some(args) = args {
        if args.contains('(') || args.contains(')') {
            return Err(syntax("`key=value` pairs without nested parentheses"));
        }
        if !args.is_empty() {
            for pair in args.split(',') {
                let (key, value) = pair
                    .split_once('=')
                    .ok_or_else(|| syntax("`key=value` between the commas"))?;
                if !is_word(key) {
                    return Err(syntax("a parameter name of letters, digits and `_`"));
                }
                if value.is_empty() {
                    return Err(syntax("a value after `=`"));
                }
                params.push((key.to_ascii_lowercase(), value.to_string()));
            }
        }
    }
    Ok(RawScheme {
        name: name.to_ascii_lowercase(),
        params,
    })
}

/// Formats a number in the shortest form that parses back to the same `f64`: positional
/// notation for 0 and for `10⁻⁴ ≤ |x| < 10¹⁶` (integers without a fraction: `2`, `-0`,
/// `0.03125`), scientific notation otherwise (`1e-7`, `2.5e20`, `1e16`).
pub fn format_number(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e16 {
        if x == 0.0 && x.is_sign_negative() {
            return "-0".to_string();
        }
        return format!("{}", x as i64);
    }
    let magnitude = x.abs();
    if (1e-4..1e16).contains(&magnitude) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_names_and_parameters() {
        let raw = split(" Kaiming_Uniform ( a = 2.23 , mode=fan_out ) ").unwrap();
        assert_eq!(raw.name, "kaiming_uniform");
        assert_eq!(
            raw.params,
            vec![
                ("a".into(), "2.23".into()),
                ("mode".into(), "fan_out".into())
            ]
        );
        assert_eq!(split("zeros").unwrap().params, vec![]);
        assert_eq!(split("zeros()").unwrap().params, vec![]);
    }

    #[test]
    fn rejects_malformed_text() {
        for bad in [
            "",
            "(a=1)",
            "1abc",
            "normal(",
            "normal(std)",
            "normal(std=)",
            "normal(=1)",
            "normal(std=1,)",
            "normal(std=1))",
            "normal(std=(1))",
            "nor-mal",
            "normal)",
        ] {
            assert!(matches!(split(bad), Err(Error::Syntax { .. })), "{bad:?}");
        }
    }

    #[test]
    fn numbers_print_shortest_and_round_trip() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(-2.0), "-2");
        assert_eq!(format_number(0.03125), "0.03125");
        assert_eq!(format_number(1e-7), "1e-7");
        assert_eq!(format_number(2.5e20), "2.5e20");
        assert_eq!(format_number(1e15), "1000000000000000");
        assert_eq!(format_number(1e16), "1e16");
        assert_eq!(format_number(0.0001), "0.0001");
        assert_eq!(format_number(9.9e-5), "9.9e-5");
        for x in [
            0.1 + 0.2,
            -1.0 / 3.0,
            1e-300,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            -0.0,
            123456.789,
            1e15,
            1e16,
        ] {
            let text = format_number(x);
            let back: f64 = text.parse().unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{x} -> {text}");
        }
    }
}
