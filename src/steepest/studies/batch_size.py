"""Study 8: batch size vs time per epoch, samples/s and accuracy, up to the full batch.

MLP 784-128-10, Adam lr 1e-3 for every batch size (no lr scaling), the same epochs.
"""

from __future__ import annotations

from typing import Any

from ._common import figure, group, last, load, make_optimizer, mlp, train
from .report import Section, line_plot, mean, mean_std, table

TITLE = "8. Batch size vs time per epoch"
CLAIM = "Batch size 8: 54 s per epoch; 16: 32 s; 32: 20 s."
CLAIMED = {8: 54, 16: 32, 32: 20}
SIZES = (8, 16, 32, 64, 128, 256, 1024, 0)  # 0 = the whole training set


def configs(ctx: Any) -> list[dict[str, Any]]:
    n = ctx.pick(256, 4000, 20000)
    return [{"data": ctx.data, "n_train": n, "n_test": ctx.pick(500, 2000, 10000),
             "epochs": ctx.pick(1, 2, 5), "batch_size": b or n, "seed": s}
            for b in SIZES if b < n for s in ctx.seed_list()]


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    data = load(cfg["data"], cfg["n_train"], cfg["n_test"])
    model = mlp([784, 128, 10], seed=cfg["seed"])
    return train(model, make_optimizer("adam", model.parameters(), 1e-3), data, cfg["epochs"],
                 cfg["batch_size"], seed=cfg["seed"])


def report(ctx: Any, records: list[dict[str, Any]]) -> Section:
    g = group(records, "batch_size")
    n = records[0]["config"]["n_train"]
    rows, t, acc = [], {}, {}
    for (b,), res in g.items():
        per_epoch = [r["train_s"] / len(r["epoch_s"]) for r in res]
        t[b], acc[b] = mean(per_epoch), mean([last(r["test_acc"]) for r in res])
        rows.append([f"{b} (full)" if b == n else b, CLAIMED.get(b, ""), mean_std(per_epoch, 3),
                     f"{n / t[b]:,.0f}", mean_std([last(r["test_acc"]) for r in res], 4)])
    bs = sorted(t)
    p1, r1 = figure(ctx, "batch_size-time")
    p2, r2 = figure(ctx, "batch_size-accuracy")
    line_plot(p1, {"s/epoch": (bs, [t[b] for b in bs])}, "batch size", "seconds per epoch",
              logx=True, logy=True)
    line_plot(p2, {"test accuracy": (bs, [acc[b] for b in bs])}, "batch size",
              "test accuracy after the same epochs", logx=True)
    verdict, falls, ratio = judge(t)
    best = max(acc, key=acc.get)
    why = (f"Time per epoch {'falls' if falls else 'does not fall'} from batch 8 to 32: "
           f"{t[8]:.3f} -> {t[16]:.3f} -> {t[32]:.3f} s on {n:,} examples, a ratio 8:32 of "
           f"{ratio:.1f}x (claimed 54/20 = 2.7x). The fastest epoch: "
           f"{min(t.values()):.3f} s at batch {min(t, key=t.get)}. Accuracy after the same "
           f"epochs: best at batch "
           f"{best} ({acc[best]:.4f}), {acc[n]:.4f} with the full batch (one step per epoch), "
           + ("so the fastest epoch is not the fastest route to a good model."
              if best != min(t, key=t.get) else "."))
    body = table(["batch", "claimed s/epoch", "s/epoch", "samples/s", "test acc"], rows)
    return Section("batch_size", TITLE, CLAIM, body, verdict, why, [r1, r2])


def judge(seconds: dict[int, float]) -> tuple[str, bool, float]:
    """``(verdict, falls, ratio)`` from the seconds per epoch of each batch size: time per
    epoch falls from batch 8 to 16 to 32, by about the claimed 54/20 = 2.7x (1.8-4x)."""
    ratio = seconds[8] / seconds[32]
    falls = seconds[8] > seconds[16] > seconds[32]
    verdict = "does not hold" if not falls else ("holds" if 1.8 <= ratio <= 4 else "partly")
    return verdict, falls, ratio
