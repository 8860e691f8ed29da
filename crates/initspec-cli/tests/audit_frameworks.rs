//! Audits of real framework output: weight files drawn by PyTorch, JAX, Flax and Keras 3
//! (and NumPy controls and deliberately wrong implementations), made by
//! `tests/fixtures/frameworks/make_fixtures.py` and described by its `manifest.json`.
//!
//! For every case the binary must give the manifest's verdict and exit status (0 pass,
//! 1 fail, 2 unreadable input), resolve the scheme to the law the manifest computed from the
//! published formulas, and its `ks` check must agree with SciPy's `kstest` on the same values:
//! the distance D within 1e-9 and the exact (`kstwo`) p-value within 1e-6 relative for
//! continuous (f32) storage; for bf16/f16 storage the distance to the law rounded to the
//! format (recomputed in Python) within 1e-9, and no p-value comparison (SciPy has no
//! lattice KS). `identify` must name what each implementation really draws; the leniency is
//! the manifest's `identify_policy`: the expected law's family, and each expected parameter
//! within 1 % of the largest expected |parameter|.
//!
//! Structured laws (`orthogonal`, `eye`, `dirac`, `delta_orthogonal`, `sparse`; docs/SPEC.md
//! §7) are checked in place, not by a KS test of the whole tensor. For them the manifest's
//! `structured` block holds what the checks of SPEC §7.8 must find, recomputed in Python:
//! `orthogonality` (max |G − gain²·I|) within 1e-12 relative + 1e-13, `haar_trace` and
//! `haar_diagonal` statistics within 1e-9 and their p-values within 1e-6 relative (the
//! diagonal's only for continuous storage), and the `exact` / `zero_count` counts exactly;
//! `expected_failed_checks` must be reported failing and `expected_summary_contains` must
//! appear in the summary. A sparse tensor's `ks` check (of its non-zero values) is compared
//! with SciPy like a scalar law's.
//!
//! A scalar-law audit must also report the independence checks (serial, atoms, duplicate and
//! similar rows/columns/blocks) and, for a file of several tensors, its cross-tensor checks
//! count in the verdict: the module-constructor cases (nn.LSTM, nn.GRU,
//! nn.MultiheadAttention, nn.Embedding, a Keras LSTM; some files hold several tensors), so
//! their expected verdicts say that these checks raise no false alarm on real layers, and
//! the one that must fail (nn.Embedding's zeroed `padding_idx` row) fails by `atoms`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// Relative tolerance on the law an audit resolves to (the manifest prints 17 digits).
const LAW_TOLERANCE: f64 = 1e-9;
/// Tolerance of identify's law matching (the manifest's `identify_policy`).
const IDENTIFY_TOLERANCE: f64 = 0.01;
/// The p-value at which identify counts a candidate as plausible: identify's own reporting
/// threshold (it prints "no candidate fits at α = 1e-3"). An exception to the suite's
/// α ≤ 1e-6, stated here: these tensors are fixed files written by the frameworks and never
/// redrawn, so no change of ours re-rolls them, and the assertion is a statement about the
/// fixed bytes (it asks for a plausible candidate, which a smaller threshold would only make
/// easier to find; the audits' `ks` p-values on the same files are held against SciPy's).
const PLAUSIBLE: f64 = 1e-3;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/frameworks")
}

fn manifest() -> Value {
    let path = fixtures().join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad {}: {e}", path.display()))
}

fn cases(manifest: &Value) -> &[Value] {
    manifest["cases"].as_array().expect("manifest has cases")
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn number(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

/// The parameters a structured law leaves out of its printed form at their default value
/// (docs/SPEC.md §7: `orthogonal` is `orthogonal(gain=1)`, `dirac` is `dirac(groups=1)`).
const STRUCTURED_DEFAULTS: &[(&str, &[(&str, f64)])] = &[
    ("orthogonal", &[("gain", 1.0)]),
    ("delta_orthogonal", &[("gain", 1.0)]),
    ("eye", &[]),
    ("dirac", &[("groups", 1.0)]),
    ("sparse", &[("std", 0.01)]),
];

/// Parses a law string such as `uniform(a=-0.5, b=0.5)` into its family and parameters.
fn parse_law(law: &str) -> Option<(String, Vec<(String, f64)>)> {
    let law = law.trim();
    let open = law.find('(')?;
    let inner = law[open + 1..].strip_suffix(')')?;
    let params = inner
        .split(',')
        .map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((k.trim().to_string(), v.trim().parse::<f64>().ok()?))
        })
        .collect::<Option<Vec<_>>>()?;
    Some((law[..open].trim().to_string(), params))
}

