//! `initspec train` through the binary: its JSON contract, the same numbers on one and two
//! threads, the learning-curve SVG, and one-line errors (exit 2) for bad input; and
//! `initspec propagate --init lsuv` reaching unit spread at every layer for every activation.

use std::process::{Command, Output};

use serde_json::Value;

fn initspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_initspec"))
        .args(args)
        .output()
        .unwrap()
}

fn json_of(args: &[&str]) -> Value {
    let output = initspec(args);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

const SMALL: [&str; 8] = [
    "--activation",
    "relu",
    "--depth",
    "3",
    "--width",
    "32",
    "--epochs",
    "3",
];

#[test]
fn json_contract_and_thread_invariance() {
    let run = |threads: &str| {
        let mut args = vec!["train", "--init", "kaiming_normal(nonlinearity=relu)"];
        args.extend(SMALL);
        args.extend([
            "--seeds",
            "3",
            "--seed",
            "5",
            "--threads",
            threads,
            "--json",
        ]);
        initspec(&args).stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"), "the numbers depend on the thread count");
    let v: Value = serde_json::from_slice(&one).unwrap();
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    for (i, r) in runs.iter().enumerate() {
        assert_eq!(r["seed"], 5 + i as u64);
        assert_eq!(r["init"], "kaiming_normal(nonlinearity=relu)");
        let epochs = r["epochs"].as_array().unwrap();
        assert_eq!(epochs.len(), 3);
        for (e, ep) in epochs.iter().enumerate() {
            assert_eq!(ep["epoch"], e as u64 + 1);
            assert!(ep["train_loss"].as_f64().unwrap() > 0.0);
            let acc = ep["test_accuracy"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&acc));
        }
        assert_eq!(r["test_accuracy"], epochs[2]["test_accuracy"]);
    }
    let accs: Vec<f64> = runs
        .iter()
        .map(|r| r["test_accuracy"].as_f64().unwrap())
        .collect();
    let mean = accs.iter().sum::<f64>() / 3.0;
    let summary = &v["summary"];
    assert!((summary["test_accuracy_mean"].as_f64().unwrap() - mean).abs() < 1e-12);
    assert!(summary["test_accuracy_sd"].as_f64().unwrap() >= 0.0);
    assert_eq!(summary["runs"], 3);
}

#[test]
fn lsuv_reports_its_scales_and_transfer_its_source() {
    let mut args = vec!["train", "--init", "lsuv"];
    args.extend(SMALL);
    args.push("--json");
    let v = json_of(&args);
    let layers = v["runs"][0]["init_details"].as_array().unwrap();
    assert_eq!(layers.len(), 4); // 3 hidden layers and the output layer
    for l in layers {
        assert!((l["final_std"].as_f64().unwrap() - 1.0).abs() < 0.1, "{l}");
        assert!(l["scale"].as_f64().unwrap() > 0.0);
    }
    let mut args = vec!["train", "--init", "transfer"];
    args.extend(SMALL);
    args.push("--json");
    let v = json_of(&args);
    assert_eq!(v["digits"], serde_json::json!([5, 6, 7, 8, 9]));
    let details = &v["runs"][0]["init_details"];
    assert_eq!(details["source_digits"], serde_json::json!([0, 1, 2, 3, 4]));
    assert!(details["source_test_accuracy"].as_f64().unwrap() > 0.5);
}

#[test]
fn the_plot_is_an_svg_with_a_band() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("curves.svg");
    let mut args = vec!["train", "--init", "xavier_uniform"];
    args.extend(SMALL);
    let path_text = path.to_str().unwrap().to_string();
    args.extend(["--seeds", "2", "--plot", &path_text]);
    let output = initspec(&args);
    assert!(output.status.success());
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("<polygon") && svg.contains("<polyline"));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("test accuracy") && text.contains("mean ± sd over 2 seeds"));
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let malformed = dir.path().join("bad.csv");
    std::fs::write(&malformed, "1,2,3\n").unwrap();
    let missing = dir.path().join("missing.csv");
    let (malformed, missing) = (
        malformed.to_str().unwrap().to_string(),
        missing.to_str().unwrap().to_string(),
    );
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--init", "xavier_uniformm"], "invalid --init"),
        (
            vec!["--init", "xavier_uniform", "--data", &missing],
            "cannot read --data",
        ),
        (
            vec!["--init", "xavier_uniform", "--data", &malformed],
            "line 1: 3 comma-separated fields",
        ),
        (
            vec!["--init", "xavier_uniform", "--depth", "51"],
            "--depth must lie in 1..=50",
        ),
        (
            vec!["--init", "xavier_uniform", "--width", "5000"],
            "--width must lie in 1..=1024",
        ),
        (
            vec!["--init", "xavier_uniform", "--labels", "0"],
            "--labels must lie in (0, 1]",
        ),
        (
            vec!["--init", "xavier_uniform", "--optimizer", "rmsprop"],
            "invalid --optimizer",
        ),
        (
            vec!["--init", "xavier_uniform", "--plot", "x.png"],
            "must end in .svg",
        ),
        (
            vec!["--init", "transfer", "--digits", "0-9"],
            "fewer than ten digits",
        ),
        (
            vec!["--init", "xavier_uniform", "--digits", "3-12"],
            "invalid --digits",
        ),
        (
            vec!["--init", "xavier_uniform", "--activation", "swish"],
            "invalid --activation",
        ),
    ];
    for (extra, expected) in cases {
        // The small network's options, except those the case sets itself (clap refuses an
        // option given twice).
        let mut args = vec!["train"];
        let overridden: Vec<&str> = extra
            .iter()
            .copied()
            .filter(|a| a.starts_with("--"))
            .collect();
        for pair in SMALL.chunks(2) {
            if !overridden.contains(&pair[0]) {
                args.extend(pair);
            }
        }
        args.extend(&extra);
        let output = initspec(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{extra:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{extra:?}: {stderr}");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn propagate_lsuv_reaches_unit_spread_at_every_layer_for_every_activation() {
    for activation in ["linear", "tanh", "relu", "leaky_relu", "sigmoid", "selu"] {
        for batchnorm in [false, true] {
            let mut args = vec![
                "propagate",
                "--init",
                "lsuv",
                "--activation",
                activation,
                "--depth",
                "10",
                "--width",
                "64",
                "--batch",
                "256",
                "--json",
            ];
            if batchnorm {
                args.push("--batchnorm");
            }
            let v = json_of(&args);
            let layers = v["layers"].as_array().unwrap();
            assert_eq!(layers.len(), 10);
            for l in layers {
                let law = l["law"].as_str().unwrap();
                assert!(law.starts_with("orthogonal"), "{law}");
                if batchnorm {
                    continue; // pre is after batch norm: unit spread by construction
                }
                let pre_std = l["pre_std"].as_f64().unwrap();
                assert!((pre_std - 1.0).abs() < 0.1, "{activation}: {l}");
            }
        }
    }
}
