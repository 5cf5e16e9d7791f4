"""The training recipe as one flat record: defaults, a TOML/JSON file, then flags on top.

``TrainConfig()`` is the demo recipe (MNIST, the 784-512-256-10 MLP, Adam). A config file
holds the same keys as the flags (``batch_size`` for ``--batch-size``) plus an optional
``[model_args]`` table of builder arguments; flags given on the command line win. Every run
directory keeps its ``config.toml``, which ``steepest train --config`` reads back.

>>> cfg = TrainConfig.load("recipe.toml", overrides={"epochs": 3})
>>> cfg.validate()
>>> cfg.save("runs/x/config.toml")
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..optim import registry as optim_registry
from .errors import UsageError

# Derived from the optimizer registry (steepest/optim/registry.py), the one list of names.
OPTIMIZERS = tuple(optim_registry.names())
# A learning rate that works for each optimizer out of the box (used when --lr is not given).
DEFAULT_LR = {name: optim_registry.spec(name).default_lr for name in OPTIMIZERS}
BETA_OPTIMIZERS = tuple(n for n in OPTIMIZERS if optim_registry.spec(n).takes_betas)
SCHEDULERS = ("none", "step", "cosine", "onecycle", "exponential", "plateau")
DEVICES = ("cpu", "cuda")
# batch_size = "auto": a language model's batch scaled to its text (st.models.auto_batch_size)
AUTO = "auto"


@dataclass
class TrainConfig:
    """Everything a training run needs; field names are the config keys and the flags."""

    dataset: str = "mnist"
    model: str = "mlp"
    optimizer: str = "adam"
    lr: float | None = None  # None: DEFAULT_LR[optimizer]
    batch_size: int | str = 128  # "auto": language models, scaled to the text's chunks
    epochs: int = 4
    weight_decay: float | None = None  # None: the optimizer's own default
    dropout: float | None = None  # None: the model's own default
    augment: bool = False
    scheduler: str = "cosine"
    seed: int = 0
    out: str | None = None
    quiet: bool = False
    subset: int | None = None  # train on the first N training examples only
    vocab_size: int = 10000  # text datasets: keep the most frequent words
    maxlen: int = 200  # text datasets: pad or cut every review to this many tokens
    patience: int | None = None  # early stopping on the validation loss
    clip_grad: float | None = None  # clip the global gradient norm
    grad_stats: bool = False  # log per-layer gradient statistics and draw the gradient flow
    betas: list[float] | None = None  # adam, adamw, nadam, lion: None is the optimizer's default
    text: str | None = None  # language models: the text file to learn from
    seq_len: int = 128  # language models: characters per chunk (backpropagation through time)
    val_split: float = 0.1  # fraction of the training data held out for validation (0: none)
    model_args: dict[str, Any] = field(default_factory=dict)
    device: str = "cpu"  # "cuda": train on the GPU through CuPy (docs/gpu.md)

    # ----- reading -----------------------------------------------------------------------
    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "config") -> TrainConfig:
        unknown = [k for k in values if k not in cls.field_names()]
        if unknown:
            raise UsageError(f"{source}: unknown key(s) {', '.join(map(repr, unknown))}; known: "
                             f"{', '.join(cls.field_names())}")
        return cls(**values)

    @classmethod
    def read_file(cls, path: str | os.PathLike[str]) -> dict[str, Any]:
        """The key/value pairs of a TOML (or, by extension, JSON) config file."""
        path = Path(path)
        if not path.is_file():
            raise UsageError(f"config file {path} does not exist")
        try:
            if path.suffix == ".json":
                values = json.loads(path.read_text())
            else:
                values = tomllib.loads(path.read_text())
        except (ValueError, UnicodeDecodeError) as exc:  # TOMLDecodeError is a ValueError
            raise UsageError(f"config file {path} is not valid {path.suffix[1:] or 'TOML'}: "
                             f"{exc}") from None
        if not isinstance(values, dict):
            raise UsageError(f"config file {path} must hold a table of keys")
        values.pop("steepest_version", None)  # written by save(), informative only
        return values

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None,
             overrides: dict[str, Any] | None = None) -> TrainConfig:
        """Defaults, then the model preset's recipe (``st.models.recipe``), then the file at
        ``path`` (if any), then ``overrides`` (flags given)."""
        values = cls.read_file(path) if path is not None else {}
        overrides = overrides or {}
        model = overrides.get("model", values.get("model", cls.model))
        cfg = cls.from_dict(values, source=f"config file {path}")
        preset = preset_recipe(model)
        chosen = overrides.get("optimizer", values.get("optimizer", preset.get("optimizer")))
        if chosen != preset.get("optimizer"):  # the recipe's lr belongs to its optimizer
            preset = {k: v for k, v in preset.items() if k not in ("lr", "betas")}
        for key, value in preset.items():
            if key == "model_args":
                cfg.model_args = {**value, **cfg.model_args}
            elif key not in values and key not in overrides:
                setattr(cfg, key, value)
        for key, value in overrides.items():
            if key == "model_args":
                cfg.model_args = {**cfg.model_args, **value}
            else:
                setattr(cfg, key, value)
        return cfg

    # ----- checking ----------------------------------------------------------------------
    def validate(self) -> TrainConfig:
        """Raise UsageError for the first impossible value; return self."""
        self._choice("optimizer", OPTIMIZERS)
        self._choice("scheduler", SCHEDULERS)
        self._choice("device", DEVICES)
        for name in ("dataset", "model"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise UsageError(f"{name} must be a non-empty string, got "
                                 f"{getattr(self, name)!r}")
        if self.lr is not None:
            self._number("lr", low=0.0, low_open=True)
        if self.batch_size != AUTO:
            self._int("batch_size", 1)
        elif preset_task(self.model) not in (None, "language_model"):
            raise UsageError(f'--batch-size "auto" scales a language model\'s batch to its text; '
                             f"give model {self.model!r} a number")
        self._int("epochs", 1)
        self._int("seed", 0)
        self._int("vocab_size", 3)  # ids 0-2 are padding, start and out-of-vocabulary marks
        self._int("maxlen", 1)
        self._int("seq_len", 1)
        if self.text is not None and not isinstance(self.text, str):
            raise UsageError(f"--text must be a path, got {self.text!r}")
        for name, low in (("subset", 1), ("patience", 1)):
            if getattr(self, name) is not None:
                self._int(name, low)
        if self.weight_decay is not None:
            self._number("weight_decay", low=0.0)
        self._number("val_split", low=0.0, high=1.0)
        if self.patience is not None and self.val_split == 0:
            raise UsageError("--patience watches the validation loss; it needs --val-split > 0")
        if self.dropout is not None:
            self._number("dropout", low=0.0, high=1.0)
        if self.clip_grad is not None:
            self._number("clip_grad", low=0.0, low_open=True)
        if self.betas is not None:
            self._betas()
        for name in ("augment", "quiet"):
            if not isinstance(getattr(self, name), bool):
                raise UsageError(f"--{name} must be true or false, got {getattr(self, name)!r}")
        if self.out is not None and not isinstance(self.out, str):
            raise UsageError(f"--out must be a path, got {self.out!r}")
        if not isinstance(self.model_args, dict):
            raise UsageError(f"model_args must be a table, got {self.model_args!r}")
        return self

    def _choice(self, name: str, choices: tuple[str, ...]) -> None:
        value = getattr(self, name)
        if value not in choices:
            raise UsageError(f"unknown {name} {value!r}; choose from: {', '.join(choices)}")

    def _int(self, name: str, low: int) -> None:
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise UsageError(f"--{name.replace('_', '-')} must be an integer >= {low}, got "
                             f"{value!r}")

    def _betas(self) -> None:
        b = self.betas
        if self.optimizer not in BETA_OPTIMIZERS:
            raise UsageError(f"--betas applies to {', '.join(BETA_OPTIMIZERS)}, not "
                             f"{self.optimizer!r}")  # fmt: skip
        numbers = isinstance(b, list | tuple) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in b
        )
        if not numbers or len(b) != 2 or not all(0.0 <= v < 1.0 for v in b):
            raise UsageError(f"--betas must be two numbers in [0, 1), e.g. 0.5 0.999, got {b!r}")
        self.betas = [float(v) for v in b]

    def _number(self, name: str, low: float, high: float | None = None,
                low_open: bool = False) -> None:
        value = getattr(self, name)
        flag = "--" + name.replace("_", "-")
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise UsageError(f"{flag} must be a finite number, got {value!r}")
        if value < low or (low_open and value == low):
            raise UsageError(f"{flag} must be {'>' if low_open else '>='} {low:g}, got {value!r}")
        if high is not None and value >= high:
            raise UsageError(f"{flag} must be < {high:g}, got {value!r}")

    # ----- derived values ----------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    # ----- writing -----------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the config as TOML (None values are left out: they mean "the default")."""
        from .. import __version__

        lines = [f"# steepest {__version__} training config; "
                 "run it again with: steepest train --config THIS_FILE", ""]
        skip = ("model_args", "out", "quiet")  # where and how loudly: the invocation's business
        values = {k: v for k, v in self.to_dict().items() if k not in skip and v is not None}
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
        if self.model_args:
            lines += ["", "[model_args]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in self.model_args.items()]
        Path(path).write_text("\n".join(lines) + "\n")


def preset_recipe(model: Any) -> dict[str, Any]:
    """The registry's recipe for preset ``model`` ({} for an unknown name: validate() says)."""
    from .. import models

    try:
        return models.recipe(model) if isinstance(model, str) else {}
    except ValueError:
        return {}


def preset_task(model: Any) -> str | None:
    """What preset ``model`` is trained for (``st.models.spec(model).task``), or None for an
    unknown name (validate's callers report it)."""
    from .. import models

    try:
        return models.spec(model).task if isinstance(model, str) else None
    except ValueError:
        return None


def _toml_value(value: Any) -> str:
    """One TOML value: strings, booleans, numbers and (nested) lists of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if math.isfinite(value) else json.dumps(str(value))
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise UsageError(f"cannot write {value!r} to a TOML config")


def parse_model_arg(text: str) -> tuple[str, Any]:
    """``"hidden=[1024, 512]"`` -> ``("hidden", [1024, 512])``; the value is read as TOML, and
    a bare word that is not TOML as a string (``activation=gelu``); a value that starts like
    a TOML list, table, string or number must parse."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise UsageError(f"--model-arg expects KEY=VALUE, got {text!r}")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError as exc:
        if raw[:1] in "[{\"'+-.0123456789" or not raw:  # meant as TOML, not as a bare word
            raise UsageError(f"--model-arg {key}: {raw!r} is not a valid TOML value ({exc})"
                             ) from None
        value = raw
    return key, value
