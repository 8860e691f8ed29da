//! `audit CHECKPOINT --manifest M --report OUT.html`: the checkpoint audit as one
//! self-contained HTML page (inline CSS, one inline script, figures as inline SVG; no
//! network, no external script or font). At the top the verdict and α; then a table of the
//! tensors, failures first, sortable by any column; the cross-tensor findings; the figures of
//! `audit --plot` for the failing tensors first (the first one open); and the exact command
//! and versions that made the page.
//!
//! The page's script sorts the table when a header is clicked (or when the URL's fragment is
//! `#sort=COLUMN`, which the browser test uses), records in `<body data-visible>` whether
//! the table and the open figure take up space on the screen, and marks
//! `<body data-ready="1">` once it has run, so that a headless browser's DOM dump shows the
//! script ran to the end (`scripts/test-report-browser`).

use std::fmt::Write as _;

use crate::svg::esc;

/// Figures drawn into one report at most: the failing tensors first, then the others in
/// table order. Each is 15–80 kB of SVG; a 400-tensor checkpoint would otherwise give a page
/// of tens of megabytes.
pub const MAX_FIGURES: usize = 24;

/// One row of the tensor table.
pub struct Row {
    pub name: String,
    pub shape: Vec<usize>,
    pub dtype: String,
    pub scheme: Option<String>,
    pub law: Option<String>,
    /// The variance ratio and its confidence interval.
    pub variance: Option<(f64, f64, f64)>,
    /// The worst (smallest) p-value of its checks.
    pub worst_p: Option<f64>,
    /// `pass`, `fail` or `skipped`.
    pub verdict: &'static str,
    /// Why skipped or why it failed without being tested.
    pub reason: Option<String>,
    /// The audit's summary in words.
    pub summary: String,
    /// The figure's index in [`Page::figures`], when drawn.
    pub figure: Option<usize>,
}

/// One cross-tensor check.
pub struct Cross {
    pub name: String,
    pub pass: bool,
    pub p_value: f64,
    pub detail: String,
}

/// Everything on the page.
pub struct Page {
    pub pass: bool,
    pub alpha: f64,
    pub alpha_per_test: f64,
    pub checkpoint: String,
    pub manifest: String,
    pub rows: Vec<Row>,
    pub cross: Vec<Cross>,
    /// (tensor name, SVG) in the order drawn.
    pub figures: Vec<(String, String)>,
    /// Tensors audited but not drawn (beyond [`MAX_FIGURES`]).
    pub undrawn: usize,
    /// The command line, as typed.
    pub command: String,
}

