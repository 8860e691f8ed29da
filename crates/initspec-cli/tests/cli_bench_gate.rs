//! The performance regression gate of `initspec bench` (`--save`, `--baseline`,
//! `--max-regression`) through the real binary. Timings are never asserted: the gate's
//! verdict is forced by baselines whose ratios no machine can miss (a kernel 10⁶ times faster
//! than memset) or always meets (10⁻⁹ of memset), and what is checked is the exit status, the
//! table and the JSON it gives for them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

/// A small run: 4096 elements, 2 rounds, at most 2 threads.
const SMALL: [&str; 6] = ["--size", "4096", "--reps", "2", "--threads", "2"];

fn initspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_initspec"))
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("initspec-bench-gate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn bench(extra: &[&str]) -> Output {
    let mut args = vec!["bench"];
    args.extend_from_slice(&SMALL);
    args.extend_from_slice(extra);
    initspec(&args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A baseline naming every kernel the run tracks, each with ratio `ratio` to memset.
fn baseline_with_ratio(saved: &Value, ratio: f64, path: &Path) {
    let mut forged = saved.clone();
    for row in forged["tracked"].as_array_mut().unwrap() {
        row["vs_memset"] = json!(ratio);
    }
    std::fs::write(path, serde_json::to_string(&forged).unwrap()).unwrap();
}

#[test]
fn save_then_gate_against_forged_baselines() {
    let dir = scratch("gate");
    let saved_path = dir.join("base.json");
    let saved_arg = saved_path.to_str().unwrap();
    let run = bench(&["--save", saved_arg]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&saved_path).unwrap()).unwrap();
    // The saved report tracks the six fill kernels in two widths and the audit, at 1 and 2
    // threads, each with a median ratio inside its spread.
    let tracked = saved["tracked"].as_array().unwrap();
    assert_eq!(tracked.len(), 14, "{saved}");
    assert!(tracked.iter().any(|t| t["kernel"] == "audit_f32"));
    for t in tracked {
        let (m, lo, hi) = (
            t["vs_memset"].as_f64().unwrap(),
            t["vs_memset_low"].as_f64().unwrap(),
            t["vs_memset_high"].as_f64().unwrap(),
        );
        assert!(lo > 0.0 && lo <= m && m <= hi, "{t}");
    }
    assert_eq!(saved["audit"][0]["shape"], json!([64, 64]));
    assert!(saved["audit"][0]["samples_per_sec"].as_f64().unwrap() > 0.0);
    // Nothing but the report is left in the directory.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);

    // The saved run is a valid baseline for the next (its verdict depends on the machine).
    let again = bench(&["--baseline", saved_arg]);
    assert!(
        matches!(again.status.code(), Some(0 | 1)),
        "{}",
        text(&again.stderr)
    );
    assert!(text(&again.stdout).contains("against the baseline"));

    // A baseline no kernel can reach: every one-thread kernel is a regression (the
    // two-thread rows are info unless --gate-threads all), exit 1.
    let fast = dir.join("impossible.json");
    baseline_with_ratio(&saved, 1e6, &fast);
    let gated = bench(&["--baseline", fast.to_str().unwrap(), "--json"]);
    assert_eq!(gated.status.code(), Some(1), "{}", text(&gated.stderr));
    let report: Value = serde_json::from_slice(&gated.stdout).unwrap();
    assert_eq!(report["gate"]["regressions"], json!(7));
    for r in report["gate"]["rows"].as_array().unwrap() {
        let expected = if r["threads"] == 1 {
            "regression"
        } else {
            "info"
        };
        assert_eq!(r["status"], expected, "{r}");
    }
    let table = bench(&[
        "--baseline",
        fast.to_str().unwrap(),
        "--gate-threads",
        "all",
    ]);
    assert_eq!(table.status.code(), Some(1));
    assert!(
        text(&table.stdout).contains("gate: FAIL (14 kernel(s)"),
        "{}",
        text(&table.stdout)
    );

    // A baseline every kernel beats: exit 0, and a kernel the baseline lacks is "new".
    let slow = dir.join("easy.json");
    let mut easy = saved.clone();
    easy["tracked"]
        .as_array_mut()
        .unwrap()
        .retain(|t| t["kernel"] != "audit_f32");
    baseline_with_ratio(&easy, 1e-9, &slow);
    let passed = bench(&["--baseline", slow.to_str().unwrap(), "--json"]);
    assert_eq!(passed.status.code(), Some(0), "{}", text(&passed.stderr));
    let report: Value = serde_json::from_slice(&passed.stdout).unwrap();
    let rows = report["gate"]["rows"].as_array().unwrap();
    assert_eq!(rows.iter().filter(|r| r["status"] == "new").count(), 2);
    assert_eq!(rows.iter().filter(|r| r["status"] == "ok").count(), 6);
    assert_eq!(rows.iter().filter(|r| r["status"] == "info").count(), 6);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_gate_arguments_are_one_line_errors_before_any_work() {
    let dir = scratch("errors");
    let good = dir.join("base.json");
    std::fs::write(
        &good,
        r#"{"size": 4096, "kernel_path": "x", "tracked": [{"kernel": "normal_f32", "threads": 1, "vs_memset": 0.5}]}"#,
    )
    .unwrap();
    let not_json = dir.join("notes.json");
    std::fs::write(&not_json, "hello").unwrap();
    let other_size = dir.join("big.json");
    std::fs::write(
        &other_size,
        r#"{"size": 16777216, "kernel_path": "x", "tracked": []}"#,
    )
    .unwrap();
    let missing = dir.join("missing.json");
    let (txt, nowhere) = (dir.join("out.txt"), dir.join("no/such/dir.json"));
    let cases: [(&[&str], &str); 6] = [
        (&["--save", txt.to_str().unwrap()], "must end in .json"),
        (
            &["--save", nowhere.to_str().unwrap()],
            "cannot write into directory",
        ),
        (
            &["--baseline", missing.to_str().unwrap()],
            "cannot read the baseline",
        ),
        (&["--baseline", not_json.to_str().unwrap()], "is not JSON"),
        (
            &["--baseline", other_size.to_str().unwrap()],
            "was measured with --size 16777216",
        ),
        (
            &[
                "--baseline",
                good.to_str().unwrap(),
                "--max-regression",
                "100",
            ],
            "--max-regression must be",
        ),
    ];
    for (extra, expected) in cases {
        let out = bench(extra);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{extra:?}: {stderr}");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{extra:?}: nothing measured");
    }
    assert!(!txt.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
