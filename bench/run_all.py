"""Every benchmark of issue 6 with modest defaults, then one summary table against the goals.

    PYTHONPATH=src .venv/bin/python bench/run_all.py [--skip tta,memory] [--only mlp,models]

Each benchmark runs as its own process (its full output is echoed), with
OPENBLAS_NUM_THREADS=1 and one thread per framework where a CPU clock makes the ratio robust
on a shared machine (mlp, models, lstm, conv, overhead); memory and time-to-accuracy are
whole-process measurements. The summary gives, per workload, steepest's and PyTorch's number,
the ratio steepest / PyTorch of that number, the goal of issue 6 and whether it is met, then
the achieved GFLOP/s against NumPy's float32 GEMM rate at the same shapes (the practical
limit). Total: about 5 minutes on an idle 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import gemm_case, gflop, linear_gemms

HERE = Path(__file__).resolve().parent
ONE_THREAD = ["--single-thread"]
COMMANDS = {
    "mlp": ["bench_mlp.py", *ONE_THREAD, "--repeats", "5", "--steps", "40"],
    "models": ["bench_models.py", *ONE_THREAD, "--json"],
    "lstm": ["bench_lstm.py", *ONE_THREAD, "--json"],
    "conv": ["bench_conv.py", "--shapes", "issue", "--pools", "", "--repeats", "9", "--stat",
             "min", "--clock", "cpu", "--torch-threads", "1"],
    "overhead": ["bench_overhead.py", "--repeats", "5"],
    "memory": ["bench_memory.py", "--json"],
    "tta": ["bench_time_to_accuracy.py"],
}  # fmt: skip
MLP_LAYERS = [(784, 512), (512, 512), (512, 10)]


def run(name: str) -> str:
    cmd = [sys.executable, str(HERE / COMMANDS[name][0]), *COMMANDS[name][1:]]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    print(f"\n$ OPENBLAS_NUM_THREADS=1 python bench/{' '.join(COMMANDS[name])}  "
          f"(load {os.getloadavg()[0]:.2f})", flush=True)  # fmt: skip
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    print(out.stdout + out.stderr, end="")
    print(f"[{name}: {time.perf_counter() - start:.0f} s, exit {out.returncode}]", flush=True)
    return out.stdout


def json_lines(text: str) -> list[dict]:
    return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("JSON ")]


def gemm_rate(shapes: list, repeats: int = 5) -> float:
    """NumPy float32 GFLOP/s at ``shapes`` (one thread: the caller sets OPENBLAS_NUM_THREADS)."""
    fn = gemm_case(shapes)
    fn()
    best = min(_timed(fn) for _ in range(repeats))
    return gflop(shapes) / best


def _timed(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def summarize(outputs: dict[str, str]) -> tuple[list, list]:
    """(goal rows, GFLOP/s rows) parsed from the benchmarks' outputs."""
    rows, flops = [], []

    def add(workload, ours, theirs, ratio, goal, met):
        rows.append((workload, ours, theirs, "-" if ratio is None else f"{ratio:.2f}", goal,
                     "-" if met is None else ("yes" if met else "NO")))  # fmt: skip

    if "mlp" in outputs:
        for m in re.finditer(r"^\s*(\d+)\s+([\d,]+)\s+([\d,]+)\s+([\d.]+)", outputs["mlp"], re.M):
            batch, ours, theirs = int(m[1]), *(float(g.replace(",", "")) for g in m.group(2, 3))
            goal = {32: 1.3, 128: 1.0}.get(batch)
            add(f"MLP batch {batch} (samples/CPU-s)", f"{ours:,.0f}", f"{theirs:,.0f}",
                ours / theirs, f">= {goal}" if goal else "-",
                None if goal is None else ours / theirs >= goal)  # fmt: skip
            shapes = linear_gemms(batch, MLP_LAYERS)[:2] + linear_gemms(batch, MLP_LAYERS[1:])
            per = gflop(shapes) / batch
            flops.append((f"MLP batch {batch}", ours * per, theirs * per, gemm_rate(shapes)))
    for r in json_lines(outputs.get("models", "")) + json_lines(outputs.get("lstm", "")):
        label = {"lenet5": "LeNet-5 batch 128", "mnist_cnn": "MNIST CNN batch 64",
                 "text_lstm": "LSTM classifier batch 64"}[r["name"]]  # fmt: skip
        theirs = r.get("torch/s")
        ratio = r["steepest/s"] / theirs if theirs else None
        goal = ">= 0.7 (stretch 1.0)" if r["name"] != "text_lstm" else "-"
        add(f"{label} (samples/CPU-s)", f"{r['steepest/s']:,.0f}",
            f"{theirs:,.0f}" if theirs else "-", ratio, goal,
            None if ratio is None or r["name"] == "text_lstm" else ratio >= 0.7)  # fmt: skip
        flops.append((label, r["steepest GF/s"], r.get("torch GF/s"), r["gemm GF/s"]))
    if "conv" in outputs:
        m = re.search(r"^issue\s+(.*)$", outputs["conv"], re.M)
        if m:
            cells = m[1].split()
            st_fb, torch_fb = float(cells[4]), cells[5]
            theirs = float(torch_fb) if torch_fb != "-" else None
            add("conv2d issue layer f+b (CPU ms)", f"{st_fb:.2f}",
                f"{theirs:.2f}" if theirs else "-",
                st_fb / theirs if theirs else None, "- (time ratio)", None)  # fmt: skip
    if "overhead" in outputs:
        text = outputs["overhead"]
        ours = re.search(r"steepest:\s*([\d.]+) us/op", text)
        theirs = re.search(r"pytorch :\s*([\d.]+) us/op", text)
        if ours:
            o, t = float(ours[1]), float(theirs[1]) if theirs else None
            add("per-op overhead (us/op, CPU)", f"{o:.2f}", f"{t:.2f}" if t else "-",
                o / t if t else None, "<= 1.0 (time)", None if t is None else o <= t)
        imp = re.search(r"import steepest: ([\d.]+) s", text)
        timp = re.search(r"import torch: ([\d.]+) s", text)
        if imp:
            add("import time (s)", imp[1], timp[1] if timp else "-", None, "<= 0.3 s",
                float(imp[1]) <= 0.3)  # fmt: skip
    mem = json_lines(outputs.get("memory", ""))
    if mem:
        m = mem[0]
        t = m.get("torch", {}).get("peak")
        add("peak RSS, MLP epoch (MiB)", f"{m['steepest']['peak']:.0f}", f"{t:.0f}" if t else "-",
            m["steepest"]["peak"] / t if t else None, "<= 0.5",
            None if t is None else m["steepest"]["peak"] / t <= 0.5)  # fmt: skip
    if "tta" in outputs:
        text = outputs["tta"]
        hit = re.search(r"REACHED ([\d.]+)% test accuracy in ([\d.]+) s", text)
        miss = re.search(r"NOT REACHED: (.*?) before .*best test accuracy ([\d.]+) at ([\d.]+) s",
                         text)  # fmt: skip
        if hit and not miss:
            add(f"time to {hit[1]}% MNIST test acc. (s)", hit[2], "-", None, "<= 60 s",
                float(hit[2]) <= 60)  # fmt: skip
        elif miss:
            add(f"time to 99.2% MNIST (not reached: {miss[1]}; best {float(miss[2]):.2%})",
                f"> {miss[3]}", "-", None, "<= 60 s", False)  # fmt: skip
    return rows, flops


