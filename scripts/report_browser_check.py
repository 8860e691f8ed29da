#!/usr/bin/env python3
"""The HTML report of `initspec audit CHECKPOINT --manifest M --report` in headless Chromium.

Usage: report_browser_check.py BROWSER INITSPEC WORKDIR [SCREENSHOT.png]

Audits the tiny BERT of crates/initspec-cli/tests/fixtures/transformers against its manifest
with one entry removed, so the report has passing tensors, a failing one (the zeroed padding
row of the word embeddings) and a skipped one. Then it asks the browser for the DOM after
the page's script ran (with `#sort=name`, which sorts the table by name) and checks:

- no console message at all (an error, an uncaught exception, a failed load);
- the script ran to the end, and the table and the open figure take up space on screen;
- rows of all three verdicts, the failing row first in the unsorted page, and the names in
  order after `#sort=name`;
- no reference to anything outside the page (no src=, no link href=, no @import, no url()).

Negative controls: the same checks must report a copy of the page with a script error
(console message, script not run to the end) and a copy whose figure is closed (not visible).

Finally it takes a screenshot, checks that it is a PNG of a plausible size, and copies it to
SCREENSHOT.png when given. Exits 1 with the reasons when a check fails. Standard library only.
"""

import html.parser
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "crates/initspec-cli/tests/fixtures/transformers"
DROPPED = '''[[tensor]]
name = "bert.embeddings.position_embeddings.weight"
shape = [128, 96]
scheme = "normal(std=0.02)"
'''
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]


class Rows(html.parser.HTMLParser):
    """The (verdict, name) of each row of table#tensors, in document order."""

    def __init__(self):
        super().__init__()
        self.in_table = False
        self.rows = []
        self.cell = 0
        self.text = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "tensors":
            self.in_table = True
        elif self.in_table and tag == "tr" and "data-verdict" in attrs:
            self.rows.append([attrs["data-verdict"], ""])
            self.cell = 0
        elif self.in_table and tag == "td" and self.rows:
            self.cell += 1
            if self.cell == 2:
                self.text = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_table = False
        elif tag == "td" and self.text is not None:
            self.rows[-1][1] = "".join(self.text).strip()
            self.text = None

    def handle_data(self, data):
        if self.text is not None:
            self.text.append(data)


def dom_problems(browser, url, sort_by_name):
    """What is wrong with the page at `url` once the browser ran its script."""
    problems = []
    dom = subprocess.run(
        [browser, *FLAGS, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
         "--dump-dom", url],
        capture_output=True, text=True, timeout=120)
    console = [l for l in dom.stderr.splitlines() if ":CONSOLE" in l]
    if console:
        problems.append("console messages:\n  " + "\n  ".join(console))
    body = re.search(r"<body([^>]*)>", dom.stdout)
    attrs = body.group(1) if body else ""
    if 'data-ready="1"' not in attrs:
        problems.append(f"the page's script did not run to the end: <body{attrs}>")
        return problems
    visible = re.search(r'data-visible="([^"]*)"', attrs)
    seen = visible.group(1).split() if visible else []
    for thing in ["table", "figure"]:
        if thing not in seen:
            problems.append(f"the {thing} is not visible (data-visible={seen})")
    rows = Rows()
    rows.feed(dom.stdout)
    verdicts = {v for v, _ in rows.rows}
    if verdicts != {"pass", "fail", "skipped"}:
        problems.append(f"rows of every verdict expected, found {sorted(verdicts)}")
    names = [n for _, n in rows.rows]
    if sort_by_name and (names != sorted(names, key=str.lower) or len(names) != 42):
        problems.append(f"#sort=name did not sort the 42 rows by name: {names[:5]}")
    return problems


def main():
    browser, work = sys.argv[1], pathlib.Path(sys.argv[3]).resolve()
    initspec = str(pathlib.Path(sys.argv[2]).resolve())
    screenshot_copy = sys.argv[4] if len(sys.argv) > 4 else None
    problems = []
    manifest = (FIXTURES / "bert.toml").read_text()
    assert DROPPED in manifest, "the fixture manifest changed: update DROPPED"
    (work / "bert.toml").write_text(manifest.replace(DROPPED, ""))
    report = work / "report.html"
    audit = subprocess.run(
        [initspec, "audit", str((FIXTURES / "bert").relative_to(ROOT)), "--manifest",
         str(work / "bert.toml"), "--report", str(report)],
        capture_output=True, text=True, cwd=ROOT)
    if audit.returncode != 1 or not report.exists():
        sys.exit(f"the audit should exit 1 and write the report: {audit.returncode} {audit.stderr}")
    page = report.read_text()
    for pattern in [r"\ssrc=", r"<link\b", r"@import", r"url\("]:
        if re.search(pattern, page):
            problems.append(f"the page refers to something outside it: {pattern}")
    unsorted = Rows()
    unsorted.feed(page)
    if not unsorted.rows or unsorted.rows[0][0] != "fail":
        problems.append(f"the failing tensor is not first: {unsorted.rows[:2]}")

    problems += dom_problems(browser, report.as_uri() + "#sort=name", sort_by_name=True)
    # Negative controls: the same checks must see a script error and a hidden figure.
    broken = work / "broken.html"
    broken.write_text(page.replace("(function () {", "(function () { undefinedFunction();", 1))
    found = dom_problems(browser, broken.as_uri(), sort_by_name=False)
    if not any("console" in p for p in found) or not any("did not run" in p for p in found):
        problems.append(f"control: a script error went unnoticed: {found}")
    closed = work / "closed.html"
    closed.write_text(page.replace(" open>", ">"))
    found = dom_problems(browser, closed.as_uri(), sort_by_name=False)
    if found != ["the figure is not visible (data-visible=['table'])"]:
        problems.append(f"control: a closed figure went unnoticed: {found}")

    shot = work / "screenshot.png"
    subprocess.run([browser, *FLAGS, "--window-size=1280,1100", f"--screenshot={shot}",
                    report.as_uri()], capture_output=True, timeout=120)
    data = shot.read_bytes() if shot.exists() else b""
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) < 20_000:
        problems.append(f"no plausible screenshot ({len(data)} bytes)")
    elif screenshot_copy:
        shutil.copyfile(shot, screenshot_copy)

    if problems:
        print("report in the browser: FAIL\n- " + "\n- ".join(problems))
        sys.exit(1)
    print(f"report in the browser: ok ({len(unsorted.rows)} rows, {len(page)} bytes, screenshot {len(data)} bytes; both controls caught)")


if __name__ == "__main__":
    main()
