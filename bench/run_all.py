"""Every benchmark with modest defaults, then one summary table against the goals of issue 15.

    PYTHONPATH=src python bench/run_all.py [--skip tta,memory] [--only mlp,models]
    PYTHONPATH=src python bench/run_all.py --single-thread

The headline (the default): wall clock, both frameworks at their defaults as a user runs them
(PyTorch's intra-op threads, NumPy's OpenBLAS threads, steepest's kernel and optimizer
threads), on an idle machine. ``--single-thread`` is the diagnostic view of issue 6: one
thread per framework (OPENBLAS_NUM_THREADS=1) and process CPU time, which a busy machine
disturbs less, but which says nothing about using the second core.

Each benchmark runs as its own process (its full output is echoed); memory and
time-to-accuracy are whole-process measurements. The summary gives, per workload,
steepest's and PyTorch's number, the ratio steepest / PyTorch of that number, the goal and
whether it is met, then the achieved GFLOP/s against NumPy's float32 GEMM rate at the same
shapes (one thread: a per-core yardstick). Total: about 10 minutes on an idle 2-core machine
(run it with a Python that has PyTorch, else only steepest's columns fill).
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
USER_BLAS = "STEEPEST_BENCH_USER_OPENBLAS_NUM_THREADS"
CNNS = "lenet5,mnist_cnn,cnn5x5,resnet20"
DEFAULTS = {  # the headline: wall clock, each framework at its default threads
    "mlp": ["bench_mlp.py", "--repeats", "5", "--steps", "40"],
    "models": ["bench_models.py", "--models", CNNS, "--json"],
    "lstm": ["bench_lstm.py", "--json"],
    "conv": ["bench_conv.py", "--shapes", "issue", "--pools", "", "--repeats", "9"],
    "overhead": ["bench_overhead.py", "--repeats", "5"],
    "memory": ["bench_memory.py", "--json"],
    "memory_cnn": ["bench_memory.py", "--model", "lenet5", "--samples", "20000", "--json"],
    "tta": ["bench_time_to_accuracy.py"],
    "tta_torch": ["bench_time_to_accuracy.py", "--torch"],
}  # fmt: skip
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


def run(name: str, commands: dict) -> str:
    cmd = [sys.executable, str(HERE / commands[name][0]), *commands[name][1:]]
    env = dict(os.environ)
    prefix = ""
    if commands is COMMANDS:
        env["OPENBLAS_NUM_THREADS"], prefix = "1", "OPENBLAS_NUM_THREADS=1 "
    elif env.get(USER_BLAS, "unset") == "unset":
        env.pop("OPENBLAS_NUM_THREADS", None)
    else:
        env["OPENBLAS_NUM_THREADS"] = env[USER_BLAS]
    print(f"\n$ {prefix}python bench/{' '.join(commands[name])}  "
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


LABELS = {"lenet5": "LeNet-5 batch 128", "mnist_cnn": "MNIST CNN batch 64",
          "cnn5x5": "5x5 CNN batch 128", "resnet20": "ResNet-20 batch 128",
          "text_lstm": "LSTM classifier batch 64"}  # fmt: skip
GOALS = {"lenet5": 1.0, "mnist_cnn": 1.0, "cnn5x5": 1.0, "resnet20": 0.8, "text_lstm": 1.0}


def summarize(outputs: dict[str, str], unit: str = "samples/s") -> tuple[list, list]:
    """(goal rows, GFLOP/s rows) parsed from the benchmarks' outputs (goals of issue 15)."""
    rows, flops = [], []
    ms = "CPU ms" if "CPU" in unit else "ms"

    def add(workload, ours, theirs, ratio, goal, met):
        rows.append((workload, ours, theirs, "-" if ratio is None else f"{ratio:.2f}", goal,
                     "-" if met is None else ("yes" if met else "NO")))  # fmt: skip

    if "mlp" in outputs:
        for m in re.finditer(r"^\s*(\d+)\s+([\d,]+)\s+([\d,]+)\s+([\d.]+)", outputs["mlp"], re.M):
            batch, ours, theirs = int(m[1]), *(float(g.replace(",", "")) for g in m.group(2, 3))
            goal = {32: 1.5, 128: 1.3}.get(batch)
            add(f"MLP batch {batch} ({unit})", f"{ours:,.0f}", f"{theirs:,.0f}",
                ours / theirs, f">= {goal}" if goal else "-",
                None if goal is None else ours / theirs >= goal)  # fmt: skip
            shapes = linear_gemms(batch, MLP_LAYERS)[:2] + linear_gemms(batch, MLP_LAYERS[1:])
            per = gflop(shapes) / batch
            flops.append((f"MLP batch {batch}", ours * per, theirs * per, gemm_rate(shapes)))
    for r in json_lines(outputs.get("models", "")) + json_lines(outputs.get("lstm", "")):
        label = LABELS[r["name"]]
        theirs = r.get("torch/s")
        ratio = r["steepest/s"] / theirs if theirs else None
        goal = GOALS[r["name"]]
        add(f"{label} ({unit})", f"{r['steepest/s']:,.0f}",
            f"{theirs:,.0f}" if theirs else "-", ratio, f">= {goal}",
            None if ratio is None else ratio >= goal)  # fmt: skip
        flops.append((label, r["steepest GF/s"], r.get("torch GF/s"), r["gemm GF/s"]))
    if "conv" in outputs:
        m = re.search(r"^issue\s+(.*)$", outputs["conv"], re.M)
        if m:
            cells = m[1].split()
            st_fb, torch_fb = float(cells[4]), cells[5]
            theirs = float(torch_fb) if torch_fb != "-" else None
            add(f"conv2d issue layer f+b ({ms})", f"{st_fb:.2f}",
                f"{theirs:.2f}" if theirs else "-", st_fb / theirs if theirs else None,
                "<= 1.2 (time)", None if theirs is None else st_fb / theirs <= 1.2)  # fmt: skip
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
    for key, what, goal in (("memory", "MLP", 0.5), ("memory_cnn", "LeNet-5", None)):
        mem = json_lines(outputs.get(key, ""))
        if mem:
            m = mem[0]
            t = m.get("torch", {}).get("peak")
            ratio = m["steepest"]["peak"] / t if t else None
            add(f"peak RSS, {what} epoch (MiB)", f"{m['steepest']['peak']:.0f}",
                f"{t:.0f}" if t else "-", ratio, f"<= {goal}" if goal else "- (report)",
                None if t is None or goal is None else ratio <= goal)  # fmt: skip
    if "tta" in outputs:
        text = outputs["tta"]
        hit = re.search(r"REACHED ([\d.]+)% test accuracy in ([\d.]+) s", text)
        miss = re.search(r"NOT REACHED: (.*?) before .*best test accuracy ([\d.]+) at ([\d.]+) s",
                         text)  # fmt: skip
        theirs = re.search(r"REACHED [\d.]+% test accuracy in ([\d.]+) s",
                           outputs.get("tta_torch", ""))  # fmt: skip
        if hit and not miss:
            add(f"time to {hit[1]}% MNIST test acc. (s)", hit[2], theirs[1] if theirs else "-",
                float(hit[2]) / float(theirs[1]) if theirs else None, "<= 20 s",
                float(hit[2]) <= 20)  # fmt: skip
        elif miss:
            add(f"time to 99.2% MNIST (not reached: {miss[1]}; best {float(miss[2]):.2%})",
                f"> {miss[3]}", "-", None, "<= 20 s", False)  # fmt: skip
    return rows, flops


