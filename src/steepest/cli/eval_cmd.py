"""``steepest eval RUN_OR_CHECKPOINT``: rebuild the model from the config recorded in the
checkpoint (``config.toml`` only for a checkpoint that records none), load its weights, and
report loss and metrics on the test split (or ``--split val`` / ``train``), naming the
checkpoint and its epoch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .build import build_loss, build_model, task_of
from .config import TrainConfig
from .data import eval_loader
from .errors import UsageError
from .generative import prepare_for
from .train_cmd import BEST, LAST, load_run_config


def _locate(target: Path) -> tuple[Path, TrainConfig]:
    """The checkpoint file and the config of a run directory or of a checkpoint file."""
    from ..train import CheckpointError, checkpoint_info

    if target.is_dir():
        found = [c for c in (target / BEST, target / LAST) if c.is_file()]
        if not found:
            raise UsageError(f"{target} has no checkpoint ({BEST} or {LAST})")
        target = found[0]
    if not target.is_file():
        raise UsageError(f"{target} does not exist (give a run directory or a .safetensors file)")
    try:
        info = checkpoint_info(target)
    except CheckpointError as exc:
        raise UsageError(str(exc)) from None
    config = info.get("config") if isinstance(info, dict) else None
    if isinstance(config, dict):  # what the weights were trained with, whatever config.toml says
        return target, TrainConfig.from_dict(config, source=f"checkpoint {target}")
    run_dir = target.parent.parent  # runs/NAME/checkpoints/x.safetensors
    if (run_dir / "config.toml").is_file():
        return target, load_run_config(run_dir)
    raise UsageError(f"{target} records no training config and has no config.toml two levels up")


def restore(target: Path, batch_size: int | None = None) -> tuple[Any, ...]:
    """``(checkpoint, cfg, task, data, model, state)``: the trained model of a run directory or
    checkpoint file, rebuilt from its recorded config with its weights loaded."""
    from .. import train

    checkpoint, cfg = _locate(target)
    cfg.augment = False  # evaluate on the data as it is
    if batch_size is not None:
        cfg.batch_size = batch_size
    cfg.validate()
    task = task_of(cfg)
    data = prepare_for(cfg, task)
    model = build_model(cfg, data)
    try:
        state = train.load_checkpoint(checkpoint)
    except train.CheckpointError as exc:
        raise UsageError(str(exc)) from None
    weights = state.get("model", state) if isinstance(state, dict) else state
    try:
        model.load_state_dict(weights)
    except ValueError as exc:
        raise UsageError(f"{checkpoint} does not fit model {cfg.model!r}: {exc}") from None
    return checkpoint, cfg, task, data, model, state


def eval_command(target: Path, split: str, batch_size: int | None) -> int:
    from .. import train

    checkpoint, cfg, task, data, model, state = restore(target, batch_size)
    if task == "gan":
        raise UsageError(f"{target} is a GAN: it has no test loss; draw samples with "
                         f"`steepest generate {target}`")
    if split == "val" and data.x_val is None:
        raise UsageError(f"{checkpoint} was trained with --val-split 0: it has no validation "
                         "split")
    # unshuffled and unaugmented, whichever split
    x, y = {"test": (data.x_test, data.y_test), "val": (data.x_val, data.y_val),
            "train": (data.x_train, data.y_train)}[split]
    loader = eval_loader(x, y, data, cfg.batch_size)
    loss_fn, metrics = build_loss(task)
    results = train.evaluate(model, loss_fn, loader, metrics)
    body = "  ".join(f"{k} {v:.4f}" for k, v in results.items())
    epoch = state.get("trainer", {}).get("epoch") if isinstance(state, dict) else None
    where = f"{checkpoint}, epoch {epoch}" if epoch is not None else str(checkpoint)
    print(f"{split} ({len(loader.dataset)} examples): {body}   [{where}]")
    return 0
