"""Callbacks: hook order, early stopping, NaN termination, schedulers, loggers, progress."""

import io
import json
import struct
import sys

import numpy as np
import pytest
from _train_helpers import assert_same_weights, weights

import steepest as st
from steepest.autograd import Function
from steepest.train import Callback, Trainer


class Recorder(Callback):
    def __init__(self, name="r", events=None, order=0):
        self.name, self.events, self.order = name, events if events is not None else [], order

    def on_train_begin(self, logs=None):
        self.events.append(f"{self.name}:train_begin")

    def on_train_end(self, logs=None):
        self.events.append(f"{self.name}:train_end")

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(f"{self.name}:epoch_begin {epoch}")

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(f"{self.name}:epoch_end {epoch} step={self.trainer.step}")

    def on_batch_begin(self, batch, logs=None):
        self.events.append(f"{self.name}:batch_begin {batch} step={self.trainer.step}")

    def on_batch_end(self, batch, logs=None):
        self.events.append(f"{self.name}:batch_end {batch} step={self.trainer.step}")


def test_hook_order(setup):
    model, loss_fn, opt, train, _ = setup(batch_size=32)  # 2 batches per epoch
    events = []
    late, early = Recorder("late", events, order=5), Recorder("early", events, order=-5)
    st.train.fit(model, loss_fn, opt, train, epochs=2, callbacks=[late, early], progress=False)
    seq = [e.split(":", 1)[1] for e in events if e.startswith("early")]
    assert seq == [
        "train_begin",
        "epoch_begin 0", "batch_begin 0 step=0", "batch_end 0 step=1",
        "batch_begin 1 step=1", "batch_end 1 step=2", "epoch_end 0 step=2",
        "epoch_begin 1", "batch_begin 0 step=2", "batch_end 0 step=3",
        "batch_begin 1 step=3", "batch_end 1 step=4", "epoch_end 1 step=4",
        "train_end",
    ]  # fmt: skip
    # every hook runs on "early" (order -5) before "late" (order 5), whatever the list order
    assert events[::2] == [e.replace("late", "early") for e in events[1::2]]
    assert [type(cb).__name__ for cb in Trainer(model, loss_fn, opt, callbacks=[
        st.train.ModelCheckpoint("unused"), late]).callbacks] == [
        "TerminateOnNaN", "Recorder", "ProgressBar", "HistoryRecorder", "ModelCheckpoint"]


class Inject(Callback):
    """Puts a scripted value into the epoch logs and snapshots the weights of each epoch."""

    order = -1

    def __init__(self, values):
        self.values, self.snapshots = values, []

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.values[epoch]
        self.snapshots.append(weights(self.trainer.model))


def test_early_stopping_restores_best_weights(setup):
    model, loss_fn, opt, train, _ = setup()
    inject = Inject([3.0, 2.0, 2.5, 1.99, 2.7, 2.8, 0.0])
    stop = st.train.EarlyStopping("score", patience=2, min_delta=0.05,
                                  restore_best_weights=True)
    t = Trainer(model, loss_fn, opt, callbacks=[inject, stop], progress=False)
    t.fit(train, epochs=7)
    # 1.99 is not better than 2.0 by more than min_delta: epochs 2 and 3 without improvement
    assert (t.stop_reason, stop.best, stop.best_epoch, stop.stopped_epoch) == (
        "early_stopping", 2.0, 1, 3)
    assert t.epoch == 4 and "did not improve for 2 epoch(s)" in t.stop_message
    assert_same_weights(weights(model), inject.snapshots[1])

    model, loss_fn, opt, train, _ = setup()
    stop = st.train.EarlyStopping("val_accuracy", patience=1)
    t = Trainer(model, loss_fn, opt, callbacks=[Inject([0] * 9), stop], progress=False)
    with pytest.raises(KeyError, match=r"monitors 'val_accuracy'.*available: accuracy, loss"):
        t.fit(train, epochs=2)


