#!/usr/bin/env python3
"""Extracts digits.csv.gz, the 1,797 8×8 handwritten digits, from scikit-learn.

    python3 -m venv /tmp/sk && /tmp/sk/bin/pip install scikit-learn==1.9.1
    /tmp/sk/bin/python crates/initspec-nn/data/extract_digits.py

The file is copied byte for byte from scikit-learn's package data
(sklearn/datasets/data/digits.csv.gz); this script checks its SHA-256 and its content (1,797
rows of 64 pixel counts in 0..16 and a label in 0..9) and that it is what
sklearn.datasets.load_digits returns. initspec reads the copy itself, with no Python at run
time (crates/initspec-nn/src/digits.rs).
"""

import gzip
import hashlib
import shutil
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_digits

SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"

source = Path(sklearn.__file__).parent / "datasets" / "data" / "digits.csv.gz"
target = Path(__file__).with_name("digits.csv.gz")
digest = hashlib.sha256(source.read_bytes()).hexdigest()
assert digest == SHA256, f"scikit-learn {sklearn.__version__} ships a different file: {digest}"
shutil.copyfile(source, target)

rows = np.loadtxt(gzip.open(target, "rt"), delimiter=",")
assert rows.shape == (1797, 65)
assert ((rows[:, :64] >= 0) & (rows[:, :64] <= 16)).all() and set(rows[:, 64]) == set(range(10))
reference = load_digits()
assert (rows[:, :64] == reference.data).all() and (rows[:, 64] == reference.target).all()
print(f"wrote {target} ({target.stat().st_size} bytes, sha256 {digest})")