/// Parses a law string as [`parse_law`] does, and also a structured law, which may print
/// without parentheses (`orthogonal`, `eye`); a structured law's omitted parameters get their
/// defaults. A bare scalar family (`normal`) is not a law string.
fn parse_any_law(law: &str) -> Option<(String, Vec<(String, f64)>)> {
    let (family, mut params) = parse_law(law).or_else(|| {
        let bare = law.trim();
        STRUCTURED_DEFAULTS
            .iter()
            .any(|(f, _)| *f == bare)
            .then(|| (bare.to_string(), Vec::new()))
    })?;
    if let Some((_, defaults)) = STRUCTURED_DEFAULTS.iter().find(|(f, _)| *f == family) {
        for (key, value) in *defaults {
            if !params.iter().any(|(k, _)| k == key) {
                params.push((key.to_string(), *value));
            }
        }
    }
    Some((family, params))
}

/// Whether `got` (a law string) is the manifest law `expected` (family plus parameters):
/// same family, and every expected parameter within `tolerance` times the largest expected
/// |parameter| (so a zero mean is compared on the scale of the spread).
fn law_matches(expected: &Value, got: &str, tolerance: f64) -> bool {
    let Some((family, params)) = parse_any_law(got) else {
        return false;
    };
    let Some(want) = expected.as_object() else {
        return false;
    };
    if want.get("family").and_then(Value::as_str) != Some(family.as_str()) {
        return false;
    }
    let wanted: Vec<(&str, f64)> = want
        .iter()
        .filter(|(k, _)| k.as_str() != "family")
        .filter_map(|(k, v)| Some((k.as_str(), v.as_f64()?)))
        .collect();
    let scale = wanted.iter().map(|(_, v)| v.abs()).fold(0.0, f64::max);
    wanted.iter().all(|(key, value)| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .is_some_and(|(_, got)| (got - value).abs() <= tolerance * scale)
    })
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// One failing case: its id, how it was made, the command and what disagreed.
fn failure(case: &Value, args: &[String], problems: &[String]) -> String {
    format!(
        "{} ({}; `initspec {}`):\n    {}",
        text(case, "id").unwrap_or("?"),
        text(case, "made_by").unwrap_or("?"),
        args.join(" "),
        problems.join("\n    ")
    )
}

