//! Every bad request exits with status 2 and a one-line message that names the problem;
//! nothing panics and nothing is left at the output path.

use assert_cmd::Command;

fn initspec() -> Command {
    Command::cargo_bin("initspec").unwrap()
}

/// Runs `initspec sample` with `extra` arguments and checks the failure.
fn sample_fails(extra: &[&str], needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w.npy");
    let mut args = vec![
        "sample",
        "--scheme",
        "xavier_uniform",
        "--shape",
        "40,96",
        "--out",
        out.to_str().unwrap(),
    ];
    // Later options override earlier ones in clap only for flags given once, so replace.
    for pair in extra.chunks(2) {
        if let Some(i) = args.iter().position(|a| *a == pair[0]) {
            args[i + 1] = pair[1];
        } else {
            args.extend_from_slice(pair);
        }
    }
    let output = initspec().args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {stderr}"
    );
    assert!(
        stderr.contains(needle),
        "{args:?}: {stderr:?} does not mention {needle:?}"
    );
    assert!(!out.exists(), "{args:?} left a file behind");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(leftovers.is_empty(), "{args:?} left {leftovers:?}");
}

#[test]
fn bad_schemes() {
    sample_fails(&["--scheme", "xavier"], "unknown scheme `xavier`");
    sample_fails(&["--scheme", "normal(sigma=1)"], "no parameter `sigma`");
    sample_fails(&["--scheme", "normal(std=1, std=2)"], "more than once");
    sample_fails(&["--scheme", "normal(std=abc)"], "not a number");
    sample_fails(&["--scheme", "normal(std=NaN)"], "must be finite");
    sample_fails(&["--scheme", "normal(mean=inf)"], "must be finite");
    sample_fails(&["--scheme", "uniform(a=-inf)"], "must be finite");
    sample_fails(&["--scheme", "normal(std=0)"], "`std` must be > 0");
    sample_fails(&["--scheme", "normal(std=-0.5)"], "`std` must be > 0");
    sample_fails(&["--scheme", "uniform(a=1, b=1)"], "empty interval");
    sample_fails(&["--scheme", "trunc_normal(a=2, b=-2)"], "empty interval");
    sample_fails(
        &["--scheme", "xavier_uniform(gain=0)"],
        "`gain` must be > 0",
    );
    sample_fails(
        &["--scheme", "kaiming_normal(nonlinearity=gelu)"],
        "unknown value `gelu`",
    );
    sample_fails(&["--scheme", "kaiming_normal(mode=fan_avg)"], "fan_avg");
    sample_fails(
        &["--scheme", "variance_scaling(distribution=normal)"],
        "ambiguous",
    );
    sample_fails(&["--scheme", "constant"], "needs the parameter `value`");
    sample_fails(&["--scheme", "normal(std=1"], "malformed scheme");
    sample_fails(
        &["--scheme", "trunc_normal(a=50, b=60)"],
        "no probability mass",
    );
    sample_fails(
        &["--scheme", "xavier_uniform(gain=1e308)", "--shape", "1,1"],
        "finite",
    );
}

#[test]
fn bad_structured_requests() {
    let scheme = |s| ["--scheme", s];
    sample_fails(
        &scheme("sparse(sparsity=1.5)"),
        "`sparsity` must lie in [0, 1]",
    );
    sample_fails(
        &scheme("sparse(sparsity=-0.1)"),
        "`sparsity` must lie in [0, 1]",
    );
    sample_fails(&scheme("sparse"), "needs the parameter `sparsity`");
    sample_fails(&scheme("orthogonal(gain=0)"), "`gain` must be > 0");
    sample_fails(&scheme("dirac(groups=1.5)"), "whole number");
    sample_fails(
        &["--scheme", "orthogonal", "--shape", "7"],
        "orthogonal needs a tensor of rank 2 or more",
    );
    sample_fails(
        &["--scheme", "eye", "--shape", "2,3,4"],
        "eye needs a tensor of rank 2",
    );
    sample_fails(
        &[
            "--scheme", "dirac", "--shape", "4,4,3", "--layout", "in-out",
        ],
        "not defined for layout in-out",
    );
    sample_fails(
        &["--scheme", "dirac", "--shape", "6,3,3", "--groups", "4"],
        "groups = 4 must be at least 1 and divide the 6 output channels",
    );
    sample_fails(
        &[
            "--scheme",
            "orthogonal",
            "--shape",
            "6,3,3",
            "--groups",
            "3",
        ],
        "does not take groups",
    );
    sample_fails(
        &[
            "--scheme",
            "delta_orthogonal",
            "--shape",
            "3,3,8,4",
            "--layout",
            "in-out",
        ],
        "delta_orthogonal needs in ≤ out",
    );
    sample_fails(
        &["--scheme", "orthogonal", "--shape", "100000,100000"],
        "at most 268435456 elements",
    );
    sample_fails(
        &["--scheme", "orthogonal", "--shape", "16384,16384"],
        "floating-point operations",
    );
}

