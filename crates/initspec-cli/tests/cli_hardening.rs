//! The command-line contract under hostile input, through the real binary: every request
//! ends with exit status 0, 1 or 2 (or 128 + N when stopped by signal N), one line on
//! standard error when it fails, never a panic, and no file left behind, half-written or
//! temporary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The level at which a test audits our own draws and expects them to pass: the suite's
/// per-assertion α (docs/VERIFICATION.md, "Statistical policy").
const SUITE_ALPHA: &str = "1e-6";

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_initspec"))
}

fn run(args: &[&str]) -> Output {
    Command::new(binary()).args(args).output().unwrap()
}

/// Runs `args` under `bash -c 'ulimit -v KIB; exec initspec ...'`.
fn run_with_address_limit(kib: u64, args: &[&str]) -> Output {
    let mut script = format!("ulimit -v {kib}; exec '{}'", binary().display());
    for a in args {
        script.push_str(&format!(" '{a}'"));
    }
    Command::new("bash").args(["-c", &script]).output().unwrap()
}

/// Asserts exit status 2 and one line on standard error that contains `needle`.
fn fails_with(output: &Output, needle: &str, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{what}: {stderr}");
    assert!(
        stderr.contains(needle),
        "{what}: {stderr:?} does not mention {needle:?}"
    );
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn sample_into(dir: &Path, file: &str, extra: &[&str]) -> PathBuf {
    let path = dir.join(file);
    let mut args = vec!["sample", "--out", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = run(&args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    path
}

#[test]
fn size_options_are_capped_before_anything_is_allocated() {
    let u64_max = "18446744073709551615";
    let cases: &[(&[&str], &str)] = &[
        (
            &["calibrate", "--trials", u64_max],
            "--trials must be between",
        ),
        (
            &["calibrate", "--trials", "1000000000"],
            "--trials must be between",
        ),
        (
            &["calibrate", "--samples", u64_max],
            "--samples must be between",
        ),
        (
            &["calibrate", "--threads", "100000"],
            "--threads must be between",
        ),
        (
            &["bench", "--size", "16", "--reps", u64_max],
            "--reps must be between",
        ),
        (
            &["bench", "--size", "16", "--reps", "100000000000"],
            "--reps must be between",
        ),
        (&["bench", "--size", u64_max], "--size must be between"),
        (
            &["bench", "--size", "16", "--threads", "20000"],
            "--threads must be between",
        ),
        (
            &["verify", "--threads", "100000"],
            "--threads must be between",
        ),
        (
            &[
                "propagate",
                "--init",
                "normal(std=0.01)",
                "--activation",
                "linear",
                "--depth",
                "1",
                "--width",
                "1073741824",
                "--batch",
                "1",
            ],
            "propagate needs",
        ),
        // 10⁷² weights of 8 bytes: 800 TB, more than any machine that runs this suite.
        (
            &[
                "propagate",
                "--init",
                "normal(std=0.01)",
                "--activation",
                "linear",
                "--depth",
                "1",
                "--width",
                "10000000",
                "--batch",
                "1",
            ],
            "propagate needs",
        ),
        (
            &[
                "propagate",
                "--init",
                "normal(std=0.01)",
                "--activation",
                "linear",
                "--depth",
                u64_max,
                "--width",
                "4",
            ],
            "--depth must be between",
        ),
        (
            &[
                "propagate",
                "--init",
                "normal",
                "--activation",
                "linear",
                "--widths",
                "4,4,4",
                "--batch",
                u64_max,
            ],
            "propagate needs",
        ),
        (
            &[
                "sample",
                "--scheme",
                "normal",
                "--shape",
                "8,8",
                "--threads",
                "20000",
                "--out",
                "never.npy",
            ],
            "--threads must be between",
        ),
        (
            &[
                "sample",
                "--scheme",
                "normal",
                "--shape",
                "8,8",
                "--threads",
                "100000",
                "--out",
                "never.npy",
            ],
            "--threads must be between",
        ),
    ];
    for (args, needle) in cases {
        fails_with(&run(args), needle, &format!("{args:?}"));
    }
    assert!(!Path::new("never.npy").exists());
}

#[test]
fn a_failed_write_to_standard_output_is_status_2_and_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = sample_into(
        dir.path(),
        "good.npy",
        &["--scheme", "normal", "--shape", "64,64"],
    );
    let good = good.to_str().unwrap();
    let out = dir.path().join("s.npy");
    let commands: [Vec<&str>; 4] = [
        vec!["audit", good, "--scheme", "normal"],
        vec!["identify", good],
        vec!["verify", "--samples", "2000"],
        vec![
            "sample",
            "--scheme",
            "normal",
            "--shape",
            "4,4",
            "--out",
            out.to_str().unwrap(),
        ],
    ];
    for args in &commands {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let output = Command::new(binary())
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        fails_with(
            &output,
            "cannot write to standard output",
            &format!("{args:?}"),
        );
    }
}

#[test]
fn a_closed_pipe_keeps_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample_into(
        dir.path(),
        "w.npy",
        &["--scheme", "normal", "--shape", "256,256"],
    );
    // Our own draw audited at the suite's α = 1e-6 (docs/VERIFICATION.md), not the audit's
    // default 1e-3, so that the positive case fails by chance with probability ≤ 1e-6.
    for (scheme, expected) in [("normal(std=100)", 1), ("normal", 0)] {
        let mut child = Command::new(binary())
            .args([
                "audit",
                file.to_str().unwrap(),
                "--scheme",
                scheme,
                "--alpha",
                SUITE_ALPHA,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the audit has printed anything.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{scheme}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.stderr.is_empty(), "a closed pipe is not an error");
    }
}

#[test]
fn allocations_beyond_the_address_space_limit_are_refused_with_the_figure() {
    let dir = tempfile::tempdir().unwrap();
    // 2²² f32 values: the audit needs ~70 MiB, more than a 60 MiB address space leaves.
    let file = sample_into(
        dir.path(),
        "w.npy",
        &["--scheme", "normal", "--shape", "2048,2048"],
    );
    let output = run_with_address_limit(
        60_000,
        &[
            "audit",
            file.to_str().unwrap(),
            "--scheme",
            "normal",
            "--threads",
            "1",
        ],
    );
    // `audit` has no --threads option: the parser refuses it in one line, before any memory.
    fails_with(&output, "unexpected argument", "audit --threads");
    let output = run_with_address_limit(
        60_000,
        &["audit", file.to_str().unwrap(), "--scheme", "normal"],
    );
    fails_with(&output, "needs", "audit under ulimit -v");
    let output = run_with_address_limit(60_000, &["identify", file.to_str().unwrap()]);
    fails_with(&output, "needs", "identify under ulimit -v");
    let out = dir.path().join("q.npy");
    let output = run_with_address_limit(
        2_000_000,
        &[
            "sample",
            "--scheme",
            "orthogonal",
            "--shape",
            "1048576,64",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    fails_with(&output, "GiB of memory", "orthogonal under ulimit -v");
    assert_eq!(entries(dir.path()), ["w.npy"]);
}

/// Starts `sample` of 2²⁸ f32 values (1 GiB) into `dir`, waits until its temporary file
/// exists, sends `signal` and returns the exit status.
fn interrupt_sample(dir: &Path, signal: &str) -> Option<i32> {
    let out = dir.join("big.npy");
    let mut child = Command::new(binary())
        .args([
            "sample",
            "--scheme",
            "normal",
            "--shape",
            "16384,16384",
            "--threads",
            "1",
        ])
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while entries(dir).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no temporary file appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(50));
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    child.wait().unwrap().code()
}

#[cfg(unix)]
#[test]
fn termination_signals_leave_no_file_behind() {
    for (signal, number) in [("-INT", 2), ("-TERM", 15), ("-HUP", 1)] {
        let dir = tempfile::tempdir().unwrap();
        let code = interrupt_sample(dir.path(), signal);
        assert_eq!(code, Some(128 + number), "{signal}");
        assert!(
            entries(dir.path()).is_empty(),
            "{signal} left {:?}",
            entries(dir.path())
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_temporary_left_by_sigkill_is_removed_by_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let code = interrupt_sample(dir.path(), "-KILL");
    assert_eq!(code, None, "SIGKILL ends the process without a status");
    let left = entries(dir.path());
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].contains(".initspec-tmp-"), "{left:?}");
    sample_into(
        dir.path(),
        "next.npy",
        &["--scheme", "normal", "--shape", "4,4"],
    );
    assert_eq!(entries(dir.path()), ["next.npy"]);
}

#[test]
fn output_names_up_to_255_bytes_are_written() {
    let dir = tempfile::tempdir().unwrap();
    for len in [245, 250, 255] {
        let name = format!("{}.npy", "w".repeat(len - 4));
        sample_into(dir.path(), &name, &["--scheme", "normal", "--shape", "4,4"]);
        assert!(dir.path().join(&name).exists(), "{len}");
    }
    assert_eq!(entries(dir.path()).len(), 3);
}

#[cfg(unix)]
#[test]
fn inputs_that_are_not_regular_files_are_refused_before_opening() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("f.npy");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let zero = dir.path().join("z.npy");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let folder = dir.path().join("d.safetensors");
    std::fs::create_dir(&folder).unwrap();
    for (path, kind) in [
        (&fifo, "a FIFO"),
        (&zero, "a character device"),
        (&folder, "a directory"),
    ] {
        let path = path.to_str().unwrap();
        for args in [
            vec!["audit", path, "--scheme", "normal"],
            vec!["identify", path],
        ] {
            // A FIFO would block open() forever: the test would hang, not fail, without the check.
            fails_with(&run(&args), kind, &format!("{args:?}"));
        }
    }
}

/// A .safetensors file with a BatchNorm-like layout: a float weight, an I64
/// `num_batches_tracked` and an empty float tensor.
fn mixed_safetensors(dir: &Path) -> PathBuf {
    use safetensors::tensor::{Dtype, TensorView};
    let weight_values: Vec<f32> = {
        let w = sample_into(dir, "w.npy", &["--scheme", "he_normal", "--shape", "64,32"]);
        let bytes = std::fs::read(&w).unwrap();
        std::fs::remove_file(&w).unwrap();
        bytes[128..]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    let weight: Vec<u8> = weight_values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let counter = 7i64.to_le_bytes().to_vec();
    let tensors = [
        (
            "bn.weight",
            TensorView::new(Dtype::F32, vec![64, 32], &weight).unwrap(),
        ),
        (
            "bn.num_batches_tracked",
            TensorView::new(Dtype::I64, vec![], &counter).unwrap(),
        ),
        (
            "bn.empty",
            TensorView::new(Dtype::F32, vec![0, 3], &[]).unwrap(),
        ),
    ];
    let path = dir.join("mixed.safetensors");
    safetensors::serialize_to_file(tensors, None, &path).unwrap();
    path
}

#[test]
fn non_float_and_empty_tensors_are_skipped_unless_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = mixed_safetensors(dir.path());
    let file = file.to_str().unwrap();
    let audit = run(&[
        "audit",
        file,
        "--scheme",
        "he_normal",
        "--alpha",
        SUITE_ALPHA,
    ]);
    let stdout = String::from_utf8_lossy(&audit.stdout);
    assert_eq!(
        audit.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&audit.stderr)
    );
    assert!(
        stdout.contains(
            "skipped tensor \"bn.num_batches_tracked\": dtype I64 is not a floating-point type"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("skipped tensor \"bn.empty\": shape [0, 3] holds no values"),
        "{stdout}"
    );
    let identify = run(&["identify", file, "--json"]);
    assert_eq!(identify.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&identify.stdout).unwrap();
    assert_eq!(json["tensors"].as_array().unwrap().len(), 1);
    assert_eq!(json["skipped"].as_array().unwrap().len(), 2);
    for command in ["audit", "identify"] {
        let mut args = vec![command, file, "--tensor", "bn.num_batches_tracked"];
        if command == "audit" {
            args.extend(["--scheme", "he_normal"]);
        }
        fails_with(
            &run(&args),
            "is not a floating-point type",
            &format!("{args:?}"),
        );
        let args = [command, file, "--tensor", "bn.empty", "--scheme", "normal"];
        let args = if command == "audit" {
            &args[..]
        } else {
            &args[..4]
        };
        fails_with(&run(args), "there is nothing to test", &format!("{args:?}"));
    }
}

#[test]
fn an_empty_npy_has_nothing_to_audit() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample_into(
        dir.path(),
        "e.npy",
        &["--scheme", "normal", "--shape", "0,5"],
    );
    let file = file.to_str().unwrap();
    fails_with(
        &run(&["audit", file, "--scheme", "normal"]),
        "there is nothing to test",
        "audit",
    );
    fails_with(
        &run(&["identify", file]),
        "there is nothing to test",
        "identify",
    );
}

#[test]
fn sample_refuses_laws_its_dtype_cannot_hold() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w.safetensors");
    let out = out.to_str().unwrap();
    let cases = [
        ("normal(std=1e-50)", "f32", "below 1.401298464324817e-45"),
        ("normal(std=1e-9)", "f16", "below 5.960464477539063e-8"),
        ("normal(mean=1e6, std=1e-3)", "bf16", "below 4.096e3"),
        ("constant(value=1e-50)", "f32", "rounds to 0"),
    ];
    for (scheme, dtype, needle) in cases {
        let args = [
            "sample", "--scheme", scheme, "--shape", "8,8", "--dtype", dtype, "--out", out,
        ];
        fails_with(&run(&args), needle, scheme);
        assert!(entries(dir.path()).is_empty());
        let mut lossy = args.to_vec();
        lossy.push("--allow-lossy-dtype");
        assert!(
            run(&lossy).status.success(),
            "{scheme} with --allow-lossy-dtype"
        );
        std::fs::remove_file(out).unwrap();
    }
    // Ordinary requests stay accepted in every dtype.
    for dtype in ["f16", "bf16", "f32", "f64"] {
        for scheme in [
            "xavier_uniform",
            "he_normal",
            "normal(std=0.02)",
            "orthogonal",
            "zeros",
        ] {
            let args = [
                "sample", "--scheme", scheme, "--shape", "64,48", "--dtype", dtype, "--out", out,
            ];
            assert!(run(&args).status.success(), "{scheme} {dtype}");
        }
    }
}