def print_table(head: list[str], rows: list) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    for line in [head, ["-" * w for w in widths], *rows]:
        print("| " + " | ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(COMMANDS), help="comma-separated")
    parser.add_argument("--skip", default="", help="comma-separated")
    args = parser.parse_args()
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":  # the GEMM limit below: one thread too
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
        os.execv(sys.executable, [sys.executable, *sys.argv])
    names = [n for n in args.only.split(",") if n and n not in args.skip.split(",")]
    unknown = set(names) - set(COMMANDS)
    if unknown:
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {list(COMMANDS)}")
    start, load0 = time.perf_counter(), os.getloadavg()[0]
    outputs = {name: run(name) for name in names}
    rows, flops = summarize(outputs)
    print(f"\n## Summary ({time.perf_counter() - start:.0f} s; load average {load0:.2f} at the "
          f"start, {os.getloadavg()[0]:.2f} at the end; numpy {np.__version__})")  # fmt: skip
    print_table(["workload", "steepest", "PyTorch", "ratio st/PT", "goal", "met?"], rows)
    if flops:
        print("\nAchieved GFLOP/s of the GEMM work vs NumPy float32 GEMM at the same shapes "
              "(one thread):")  # fmt: skip
        print_table(["workload", "steepest", "PyTorch", "NumPy GEMM", "steepest % of GEMM"], [
            (w, f"{s:.1f}", "-" if t is None else f"{t:.1f}", f"{g:.1f}", f"{100 * s / g:.0f}%")
            for w, s, t, g in flops])  # fmt: skip


if __name__ == "__main__":
    main()