#[test]
fn bad_shapes_and_layouts() {
    sample_fails(&["--shape", "784"], "rank >= 2");
    sample_fails(&["--shape", ""], "rank >= 2");
    sample_fails(&["--shape", "40,x"], "--shape");
    sample_fails(&["--shape", "-3,4"], "--shape");
    sample_fails(
        &["--shape", "4294967296,4294967296,4294967296"],
        "more elements than fit",
    );
    sample_fails(
        &["--groups", "3", "--shape", "40,96"],
        "groups (3) must divide",
    );
    sample_fails(&["--groups", "0"], "groups must be >= 1");
    sample_fails(&["--layout", "sideways"], "unknown layout");
    sample_fails(
        &["--layout", "axes(in=[0],out=[5])"],
        "axis 5 is out of range",
    );
    sample_fails(&["--dtype", "f8"], "--dtype");
    sample_fails(&["--threads", "0"], "--threads");
}

#[test]
fn bad_outputs() {
    sample_fails(&["--out", "/nonexistent-dir/w.npy"], "/nonexistent-dir");
    sample_fails(&["--out", "/proc/w.npy"], "/proc");
    sample_fails(&["--out", "weights.txt"], ".txt");
    sample_fails(&["--dtype", "bf16"], "bf16");
    // f16 overflows: a normal with std 1e5 has values beyond 65504.
    sample_fails(
        &["--scheme", "normal(std=1e5)", "--dtype", "f16"],
        "overflows f16",
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec![],
        vec!["sample"],
        vec!["frobnicate"],
        vec!["sample", "--scheme", "zeros"],
        vec!["verify", "--samples", "x"],
    ] {
        let output = initspec().args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    }
    let output = initspec()
        .args(["verify", "--samples", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = initspec()
        .args(["verify", "--alpha", "2"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// Truncated and byte-flipped copies of good files: `audit` and `identify` answer each with
/// a verdict or a one-line error (exit 2), never a panic.
#[test]
fn damaged_files_never_panic_audit_or_identify() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["good.npy", "good.safetensors"] {
        let good = dir.path().join(file);
        let status = initspec()
            .args([
                "sample",
                "--scheme",
                "he_normal",
                "--shape",
                "12,34",
                "--out",
            ])
            .arg(&good)
            .output()
            .unwrap();
        assert!(status.status.success());
        let bytes = std::fs::read(&good).unwrap();
        let bad = dir
            .path()
            .join(format!("bad.{}", file.split('.').next_back().unwrap()));
        let mut cases: Vec<Vec<u8>> = [
            0,
            1,
            7,
            8,
            9,
            40,
            64,
            127,
            128,
            bytes.len() / 2,
            bytes.len() - 1,
        ]
        .iter()
        .map(|&n| bytes[..n.min(bytes.len())].to_vec())
        .collect();
        // Every truncation is malformed: the header or the data length no longer agrees.
        let truncations = cases.len();
        // Deterministic byte flips (xorshift), in the header and in the data.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..40 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut copy = bytes.clone();
            let at = (state % copy.len() as u64) as usize;
            copy[at] ^= 1 << (state >> 61);
            cases.push(copy);
        }
        for (i, case) in cases.iter().enumerate() {
            std::fs::write(&bad, case).unwrap();
            for command in [vec!["audit", "--scheme", "he_normal"], vec!["identify"]] {
                let output = initspec().args(&command).arg(&bad).output().unwrap();
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert!(
                    !stderr.contains("panicked"),
                    "{file} case {i} {command:?}: {stderr}"
                );
                let code = output.status.code();
                match code {
                    // Refused: one line naming the file.
                    Some(2) => {
                        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
                        assert!(stderr.contains("bad."), "{file} case {i}: {stderr}");
                    }
                    // A flip the format cannot detect (in the data): a full report, no error.
                    Some(0 | 1) => {
                        assert!(i >= truncations, "{file} truncation {i} was accepted");
                        assert!(stderr.is_empty(), "{file} case {i}: {stderr}");
                        assert!(!output.stdout.is_empty(), "{file} case {i}: no report");
                    }
                    other => panic!("{file} case {i} {command:?}: exit {other:?}"),
                }
            }
        }
    }
}