def test_early_stopping_mode_auto():
    from steepest.train.callbacks import resolve_mode

    assert resolve_mode("val_loss", "auto") == "min"
    assert resolve_mode("val_accuracy", "auto") == "max"
    assert resolve_mode("val_mse", "auto") == "min"
    with pytest.raises(ValueError, match="mode must be"):
        st.train.EarlyStopping(mode="best")


def nan_at(step):
    ce = st.nn.CrossEntropyLoss()
    calls = [0]

    def loss_fn(out, y):
        calls[0] += st.autograd.is_grad_enabled()  # training steps only, not validation
        loss = ce(out, y)
        return loss * float("nan") if calls[0] == step else loss

    return loss_fn


def test_terminate_on_nan_stops_in_that_step_and_saves_nothing_non_finite(setup, tmp_path):
    model, _, opt, train, val = setup()
    ck = st.train.ModelCheckpoint(tmp_path, every_n_steps=1)
    logger = st.train.CSVLogger(tmp_path / "m.csv")
    t = Trainer(model, nan_at(7), opt, callbacks=[ck, logger], progress=False)
    with pytest.warns(UserWarning, match=r"loss is nan in step 7 \(epoch 2, batch 3\); run under "
                                         r"st.autograd.detect_anomaly\(\)"):
        t.fit(train, val, epochs=5)
    assert (t.step, t.stop_reason) == (7, "nan")
    assert not np.isfinite(model.state_dict()["0.weight"]).all()  # the NaN update happened
    last = st.train.load_checkpoint(tmp_path / "last.safetensors")
    assert last["trainer"]["step"] == 6
    assert all(np.isfinite(a).all() for a in last["model"].values())
    assert [s for _, s in ck.saved] == [1, 2, 3, 4, 4, 4, 5, 6]  # best+last at epoch 0's end
    assert t.history.epoch == [0] and (tmp_path / "m.csv").read_text().count("\n") == 2


class InfAt(Function):
    """An op that writes an infinity into its output (without a NumPy warning)."""

    def forward(self, a):
        out = a.copy()
        out[0, 0] = np.inf
        return out

    def backward(self, out, g):
        return (g,)


def test_anomaly_mode_names_the_op(setup):
    model, ce, opt, train, _ = setup()
    calls = [0]

    def loss_fn(out, y):
        calls[0] += 1
        return ce(InfAt.apply(out) if calls[0] == 3 else out, y)

    before = None

    class Snap(Callback):
        def on_batch_end(self, batch, logs=None):
            nonlocal before
            before = weights(self.trainer.model)

    t = Trainer(model, loss_fn, opt, callbacks=[Snap()], progress=False)
    with st.autograd.detect_anomaly(), pytest.warns(UserWarning, match=r"forward of InfAt"):
        t.fit(train, epochs=2)
    assert t.stop_reason == "nan" and "InfAt(inputs: (16, 3) float32)" in t.stop_message
    assert "in step 3 (epoch 1, batch 3); no update applied" in t.stop_message
    assert t.step == 2
    assert_same_weights(weights(model), before)  # the failing step changed nothing

    # without TerminateOnNaN the error propagates, with the step added
    model, ce, opt, train, _ = setup()
    calls[0] = 0
    t = Trainer(model, loss_fn, opt, terminate_on_nan=False, progress=False)
    with st.autograd.detect_anomaly(), pytest.raises(FloatingPointError,
                                                     match=r"InfAt.*in step 3: epoch 0"):
        t.fit(train, epochs=2)


class LossBook(Callback):
    def __init__(self):
        self.lrs = []

    def on_batch_begin(self, batch, logs=None):
        self.lrs.append(self.trainer.lr())


