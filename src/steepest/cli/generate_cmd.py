"""``steepest generate RUN_OR_CHECKPOINT``: text from a language model, or a grid of images
from a VAE or a GAN. The model is rebuilt from the run's config and the checkpoint's weights;
a language model's checkpoint carries its alphabet, so the text file is not needed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .build import task_of
from .errors import UsageError


def _model(cfg: Any, state: dict[str, Any], task: str) -> Any:
    from .. import models

    weights = state.get("model", state)
    kwargs = dict(cfg.model_args)
    if task == "language_model":
        if "alphabet" not in weights:
            raise UsageError(f"checkpoint of {cfg.model!r} holds no alphabet")
        vocab = int(weights["alphabet"].shape[0])
        shape: tuple[int, ...] = (cfg.seq_len,)
        classes = vocab
    else:
        vocab = None
        key = "encoder.1.weight" if task == "vae" else "D.1.weight"
        if key not in weights:
            raise UsageError(f"checkpoint does not look like a {cfg.model!r} model ({key} is "
                             "missing)")
        shape, classes = (int(weights[key].shape[1]),), 1
    try:
        model = models.for_data(cfg.model, shape, classes, vocab, **kwargs)
        model.load_state_dict(weights)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"cannot rebuild {cfg.model!r} from the checkpoint: {exc}") from None
    return model


def _run_dir(checkpoint: Path) -> Path:
    """The run directory of a checkpoint (RUN/checkpoints/x.safetensors), else its folder."""
    folder = checkpoint.parent
    return folder.parent if folder.name == "checkpoints" else folder


def generate_command(args: argparse.Namespace) -> int:
    from .. import models, train
    from ..random import Generator
    from .eval_cmd import _locate

    checkpoint, cfg = _locate(Path(args.target))
    task = task_of(cfg)
    if task not in ("language_model", "vae", "gan"):
        raise UsageError(f"model {cfg.model!r} does not generate; generate works with charlstm, "
                         "transformer, vae and gan runs")
    if args.length < 0 or args.temperature < 0 or (args.top_k is not None and args.top_k < 1):
        raise UsageError(f"need --length >= 0, --temperature >= 0 and --top-k >= 1, got "
                         f"{args.length}, {args.temperature}, {args.top_k}")
    try:
        state = train.load_checkpoint(checkpoint)
    except train.CheckpointError as exc:
        raise UsageError(str(exc)) from None
    model = _model(cfg, state, task)
    generator = Generator(args.seed)
    if task == "language_model":
        prompt = args.prompt if args.prompt else model.chars[0]
        try:
            print(models.generate(model, prompt, args.length, args.temperature, args.top_k,
                                  generator))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        return 0
    from ..autograd import no_grad
    from ..train.images import save_grid

    model.eval()
    with no_grad():
        samples = model.sample(64, generator=generator).numpy()
    side = round(samples.shape[1] ** 0.5)
    if side * side != samples.shape[1]:
        raise UsageError(f"{cfg.model!r} makes {samples.shape[1]} values per sample, not a "
                         "square image")
    from .._optional import available

    if not available("matplotlib"):
        raise UsageError("drawing samples needs matplotlib: pip install 'steepest[train]'")
    out = save_grid(samples, args.out or _run_dir(checkpoint) / f"generated-seed{args.seed}.png",
                    (side, side), title=f"{cfg.model}: 64 samples (seed {args.seed})")
    print(f"wrote {out}")
    return 0
