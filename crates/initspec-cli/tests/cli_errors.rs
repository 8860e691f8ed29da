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
/// The status each command must give for a damaged copy of a valid file of `he_normal`
/// [12, 34] f32 values (law N(0, σ²) cut to ±b), by where the damage is:
///
/// - a truncation: the header or the data length no longer agrees: 2 for both commands;
/// - a bit flipped in the header: 2, unless the flip is inside a string of the
///   `.safetensors` `__metadata__` object and leaves a printable ASCII character other than
///   `"` and `\`: the header is then still valid JSON and `audit --scheme` does not read the
///   metadata, so the file audits as the intact one (0);
/// - a bit flipped in the data: one value changes; `audit` fails (1) when it is no longer
///   finite or lies beyond ±b rounded to f32 (the exact `finite` and `support` checks), and
///   passes (0) otherwise: one value of 408 moves the KS distance by at most 1/408 and the
///   other statistics as little, while the intact file's smallest p-value is far above
///   α = 1e-6 (asserted below); `identify` reports on any readable file (0).
struct Damage<'a> {
    bytes: &'a [u8],
    npy: bool,
    bound: f32,
}

impl Damage<'_> {
    /// Where the data section starts (the files are version 1 `.npy`, or `.safetensors`).
    fn data_start(&self) -> usize {
        if self.npy {
            10 + usize::from(u16::from_le_bytes([self.bytes[8], self.bytes[9]]))
        } else {
            let mut n = [0u8; 8];
            n.copy_from_slice(&self.bytes[..8]);
            8 + usize::try_from(u64::from_le_bytes(n)).unwrap()
        }
    }

    /// Whether `at` is inside a string of the `__metadata__` object of a `.safetensors`
    /// header (whose strings hold no escapes).
    fn in_metadata_string(&self, at: usize) -> bool {
        if self.npy {
            return false;
        }
        let header = &self.bytes[8..self.data_start()];
        let key = b"\"__metadata__\":{";
        let Some(open) = header.windows(key.len()).position(|w| w == key) else {
            return false;
        };
        // Walk the object from its opening brace (on the intact bytes), toggling at quotes,
        // until the flipped position or the object's closing brace.
        let mut inside = false;
        for (i, &c) in header.iter().enumerate().skip(open + key.len()) {
            if i + 8 == at {
                return inside && c != b'"';
            }
            match c {
                b'"' => inside = !inside,
                b'}' if !inside => return false,
                _ => {}
            }
        }
        false
    }

    /// The statuses of `audit --scheme he_normal` and `identify` for the bit flip `at`.
    fn expected(&self, damaged: &[u8], at: usize) -> (i32, i32) {
        let start = self.data_start();
        if at < start {
            let c = damaged[at];
            let printable = (0x20..=0x7e).contains(&c) && c != b'"' && c != b'\\';
            return if self.in_metadata_string(at) && printable {
                (0, 0)
            } else {
                (2, 2)
            };
        }
        let element = start + (at - start) / 4 * 4;
        let mut word = [0u8; 4];
        word.copy_from_slice(&damaged[element..element + 4]);
        let value = f32::from_le_bytes(word);
        let audit = if value.is_finite() && value.abs() <= self.bound {
            0
        } else {
            1
        };
        (audit, 0)
    }
}

#[test]
fn damaged_files_get_the_status_their_damage_calls_for() {
    let dir = tempfile::tempdir().unwrap();
    let law: initspec::Law = "he_normal"
        .parse::<initspec::Scheme>()
        .unwrap()
        .resolve(&[12, 34], &initspec::Layout::OutIn, 1)
        .unwrap();
    let initspec::Law::TruncatedNormal(t) = law else {
        panic!("{law}")
    };
    let bound = t.b() as f32;
    // The audits run at the suite's α = 1e-6.
    let audit_args = ["audit", "--scheme", "he_normal", "--alpha", "1e-6"];
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
        // The positive control: the intact file passes, with every p-value far above α.
        let intact = initspec()
            .args(audit_args)
            .arg(&good)
            .arg("--json")
            .output()
            .unwrap();
        assert_eq!(intact.status.code(), Some(0), "{file}");
        let report: serde_json::Value = serde_json::from_slice(&intact.stdout).unwrap();
        for check in report["checks"].as_array().unwrap() {
            let p = check["p_value"].as_f64().unwrap();
            assert!(p > 1e-3, "{file}: intact {check}");
        }
        let bytes = std::fs::read(&good).unwrap();
        let damage = Damage {
            bytes: &bytes,
            npy: file.ends_with(".npy"),
            bound,
        };
        let bad = dir
            .path()
            .join(format!("bad.{}", file.split('.').next_back().unwrap()));
        let mut cases: Vec<(Vec<u8>, Option<usize>)> = [
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
        .map(|&n| (bytes[..n.min(bytes.len())].to_vec(), None))
        .collect();
        // Deterministic byte flips (xorshift), in the header and in the data.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..40 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut copy = bytes.clone();
            let at = (state % copy.len() as u64) as usize;
            copy[at] ^= 1 << (state >> 61);
            cases.push((copy, Some(at)));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, (case, flipped)) in cases.iter().enumerate() {
            std::fs::write(&bad, case).unwrap();
            let (want_audit, want_identify) = match flipped {
                None => (2, 2),
                Some(at) => damage.expected(case, *at),
            };
            for (command, want) in [
                (&audit_args[..], want_audit),
                (&["identify"][..], want_identify),
            ] {
                let output = initspec().args(command).arg(&bad).output().unwrap();
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert_eq!(
                    output.status.code(),
                    Some(want),
                    "{file} case {i} (flip {flipped:?}) {command:?}: {stderr}"
                );
                seen.insert(want);
                if want == 2 {
                    // Refused: one line naming the file.
                    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
                    assert!(stderr.contains("bad."), "{file} case {i}: {stderr}");
                } else {
                    // A full report, no error.
                    assert!(stderr.is_empty(), "{file} case {i}: {stderr}");
                    assert!(!output.stdout.is_empty(), "{file} case {i}: no report");
                }
            }
        }
        // The cases reach every status: refused, failing and passing.
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), [0, 1, 2], "{file}");
    }
}

#[test]
fn missing_required_arguments_are_named() {
    for (args, named) in [
        (
            vec!["train"],
            vec!["--init", "--activation", "--depth", "--width"],
        ),
        (vec!["init"], vec!["--manifest", "--out"]),
        (vec!["sample", "--shape", "4,4"], vec!["--scheme", "--out"]),
    ] {
        let output = initspec().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        for name in named {
            assert!(
                stderr.contains(name),
                "{args:?} does not name {name}: {stderr}"
            );
        }
    }
}
