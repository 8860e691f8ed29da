//! The JSON contract of `verify`, `calibrate`, `propagate` and `bench`, through the real
//! binary: the keys scripts depend on are there, with values of the right kind and meaning.

use serde_json::Value;

fn json_of(args: &[&str]) -> Value {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_initspec"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{args:?}: {stderr}"
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn number(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is not a number in {v}"))
}

/// `initspec verify` exits 1 when a case fails. Through the binary a case is made to fail by
/// the level alone: at α = 0.999999 Holm's first step rejects a case when its smallest p-value
/// is below α/k (k ≤ 5 checks, so about 0.2), which each of the ~60 scalar cases escapes with
/// probability about 0.8⁵ = 0.33 were its checks independent, so that all escape with
/// probability far below 1e-6 (seed 0, 4096 samples). A case that fails on its own, with
/// the library's case runner, is tested in crates/initspec-cli/src/verify.rs and
/// verification/tests/conformance_cases.rs.
#[test]
fn verify_exits_1_when_a_case_fails() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_initspec"))
        .args([
            "verify",
            "--samples",
            "4096",
            "--alpha",
            "0.999999",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let v: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(v["verdict"], "fail");
    let failed = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"] == "fail")
        .count();
    assert!(failed >= 1, "{v}");
}

#[test]
fn verify_json_names_every_case_and_its_checks() {
    let v = json_of(&["verify", "--samples", "4096", "--json"]);
    assert_eq!(v["verdict"], "pass", "{v}");
    let results = v["results"].as_array().unwrap();
    assert!(results.len() >= 50, "{} cases", results.len());
    for r in results {
        assert!(r["scheme"].is_string() && r["shape"].is_array(), "{r}");
        assert_eq!(r["verdict"], "pass", "{r}");
        let checks = r["checks"].as_array().unwrap();
        assert!(!checks.is_empty(), "{r}");
        for c in checks {
            assert!(c["name"].is_string() && c["pass"].is_boolean(), "{c}");
            assert!((0.0..=1.0).contains(&number(c, "p_value")), "{c}");
        }
    }
}

#[test]
fn calibrate_json_reports_rates_and_the_named_controls() {
    let v = json_of(&["calibrate", "--trials", "3", "--samples", "4096", "--json"]);
    assert_eq!(number(&v, "alpha"), 1e-3);
    assert_eq!(number(&v, "trials"), 3.0);
    let checks = v["checks"].as_array().unwrap();
    let ks = checks
        .iter()
        .find(|c| c["name"] == "ks")
        .expect("a ks check");
    for c in checks {
        assert!(
            (0.0..=1.0).contains(&number(c, "false_positive_rate")),
            "{c}"
        );
        for control in [
            "variance_2pct",
            "uniform_as_normal",
            "fan_swap",
            "trunc_uncorrected",
            "mean_shift",
        ] {
            assert!(
                (0.0..=1.0).contains(&number(&c["power"], control)),
                "{control} in {c}"
            );
        }
    }
    // Gross errors are caught in every trial even at 4096 samples (seeded, so exact).
    assert_eq!(number(&ks["power"], "uniform_as_normal"), 1.0, "{ks}");
    assert_eq!(number(&ks["power"], "trunc_uncorrected"), 1.0, "{ks}");
}

#[test]
fn propagate_json_has_one_row_per_layer() {
    let v = json_of(&[
        "propagate",
        "--init",
        "kaiming_normal(nonlinearity=relu)",
        "--activation",
        "relu",
        "--depth",
        "4",
        "--width",
        "64",
        "--batch",
        "200",
        "--json",
    ]);
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 4);
    for (i, layer) in layers.iter().enumerate() {
        assert_eq!(number(layer, "layer"), (i + 1) as f64, "1-based: {layer}");
        assert!(number(layer, "pre_std") > 0.0, "{layer}");
        assert!(
            number(layer, "post_mean") > 0.0,
            "ReLU outputs are ≥ 0: {layer}"
        );
        assert!(number(layer, "post_std") > 0.0, "{layer}");
    }
}

#[test]
fn bench_json_measures_every_kernel_against_its_baselines() {
    let v = json_of(&[
        "bench",
        "--size",
        "4096",
        "--reps",
        "1",
        "--threads",
        "2",
        "--json",
    ]);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 12, "6 kernels × (1 thread, 2 threads)");
    for r in results {
        assert!(r["kernel"].is_string(), "{r}");
        for key in [
            "samples_per_sec",
            "memset_samples_per_sec",
            "rand_distr_samples_per_sec",
        ] {
            assert!(number(r, key) > 0.0, "{key} in {r}");
        }
        assert!([1.0, 2.0].contains(&number(r, "threads")), "{r}");
    }
}