def print_table(head: list[str], rows: list) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    for line in [head, ["-" * w for w in widths], *rows]:
        print("| " + " | ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=None, help="comma-separated (default: all)")
    parser.add_argument("--skip", default="", help="comma-separated")
    parser.add_argument("--single-thread", action="store_true",
                        help="one thread each, CPU time (issue 6's diagnostic view)")  # fmt: skip
    args = parser.parse_args()
    commands = COMMANDS if args.single_thread else DEFAULTS
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":  # the GEMM limit below: one thread
        # (the benchmarks at defaults get the caller's setting back: run() reads this)
        os.environ[USER_BLAS] = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
        os.execv(sys.executable, [sys.executable, *sys.argv])
    only = args.only.split(",") if args.only else list(commands)
    names = [n for n in only if n and n not in args.skip.split(",")]
    unknown = set(names) - set(commands)
    if unknown:
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {list(commands)}")
    start, load0 = time.perf_counter(), os.getloadavg()[0]
    outputs = {name: run(name, commands) for name in names}
    rows, flops = summarize(outputs, "samples/CPU-s" if args.single_thread else "samples/s")
    mode = "one thread each, CPU time" if args.single_thread else "defaults, wall clock"
    print(f"\n## Summary ({mode}; {time.perf_counter() - start:.0f} s; load average "
          f"{load0:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; "
          f"numpy {np.__version__})")  # fmt: skip
    print_table(["workload", "steepest", "PyTorch", "ratio st/PT", "goal", "met?"], rows)
    if flops:
        print("\nAchieved GFLOP/s of the GEMM work vs NumPy float32 GEMM at the same shapes "
              "(one thread):")  # fmt: skip
        print_table(["workload", "steepest", "PyTorch", "NumPy GEMM", "steepest % of GEMM"], [
            (w, f"{s:.1f}", "-" if t is None else f"{t:.1f}", f"{g:.1f}", f"{100 * s / g:.0f}%")
            for w, s, t, g in flops])  # fmt: skip


if __name__ == "__main__":
    main()