fn initspec(args: &[String]) -> Run {
    let output = Command::cargo_bin("initspec")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn file_arg(case: &Value) -> String {
    fixtures()
        .join(text(case, "file").expect("case has a file"))
        .to_string_lossy()
        .into_owned()
}

fn audit_args(case: &Value) -> Vec<String> {
    let audit = &case["audit"];
    let mut args = vec![
        "audit".to_string(),
        file_arg(case),
        "--scheme".to_string(),
        text(audit, "scheme").expect("audit.scheme").to_string(),
        "--layout".to_string(),
        text(audit, "layout").expect("audit.layout").to_string(),
    ];
    if let Some(g) = audit.get("groups").and_then(Value::as_u64) {
        args.extend(["--groups".to_string(), g.to_string()]);
    }
    if let Some(t) = text(case, "tensor") {
        args.extend(["--tensor".to_string(), t.to_string()]);
    }
    args.push("--json".to_string());
    args
}

/// Compares one finished audit with the manifest; returns the disagreements.
fn check_audit(case: &Value, run: &Run) -> Vec<String> {
    let mut problems = Vec::new();
    let expected_exit = case["expected_exit"].as_i64().map(|c| c as i32);
    if run.code != expected_exit {
        problems.push(format!(
            "exit {:?}, expected {expected_exit:?}; stderr: {}",
            run.code,
            run.stderr.trim()
        ));
    }
    if run.stderr.contains("panicked") {
        problems.push(format!("panicked: {}", run.stderr.trim()));
    }
    if expected_exit == Some(2) {
        if run.stderr.trim().is_empty() {
            problems.push("exit 2 without a message on stderr".to_string());
        }
        return problems;
    }
    let json: Value = match serde_json::from_str(&run.stdout) {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!("stdout is not JSON ({e}): {}", run.stdout.trim()));
            return problems;
        }
    };
    let want = text(case, "expected_verdict");
    if text(&json, "verdict") != want {
        problems.push(format!(
            "verdict {}, expected {want:?}",
            json.get("verdict").unwrap_or(&Value::Null)
        ));
    }
    if text(&json, "scheme").is_none() {
        problems.push("no `scheme` key".to_string());
    }
    match text(&json, "law") {
        Some(law) if law_matches(&case["law"], law, LAW_TOLERANCE) => {}
        other => problems.push(format!(
            "law {other:?}, expected {} (from the published formula)",
            case["law"]
        )),
    }
    let n: u64 = case["shape"]
        .as_array()
        .map(|s| s.iter().filter_map(Value::as_u64).product())
        .unwrap_or(0);
    if json.get("n").and_then(Value::as_u64) != Some(n) {
        problems.push(format!("n {:?}, expected {n}", json.get("n")));
    }
    if let Some(fans) = case.get("fans").filter(|f| !f.is_null()) {
        for key in ["fan_in", "fan_out"] {
            if json.get(key).and_then(Value::as_u64) != fans[key].as_u64() {
                problems.push(format!("{key} {:?}, expected {}", json.get(key), fans[key]));
            }
        }
    }
    let Some(checks) = json.get("checks").and_then(Value::as_array) else {
        problems.push("no `checks` array".to_string());
        return problems;
    };
    for check in checks {
        for key in ["name", "statistic", "p_value", "pass"] {
            if check.get(key).is_none() {
                problems.push(format!("a check lacks `{key}`: {check}"));
            }
        }
    }
    for name in case["expected_failed_checks"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = name.as_str().unwrap_or("?");
        match checks.iter().find(|c| text(c, "name") == Some(name)) {
            Some(c) if c["pass"].as_bool() == Some(false) => {}
            Some(_) => problems.push(format!("check `{name}` passes; expected it to fail")),
            None => problems.push(format!("no `{name}` check; expected it to fail")),
        }
    }
    if let Some(phrase) = text(case, "expected_summary_contains")
        && !text(&json, "summary").is_some_and(|s| s.contains(phrase))
    {
        problems.push(format!(
            "summary {:?} does not mention {phrase:?}",
            text(&json, "summary")
        ));
    }
    if let Some(structured) = case.get("structured") {
        problems.extend(check_structured(structured, checks));
    } else {
        problems.extend(check_independence_ran(case, checks));
    }
    let scipy = &case["scipy_ks"];
    if scipy.is_null() && case.get("structured").is_some() {
        return problems; // a structured law without a scalar part: no `ks` check
    }
    let Some(ks) = checks.iter().find(|c| text(c, "name") == Some("ks")) else {
        problems.push("no `ks` check".to_string());
        return problems;
    };
    let (d, p) = (
        number(ks, "statistic").unwrap_or(f64::NAN),
        number(ks, "p_value").unwrap_or(f64::NAN),
    );
    if scipy["continuous_law"].as_bool() == Some(true) {
        let (sd, sp) = (
            number(scipy, "statistic").unwrap(),
            number(scipy, "p_value").unwrap(),
        );
        if (d - sd).abs() > 1e-9 {
            problems.push(format!(
                "ks D = {d:.15e}, SciPy's {sd:.15e} (|diff| {:.3e} > 1e-9)",
                (d - sd).abs()
            ));
        }
        let p_ok = if sp == 0.0 {
            p <= 1e-300
        } else {
            (p - sp).abs() <= 1e-6 * sp
        };
        if !p_ok {
            problems.push(format!(
                "ks p = {p:.15e}, SciPy's kstwo {sp:.15e} (rel diff {:.3e} > 1e-6)",
                ((p - sp) / sp).abs()
            ));
        }
    } else if let Some(sd) = number(scipy, "rounded_law_statistic")
        && (d - sd).abs() > 1e-9
    {
        problems.push(format!(
            "ks D = {d:.15e} against the rounded law, Python's {sd:.15e} (|diff| {:.3e})",
            (d - sd).abs()
        ));
    }
    problems
}