const STYLE: &str = r#"
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1a1a1a; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 18px; margin: 28px 0 8px; }
.verdict { display: inline-block; padding: 4px 12px; border-radius: 4px; font-weight: 600; color: #fff; }
.verdict.pass { background: #007a5a; } .verdict.fail { background: #b34700; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
td.summary { min-width: 16em; max-width: 34em; }
td.name { min-width: 16em; max-width: 26em; overflow-wrap: anywhere; }
td.shape { white-space: nowrap; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " \25B2"; } th[aria-sort="descending"]::after { content: " \25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr[data-verdict="fail"] td.v { color: #b34700; font-weight: 600; }
tr[data-verdict="skipped"] td.v { color: #666; }
tr[data-verdict="pass"] td.v { color: #007a5a; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
details { margin: 8px 0; } summary { cursor: pointer; font-weight: 600; }
.figure svg { max-width: 100%; height: auto; }
.meta { color: #444; font-size: 13px; }
"#;

const SCRIPT: &str = r#"
(function () {
  var table = document.getElementById("tensors");
  var body = table.tBodies[0];
  var headers = table.tHead.rows[0].cells;
  function key(row, column, numeric) {
    var v = row.cells[column].getAttribute("data-sort");
    if (v === null) { v = row.cells[column].textContent; }
    if (numeric) { var x = parseFloat(v); return isNaN(x) ? Infinity : x; }
    return v.toLowerCase();
  }
  function sortBy(column, ascending) {
    var numeric = headers[column].getAttribute("data-type") === "number";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, column, numeric), y = key(b, column, numeric);
      var c = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    for (var i = 0; i < headers.length; i++) { headers[i].removeAttribute("aria-sort"); }
    headers[column].setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  Array.prototype.forEach.call(headers, function (th, column) {
    th.addEventListener("click", function () {
      sortBy(column, th.getAttribute("aria-sort") !== "ascending");
    });
  });
  var match = /^#sort=([a-z_]+)$/.exec(window.location.hash);
  if (match) {
    for (var i = 0; i < headers.length; i++) {
      if (headers[i].getAttribute("data-key") === match[1]) { sortBy(i, true); }
    }
  }
  // What a reader can see: the table, and the open figure (for the browser test).
  var seen = [];
  if (table.getBoundingClientRect().height > 0) { seen.push("table"); }
  var figure = document.querySelector("details[open] svg");
  if (figure && figure.getBoundingClientRect().height > 0) { seen.push("figure"); }
  document.body.setAttribute("data-visible", seen.join(" "));
  document.body.setAttribute("data-ready", "1");
})();
"#;

/// The columns: (key, header, numeric). A tensor's name links to its figure.
const COLUMNS: [(&str, &str, bool); 9] = [
    ("verdict", "verdict", false),
    ("name", "tensor", false),
    ("shape", "shape", false),
    ("dtype", "dtype", false),
    ("scheme", "scheme", false),
    ("law", "law", false),
    ("variance", "variance ratio [interval]", true),
    ("p", "worst p-value", true),
    ("reason", "skipped / summary", false),
];

/// The page as HTML text.
pub fn html(page: &Page) -> String {
    let mut h = String::new();
    let word = if page.pass { "pass" } else { "fail" };
    let failed = page.rows.iter().filter(|r| r.verdict == "fail").count();
    let skipped = page.rows.iter().filter(|r| r.verdict == "skipped").count();
    let cross_failed = page.cross.iter().filter(|c| !c.pass).count();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>initspec audit: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&page.checkpoint)
    );
    let _ = writeln!(h, "<h1>Audit of {}</h1>", esc(&page.checkpoint));
    let _ = writeln!(
        h,
        "<p><span class=\"verdict {word}\" id=\"verdict\">{}</span> at α = {:e} for the whole checkpoint: {} of {} audited tensors conform, {skipped} skipped, {cross_failed} cross-tensor finding(s). Each of the {} tests is held at {:.3e} (Bonferroni; Holm within a tensor).</p>",
        word.to_uppercase(),
        page.alpha,
        page.rows.len() - failed - skipped,
        page.rows.len() - skipped,
        page.rows.len() - skipped + page.cross.len(),
        page.alpha_per_test,
    );
    let _ = writeln!(
        h,
        "<p class=\"meta\">manifest <code>{}</code>. Click a column's header to sort by it; a tensor's name links to its figure.</p>",
        esc(&page.manifest)
    );
    let _ = writeln!(
        h,
        "<h2>Tensors</h2>\n<div class=\"scroll\"><table id=\"tensors\">\n<thead><tr>"
    );
    for (key, header, numeric) in COLUMNS {
        let kind = if numeric { "number" } else { "text" };
        let _ = write!(
            h,
            "<th data-key=\"{key}\" data-type=\"{kind}\">{header}</th>"
        );
    }
    let _ = writeln!(h, "</tr></thead>\n<tbody>");
    for (i, r) in page.rows.iter().enumerate() {
        // Failures first, then passes, then skipped: the order the rows arrive in.
        let verdict_rank = match r.verdict {
            "fail" => 0,
            "pass" => 1,
            _ => 2,
        };
        let _ = write!(h, "<tr data-verdict=\"{}\">", r.verdict);
        let _ = write!(
            h,
            "<td class=\"v\" data-sort=\"{verdict_rank}-{i:06}\">{}</td>",
            r.verdict
        );
        match r.figure {
            // The name links to the tensor's figure, when it has one.
            Some(k) => {
                let _ = write!(
                    h,
                    "<td class=\"mono name\"><a href=\"#figure-{k}\">{}</a></td>",
                    esc(&r.name)
                );
            }
            None => {
                let _ = write!(h, "<td class=\"mono name\">{}</td>", esc(&r.name));
            }
        }
        let _ = write!(h, "<td class=\"mono shape\">{:?}</td>", r.shape);
        let _ = write!(h, "<td>{}</td>", esc(&r.dtype));
        let _ = write!(
            h,
            "<td class=\"mono\">{}</td>",
            esc(r.scheme.as_deref().unwrap_or(""))
        );
        let _ = write!(
            h,
            "<td class=\"mono\">{}</td>",
            esc(r.law.as_deref().unwrap_or(""))
        );
        match r.variance {
            Some((ratio, low, high)) => {
                let _ = write!(
                    h,
                    "<td class=\"num\" data-sort=\"{ratio}\">{ratio:.4} [{low:.4}, {high:.4}]</td>"
                );
            }
            None => h.push_str("<td class=\"num\" data-sort=\"\"></td>"),
        }
        match r.worst_p {
            Some(p) => {
                let _ = write!(h, "<td class=\"num\" data-sort=\"{p:e}\">{p:.3e}</td>");
            }
            None => h.push_str("<td class=\"num\" data-sort=\"\"></td>"),
        }
        // A conforming tensor's summary repeats the table; a failure's says what is wrong.
        let text = match (r.verdict, &r.reason) {
            (_, Some(reason)) => reason.as_str(),
            ("pass", None) => "conforms",
            _ => r.summary.as_str(),
        };
        let _ = write!(h, "<td class=\"summary\">{}</td>", esc(text));
        h.push_str("</tr>\n");
    }
    let _ = writeln!(h, "</tbody>\n</table></div>");
    let _ = writeln!(
        h,
        "<h2>Cross-tensor checks</h2>\n<table id=\"cross\">\n<thead><tr><th>check</th><th>result</th><th>p-value</th><th>finding</th></tr></thead>\n<tbody>"
    );
    for c in &page.cross {
        let result = if c.pass { "pass" } else { "fail" };
        let _ = writeln!(
            h,
            "<tr data-verdict=\"{result}\"><td class=\"mono\">{}</td><td class=\"v\">{result}</td><td class=\"num\">{:.3e}</td><td>{}</td></tr>",
            esc(&c.name),
            c.p_value,
            esc(&c.detail)
        );
    }
    let _ = writeln!(h, "</tbody>\n</table>");
    let _ = writeln!(h, "<h2>Figures</h2>");
    let _ = writeln!(
        h,
        "<p class=\"meta\">What the checks saw (docs/AUDITING.md, \"Figures\"): the histogram against the law, the Q–Q plot with its band at the per-test level, and the structure an independence check found. Failing tensors first.{}</p>",
        if page.undrawn > 0 {
            format!(
                " {} more audited tensors are not drawn (at most {MAX_FIGURES} figures a report); draw one with <code>initspec audit FILE --tensor NAME --scheme S --plot OUT.svg</code>.",
                page.undrawn
            )
        } else {
            String::new()
        }
    );
    for (k, (name, svg)) in page.figures.iter().enumerate() {
        let open = if k == 0 { " open" } else { "" };
        let _ = writeln!(
            h,
            "<details id=\"figure-{k}\" class=\"figure\"{open}><summary>{}</summary>\n{}\n</details>",
            esc(name),
            svg.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
                .trim()
        );
    }
    let _ = writeln!(
        h,
        "<h2>How this page was made</h2>\n<p class=\"meta\"><code>{}</code><br>initspec {} ({} {}), {} tensors in the table.</p>",
        esc(&page.command),
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH,
        page.rows.len()
    );
    let _ = write!(h, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    h
}

/// The command line as typed, each argument quoted for a POSIX shell when it needs it.
pub fn command_line() -> String {
    // args_os: an argument that is not UTF-8 is shown lossily rather than panicking.
    std::env::args_os()
        .enumerate()
        .map(|(i, a)| {
            let a = if i == 0 {
                "initspec".to_string()
            } else {
                a.to_string_lossy().into_owned()
            };
            let plain = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c));
            if plain {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks that `path` ends in `.html` and that its directory can be written, before any work.
///
/// # Errors
/// Another extension, or an unwritable or missing directory.
pub fn check_report_path(path: &std::path::Path) -> anyhow::Result<()> {
    let is_html = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    if !is_html {
        return Err(anyhow::anyhow!(
            "--report {} must end in .html: the report is one HTML page",
            path.display()
        ));
    }
    initspec_io::AtomicFile::create(path).map_err(|e| anyhow::anyhow!("--report: {e}"))?;
    Ok(())
}

/// Writes the page atomically.
///
/// # Errors
/// The path cannot be written.
pub fn write(path: &std::path::Path, page: &Page) -> anyhow::Result<()> {
    let mut file = initspec_io::AtomicFile::create(path)?;
    file.write_all(html(page).as_bytes())?;
    file.commit()?;
    Ok(())
}