def test_scheduler_per_epoch_per_step_and_plateau(setup):
    model, loss_fn, opt, train, _ = setup(lr=0.1)
    book = LossBook()
    sched = st.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    h = st.train.fit(model, loss_fn, opt, train, epochs=3, scheduler=sched, callbacks=[book],
                     progress=False)
    assert book.lrs == [0.1] * 4 + [0.05] * 4 + [0.025] * 4
    assert h["lr"] == [0.1, 0.05, 0.025]

    model, loss_fn, opt, train, _ = setup(lr=0.1)
    book = LossBook()
    sched = st.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    st.train.fit(model, loss_fn, opt, train, epochs=1, scheduler=sched, callbacks=[book],
                 scheduler_interval="step", progress=False)
    assert book.lrs == [0.1, 0.1, 0.05, 0.05]

    model, loss_fn, opt, train, _ = setup(lr=0.1)
    plateau = st.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=0, factor=0.5)
    cb = st.train.LRSchedulerCallback(plateau, monitor="score")
    h = st.train.fit(model, loss_fn, opt, train, epochs=4, progress=False,
                     callbacks=[Inject([1.0, 1.0, 2.0, 1.0]), cb])
    assert h["lr"] == [0.1, 0.1, 0.05, 0.05]  # cut after epochs 1 and 3 (no improvement)
    assert opt.param_groups[0]["lr"] == 0.025
    with pytest.raises(ValueError, match="use interval='epoch'"):
        st.train.LRSchedulerCallback(plateau, interval="step")


def test_csv_jsonl_and_gradient_stats(setup, tmp_path):
    model, loss_fn, opt, train, val = setup()
    stats = st.train.GradientStats(every_n_steps=2, path=tmp_path / "grads.jsonl")
    cbs = [st.train.CSVLogger(tmp_path / "m.csv"),
           st.train.JSONLinesLogger(tmp_path / "log.jsonl", every_n_steps=3), stats]
    h = st.train.fit(model, loss_fn, opt, train, val, epochs=3, callbacks=cbs, progress=False)
    rows = (tmp_path / "m.csv").read_text().splitlines()
    assert rows[0] == "epoch,loss,accuracy,val_loss,val_accuracy,lr,grad_norm"
    assert rows[3].split(",")[:2] == ["2", repr(h["loss"][2])]
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [(r["type"], r["step"]) for r in records] == [
        ("batch", 3), ("epoch", 4), ("batch", 6), ("epoch", 8), ("batch", 9), ("batch", 12),
        ("epoch", 12)]
    assert records[1]["val_loss"] == h["val_loss"][0]
    assert [r["step"] for r in stats.records] == [2, 4, 6, 8, 10, 12]
    r = stats.records[-1]
    names = [n for n, _ in model.named_parameters()]
    assert list(r["norms"]) == names
    g = model.state_dict()  # the last step's gradients are still in .grad
    assert r["norms"]["0.weight"] == pytest.approx(
        float(np.linalg.norm(dict(model.named_parameters())["0.weight"].grad.data)))
    assert r["total"] == pytest.approx(np.sqrt(sum(v * v for v in r["norms"].values())))
    assert h["grad_norm"][2] == pytest.approx(np.mean([s["total"] for s in stats.records[4:]]))
    assert len((tmp_path / "grads.jsonl").read_text().splitlines()) == 6
    assert set(stats.summary()) == set(names) and g


def test_gradient_stats_flags_vanishing_and_exploding(setup):
    model, loss_fn, opt, train, _ = setup()
    stats = st.train.GradientStats(vanishing=1e-30, exploding=1e-30)
    st.train.fit(model, loss_fn, opt, train, epochs=1, callbacks=[stats], progress=False)
    assert stats.records[0]["exploding"] == list(stats.records[0]["norms"])
    stats = st.train.GradientStats(vanishing=1e30, exploding=1e30)
    st.train.fit(model, loss_fn, opt, train, epochs=1, callbacks=[stats], progress=False)
    assert stats.records[0]["vanishing"] == list(stats.records[0]["norms"])


def test_tensorboard_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"needs tensorboardX.*steepest\[tensorboard\]"):
        st.train.TensorBoard("runs/tb")


def _read_events(path):
    """(tag, step, value) of every scalar in a TFRecord event file."""
    from tensorboardX.proto import event_pb2

    raw, out, pos = path.read_bytes(), [], 0
    while pos < len(raw):
        (n,) = struct.unpack("<Q", raw[pos:pos + 8])
        event = event_pb2.Event.FromString(raw[pos + 12:pos + 12 + n])
        pos += 16 + n  # length, its CRC, the record, its CRC
        out += [(v.tag, event.step, v.simple_value) for v in event.summary.value]
    return out


