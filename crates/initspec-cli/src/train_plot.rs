//! The `initspec train --plot` figure: test accuracy against epoch, the mean over seeds as a
//! line and the band from the lowest to the highest seed shaded, from epoch 0 (before any
//! step). Plain SVG 1.1 with generic `sans-serif` text.

use std::fmt::Write as _;

use initspec_nn::RunResult;

use crate::svg::esc;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 440.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 60.0;
const BOTTOM: f64 = 50.0;

/// Characters of the title's first line (13 px bold sans-serif in the figure's width).
const TITLE_CHARS: usize = 95;

/// `text` split at the last ", " that keeps the first part within `max` characters (the
/// second part is empty when the whole fits).
fn wrap(text: &str, max: usize) -> (&str, &str) {
    if text.chars().count() <= max {
        return (text, "");
    }
    let limit = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    match text[..limit].rfind(", ") {
        Some(i) => (&text[..i], &text[i + 2..]),
        None => (text, ""),
    }
}

/// Per epoch (0 = before training), the mean, lowest and highest test accuracy over the runs
/// that reached it.
pub fn curve(runs: &[RunResult], epochs: usize) -> Vec<(usize, f64, f64, f64)> {
    (0..=epochs)
        .filter_map(|e| {
            let values: Vec<f64> = runs
                .iter()
                .filter_map(|r| {
                    if e == 0 {
                        Some(r.run.initial_test_accuracy)
                    } else {
                        r.run.epochs.get(e - 1).map(|ep| ep.test_accuracy)
                    }
                })
                .collect();
            if values.is_empty() {
                return None;
            }
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let low = values.iter().copied().fold(f64::INFINITY, f64::min);
            let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Some((e, mean, low, high))
        })
        .collect()
}

/// The figure as SVG text.
pub fn learning_curves_svg(title: &str, runs: &[RunResult], epochs: usize) -> String {
    let points = curve(runs, epochs);
    let (pw, ph) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let x = |e: usize| LEFT + pw * e as f64 / epochs.max(1) as f64;
    let y = |a: f64| TOP + ph * (1.0 - a.clamp(0.0, 1.0));
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let (first, second) = wrap(title, TITLE_CHARS);
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="20" font-size="13" font-weight="bold">{}</text>"#,
        esc(first)
    );
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="36" font-size="11" fill="#444">{}test accuracy: mean over {} seed(s), band from the lowest to the highest</text>"##,
        if second.is_empty() {
            String::new()
        } else {
            format!("{}; ", esc(second))
        },
        runs.len()
    );
    for tenth in 0..=10 {
        let a = f64::from(tenth) / 10.0;
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{0:.1}" x2="{1:.1}" y2="{0:.1}" stroke="#ddd" stroke-width="0.7"/><text x="{2:.1}" y="{3:.1}" font-size="10" text-anchor="end">{a:.1}</text>"##,
            y(a),
            LEFT + pw,
            LEFT - 6.0,
            y(a) + 3.5
        );
    }
    let step = (epochs / 10).max(1);
    for e in (0..=epochs).step_by(step) {
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">{e}</text>"#,
            x(e),
            TOP + ph + 16.0
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">epoch</text>"#,
        LEFT + pw / 2.0,
        HEIGHT - 12.0
    );
    if !points.is_empty() {
        let mut band = String::new();
        for &(e, _, _, high) in &points {
            let _ = write!(band, "{:.1},{:.1} ", x(e), y(high));
        }
        for &(e, _, low, _) in points.iter().rev() {
            let _ = write!(band, "{:.1},{:.1} ", x(e), y(low));
        }
        let _ = writeln!(
            s,
            r##"<polygon points="{}" fill="#3b6fb6" fill-opacity="0.2" stroke="none"/>"##,
            band.trim_end()
        );
        let line: Vec<String> = points
            .iter()
            .map(|&(e, mean, _, _)| format!("{:.1},{:.1}", x(e), y(mean)))
            .collect();
        let _ = writeln!(
            s,
            r##"<polyline points="{}" fill="none" stroke="#3b6fb6" stroke-width="2"/>"##,
            line.join(" ")
        );
    }
    let _ = writeln!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>"##
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use initspec_nn::experiment::InitDetails;
    use initspec_nn::train::{EpochRecord, TrainRun};

    fn run(seed: u64, accuracies: &[f64]) -> RunResult {
        RunResult {
            seed,
            run: TrainRun {
                initial_test_accuracy: 0.1,
                epochs: accuracies
                    .iter()
                    .enumerate()
                    .map(|(i, &a)| EpochRecord {
                        epoch: i + 1,
                        train_loss: 1.0,
                        test_accuracy: a,
                    })
                    .collect(),
                diverged_at: None,
            },
            details: InitDetails::None,
        }
    }

    #[test]
    fn the_band_spans_the_seeds() {
        let runs = [run(0, &[0.5, 0.9]), run(1, &[0.7, 0.8]), run(2, &[0.6])];
        let c = curve(&runs, 2);
        assert_eq!((c[0].0, c[0].2, c[0].3), (0, 0.1, 0.1));
        assert!((c[0].1 - 0.1).abs() < 1e-15);
        assert!((c[1].1 - 0.6).abs() < 1e-12 && c[1].2 == 0.5 && c[1].3 == 0.7);
        // A run that stopped early (diverged) no longer counts.
        assert!((c[2].1 - 0.85).abs() < 1e-12);
        let svg = learning_curves_svg("t <&>", &runs, 2);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("t &lt;&amp;&gt;") && svg.contains("<polygon"));
        assert_eq!(wrap("a, b, c", 4), ("a", "b, c"));
        assert_eq!(wrap("a, b", 10), ("a, b", ""));
    }
}
