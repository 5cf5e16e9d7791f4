"""The argparse tree: ``steepest {train, eval, resume, export, summary, lr-find, generate,
datasets, study, sweep}``.

Recipe flags default to ``argparse.SUPPRESS``, so the parsed namespace holds only the flags
that were typed; they override the ``--config`` file, which overrides the defaults of
``TrainConfig``. Any parse error becomes one ``UsageError`` line (exit code 2).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NoReturn

from .config import (
    AUTO,
    DEFAULT_LR,
    DEVICES,
    OPTIMIZERS,
    SCHEDULERS,
    TrainConfig,
    parse_model_arg,
)
from .errors import UsageError

S = argparse.SUPPRESS


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, raised instead of printed with usage."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("steepest").strip()
        raise UsageError(f"{command}: {message}" if command else message)


def _model_arg(text: str) -> tuple[str, Any]:
    try:
        return parse_model_arg(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _batch_size(text: str) -> int | str:
    """``--batch-size``: a whole number, or ``auto`` (language models: scaled to the text)."""
    if text == AUTO:
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number or 'auto', got {text!r}"
                                         ) from None


def _recipe_flags(p: argparse.ArgumentParser, training: bool = True) -> None:
    """The flags that make up a TrainConfig (a subset of them for ``summary``)."""
    d = TrainConfig()
    p.add_argument("--config", default=S, metavar="FILE",
                   help="a TOML (or .json) file with any of these keys; flags override it")
    p.add_argument("--dataset", default=S, metavar="NAME",
                   help="mnist, fashion_mnist, cifar10, imdb, spirals, moons, blobs, xor, or a "
                   f"path to an .npz with x_train, y_train, x_test, y_test (default {d.dataset})")
    p.add_argument("--model", default=S, metavar="NAME",
                   help=f"a preset of st.models.names() (default {d.model}); a preset's "
                   "recipe, st.models.recipe(NAME), replaces the defaults below")
    p.add_argument("--model-arg", dest="model_args", action="append", type=_model_arg,
                   default=S, metavar="KEY=VALUE",
                   help="a model builder argument, value in TOML syntax, e.g. "
                   "hidden=[1024,512] (repeatable)")
    p.add_argument("--dropout", type=float, default=S, help="dropout probability of the model")
    p.add_argument("--vocab-size", type=int, default=S,
                   help=f"imdb: keep the most frequent words (default {d.vocab_size})")
    p.add_argument("--maxlen", type=int, default=S,
                   help=f"imdb: tokens per review, padded or cut (default {d.maxlen})")
    p.add_argument("--text", default=S, metavar="FILE",
                   help="language models (charlstm, transformer): a UTF-8 text file to learn")
    p.add_argument("--seq-len", type=int, default=S,
                   help=f"language models: characters per chunk (default {d.seq_len})")
    p.add_argument("--seed", type=int, default=S, help=f"random seed (default {d.seed})")
    if not training:
        return
    lrs = ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LR.items())
    p.add_argument("--optimizer", default=S, choices=OPTIMIZERS, metavar="NAME",
                   help=f"{', '.join(OPTIMIZERS)} (default {d.optimizer})")
    p.add_argument("--lr", type=float, default=S,
                   help=f"learning rate (default by optimizer: {lrs})")
    p.add_argument("--batch-size", type=_batch_size, default=S,
                   help=f"default {d.batch_size}; charlstm and transformer: auto, scaled to the "
                   "text (the largest power of two <= training chunks / 16, within 16-128)")
    p.add_argument("--epochs", type=int, default=S, help=f"default {d.epochs}")
    p.add_argument("--weight-decay", type=float, default=S,
                   help="L2 penalty (AdamW: decoupled); default: the optimizer's")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=S,
                   help="random shifts/rotations (digits), flips and crops (other images)")
    p.add_argument("--scheduler", default=S, choices=SCHEDULERS, metavar="NAME",
                   help=f"{', '.join(SCHEDULERS)} (default {d.scheduler})")
    p.add_argument("--subset", type=int, default=S, metavar="N",
                   help="train on the first N training examples only")
    p.add_argument("--patience", type=int, default=S,
                   help="stop after this many epochs without a better validation loss")
    p.add_argument("--val-split", type=float, default=S, metavar="FRACTION",
                   help="hold out this fraction of the training data (a fixed seeded draw) for "
                   f"validation: early stopping, best checkpoint, plots; 0: none (default "
                   f"{d.val_split:g}). The test split is evaluated once, at the end")
    p.add_argument("--clip-grad", type=float, default=S, metavar="NORM",
                   help="clip the global gradient norm")
    p.add_argument("--grad-stats", action=argparse.BooleanOptionalAction, default=S,
                   help="log per-layer gradient norms (grad_stats.jsonl) and draw the gradient "
                        "flow, mean and max |grad| per layer (gradient-flow.png)")  # fmt: skip
    p.add_argument("--betas", type=float, nargs=2, default=S, metavar=("B1", "B2"),
                   help="adam, adamw, nadam, lion: the moment decay rates (default 0.9 0.999; "
                        "DCGAN used 0.5 0.999)")  # fmt: skip
    p.add_argument("--out", default=S, metavar="DIR",
                   help="run directory (default runs/DATASET-MODEL-TIME)")
    p.add_argument("--quiet", action=argparse.BooleanOptionalAction, default=S,
                   help="no progress bar")
    p.add_argument("--device", default=S, choices=DEVICES,
                   help=f"cpu, or cuda: the GPU through CuPy (default {d.device})")


def _processes_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--processes", type=int, default=None, metavar="N",
                   help="data-parallel on N MPI ranks of this machine (mpiexec; needs "
                   "steepest[mpi]); --batch-size stays the global batch")


def build_parser() -> Parser:
    root = Parser(prog="steepest", description="Train and evaluate steepest models.",
                  epilog="Quick start: steepest train   (MNIST, about 98% test accuracy)")
    from .. import __version__

    root.add_argument("--version", action="version", version=f"steepest {__version__}")
    sub = root.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("train", help="train a model; writes a run directory",
                       description="Train a model. Defaults: the MNIST demo recipe.")
    _recipe_flags(p)
    _processes_flag(p)

    p = sub.add_parser("eval", help="evaluate a run or a checkpoint on the test split")
    p.add_argument("target", metavar="RUN_OR_CHECKPOINT",
                   help="a run directory (its best checkpoint) or a .safetensors file")
    p.add_argument("--split", choices=("test", "val", "train"), default="test",
                   help="test (default), val (held out of the training data) or train")
    p.add_argument("--batch-size", type=int, default=None)

    p = sub.add_parser("resume", help="continue a run from its last checkpoint")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--epochs", type=int, default=None,
                   help="train to this many epochs in all (default: the run's own)")
    p.add_argument("--quiet", action=argparse.BooleanOptionalAction, default=None)
    _processes_flag(p)

    p = sub.add_parser("export", help="write a trained model as ONNX, for any ONNX runtime")
    p.add_argument("target", metavar="RUN_OR_CHECKPOINT",
                   help="a run directory (its best checkpoint) or a .safetensors file")
    p.add_argument("--format", choices=("onnx",), default="onnx", help="only onnx for now")
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="where to write it (default: model.onnx in the run directory)")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset version (default 17)")

    p = sub.add_parser("summary", help="a model's layers, output shapes and parameter counts")
    _recipe_flags(p, training=False)
    p.add_argument("--batch", type=int, default=1, help="batch size of the example input")
    p.add_argument("--graph", type=Path, default=None, metavar="PATH",
                   help="also draw the computation graph (st.viz.graph) to PATH: .svg, .png, "
                        ".pdf, or .dot for the DOT text")  # fmt: skip

    p = sub.add_parser("lr-find", help="learning-rate range test: plot and a suggestion")
    _recipe_flags(p)
    p.add_argument("--start-lr", type=float, default=1e-7)
    p.add_argument("--end-lr", type=float, default=10.0)
    p.add_argument("--steps", type=int, default=200, help="batches in the sweep (default 200)")

    p = sub.add_parser("generate", help="text from a language model, images from a VAE/GAN")
    p.add_argument("target", metavar="RUN_OR_CHECKPOINT",
                   help="a run directory (its best checkpoint) or a .safetensors file")
    p.add_argument("--prompt", default=None, help="text to continue (language models)")
    p.add_argument("--length", type=int, default=300, help="characters to add (default 300)")
    p.add_argument("--temperature", type=float, default=0.8,
                   help="softmax temperature; 0 picks the most likely character (default 0.8)")
    p.add_argument("--top-k", type=int, default=None, help="sample among the k most likely")
    p.add_argument("--seed", type=int, default=0, help="random seed of the sampling")
    p.add_argument("--out", default=None, metavar="FILE.png",
                   help="VAE/GAN: where to write a grid of 64 samples (default: "
                   "generated-seedN.png in the run directory)")

    p = sub.add_parser("datasets", help="which datasets are cached, and where")
    p.add_argument("--check", action="store_true",
                   help="also try to reach each download source (HEAD requests)")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per source (default 5)")

    from .study_cmd import add_study_parser

    add_study_parser(sub)
    from .sweep_cmd import add_sweep_parser

    add_sweep_parser(sub)
    return root


def command_names() -> list[str]:
    """Every subcommand, in the order ``--help`` lists them."""
    actions = build_parser()._subparsers._group_actions  # argparse keeps them only here
    return list(actions[0].choices)


def config_from(args: argparse.Namespace) -> tuple[TrainConfig, set[str]]:
    """The TrainConfig of parsed recipe flags, and the names of the flags that were given."""
    given = {k: v for k, v in vars(args).items() if k in TrainConfig.field_names()}
    if "model_args" in given:
        given["model_args"] = dict(given["model_args"])
    path = getattr(args, "config", None)
    return TrainConfig.load(path, overrides=given), set(given)
