"""From a TrainConfig to objects: the model, the optimizer, the scheduler, the loss."""

from __future__ import annotations

from typing import Any

from .config import TrainConfig
from .data import DataInfo
from .errors import UsageError


def build_model(cfg: TrainConfig, data: DataInfo) -> Any:
    """The preset ``cfg.model`` sized for ``data``; ``--dropout`` and ``model_args`` passed on.

    Seeds the global generator with ``cfg.seed`` first, so the initial weights are a function
    of the seed alone.
    """
    from .. import manual_seed, models

    spec = _spec(cfg.model)
    kwargs = dict(cfg.model_args)
    if cfg.dropout is not None:
        if not models.accepts(cfg.model, "dropout"):
            raise UsageError(f"--dropout: model {cfg.model!r} has no dropout")
        kwargs["dropout"] = cfg.dropout
    if spec.inputs in ("tokens", "image") and data.kind != spec.inputs:
        raise UsageError(f"model {cfg.model!r} reads {spec.inputs}, but dataset {data.name} holds "
                         f"{data.kind}")
    if data.kind == "tokens" and spec.inputs != "tokens":
        raise UsageError(f"dataset {data.name} holds token ids; use a text model (fasttext, "
                         f"text_cnn, text_lstm), not {cfg.model!r}")
    if (spec.task == "language_model") != hasattr(data, "alphabet"):
        raise UsageError(f"model {cfg.model!r} and a text file (--text) go together: the "
                         "language models charlstm and transformer learn from --text FILE")
    manual_seed(cfg.seed)
    try:
        model = models.for_data(cfg.model, data.input_shape, data.num_classes, data.vocab_size,
                                **kwargs)
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    if hasattr(data, "alphabet"):  # the model carries its characters: generate needs no file
        model.set_alphabet(data.alphabet)
    return model


def _spec(name: str) -> Any:
    from .. import models

    try:
        return models.spec(name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def task_of(cfg: TrainConfig) -> str:
    return _spec(cfg.model).task


def build_optimizer(cfg: TrainConfig, model: Any) -> Any:
    """The optimizer ``cfg.optimizer`` from the registry (``optim.create``), flags on top."""
    from .. import optim

    kwargs: dict[str, Any] = {}
    if cfg.weight_decay is not None:
        kwargs["weight_decay"] = cfg.weight_decay
    if cfg.clip_grad is not None:
        kwargs["transforms"] = [optim.ClipGradNorm(cfg.clip_grad)]
    if cfg.betas is not None:
        kwargs["betas"] = tuple(cfg.betas)
    try:
        return optim.create(cfg.optimizer, model.parameters(), lr=cfg.learning_rate, **kwargs)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def build_scheduler(cfg: TrainConfig, optimizer: Any, steps_per_epoch: int) -> tuple[Any, str]:
    """``(scheduler or None, interval)`` for ``cfg.scheduler``.

    cosine and onecycle anneal per step over the whole run; step divides the lr by 10 at
    1/2 and 3/4 of the epochs; exponential multiplies it by 0.9 per epoch; plateau halves
    it when the validation loss has not improved for an epoch.
    """
    from ..optim import lr_scheduler as L

    total = cfg.epochs * steps_per_epoch
    if cfg.scheduler == "none":
        return None, "epoch"
    if cfg.scheduler == "cosine":
        return L.CosineAnnealingLR(optimizer, T_max=total), "step"
    if cfg.scheduler == "onecycle":
        return L.OneCycleLR(optimizer, max_lr=cfg.learning_rate, total_steps=total), "step"
    if cfg.scheduler == "step":
        milestones = sorted({max(1, cfg.epochs // 2), max(1, 3 * cfg.epochs // 4)})
        return L.MultiStepLR(optimizer, milestones=milestones, gamma=0.1), "epoch"
    if cfg.scheduler == "exponential":
        return L.ExponentialLR(optimizer, gamma=0.9), "epoch"
    if cfg.scheduler == "plateau":
        return L.ReduceLROnPlateau(optimizer, factor=0.5, patience=1), "epoch"
    raise UsageError(f"unknown scheduler {cfg.scheduler!r}")


def build_loss(task: str) -> tuple[Any, list[Any]]:
    """The loss and the metrics of a task: cross-entropy + accuracy, MSE + MAE, the negative
    ELBO + its two terms (VAE), next-character cross-entropy + accuracy (language models), or
    no loss function and both players' losses (GAN: ``GANTrainer`` computes them)."""
    from .. import nn, train

    if task == "reconstruct":
        return nn.MSELoss(), ["mae"]
    if task == "vae":
        return train.VAELoss(), train.vae_metrics()
    if task == "language_model":
        return train.SequenceCrossEntropy(), [train.NextCharAccuracy()]
    if task == "gan":
        return None, train.gan_metrics()
    return nn.CrossEntropyLoss(), ["accuracy"]


def metric_name(metric: Any) -> str:
    """The logged name of a metric given by name or as a Metric object."""
    return metric if isinstance(metric, str) else metric.name


def check_device(cfg: TrainConfig) -> str:
    """``cfg.device``, once it is known to work here; else one UsageError line saying why."""
    from .. import backend

    try:
        backend.require_device(cfg.device)
    except (RuntimeError, ValueError) as exc:
        raise UsageError(f"--device {cfg.device}: {exc}") from None
    return cfg.device