def test_tensorboard_writes_events(setup, tmp_path):
    pytest.importorskip("tensorboardX")
    model, loss_fn, opt, train, _ = setup()
    h = st.train.fit(model, loss_fn, opt, train, epochs=2, progress=False,
                     callbacks=[st.train.TensorBoard(tmp_path, every_n_steps=2)])
    (events,) = [p for p in tmp_path.iterdir() if p.name.startswith("events.out.tfevents")]
    scalars = _read_events(events)
    assert [s for tag, s, _ in scalars if tag == "batch/loss"] == [2, 4, 6, 8]
    epoch_loss = [(s, v) for tag, s, v in scalars if tag == "epoch/loss"]
    assert epoch_loss == [(4, pytest.approx(h["loss"][0])), (8, pytest.approx(h["loss"][1]))]


def test_progress_bar_tty_lines_and_quiet(setup):
    model, loss_fn, opt, train, val = setup()
    out = io.StringIO()
    st.train.fit(model, loss_fn, opt, train, val, epochs=2,
                 callbacks=[st.train.ProgressBar(file=out, tty=True)])
    text = out.getvalue()
    assert "epoch 2/2" in text and "4/4" in text and "samples/s" in text and "lr=0.05" in text
    assert "loss=" in text and "accuracy=" in text and "val_loss=" in text

    out = io.StringIO()  # not a terminal: one line per epoch
    st.train.fit(model, loss_fn, opt, train, epochs=2, max_steps=6,
                 callbacks=[st.train.ProgressBar(file=out)])
    lines = out.getvalue().splitlines()
    assert [line.split("  ")[0] for line in lines] == ["epoch 1/2", "epoch 2/2",
                                                       "stopped: reached max_steps=6"]
    out = io.StringIO()
    model, loss_fn, opt, train, val = setup()
    st.train.fit(model, loss_fn, opt, train, epochs=1,
                 callbacks=[st.train.ProgressBar(file=out, quiet=True)])
    assert out.getvalue() == ""


class CrashAtEpochEnd(Callback):
    order = 97  # after the loggers (50, 95) wrote the epoch, before ModelCheckpoint (100)

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


def test_loggers_after_a_resume_hold_each_epoch_and_step_once(setup, tmp_path):
    def run(out, crash=False, resume=None):
        model, loss_fn, opt, train, val = setup()
        cbs = [st.train.CSVLogger(out / "m.csv"),
               st.train.JSONLinesLogger(out / "log.jsonl", every_n_steps=1),
               st.train.GradientStats(path=out / "g.jsonl"),
               st.train.ModelCheckpoint(out / "ck", every_n_steps=4)]
        st.train.fit(model, loss_fn, opt, train, val, epochs=3, progress=False, resume=resume,
                     callbacks=[*cbs, CrashAtEpochEnd()] if crash else cbs)

    run(tmp_path / "ref")
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "run", crash=True)  # epoch 1 logged, its end-of-epoch save never made
    run(tmp_path / "run", resume=tmp_path / "run" / "ck" / "last.safetensors")
    for name in ("m.csv", "log.jsonl", "g.jsonl"):
        assert (tmp_path / "run" / name).read_text() == (tmp_path / "ref" / name).read_text()


def test_anomaly_mode_blames_bad_data_not_the_first_op(data):
    x, y = data
    x = x.copy()
    x[37, 2] = np.nan
    model = st.nn.Sequential(st.nn.Linear(6, 3))
    loader = st.data.DataLoader(st.data.ArrayDataset(x, y), batch_size=16)
    t = Trainer(model, st.nn.CrossEntropyLoss(), st.optim.SGD(model.parameters(), lr=0.1),
                progress=False)
    with st.autograd.detect_anomaly(), pytest.warns(UserWarning, match="inputs contain NaN"):
        t.fit(loader, epochs=1)
    assert t.step == 2 and "bad data, not an op" in t.stop_message
