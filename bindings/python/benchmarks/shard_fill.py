"""What sharded initialization costs: one rank's fill of its shard with initspec against
torch's own ``normal_`` on a tensor of the same shape, measured in one run, interleaved.

    python bindings/python/benchmarks/shard_fill.py [--threads N] [--reps R]

The global tensor is a 8192 × 8192 float32 weight (256 MiB) drawn from
``normal(std=0.02)``; a rank's shard under Shard(0) over 4 ranks is rows 2048..4096 (one run
of 16 Mi consecutive counters), under Shard(1) columns 2048..4096 (8192 runs of 2048). The
fills go through the same code as ``initspec.torch.init_`` on a DTensor (the block's global
offsets), without a process group: a rank's work is local either way. Threads: N for both
libraries (rayon's pool via RAYON_NUM_THREADS, torch.set_num_threads), default 1.

Prints the median time of each fill and the ratio initspec / torch.
"""

import argparse
import os
import platform
import statistics
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args()
    os.environ["RAYON_NUM_THREADS"] = str(args.threads)  # before initspec's first fill
    import torch

    import initspec

    torch.set_num_threads(args.threads)
    rows = cols = 8192
    ranks = 4
    part = rows // ranks
    shards = {
        "Shard(0)": ((part, cols), [(part, 2 * part), (0, cols)]),
        "Shard(1)": ((rows, part), [(0, rows), (part, 2 * part)]),
    }
    times = {(layout, who): [] for layout in shards for who in ("initspec", "torch")}
    tensors = {layout: torch.empty(shape) for layout, (shape, _) in shards.items()}
    for _ in range(args.reps):
        for layout, (_, block) in shards.items():
            local = tensors[layout]
            start = time.perf_counter()
            initspec._fill(local, "normal(std=0.02)", block, [rows, cols], 0, "w", None, 1, False)
            times[(layout, "initspec")].append(time.perf_counter() - start)
            start = time.perf_counter()
            local.normal_(0.0, 0.02)
            times[(layout, "torch")].append(time.perf_counter() - start)
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            info = dict(line.split(":", 1) for line in f.read().split("\n\n")[0].splitlines()
                        if ":" in line)
        info = {k.strip(): v.strip() for k, v in info.items()}
        cpu = f"{info['model name']} (family {info['cpu family']}, model {info['model']})"
    except (OSError, KeyError):
        pass
    print(f"shard fill, {rows}x{cols} f32 global, {ranks} ranks, normal(std=0.02), "
          f"{args.threads} thread(s), {args.reps} reps, torch {torch.__version__}, CPU {cpu}")
    print(f"{'layout':<10} {'shard':>12} {'initspec ms':>12} {'torch ms':>10} {'ratio':>7} {'initspec GB/s':>14}")
    for layout, (shape, _) in shards.items():
        ours = statistics.median(times[(layout, "initspec")])
        theirs = statistics.median(times[(layout, "torch")])
        gbs = shape[0] * shape[1] * 4 / ours / 1e9
        print(f"{layout:<10} {str(shape[0]) + 'x' + str(shape[1]):>12} {ours * 1e3:>12.2f} "
              f"{theirs * 1e3:>10.2f} {ours / theirs:>7.3f} {gbs:>14.2f}")


if __name__ == "__main__":
    main()
