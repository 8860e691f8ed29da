//! `audit --plot` and `identify --plot` through the binary: the figure is written for passing
//! and failing tensors (with the exit status of the audit unchanged), shows the structure an
//! independence check found, and bad requests are one-line errors (exit 2) before any work,
//! with nothing written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/frameworks");

fn initspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_initspec"))
        .args(args)
        .output()
        .unwrap()
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

/// A little-endian f32 `.npy` of `shape` holding `values`.
fn write_npy(path: &Path, shape: &[usize], values: &[f32]) {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({},), }}",
        dims.join(", ")
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in values {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

/// SplitMix64 (Steele, Lea and Flood 2014): 64 well-mixed bits from a counter.
fn splitmix64(i: u64) -> u64 {
    let mut z = i.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Runs `args` + `--plot OUT.svg`; returns the exit code and the figure.
fn plotted(args: &[&str], dir: &Path) -> (Option<i32>, String) {
    let out: PathBuf = dir.join("figure.svg");
    let mut all = args.to_vec();
    all.extend(["--plot", out.to_str().unwrap()]);
    let output = initspec(&all);
    assert!(
        output.stderr.is_empty(),
        "{all:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let svg = std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{all:?}: no figure: {e}"));
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "{all:?}"
    );
    (output.status.code(), svg)
}

#[test]
fn a_passing_audit_draws_the_histogram_and_the_q_q_plot() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture("torch_linear_784x128.safetensors");
    let args = [
        "audit",
        &file,
        "--tensor",
        "weight",
        "--scheme",
        "kaiming_uniform(a=2.23606797749979)",
    ];
    let (code, svg) = plotted(&args, dir.path());
    assert_eq!(code, Some(0));
    for text in [
        "histogram",
        "Q–Q against the law",
        "the law",
        "PASS at α = 1e-3",
        "100352 values (f32)",
    ] {
        assert!(svg.contains(text), "missing {text:?}");
    }
    assert!(
        !svg.contains("failed:"),
        "no structure panel when every check passes"
    );
}

#[test]
fn a_failing_audit_still_exits_1_and_draws_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    // He uniform claimed for nn.Linear's default: the variance is 1/6 of He's.
    let file = fixture("torch_linear_784x128.safetensors");
    let (code, svg) = plotted(
        &[
            "audit",
            &file,
            "--tensor",
            "weight",
            "--scheme",
            "kaiming_uniform",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(1));
    assert!(svg.contains("FAIL at α = 1e-3"));
    // nn.Embedding(padding_idx=0): row 0 is zeros, which `atoms` finds.
    let file = fixture("torch_embedding_padding_idx0_200x64.safetensors");
    let (code, svg) = plotted(&["audit", &file, "--scheme", "normal(std=1)"], dir.path());
    assert_eq!(code, Some(1));
    assert!(svg.contains("atoms failed: the most frequent values"));
    // Sorted values fail `serial`: the lag plot.
    let mut sorted: Vec<f32> = (0..4096)
        .map(|i| (f64::from(i) / 4096.0 - 0.5) as f32)
        .collect();
    sorted.sort_by(f32::total_cmp);
    let path = dir.path().join("sorted.npy");
    write_npy(&path, &[64, 64], &sorted);
    let (code, svg) = plotted(
        &[
            "audit",
            path.to_str().unwrap(),
            "--scheme",
            "uniform(a=-0.5, b=0.5)",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(1));
    assert!(svg.contains("serial failed: lag plot"), "sorted values");
    // Row 1 a copy of row 0: the two rows, value against value.
    let mut copied: Vec<f32> = (0..4096u64)
        .map(|i| (splitmix64(i) >> 40) as f32 / 16_777_216.0 - 0.5)
        .collect();
    let first: Vec<f32> = copied[..64].to_vec();
    copied[64..128].copy_from_slice(&first);
    let path = dir.path().join("copied.npy");
    write_npy(&path, &[64, 64], &copied);
    let (code, svg) = plotted(
        &[
            "audit",
            path.to_str().unwrap(),
            "--scheme",
            "uniform(a=-0.5, b=0.5)",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(1));
    assert!(
        svg.contains("duplicate_rows failed: rows 0 and 1"),
        "a copied row"
    );
}

#[test]
fn bf16_is_drawn_against_the_rounded_law() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture("torch_xavier_normal_bf16_96x784.safetensors");
    let (code, svg) = plotted(&["audit", &file, "--scheme", "xavier_normal"], dir.path());
    assert_eq!(code, Some(0));
    assert!(svg.contains("75264 values (bf16)"));
}

#[test]
fn identify_overlays_its_best_candidates() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture("torch_linear_784x128.safetensors");
    let (code, svg) = plotted(&["identify", &file, "--tensor", "weight"], dir.path());
    assert_eq!(code, Some(0));
    assert!(svg.contains("1. kaiming_uniform(a=2.23606797749979)"));
    assert!(svg.contains("4. "), "four candidates");
    let (_, svg) = plotted(
        &["identify", &file, "--tensor", "weight", "--top", "2"],
        dir.path(),
    );
    assert!(svg.contains("2. ") && !svg.contains("3. "), "at most --top");
}

#[test]
fn bad_plot_requests_fail_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture("torch_linear_784x128.safetensors");
    let missing_dir = dir.path().join("no/such/dir/figure.svg");
    let png = dir.path().join("figure.png");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "audit",
                &file,
                "--tensor",
                "weight",
                "--scheme",
                "xavier_uniform",
                "--plot",
                png.to_str().unwrap(),
            ],
            "must end in .svg",
        ),
        (
            vec![
                "audit",
                &file,
                "--tensor",
                "weight",
                "--scheme",
                "xavier_uniform",
                "--plot",
                missing_dir.to_str().unwrap(),
            ],
            "--plot: cannot write",
        ),
        (
            vec![
                "audit",
                &file,
                "--scheme",
                "xavier_uniform",
                "--plot",
                "f.svg",
            ],
            "name one with --tensor",
        ),
        (
            vec!["identify", &file, "--plot", "f.svg"],
            "name one with --tensor",
        ),
        (
            vec![
                "identify",
                &file,
                "--tensor",
                "weight",
                "--plot",
                png.to_str().unwrap(),
            ],
            "must end in .svg",
        ),
        (
            vec!["audit", FIXTURES, "--manifest", "m.toml", "--plot", "f.svg"],
            "--plot",
        ),
    ];
    for (args, needle) in cases {
        let output = initspec(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}: nothing audited");
    }
    assert!(!Path::new("f.svg").exists() && !png.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no temporary file left"
    );
}
