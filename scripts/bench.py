"""Times actlab against the PyTorch reference of the notebook, as whole processes.

Each case runs the reference (A) and actlab (B) in turn, A B A B ..., so that
both see the same machine conditions, and reports each one's median wall
time, its peak resident memory and the ratio of the medians. It also times
actlab's start-up to its first line of output, and the floor: the matrix
products of the 6.4 training alone, for the same shapes and step count.

This is a benchmark, not a test: it reports and never fails on a number.

Usage: .venv/bin/python scripts/bench.py [--rounds N] [--scale-rounds N]
       [--skip-scaling] [--markdown FILE]
"""

import argparse
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACTLAB = os.path.join(ROOT, "target", "release", "actlab")
REFERENCE = os.path.join(ROOT, "notebooks-ref", "activation_functions.py")
BATCH = 64
EPOCHS = 30
MODELS = 6


def run_once(command):
    """Runs a command; returns (wall seconds, peak RSS in MiB, seconds to first line)."""
    out = tempfile.mkdtemp(prefix="actlab-bench-")
    started = time.perf_counter()
    process = subprocess.Popen(
        command + ["--out", out], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    first_line = None
    for _ in process.stdout:
        if first_line is None:
            first_line = time.perf_counter() - started
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    if status != 0:
        sys.exit(f"bench: {' '.join(command)} failed with status {status}")
    return wall, usage.ru_maxrss / 1024.0, first_line


def compare(name, args, rounds):
    reference = [sys.executable, REFERENCE] + args + ["--device", "cpu"]
    actlab = [ACTLAB] + args + ["--device", "cpu"]
    timings = {"reference": [], "actlab": []}
    for r in range(rounds):
        for label, command in (("reference", reference), ("actlab", actlab)):
            timings[label].append(run_once(command))
            wall = timings[label][-1][0]
            print(f"  {name}: round {r + 1}/{rounds} {label} {wall:.2f} s", file=sys.stderr)

    def median(label, index):
        return statistics.median(t[index] for t in timings[label])

    row = {
        "case": name,
        "reference_s": median("reference", 0),
        "actlab_s": median("actlab", 0),
        "reference_rss": max(t[1] for t in timings["reference"]),
        "actlab_rss": max(t[1] for t in timings["actlab"]),
        "actlab_first_line": median("actlab", 2),
    }
    row["ratio"] = row["reference_s"] / row["actlab_s"]
    return row


def matmul_floor(samples, hidden):
    """The forward and backward matrix products of 6.4's training, alone."""
    import torch

    steps_per_epoch = math.ceil(samples / BATCH)
    shapes = [(20, hidden), (hidden, hidden), (hidden, hidden), (hidden, 2)]
    xs = [torch.randn(BATCH, i) for i, _ in shapes]
    ws = [torch.randn(o, i) for i, o in shapes]
    bs = [torch.randn(o) for _, o in shapes]
    gs = [torch.randn(BATCH, o) for _, o in shapes]

    def step():
        for k, (x, w, b, g) in enumerate(zip(xs, ws, bs, gs)):
            torch.addmm(b, x, w.t())
            if k > 0:
                g.mm(w)
            g.t().mm(x)

    for _ in range(100):
        step()
    repeats = 1000
    started = time.perf_counter()
    for _ in range(repeats):
        step()
    per_step = (time.perf_counter() - started) / repeats
    return per_step * steps_per_epoch * EPOCHS * MODELS


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale-rounds", type=int, default=1)
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--markdown", default=os.path.join(ROOT, "bench-out", "bench.md"))
    args = parser.parse_args()
    if not os.path.exists(ACTLAB):
        sys.exit("bench: build actlab first (make build)")

    cases = [
        ("6.1", ["section", "6.1"], args.rounds),
        ("6.4", ["section", "6.4"], args.rounds),
        ("all", ["all"], args.rounds),
    ]
    if not args.skip_scaling:
        cases += [
            ("6.4, 10x samples", ["section", "6.4", "--samples", "50000"], args.scale_rounds),
            ("6.4, 4x hidden width", ["section", "6.4", "--hidden", "512"], args.scale_rounds),
        ]

    rows = [compare(name, case_args, rounds) for name, case_args, rounds in cases]

    import torch

    torch.set_num_threads(1)
    floors = {
        "6.4": matmul_floor(5000, 128),
        "6.4, 10x samples": matmul_floor(50000, 128),
        "6.4, 4x hidden width": matmul_floor(5000, 512),
    }

    lines = [
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}; torch {torch.__version__}",
        "",
        "| case | reference median (s) | actlab median (s) | ratio | reference peak RSS (MiB) "
        "| actlab peak RSS (MiB) | actlab first output (s) | matmul floor, 1 thread (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        floor = floors.get(row["case"])
        floor_text = f"{floor:.2f}" if floor is not None else "-"
        lines.append(
            f"| {row['case']} | {row['reference_s']:.2f} | {row['actlab_s']:.2f} "
            f"| {row['ratio']:.2f}x | {row['reference_rss']:.0f} | {row['actlab_rss']:.0f} "
            f"| {row['actlab_first_line']:.2f} | {floor_text} |"
        )
    text = "\n".join(lines)
    print(text)
    os.makedirs(os.path.dirname(args.markdown), exist_ok=True)
    with open(args.markdown + ".partial", "w") as f:
        f.write(text + "\n")
    os.replace(args.markdown + ".partial", args.markdown)
    print(f"wrote {args.markdown}", file=sys.stderr)


if __name__ == "__main__":
    main()
