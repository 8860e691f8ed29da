//! `audit CHECKPOINT --manifest M --report OUT.html` through the binary: one self-contained
//! page with the verdict, every tensor (failures first), the cross-tensor checks, figures and
//! the command; bad requests are one-line errors (exit 2) before any work. The page in a real
//! browser is checked by scripts/test-report-browser (run by scripts/test-all).

use std::process::{Command, Output};

const BERT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/transformers/bert"
);
const MANIFEST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/transformers/bert.toml"
);

fn initspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_initspec"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_report_is_one_page_with_every_tensor_failures_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let output = initspec(&[
        "audit",
        BERT,
        "--manifest",
        MANIFEST,
        "--report",
        out.to_str().unwrap(),
    ]);
    // The padding row of the word embeddings fails `atoms`; the report does not change that.
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
    for needle in [
        "<span class=\"verdict fail\" id=\"verdict\">FAIL</span>",
        "41 of 42 audited tensors conform",
        "<table id=\"tensors\">",
        "<table id=\"cross\">",
        "sign_agreement",
        "the most frequent value 0e0 occurs 96 times",
        "<details id=\"figure-0\" class=\"figure\" open>",
        "<svg",
        "initspec audit ",
        "--report",
    ] {
        assert!(page.contains(needle), "missing {needle:?}");
    }
    // Failures first: the first row of the table is the failing tensor, and its figure is the
    // open one.
    let first_row = page
        .split("<tbody>")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(first_row.contains("data-verdict=\"fail\"") && first_row.contains("word_embeddings"));
    assert!(page.contains("<summary>bert.embeddings.word_embeddings.weight</summary>"));
    assert_eq!(
        page.matches("<tr data-verdict=").count(),
        42 + 2,
        "42 tensors, 2 cross checks"
    );
    // Self-contained: nothing loaded from elsewhere.
    for outside in [" src=", "<link", "@import", "url("] {
        assert!(
            !page.contains(outside),
            "the page refers outside itself: {outside}"
        );
    }
}

#[test]
fn bad_report_requests_fail_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let txt = dir.path().join("report.txt");
    let missing = dir.path().join("no/such/report.html");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "audit",
                BERT,
                "--manifest",
                MANIFEST,
                "--report",
                txt.to_str().unwrap(),
            ],
            "must end in .html",
        ),
        (
            vec![
                "audit",
                BERT,
                "--manifest",
                MANIFEST,
                "--report",
                missing.to_str().unwrap(),
            ],
            "--report: cannot write",
        ),
        (
            vec!["audit", BERT, "--scheme", "he_normal", "--report", "r.html"],
            "--manifest",
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
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
    assert!(!std::path::Path::new("r.html").exists());
}