/// The independence checks (docs/AUDITING.md §4) that every scalar-law audit must report:
/// `serial` and `atoms` always; from rank 2 on, `serial_axis0` and the duplicate and similar
/// row/column checks; from rank 3 on, `duplicate_blocks`. So a pass on real framework output
/// is a pass of these checks too (no new false alarms on real weights), not a
/// battery that left them out.
const INDEPENDENCE_CHECKS: &[(usize, &str)] = &[
    (1, "serial"),
    (1, "atoms"),
    (2, "serial_axis0"),
    (2, "duplicate_rows"),
    (2, "duplicate_columns"),
    (2, "similar_rows"),
    (2, "similar_columns"),
    (3, "duplicate_blocks"),
];

/// Whether a scalar-law audit reported every independence check its rank calls for; returns
/// the missing ones.
fn check_independence_ran(case: &Value, checks: &[Value]) -> Vec<String> {
    let rank = case["shape"].as_array().map_or(0, Vec::len);
    INDEPENDENCE_CHECKS
        .iter()
        .filter(|(min_rank, name)| {
            rank >= *min_rank && !checks.iter().any(|c| text(c, "name") == Some(*name))
        })
        .map(|(_, name)| format!("no `{name}` check in a rank-{rank} scalar-law audit"))
        .collect()
}

/// Compares the checks of a structured audit with the manifest's `structured.checks`, which
/// were recomputed in Python from docs/SPEC.md §7.8; returns the disagreements.
fn check_structured(structured: &Value, checks: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(expected) = structured["checks"].as_object() else {
        return vec!["manifest: `structured` has no `checks`".to_string()];
    };
    for (name, want) in expected {
        let Some(got) = checks
            .iter()
            .find(|c| text(c, "name") == Some(name.as_str()))
        else {
            problems.push(format!("no `{name}` check"));
            continue;
        };
        let (s, ws) = (
            number(got, "statistic").unwrap_or(f64::NAN),
            number(want, "statistic").unwrap_or(f64::NAN),
        );
        let stat_ok = match name.as_str() {
            // Counts: exactly.
            "exact" | "zero_count" => s == ws,
            // A maximum over a Gram matrix |G − g²·I|: only the summation order differs, and
            // each Gram entry (≈ g² on the diagonal) is rounded to ~√d·ε·g² ≈ 1e-14 for these
            // sizes whatever the order, so the difference is bounded absolutely.
            "orthogonality" => (s - ws).abs() <= 1e-12 * ws.abs() + 1e-13,
            _ => (s - ws).abs() <= 1e-9 * ws.abs().max(1.0),
        };
        if !stat_ok {
            problems.push(format!(
                "{name} statistic {s:.15e}, Python's {ws:.15e} (|diff| {:.3e})",
                (s - ws).abs()
            ));
        }
        if let Some(wp) = number(want, "p_value") {
            let p = number(got, "p_value").unwrap_or(f64::NAN);
            let p_ok = if wp == 0.0 {
                p <= 1e-300
            } else {
                (p - wp).abs() <= 1e-6 * wp
            };
            if !p_ok {
                problems.push(format!("{name} p = {p:.15e}, SciPy's {wp:.15e}"));
            }
        }
        if let Some(pass) = want.get("pass").and_then(Value::as_bool)
            && got["pass"].as_bool() != Some(pass)
        {
            problems.push(format!(
                "{name} pass = {}, expected {pass}: {}",
                got["pass"],
                text(got, "detail").unwrap_or("")
            ));
        }
    }
    problems
}

