"""fit / Trainer: the plain loop equivalence, determinism, stopping criteria, resume in process."""

import numpy as np
import pytest
from _train_helpers import assert_same_weights, make_data, make_loader, weights

import steepest as st
from steepest.train import Callback, Trainer


class BatchLosses(Callback):
    def __init__(self):
        self.losses = []

    def on_batch_end(self, batch, logs=None):
        self.losses.append(logs["loss"])


def _assert_trained(before, after, losses):
    """The run did something: every parameter moved and the loss fell (an optimizer that
    does nothing would pass a comparison of a run with itself)."""
    assert before.keys() == after.keys()
    for k in before:
        assert not np.array_equal(before[k], after[k]), f"{k} did not move"
    k = max(1, len(losses) // 4)  # first and last quarter of the run
    assert np.mean(losses[-k:]) < 0.8 * np.mean(losses[:k]), losses


def test_plain_loop_and_fit_give_the_same_weights(setup):
    model, loss_fn, opt, train, _ = setup(dropout=0.2)
    initial = weights(model)
    for _ in range(3):
        for xb, yb in train:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
    by_hand = weights(model)

    model, loss_fn, opt, train, _ = setup(dropout=0.2)
    history = st.train.fit(model, loss_fn, opt, train, epochs=3, progress=False)
    assert_same_weights(weights(model), by_hand)
    assert len(history.history["loss"]) == 3 and len(history.history["accuracy"]) == 3
    _assert_trained(initial, by_hand, history.history["loss"])


def test_same_seed_same_loss_sequence_bit_for_bit(setup):
    runs = []
    for _ in range(2):
        model, loss_fn, opt, train, val = setup(dropout=0.3, optimizer="adam", lr=0.01)
        initial = weights(model)
        rec = BatchLosses()
        h = st.train.fit(model, loss_fn, opt, train, val, epochs=3, callbacks=[rec],
                         progress=False)
        runs.append((rec.losses, h.history["val_loss"], weights(model)))
    assert runs[0][0] == runs[1][0] and len(runs[0][0]) == 12
    assert runs[0][1] == runs[1][1]
    assert_same_weights(runs[0][2], runs[1][2])
    _assert_trained(initial, runs[0][2], runs[0][0])


def test_history_and_validation(setup, tmp_path):
    model, loss_fn, opt, train, val = setup()
    h = st.train.fit(model, loss_fn, opt, train, val, epochs=4, metrics=["accuracy", "f1"],
                     progress=False)
    assert h.epoch == [0, 1, 2, 3]
    assert set(h.history) == {"loss", "accuracy", "f1", "val_loss", "val_accuracy", "val_f1", "lr"}
    assert h.history["loss"][-1] < h.history["loss"][0]
    ev = st.train.evaluate(model, loss_fn, val, metrics=["accuracy"])
    assert ev["loss"] == h["val_loss"][-1] and ev["accuracy"] == h["val_accuracy"][-1]
    x, y = make_data()
    out = st.train.predict(model, x[64:], batch_size=7)
    assert out.shape == (32, 3)
    assert st.train.metrics.accuracy(out, y[64:]) == ev["accuracy"]
    np.testing.assert_array_equal(st.train.predict(model, val), out)
    again = st.train.History.from_json(h.to_json(tmp_path / "h.json"))
    assert again.history == h.history and again.epoch == h.epoch
    assert h.best("val_loss") == (int(np.argmin(h["val_loss"])), min(h["val_loss"]))


def test_max_steps_target_loss_and_grad_tol(setup):
    model, loss_fn, opt, train, _ = setup()
    t = Trainer(model, loss_fn, opt, progress=False)
    t.fit(train, epochs=10, max_steps=6)  # 4 batches per epoch: stops inside epoch 1
    assert (t.step, t.epoch, t.batch_in_epoch, t.stop_reason) == (6, 1, 2, "max_steps")
    assert t.history.epoch == [0, 1]  # the cut epoch is recorded, and stays open
    t.fit(train, epochs=2)  # continuing finishes epoch 1 and replaces its entry
    assert (t.step, t.epoch, t.history.epoch) == (8, 2, [0, 1])

    model, loss_fn, opt, train, _ = setup(lr=0.2)
    h = st.train.fit(model, loss_fn, opt, train, epochs=100, target_loss=0.3, progress=False)
    assert h["loss"][-1] <= 0.3 < min(h["loss"][:-1])

    # full-batch gradient descent on a convex problem converges: the gradient norm vanishes
    x, _ = make_data()
    st.manual_seed(0)
    lin = st.nn.Linear(6, 1)
    full = make_loader(x, x[:, :1] * 2.0 - 1.0, batch_size=len(x), shuffle=False)
    t = Trainer(lin, st.nn.MSELoss(), st.optim.SGD(lin.parameters(), lr=0.1), metrics=["mse"],
                grad_tol=1e-4, progress=False)
    t.fit(full, epochs=10_000)
    assert t.stop_reason == "grad_tol" and t.grad_norm() < 1e-4 and t.step < 10_000


def test_plain_iterable_loader_and_resume_by_skipping(setup):
    x, y = make_data()
    batches = [(st.Tensor(x[i:i + 16]), st.Tensor(y[i:i + 16])) for i in range(0, 64, 16)]
    model, loss_fn, opt, _, _ = setup()
    t = Trainer(model, loss_fn, opt, progress=False)
    t.fit(batches, epochs=2)
    want = weights(model)

    model, loss_fn, opt, _, _ = setup()
    t = Trainer(model, loss_fn, opt, progress=False)
    t.fit(batches, epochs=2, max_steps=5)
    state = t.state_dict()
    model, loss_fn, opt, _, _ = setup()
    t = Trainer(model, loss_fn, opt, progress=False)
    t.load_state_dict(state)
    t.fit(batches, epochs=2)  # skips the first batch of epoch 1, already trained
    assert_same_weights(weights(model), want)
    assert t.step == 8


class CrashAt(Callback):
    """Raises in on_batch_end at a step, or in on_epoch_end of an epoch (before the
    checkpoint of that hook, which runs last)."""

    def __init__(self, hook, at):
        self.hook, self.at = hook, at

    def on_batch_end(self, batch, logs=None):
        if self.hook == "batch" and self.trainer.step == self.at:
            raise KeyboardInterrupt

    def on_epoch_end(self, epoch, logs=None):
        if self.hook == "epoch" and epoch == self.at:
            raise KeyboardInterrupt


@pytest.mark.parametrize(("every", "hook", "at", "saved"), [
    (3, "batch", 7, (6, 1, 2)),  # last save in the middle of epoch 1
    (4, "epoch", 1, (8, 1, 4)),  # saved after the last batch of epoch 1, before its end
])  # fmt: skip
def test_in_process_resume_is_exact(setup, tmp_path, every, hook, at, saved):
    def run(callbacks, resume=None, epochs=3):
        model, loss_fn, opt, train, val = setup(dropout=0.25, optimizer="adam", lr=0.01)
        sched = st.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        es = st.train.EarlyStopping("val_loss", patience=5, restore_best_weights=True)
        h = st.train.fit(model, loss_fn, opt, train, val, epochs=epochs, scheduler=sched,
                         metrics=["accuracy", "f1"], callbacks=[es, *callbacks], resume=resume,
                         progress=False)
        return model, h

    ref_model, ref_hist = run([])
    ck = st.train.ModelCheckpoint(tmp_path, every_n_steps=every)
    with pytest.raises(KeyboardInterrupt):
        run([ck, CrashAt(hook, at)])
    t = st.train.checkpoint_info(tmp_path / "last.safetensors")["trainer"]
    assert (t["step"], t["epoch"], t["batch_in_epoch"]) == saved
    model, hist = run([st.train.ModelCheckpoint(tmp_path, every_n_steps=every)],
                      resume=tmp_path / "last.safetensors")
    assert_same_weights(weights(model), weights(ref_model))
    assert hist.history == ref_hist.history


def test_bad_arguments(setup):
    model, loss_fn, opt, train, _ = setup()
    with pytest.raises(ValueError, match="epochs must be an int >= 0"):
        st.train.fit(model, loss_fn, opt, train, epochs=-1)
    with pytest.raises(ValueError, match="max_steps must be an int >= 1"):
        st.train.fit(model, loss_fn, opt, train, max_steps=0)
    with pytest.raises(ValueError, match="unknown metric"):
        st.train.fit(model, loss_fn, opt, train, metrics=["acc2"])
    with pytest.raises(TypeError, match=r"st\.train\.Callback instances"):
        st.train.fit(model, loss_fn, opt, train, callbacks=[print])
    with pytest.raises(st.train.CheckpointError, match="no such checkpoint file"):
        st.train.fit(model, loss_fn, opt, train, resume="/nonexistent/last.safetensors")


def test_private_generators_of_the_model_are_checkpointed(data):
    x, y = data

    def build():
        st.manual_seed(0)
        drop = st.nn.Dropout(0.5, generator=st.Generator(5))
        model = st.nn.Sequential(st.nn.Linear(6, 16), drop, st.nn.Linear(16, 3))
        opt = st.optim.SGD(model.parameters(), lr=0.1)
        return model, Trainer(model, st.nn.CrossEntropyLoss(), opt, progress=False)

    model, t = build()
    loader = make_loader(x, y)
    t.fit(loader, epochs=1, max_steps=3)
    state = t.state_dict()
    assert list(state["rng"]["modules"]) == ["1.generator"]
    t.fit(loader, epochs=1)
    # a fresh loader in a new trainer: its position comes from the state
    model2, t2 = build()
    t2.load_state_dict(state)
    t2.fit(make_loader(x, y), epochs=1)
    assert_same_weights(weights(model2), weights(model))


def test_loading_something_that_is_not_a_trainer_checkpoint(setup, tmp_path):
    model, loss_fn, opt, _, _ = setup()
    path = st.train.save_checkpoint(tmp_path / "w.safetensors", {"model": model.state_dict()})
    t = Trainer(model, loss_fn, opt, progress=False)
    with pytest.raises(ValueError, match="not a trainer state"):
        t.load_checkpoint(path)
    model.load_state_dict(st.train.load_checkpoint(path)["model"])  # the documented way


def test_a_loader_out_of_step_with_the_run_is_reported(setup):
    model, loss_fn, opt, train, _ = setup()
    t = Trainer(model, loss_fn, opt, progress=False)
    t.fit(train, epochs=1, max_steps=2)
    _, _, _, fresh, _ = setup()
    with pytest.warns(UserWarning, match="at batch 2 of epoch 0 but train_loader is at batch 0"):
        t.fit(fresh, epochs=1)
