#!/usr/bin/env python3
"""Prints the tables of docs/EXPERIMENTS.md ("Does it train?") from the JSON files that
train_sweep.sh writes: test accuracy, mean ± sd over seeds, per start and activation.

    python3 docs/experiments/train_table.py target/train-sweep
"""

import json
import sys
from pathlib import Path

STARTS = [
    ("zeros", "zeros"),
    ("small", "small N(0, 0.01²)"),
    ("large", "large N(0, 1)"),
    ("xavier", "Xavier (xavier_uniform)"),
    ("he", "He (kaiming_normal, ReLU gain)"),
    ("lecun", "LeCun (lecun_normal)"),
    ("orthogonal", "orthogonal"),
    ("lsuv", "LSUV"),
    ("bn-small", "batch norm + small N(0, 0.01²)"),
    ("ae", "AE pre-trained"),
]
ACTIVATIONS = ["tanh", "relu", "sigmoid"]


def load(directory):
    runs = {}
    for path in sorted(Path(directory).glob("*.json")):
        data = json.loads(path.read_text())
        accuracies = [r["test_accuracy"] for r in data["runs"]]
        diverged = sum(1 for r in data["runs"] if r.get("diverged_at"))
        runs[path.stem] = (data["summary"], accuracies, diverged)
    return runs


def cell(runs, key):
    if key not in runs:
        return "—"
    summary, _, diverged = runs[key]
    text = f"{summary['test_accuracy_mean']:.3f} ± {summary['test_accuracy_sd']:.3f}"
    if diverged:
        text += f" ({diverged} diverged)"
    return text


def main():
    runs = load(sys.argv[1] if len(sys.argv) > 1 else "target/train-sweep")
    header = "| start | " + " | ".join(f"{a}, depth 10" for a in ACTIVATIONS) + " | " + \
        " | ".join(f"{a}, depth 2" for a in ACTIVATIONS) + " |"
    print(header)
    print("|" + "---|" * (1 + 2 * len(ACTIVATIONS)))
    for key, label in STARTS:
        cells = [cell(runs, f"d10-{a}-{key}") for a in ACTIVATIONS]
        cells += [cell(runs, f"d2-{a}-{key}") for a in ACTIVATIONS]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print()
    print("| depth 10, task, labels | " + " | ".join(ACTIVATIONS) + " |")
    print("|" + "---|" * (1 + len(ACTIVATIONS)))
    for key, label in [
        ("ref59", "reference start, digits 5-9, 100 % labels"),
        ("transfer", "transfer from 0-4, digits 5-9, 100 % labels"),
        ("ref-l10", "reference start, digits 0-9, 10 % labels"),
        ("ae-l10", "AE pre-trained, digits 0-9, 10 % labels"),
        ("ref59-l10", "reference start, digits 5-9, 10 % labels"),
        ("transfer-l10", "transfer from 0-4, digits 5-9, 10 % labels"),
    ]:
        print(f"| {label} | " + " | ".join(cell(runs, f"d10-{a}-{key}") for a in ACTIVATIONS) + " |")


if __name__ == "__main__":
    main()
