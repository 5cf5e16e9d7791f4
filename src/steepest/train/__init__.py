"""``st.train``: the training loop, callbacks, metrics, history and checkpoints.

>>> import steepest as st
>>> history = st.train.fit(model, st.nn.CrossEntropyLoss(), optimizer, train_loader,
...                        val_loader, epochs=10, metrics=["accuracy"],
...                        callbacks=[st.train.EarlyStopping(patience=2),
...                                   st.train.ModelCheckpoint("runs/a/checkpoints")])
>>> history.history["val_accuracy"]

The plain loop stays first-class: ``fit`` runs exactly ``zero_grad``, ``model(x)``,
``loss_fn(out, y)``, ``backward``, ``step`` per batch.
"""

from . import metrics
from .callbacks import Callback, CallbackList, LRSchedulerCallback
from .checkpoint import CheckpointError, checkpoint_info, load_checkpoint, save_checkpoint
from .generative import (
    GANTrainer,
    NextCharAccuracy,
    OptimizerPair,
    SampleImages,
    SchedulerPair,
    SequenceCrossEntropy,
    StepValue,
    VAELoss,
    VAETerm,
    gan_metrics,
    vae_metrics,
)
from .history import History
from .loggers import CSVLogger, GradientStats, JSONLinesLogger, TensorBoard
from .metrics import Metric, get_metric
from .model_checkpoint import ModelCheckpoint
from .progress import ProgressBar
from .stopping import EarlyStopping, GradNormTolerance, TargetLoss, TerminateOnNaN
from .trainer import Trainer, evaluate, fit, predict

__all__ = [
    "CSVLogger",
    "Callback",
    "CallbackList",
    "CheckpointError",
    "EarlyStopping",
    "GANTrainer",
    "GradNormTolerance",
    "GradientStats",
    "History",
    "JSONLinesLogger",
    "LRSchedulerCallback",
    "Metric",
    "ModelCheckpoint",
    "NextCharAccuracy",
    "OptimizerPair",
    "ProgressBar",
    "SampleImages",
    "SchedulerPair",
    "SequenceCrossEntropy",
    "StepValue",
    "TargetLoss",
    "TensorBoard",
    "TerminateOnNaN",
    "Trainer",
    "VAELoss",
    "VAETerm",
    "checkpoint_info",
    "evaluate",
    "fit",
    "gan_metrics",
    "get_metric",
    "load_checkpoint",
    "metrics",
    "predict",
    "save_checkpoint",
    "vae_metrics",
]  # fmt: skip
