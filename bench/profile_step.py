"""cProfile of steepest training steps of one benchmark model: where a step's time goes.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src .venv/bin/python bench/profile_step.py \
        [--model lenet5|mnist_cnn|cnn5x5|resnet20|text_lstm] [--steps 3] [--top 15] [--sort tottime]

Builds the model and data exactly as bench_models.py / bench_lstm.py do, runs one warm-up
step, then profiles ``--steps`` steps and prints the ``--top`` functions by ``--sort``
(tottime: time inside the function itself, which names the kernels that cost).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats

import numpy as np
from bench_models import INPUTS, MODELS, image_data, steepest_model, steepest_steps

import steepest as st


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=[*MODELS, "text_lstm"], default="lenet5")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args()
    st.optim.parallel.set_num_threads(1)
    st.ops.threads.set_num_threads(1)  # one thread: a profile of the work, not of waits
    st.manual_seed(0)
    if args.model == "text_lstm":  # bench_lstm.py's defaults
        batch, rng = 64, np.random.default_rng(0)
        x = rng.integers(1, 10000, (batch * 4, 100)).astype(np.int64)
        y = rng.integers(0, 2, batch * 4).astype(np.int64)
        model = st.models.get("text_lstm", vocab_size=10000, embed_dim=64, hidden_size=64)
    else:
        batch = MODELS[args.model][0]
        x, y = image_data(batch * 4, shape=INPUTS[args.model])
        model = steepest_model(args.model)
    warm = steepest_steps(model, x, y, batch, 1)
    warm()
    steps = steepest_steps(model, x, y, batch, args.steps)
    prof = cProfile.Profile()
    prof.runcall(steps)
    pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
