"""The Trainer steps a scheduler per batch or per epoch as its class says, subclasses too."""

import pytest

import steepest as st
from steepest.optim import lr_scheduler as L
from steepest.train.callbacks import LRSchedulerCallback, _takes_metric


class MyOneCycle(L.OneCycleLR):
    """A user's subclass: it must keep its parent's per-batch stepping."""


class MyPlateau(L.ReduceLROnPlateau):
    pass


def _fit(setup, make_scheduler, epochs=2):
    model, loss_fn, opt, train_loader, _ = setup()
    sched = make_scheduler(opt, epochs * len(train_loader))
    st.train.fit(model, loss_fn, opt, train_loader, epochs=epochs, scheduler=sched,
                 progress=False)
    return sched, epochs * len(train_loader)


@pytest.mark.parametrize("cls", [L.OneCycleLR, MyOneCycle])
def test_one_cycle_and_its_subclass_are_stepped_every_batch(setup, cls):
    sched, steps = _fit(setup, lambda opt, total: cls(opt, max_lr=0.1, total_steps=total))
    assert sched.last_epoch == steps  # the constructor's step plus one per batch


def test_a_per_epoch_schedule_is_stepped_every_epoch(setup):
    sched, _ = _fit(setup, lambda opt, total: L.StepLR(opt, step_size=1), epochs=3)
    assert sched.last_epoch == 3


def test_a_subclass_may_declare_per_batch_stepping(setup):
    class PerBatchCosine(L.CosineAnnealingLR):
        step_per_batch = True

    sched, steps = _fit(setup, lambda opt, total: PerBatchCosine(opt, T_max=total))
    assert sched.last_epoch == steps


def test_sequential_is_per_batch_only_when_every_stage_is():
    opt = st.optim.SGD([st.zeros(2, requires_grad=True)], lr=0.1)
    one = L.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    two = L.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    assert L.SequentialLR(opt, [one, two], milestones=[10]).step_per_batch
    warm = L.LinearLR(opt, start_factor=0.1, total_iters=2)
    assert not L.SequentialLR(opt, [warm, one], milestones=[2]).step_per_batch


def test_plateau_subclass_gets_the_monitored_metric(setup):
    model, loss_fn, opt, train_loader, val_loader = setup()
    sched = MyPlateau(opt, factor=0.5, patience=0)
    assert _takes_metric(sched) and not _takes_metric(L.StepLR(opt, step_size=1))
    with pytest.raises(ValueError, match="interval='epoch'"):
        LRSchedulerCallback(sched, interval="step")
    st.train.fit(model, loss_fn, opt, train_loader, val_loader, epochs=2, scheduler=sched,
                 progress=False)
    assert sched.best is not None  # it was given the val_loss values


def test_a_duck_typed_scheduler_is_asked_through_its_signature():
    class Metered:
        def step(self, metric):
            pass

    class Plain:
        def step(self):
            pass

    assert _takes_metric(Metered()) and not _takes_metric(Plain())


def test_the_documented_callback_orders_are_the_classes_orders():
    from steepest.train import callbacks, loggers, model_checkpoint, progress, stopping

    doc = " ".join(callbacks.__doc__.split())
    stated = {stopping.TerminateOnNaN: -10, stopping.EarlyStopping: 0,
              loggers.JSONLinesLogger: 50, loggers.TensorBoard: 50, progress.ProgressBar: 50,
              callbacks.HistoryRecorder: 90, loggers.CSVLogger: 95,
              model_checkpoint.ModelCheckpoint: 100}
    for cls, order in stated.items():
        assert cls.order == order, cls.__name__
        assert f"{order}" in doc
    assert "TerminateOnNaN (-10)" in doc and "CSVLogger (95" in doc \
        and "ModelCheckpoint (100)" in doc
