"""LSTM text classifier training throughput: ``st.models`` 'text_lstm' beside the same network
in PyTorch (Embedding -> LSTM -> last hidden state -> Linear).

    PYTHONPATH=src .venv/bin/python bench/bench_lstm.py [--batch 64] [--seq-len 100]
        [--vocab 10000] [--embed 64] [--hidden 64] [--steps 4] [--repeats 5]
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python bench/bench_lstm.py --single-thread

One case is ``--steps`` training steps (Adam, cross-entropy over 2 classes) on random token
ids; steepest, PyTorch and the step's GEMMs alone in NumPy run in turn within each repeat
(``bench_conv.measure``). Reported: samples/s, the throughput ratio steepest / PyTorch, and
GFLOP/s against "gemm": the input projection as one (N L, D) @ (D, 4H) product, the recurrent
(N, H) @ (H, 4H) product at each of the L steps and the classifier, each with its two
gradient products, run alone by NumPy in float32 (the practical limit).
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
from _common import gemm_case, gflop, header, linear_gemms, setup
from bench_conv import measure
from bench_models import steepest_steps, torch_steps

import steepest as st


def torch_lstm_classifier(torch, vocab: int, embed: int, hidden: int, classes: int):
    nn = torch.nn

    class LSTMClassifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(vocab, embed)
            self.lstm = nn.LSTM(embed, hidden, batch_first=True)
            self.fc = nn.Linear(hidden, classes)

        def forward(self, ids):
            _, (h_n, _) = self.lstm(self.embedding(ids))
            return self.fc(h_n[-1])

    return LSTMClassifier()


def lstm_gemms(n: int, length: int, embed: int, hidden: int, classes: int) -> list:
    return (linear_gemms(n * length, [(embed, 4 * hidden)])
            + linear_gemms(n, [(hidden, 4 * hidden)], times=length)
            + linear_gemms(n, [(hidden, classes)]))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seq-len", type=int, default=100)
    parser.add_argument("--vocab", type=int, default=10000)
    parser.add_argument("--embed", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--steps", type=int, default=4, help="training steps per timed case")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--stat", choices=["median", "min"], default="median")
    parser.add_argument("--single-thread", action="store_true")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--json", action="store_true", help="also one JSON line")
    args = parser.parse_args()
    torch, clock = setup(args.single_thread, args.no_torch)
    print(header(torch, clock, args.stat, args.repeats))
    n, length, classes = args.batch, args.seq_len, 2
    rng = np.random.default_rng(0)
    x = rng.integers(1, args.vocab, (n * 4, length)).astype(np.int64)
    y = rng.integers(0, classes, n * 4).astype(np.int64)
    st.manual_seed(0)
    model = st.models.get("text_lstm", vocab_size=args.vocab, embed_dim=args.embed,
                          hidden_size=args.hidden, num_classes=classes)  # fmt: skip
    cases = {"steepest": steepest_steps(model, x, y, n, args.steps)}
    if torch is not None:
        torch.manual_seed(0)
        tmodel = torch_lstm_classifier(torch, args.vocab, args.embed, args.hidden, classes)
        cases["torch"] = torch_steps(torch, tmodel, x, y, n, args.steps)
    shapes = lstm_gemms(n, length, args.embed, args.hidden, classes)
    limit = gemm_case(shapes)
    cases["gemm"] = lambda: [limit() for _ in range(args.steps)]
    ms = measure(cases, args.repeats, args.stat, clock)
    rate = {k: args.steps * n / (v / 1e3) for k, v in ms.items()}
    gf = {k: args.steps * gflop(shapes) / (v / 1e3) for k, v in ms.items()}
    print(f"LSTM classifier: batch {n}, length {length}, vocab {args.vocab}, embed {args.embed}, "
          f"hidden {args.hidden}; {gflop(shapes):.3f} GFLOP of GEMM per step")  # fmt: skip
    for k in ms:
        print(f"  {k:>8}: {rate[k]:9,.0f} samples/s  {ms[k] / args.steps:8.2f} ms/step  "
              f"{gf[k]:6.1f} GFLOP/s")  # fmt: skip
    if torch is not None:
        print(f"  ratio steepest / torch (throughput): {rate['steepest'] / rate['torch']:.2f}")
    if args.json:
        print("JSON " + json.dumps({"name": "text_lstm", "batch": n, "gflop": gflop(shapes),
                                    **{f"{k}/s": v for k, v in rate.items()},
                                    **{f"{k} GF/s": v for k, v in gf.items()}}))  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
