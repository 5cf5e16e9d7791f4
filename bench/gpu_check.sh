#!/usr/bin/env bash
# One prepared check for a machine with an NVIDIA GPU (docs/gpu.md), under 8 minutes:
#   1. the gpu-marked tests (the device suites on a real GPU through CuPy),
#   2. MLP, LeNet-5 and ResNet-20 training steps, steepest beside PyTorch CUDA (bench_gpu.py),
#   3. the demo recipe (LeNet-5 + batch norm) to 99.2% MNIST test accuracy, in seconds,
#   4. the same recipe through `steepest train --device cuda` (the CLI path, 4 epochs).
#
#   bash bench/gpu_check.sh [--data DIR] [--out DIR]
#
# --data DIR: a directory holding mnist/mnist.npz (the cache layout of st.datasets, used as
#   STEEPEST_DATA), for machines that cannot download MNIST; default: the usual cache.
# --out DIR: where the logs go (default $OUT, else ./gpu-check-logs).
# Needs Python with NumPy and CuPy; CuPy is installed (pip install '.[gpu]') only when it is
# not importable. PyTorch with CUDA is optional (the comparison column). Runs from the source
# tree (PYTHONPATH=src): no network needed when CuPy is already there.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
LOGS=${OUT:-gpu-check-logs}
DATA=""
while [ $# -gt 0 ]; do
    case "$1" in
        --data) DATA=$2; shift 2 ;;
        --out) LOGS=$2; shift 2 ;;
        *) echo "gpu_check.sh: unknown argument $1 (expected --data DIR, --out DIR)"; exit 2 ;;
    esac
done
mkdir -p "$LOGS"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
[ -n "$DATA" ] && export STEEPEST_DATA="$DATA"
START=$(date +%s)
stamp() { echo "== $1 ($(( $(date +%s) - START )) s since start, $(date -u +%FT%TZ))"; }

stamp "environment" | tee "$LOGS/summary.txt"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 \
    | tee -a "$LOGS/summary.txt"
if ! "$PY" -c "import cupy" 2>/dev/null; then
    echo "CuPy not importable: pip install '.[gpu]'" | tee -a "$LOGS/summary.txt"
    "$PY" -m pip install --quiet ".[gpu]" || { echo "no CuPy: cannot run the check"; exit 1; }
fi
"$PY" - <<'EOF' 2>&1 | tee -a "$LOGS/summary.txt"
import sys, numpy, cupy, steepest as st
props = cupy.cuda.runtime.getDeviceProperties(0)
print(f"python {sys.version.split()[0]}, numpy {numpy.__version__}, cupy {cupy.__version__}, "
      f"GPU {props['name'].decode()}, steepest {st.__version__}, gpu available "
      f"{st.is_gpu_available()}")
try:
    import torch
    print(f"torch {torch.__version__}, cuda available {torch.cuda.is_available()}")
except ImportError:
    print("torch not installed: no PyTorch column")
EOF

stamp "1/4 gpu-marked tests" | tee -a "$LOGS/summary.txt"
# the files whose tests take the `device` fixture (its cuda case is the one marked gpu)
DEVICE_TESTS=$(grep -rlE --include='test_*.py' "def test\w*\(.*\bdevice\b" tests | sort)
timeout 170 "$PY" -m pytest -q -m gpu -p no:cacheprovider $DEVICE_TESTS > "$LOGS/tests.log" 2>&1
echo "pytest exit code $?" | tee -a "$LOGS/summary.txt"
grep -E "^(FAILED|ERROR)|passed|failed|error" "$LOGS/tests.log" | tail -25 | tee -a "$LOGS/summary.txt"

stamp "2/4 training steps: MLP, LeNet-5, ResNet-20 (bench/bench_gpu.py)" | tee -a "$LOGS/summary.txt"
timeout 120 "$PY" bench/bench_gpu.py --device cuda --json > "$LOGS/bench_gpu.log" 2>&1
echo "bench_gpu exit code $?" | tee -a "$LOGS/summary.txt"
tail -8 "$LOGS/bench_gpu.log" | tee -a "$LOGS/summary.txt"

stamp "3/4 demo recipe to 99.2% (bench/bench_time_to_accuracy.py --device cuda)" \
    | tee -a "$LOGS/summary.txt"
timeout 160 "$PY" bench/bench_time_to_accuracy.py --device cuda --cap 140 \
    > "$LOGS/time_to_accuracy.log" 2>&1
echo "time_to_accuracy exit code $?" | tee -a "$LOGS/summary.txt"
tail -8 "$LOGS/time_to_accuracy.log" | tee -a "$LOGS/summary.txt"
stamp "4/4 the same recipe through the CLI (steepest train --device cuda)" \
    | tee -a "$LOGS/summary.txt"
T0=$(date +%s)
timeout 100 "$PY" -m steepest train --config docs/recipes/mnist_lenet5_bn.toml --device cuda \
    --quiet --out "$LOGS/demo-run" > "$LOGS/demo.log" 2>&1
echo "steepest train exit code $?, $(( $(date +%s) - T0 )) s wall (data, plots and report included)" \
    | tee -a "$LOGS/summary.txt"
grep -iE "accuracy|error" "$LOGS/demo.log" | tail -4 | tee -a "$LOGS/summary.txt"
stamp "done" | tee -a "$LOGS/summary.txt"