/// Every case of the manifest: verdict, exit status, resolved law, fans, and the `ks`
/// check against SciPy (for structured laws, the checks of SPEC §7.8 against Python).
#[test]
fn audit_verdicts_match_the_manifest() {
    let manifest = manifest();
    let mut failures = Vec::new();
    let mut counts = [0usize; 3];
    for case in cases(&manifest) {
        let args = audit_args(case);
        let run = initspec(&args);
        if let Some(code) = run.code.and_then(|c| usize::try_from(c).ok())
            && code < 3
        {
            counts[code] += 1;
        }
        let problems = check_audit(case, &run);
        if !problems.is_empty() {
            failures.push(failure(case, &args, &problems));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} audit cases disagree with the manifest:\n{}",
        failures.len(),
        cases(&manifest).len(),
        failures.join("\n")
    );
    assert!(
        counts.iter().all(|&c| c >= 5),
        "too few cases of some exit status (0/1/2): {counts:?}"
    );
}

/// `identify` names what each implementation really draws (PyTorch's nn.Linear default as
/// U(±1/√fan_in) first), and never calls a wrong claim plausible.
#[test]
fn identify_names_what_was_drawn() {
    let manifest = manifest();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases(&manifest) {
        let Some(expect) = case.get("identify").filter(|v| !v.is_null()) else {
            continue;
        };
        checked += 1;
        let mut args = vec!["identify".to_string(), file_arg(case)];
        if let Some(layout) = text(expect, "layout") {
            args.extend(["--layout".to_string(), layout.to_string()]);
        }
        if let Some(t) = text(case, "tensor") {
            args.extend(["--tensor".to_string(), t.to_string()]);
        }
        args.push("--json".to_string());
        let run = initspec(&args);
        let mut problems = Vec::new();
        let json: Value = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
        let candidates = json
            .get("candidates")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if run.code != Some(0) || candidates.is_empty() {
            problems.push(format!(
                "exit {:?}, {} candidates; stderr: {}",
                run.code,
                candidates.len(),
                run.stderr.trim()
            ));
        }
        let p_of = |c: &Value| number(c, "p_value").unwrap_or(f64::NAN);
        let law_of = |c: &Value| text(c, "law").unwrap_or("").to_string();
        let plausible: Vec<&Value> = candidates.iter().filter(|c| p_of(c) >= PLAUSIBLE).collect();
        let summary = |list: &[&Value]| {
            list.iter()
                .take(5)
                .map(|c| {
                    format!(
                        "{} = {} (p {:.3e})",
                        text(c, "scheme").unwrap_or("?"),
                        law_of(c),
                        p_of(c)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let all: Vec<&Value> = candidates.iter().collect();
        let law = &expect["law"];
        let first_matches = candidates
            .first()
            .is_some_and(|c| law_matches(law, &law_of(c), IDENTIFY_TOLERANCE));
        let plausible_matches = plausible
            .iter()
            .any(|c| law_matches(law, &law_of(c), IDENTIFY_TOLERANCE));
        match text(expect, "rank") {
            Some("first") if !first_matches => {
                problems.push(format!(
                    "first candidate is not {law}; top: {}",
                    summary(&all)
                ));
            }
            Some("plausible") if !plausible_matches => {
                problems.push(format!(
                    "no candidate with p >= {PLAUSIBLE} is {law}; top: {}",
                    summary(&all)
                ));
            }
            _ => {}
        }
        for wrong in expect["not_plausible"].as_array().into_iter().flatten() {
            if let Some(c) = plausible
                .iter()
                .find(|c| law_matches(wrong, &law_of(c), IDENTIFY_TOLERANCE))
            {
                problems.push(format!(
                    "the wrong law {wrong} is called plausible: {} = {} (p {:.3e})",
                    text(c, "scheme").unwrap_or("?"),
                    law_of(c),
                    p_of(c)
                ));
            }
        }
        if !problems.is_empty() {
            failures.push(failure(case, &args, &problems));
        }
    }
    assert!(checked >= 10, "only {checked} identify expectations");
    assert!(
        failures.is_empty(),
        "{} of {checked} identify cases disagree with the manifest:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The fixture set is what the manifest says: every file present with its recorded size,
/// small enough to commit, and each framework represented by real output.
#[test]
fn manifest_describes_the_files() {
    let manifest = manifest();
    let mut total = 0;
    for entry in manifest["files"].as_array().expect("files") {
        let name = text(entry, "file").unwrap();
        let path = fixtures().join(name);
        let size = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .len();
        assert_eq!(Some(size), entry["bytes"].as_u64(), "{name} changed size");
        assert!(size <= 410_000, "{name} is {size} bytes");
        total += size;
    }
    assert!(total < 5_000_000, "fixtures total {total} bytes");
    for case in cases(&manifest) {
        let file = text(case, "file").unwrap();
        assert!(fixtures().join(file).is_file(), "{file} is missing");
    }
    for framework in ["torch", "jax", "flax", "keras"] {
        let real = cases(&manifest).iter().any(|c| {
            text(c, "framework") == Some(framework)
                && c["real_framework_output"].as_bool() == Some(true)
        });
        assert!(real, "no real {framework} output among the fixtures");
    }
    for (family, _) in STRUCTURED_DEFAULTS {
        let real = cases(&manifest).iter().any(|c| {
            c["law"]["family"].as_str() == Some(family)
                && c["real_framework_output"].as_bool() == Some(true)
        });
        assert!(
            real,
            "no real framework output for the structured law {family}"
        );
    }
    for case in cases(&manifest) {
        let file = text(case, "file").unwrap();
        if file.starts_with("numpy_") || file.starts_with("broken_") {
            assert_eq!(
                case["real_framework_output"].as_bool(),
                Some(false),
                "{file} is NumPy-made, not framework output"
            );
        }
    }
}

#[test]
fn law_strings_parse() {
    let law: Value = serde_json::json!({"family": "uniform", "a": -0.5, "b": 0.5});
    assert!(law_matches(&law, "uniform(a=-0.5, b=0.5)", 1e-12));
    assert!(law_matches(&law, "uniform(a=-0.504, b=0.5)", 0.01));
    assert!(!law_matches(&law, "uniform(a=-0.51, b=0.5)", 0.01));
    assert!(!law_matches(&law, "normal(mean=0, std=0.5)", 0.01));
    let normal: Value = serde_json::json!({"family": "normal", "mean": 0.0, "std": 0.1});
    assert!(law_matches(&normal, "normal(mean=0.0005, std=0.1)", 0.01));
    assert!(!law_matches(&normal, "normal(mean=0.002, std=0.1)", 0.01));
    assert!(parse_law("normal").is_none());
    assert!(!law_matches(&normal, "normal", 0.01));
    // Structured laws print their defaults as nothing.
    let ortho: Value = serde_json::json!({"family": "orthogonal", "gain": 1.0});
    assert!(law_matches(&ortho, "orthogonal", 1e-12));
    assert!(law_matches(&ortho, "orthogonal(gain=1)", 1e-12));
    assert!(!law_matches(&ortho, "orthogonal(gain=1.05)", 0.01));
    assert!(!law_matches(&ortho, "delta_orthogonal", 0.01));
    let sqrt2: Value =
        serde_json::json!({"family": "orthogonal", "gain": std::f64::consts::SQRT_2});
    assert!(law_matches(
        &sqrt2,
        "orthogonal(gain=1.4142135623730951)",
        1e-12
    ));
    assert!(!law_matches(&sqrt2, "orthogonal", 0.01));
    let dirac2: Value = serde_json::json!({"family": "dirac", "groups": 2.0});
    assert!(law_matches(&dirac2, "dirac(groups=2)", 1e-12));
    assert!(!law_matches(&dirac2, "dirac", 0.01));
    let eye: Value = serde_json::json!({"family": "eye"});
    assert!(law_matches(&eye, "eye", 1e-12));
    let sparse: Value = serde_json::json!({"family": "sparse", "sparsity": 0.1, "std": 0.01});
    assert!(law_matches(
        &sparse,
        "sparse(sparsity=0.1, std=0.01)",
        1e-12
    ));
    assert!(law_matches(&sparse, "sparse(sparsity=0.1)", 1e-12));
    assert!(!law_matches(
        &sparse,
        "sparse(sparsity=0.2, std=0.01)",
        1e-9
    ));
}