#[test]
fn smaller_contract_items() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A zero dimension empties the tensor wherever it stands, but the other dimensions must
    // still multiply within 64 bits: [2³², 2³², 0] and [0, 2³², 2³²] are refused alike, and
    // [2¹⁶, 0, 2¹⁶] is accepted, for every scheme and layout.
    let z = d.join("z.npy");
    let z = z.to_str().unwrap();
    let (huge, big) = (4_294_967_296_usize.to_string(), 65_536_usize.to_string());
    for scheme in [
        "xavier_uniform",
        "normal",
        "orthogonal",
        "sparse(sparsity=0.5)",
        "eye",
    ] {
        for layout in ["out-in", "in-out", "transposed", "axes(in=[1], out=[0])"] {
            for shape in [format!("{huge},{huge},0"), format!("0,{huge},{huge}")] {
                let args = [
                    "sample", "--scheme", scheme, "--shape", &shape, "--layout", layout, "--out", z,
                ];
                fails_with(
                    &run(&args),
                    "more elements than fit in 64 bits",
                    &format!("{args:?}"),
                );
            }
            let shape = format!("{big},0,{big}");
            let args = [
                "sample", "--scheme", scheme, "--shape", &shape, "--layout", layout, "--out", z,
            ];
            let output = run(&args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            // Structured schemes may refuse a layout (eye needs rank 2): one line, never a panic.
            assert!(
                matches!(output.status.code(), Some(0 | 2)),
                "{args:?}: {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        }
    }
    std::fs::remove_file(z).ok();
    // A law quantity out of range names the scheme, not an internal parameter.
    let out = d.join("k.npy");
    let output = run(&[
        "sample",
        "--scheme",
        "kaiming_uniform(a=1e200)",
        "--shape",
        "4,4",
        "--out",
        out.to_str().unwrap(),
    ]);
    fails_with(
        &output,
        "kaiming_uniform(a=1e200) with fan_in 4 and fan_out 4 gives the law's bound = 0",
        "a=1e200",
    );
    // identify validates --groups and --layout as audit does.
    let good = sample_into(d, "g.npy", &["--scheme", "he_normal", "--shape", "12,34"]);
    let good = good.to_str().unwrap();
    for extra in [["--groups", "0"], ["--layout", "axes(in=[5], out=[0])"]] {
        for command in ["audit", "identify"] {
            let mut args = vec![command, good];
            if command == "audit" {
                args.extend(["--scheme", "he_normal"]);
            }
            args.extend(extra);
            let output = run(&args);
            let needle = if extra[0] == "--groups" {
                "--groups must be at least 1"
            } else {
                "axis 5 is out of range"
            };
            fails_with(&output, needle, &format!("{args:?}"));
        }
    }
    // Parser errors are one line and point at --help.
    for args in [
        vec!["sample", "--bogus"],
        vec!["audit"],
        vec!["frobnicate"],
        vec![],
    ] {
        let output = run(&args);
        fails_with(&output, "see initspec --help", &format!("{args:?}"));
    }
    let help = run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("propagate"));
    // A .npy header beyond the documented 1 MiB limit is refused before it is parsed.
    let mut huge = b"\x93NUMPY\x02\x00".to_vec();
    let header_len: u32 = (1 << 20) + 64;
    huge.extend_from_slice(&header_len.to_le_bytes());
    huge.extend(std::iter::repeat_n(b' ', header_len as usize));
    let path = d.join("huge_header.npy");
    std::fs::write(&path, &huge).unwrap();
    fails_with(
        &run(&["audit", path.to_str().unwrap(), "--scheme", "normal"]),
        "larger than the limit of 1048576 bytes",
        "npy header cap",
    );
    // --plot writes SVG, so it needs an .svg name; refused before any work.
    let png = d.join("p.png");
    let output = run(&[
        "propagate",
        "--init",
        "normal",
        "--activation",
        "tanh",
        "--depth",
        "2",
        "--width",
        "4",
        "--plot",
        png.to_str().unwrap(),
    ]);
    fails_with(&output, "must end in .svg", "--plot p.png");
    assert!(!png.exists());
    // 2⁴⁰ f32 values need 4 TiB: refused with the figure before a byte is written.
    let big = d.join("big.npy");
    let output = run(&[
        "sample",
        "--scheme",
        "normal",
        "--shape",
        "1048576,1048576",
        "--out",
        big.to_str().unwrap(),
    ]);
    fails_with(&output, "needs 4398046511232 bytes", "2^40 elements");
    let left: Vec<String> = entries(d)
        .into_iter()
        .filter(|e| e.contains("initspec-tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
