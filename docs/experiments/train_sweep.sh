#!/usr/bin/env bash
# The training experiment of docs/EXPERIMENTS.md ("Does it train?"): every start, on tanh,
# ReLU and sigmoid networks of depth 10 and 2, 10 seeds each, and the few-labels runs.
#
#   docs/experiments/train_sweep.sh [OUT_DIR] [THREADS]
#
# Writes one `initspec train --json` file per setting into OUT_DIR (default
# target/train-sweep) and prints the table of docs/EXPERIMENTS.md (docs/experiments/
# train_table.py). Takes about 25 minutes of CPU time (Zen 4, 2026-12-05).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-target/train-sweep}"
threads="${2:-2}"
bin=target/release/initspec
cargo build --release -p initspec-cli >/dev/null
mkdir -p "$out"

common=(--width 128 --epochs 20 --seeds 10 --seed 0 --threads "$threads" --json)
run() { # name, then train arguments
    local name="$1"
    shift
    [[ -s "$out/$name.json" ]] || "$bin" train "$@" "${common[@]}" >"$out/$name.json"
}

for depth in 10 2; do
    for act in tanh relu sigmoid; do
        tag="d$depth-$act"
        run "$tag-zeros" --init zeros --activation "$act" --depth "$depth"
        run "$tag-small" --init "normal(std=0.01)" --activation "$act" --depth "$depth"
        run "$tag-large" --init "normal(std=1)" --activation "$act" --depth "$depth"
        run "$tag-xavier" --init xavier_uniform --activation "$act" --depth "$depth"
        run "$tag-he" --init "kaiming_normal(nonlinearity=relu)" --activation "$act" --depth "$depth"
        run "$tag-lecun" --init lecun_normal --activation "$act" --depth "$depth"
        run "$tag-orthogonal" --init orthogonal --activation "$act" --depth "$depth"
        run "$tag-lsuv" --init lsuv --activation "$act" --depth "$depth"
        run "$tag-bn-small" --init "normal(std=0.01)" --batchnorm --activation "$act" --depth "$depth"
        if [[ $depth == 10 ]]; then
            run "$tag-ae" --init ae-pretrain --activation "$act" --depth "$depth"
            # Transfer is measured on digits 5-9, against the reference start on the same task.
            run "$tag-transfer" --init transfer --activation "$act" --depth "$depth"
            ref=xavier_uniform
            [[ $act == relu ]] && ref="kaiming_normal(nonlinearity=relu)"
            run "$tag-ref59" --init "$ref" --digits 5-9 --activation "$act" --depth "$depth"
            # Few labels: 10 % of the training labels.
            run "$tag-ref-l10" --init "$ref" --labels 0.1 --activation "$act" --depth "$depth"
            run "$tag-ae-l10" --init ae-pretrain --labels 0.1 --activation "$act" --depth "$depth"
            run "$tag-ref59-l10" --init "$ref" --digits 5-9 --labels 0.1 --activation "$act" --depth "$depth"
            run "$tag-transfer-l10" --init transfer --labels 0.1 --activation "$act" --depth "$depth"
        fi
    done
done
python3 docs/experiments/train_table.py "$out"
