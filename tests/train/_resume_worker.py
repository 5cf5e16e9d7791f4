"""A real training run for the kill-and-resume test (run as a subprocess).

    python _resume_worker.py OUTDIR [--resume] [--pause-at-save K]

Trains a small MLP with dropout (default RNG), Adam, a StepLR schedule and a shuffling loader
for 4 epochs of 8 batches, checkpointing every 3 steps into OUTDIR/ckpt. Prints "step N" after
every step; with --pause-at-save K it prints "saving" and sleeps in the middle of its K-th
write of last.safetensors (temp file complete, not yet renamed), for the test to kill it there. At
the end it writes OUTDIR/final.safetensors: the weights, and the fingerprints of every batch
trained, kept in a callback's checkpointed state.
"""

import hashlib
import sys
import time
from pathlib import Path

import numpy as np

import steepest as st
from steepest.train import checkpoint

EPOCHS, N, BATCH = 4, 128, 16


class Fingerprints(st.train.Callback):
    """Remembers a fingerprint of each trained batch; its state goes into the checkpoint."""

    def __init__(self):
        self.seen = []

    def on_batch_begin(self, batch, logs=None):
        self._pending = batch

    def on_batch_end(self, batch, logs=None):
        xb = self.trainer.last_inputs
        self.seen.append(int.from_bytes(hashlib.sha256(xb.data.tobytes()).digest()[:6], "big"))
        print(f"step {self.trainer.step}", flush=True)

    def state_dict(self):
        return {"seen": list(self.seen)}

    def load_state_dict(self, state):
        self.seen = list(state["seen"])


class Recording(st.train.Trainer):
    def train_step(self, x, y):
        self.last_inputs = x
        return super().train_step(x, y)


def main(argv):
    out = Path(argv[0])
    if "--pause-at-save" in argv:
        target, count = int(argv[argv.index("--pause-at-save") + 1]), [0]

        def pause(tmp, final):
            count[0] += final.endswith("last.safetensors")
            if count[0] == target:
                print("saving", flush=True)
                time.sleep(60)

        checkpoint.before_replace = pause
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N + 32, 10)).astype(np.float32)
    y = (x[:, :3].sum(axis=1) > 0).astype(np.int64) + (x[:, 3] > 1)
    st.manual_seed(0)
    model = st.nn.Sequential(st.nn.Linear(10, 32), st.nn.ReLU(), st.nn.Dropout(0.2),
                             st.nn.Linear(32, 3))
    opt = st.optim.Adam(model.parameters(), lr=0.01)
    sched = st.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    train = st.data.DataLoader(st.data.ArrayDataset(x[:N], y[:N]), batch_size=BATCH,
                               shuffle=True, seed=1)
    val = st.data.DataLoader(st.data.ArrayDataset(x[N:], y[N:]), batch_size=16)
    prints = Fingerprints()
    trainer = Recording(model, st.nn.CrossEntropyLoss(), opt, scheduler=sched, progress=False,
                        callbacks=[prints, st.train.ModelCheckpoint(out / "ckpt", every_n_steps=3)])
    last = out / "ckpt" / "last.safetensors"
    if "--resume" in argv and last.exists():
        trainer.load_checkpoint(last)
    trainer.fit(train, val, epochs=EPOCHS)
    st.train.save_checkpoint(out / "final.safetensors", {
        "model": model.state_dict(), "seen": prints.seen, "step": trainer.step,
        "history": trainer.history.state_dict()})
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
