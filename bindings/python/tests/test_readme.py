"""The README's Python example, run as written on a model that has an `fc` layer."""

import re
from pathlib import Path

import torch.nn as nn

README = Path(__file__).resolve().parents[3] / "README.md"


def test_readme_python_example_runs_and_passes():
    text = README.read_text()
    section = text[text.index("## Python"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    model = nn.Sequential()
    model.add_module("fc", nn.Linear(300, 100))
    model.add_module("out", nn.Linear(100, 10))
    scope = {"model": model}
    exec(code, scope)
    rows = scope["rows"]
    assert [r["name"] for r in rows if r["verdict"] != "pass"] == []
    assert {r["name"] for r in rows} == {"fc.weight", "fc.bias", "out.weight", "out.bias"}
    assert next(r for r in rows if r["name"] == "fc.weight")["scheme"] == "xavier_uniform"
