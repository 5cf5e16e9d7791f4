"""After a plain ``pip install steepest`` (NumPy and safetensors only) the training job works:
plots, the progress bar and TensorBoard are skipped with one line naming the extra."""

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

# Make the optional packages unimportable, as in an environment without the extras.
BLOCK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("matplotlib", "tqdm", "tensorboardX"):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
sys.meta_path.insert(0, Block())
"""


def _run(tmp_path, code):
    env = {**os.environ, "PYTHONPATH": str(SRC), "STEEPEST_DATA": str(tmp_path / "data")}
    return subprocess.run([sys.executable, "-c", BLOCK + code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


CLI = "from steepest.cli import main\nsys.exit(main(sys.argv[1:]))"


def test_train_and_lr_find_work_without_matplotlib_and_tqdm(tmp_path):
    args = ["--dataset", "moons", "--subset", "256", "--batch-size", "64", "--quiet"]
    proc = subprocess.run(
        [sys.executable, "-c", BLOCK + CLI, "train", *args, "--epochs", "2", "--out", "run"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(SRC)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ("steepest: matplotlib is not installed: no plots drawn "
                           "(pip install 'steepest[train]')\n")
    run = tmp_path / "run"
    for name in ("checkpoints/last.safetensors", "checkpoints/best.safetensors", "metrics.csv",
                 "summary.md", "run.json"):
        assert (run / name).is_file(), name
    assert not list(run.glob("*.png"))
    assert "test accuracy" in proc.stdout and "plots: none\n" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-c", BLOCK + CLI, "lr-find", *args, "--steps", "20", "--out", "lr"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(SRC)})
    assert proc.returncode == 0, proc.stderr
    assert "matplotlib is not installed" in proc.stderr and proc.stderr.count("\n") == 1
    assert (tmp_path / "lr/lr_find.csv").is_file() and "plot: none" in proc.stdout


def test_progress_on_a_terminal_without_tqdm_is_one_line_then_plain_lines(tmp_path):
    code = """
import io
import steepest as st
x, y = st.datasets.moons(64, seed=0)
loader = st.data.DataLoader(st.data.ArrayDataset(x, y), batch_size=32)
model = st.nn.Linear(2, 2)
bar = st.train.ProgressBar(file=sys.stdout, tty=True)
st.train.fit(model, st.nn.CrossEntropyLoss(), st.optim.SGD(model.parameters(), lr=0.1),
             loader, epochs=2, callbacks=[bar])
"""
    proc = _run(tmp_path, code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ("steepest: tqdm is not installed: a plain line per epoch instead of a "
                           "progress bar (pip install 'steepest[train]')\n")
    assert proc.stdout.count("epoch 1/2") == 1 and proc.stdout.count("epoch 2/2") == 1


def test_tensorboard_logger_without_tensorboardx_names_the_extra(tmp_path):
    proc = _run(tmp_path, "import steepest as st\nst.train.TensorBoard('tb')\n")
    assert proc.returncode == 1
    assert "pip install 'steepest[tensorboard]'" in proc.stderr
