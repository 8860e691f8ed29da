#!/usr/bin/env python3
"""initspec's audit against `scipy.stats.kstest` on the very same f32 values, in one session.

Writes (once) a correct N(0, 0.02²) draw of 2^LOG2 float32 values with initspec's own
Sampler as a .npy (`audit_speed write`), loads it with NumPy, then alternates, ROUNDS times:

    audit_speed audit FILE       initspec's full audit (ks, anderson_darling, chi2, mean,
                                 variance) of the values read as f32, its peak RSS
    scipy.stats.kstest(x, 'norm', args=(0, 0.02))   on the same values, in this process
    audit_speed identify FILE    identify on the same file

and reports the medians and the median of the per-round ratios (scipy / audit in wall-clock
time and in CPU time, identify / audit), initspec's peak RSS against the tensor's bytes, and the time to audit 1k, 10k and
100k tiny tensors. Timings of initspec are taken inside its process (the file read is timed
apart); SciPy is timed around the call. CPU time (all threads, user + system) is the figure
that other processes on the machine disturb least.

    python3 -m venv .venv && .venv/bin/pip install numpy scipy
    cargo build --release -p initspec-benches --bin audit_speed
    .venv/bin/python benches/python/audit_vs_scipy.py --rounds 5

It prints one JSON object (with the machine's CPU model and load averages).
"""
import argparse
import json
import os
import statistics
import subprocess
import time


def run(binary, *args):
    out = subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/release/audit_speed")
    parser.add_argument("--file", default="target/audit_speed_2p26.npy")
    parser.add_argument("--log2", type=int, default=26)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tiny", default="1000,10000,100000")
    args = parser.parse_args()

    import numpy as np
    import scipy
    import scipy.stats

    if not os.path.exists(args.file):
        run(args.binary, "write", args.file, str(args.log2))
    x = np.load(args.file).ravel()  # one sample of all values (a 2-D array would be tested column by column)
    assert x.dtype == np.float32 and x.size == 1 << args.log2, (x.dtype, x.size)

    load_before = os.getloadavg()
    rounds = []
    for _ in range(args.rounds):
        ours = run(args.binary, "audit", args.file)[0]
        t, cpu = time.perf_counter(), time.process_time()
        ks = scipy.stats.kstest(x, "norm", args=(0.0, 0.02))
        scipy_s, scipy_cpu_s = time.perf_counter() - t, time.process_time() - cpu
        ident = run(args.binary, "identify", args.file)[0]
        rounds.append(
            {
                "audit_s": ours["audit_s"],
                "scipy_kstest_s": scipy_s,
                "identify_s": ident["identify_s"],
                "audit_cpu_s": ours["audit_cpu_s"],
                "scipy_kstest_cpu_s": scipy_cpu_s,
                "scipy_over_audit": scipy_s / ours["audit_s"],
                "scipy_over_audit_cpu": scipy_cpu_s / max(ours["audit_cpu_s"], 0.01),
                "identify_over_audit": ident["identify_s"] / ours["audit_s"],
                "peak_rss_kib": ours["peak_rss_kib"],
                "ks_d": ours["ks_d"],
                "ks_p": ours["ks_p"],
                "scipy_d": float(ks.statistic),
                "scipy_p": float(ks.pvalue),
            }
        )
    # Once, untimed: SciPy on the values widened to float64. On a float32 array it
    # standardizes in float32 (NumPy 2 keeps the array's type), so its D can differ from the
    # exact one in the 4th significant digit at this n; widened, it should agree with ours.
    wide = scipy.stats.kstest(x.astype(np.float64), "norm", args=(0.0, 0.02))
    tensor_bytes = int(x.nbytes)
    median = lambda key: statistics.median(r[key] for r in rounds)
    peak = max(r["peak_rss_kib"] for r in rounds) * 1024
    report = {
        "cpu": cpu_model(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "n": int(x.size),
        "rounds": rounds,
        "median_audit_s": median("audit_s"),
        "median_scipy_kstest_s": median("scipy_kstest_s"),
        "median_identify_s": median("identify_s"),
        "median_scipy_over_audit": median("scipy_over_audit"),
        "median_scipy_over_audit_cpu": median("scipy_over_audit_cpu"),
        "median_identify_over_audit": median("identify_over_audit"),
        "scipy_f64_d": float(wide.statistic),
        "scipy_f64_p": float(wide.pvalue),
        "tensor_bytes": tensor_bytes,
        "peak_rss_bytes": peak,
        "peak_rss_over_tensor": peak / tensor_bytes,
        "peak_rss_limit_bytes": 1.25 * tensor_bytes + 64 * 2**20,
        "tiny": run(args.binary, "tiny", *args.tiny.split(",")),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
