# Two entry points that do all set-up on a fresh machine:
#   make demo   the main job: a diffusion model sampling with noise from simulated VCMA
#               junction arrays (paper A), its quality and energy tables
#   make sweep  a VCMA pulse-amplitude sweep over 4096 junctions (seconds)
#   make test   the test suite (physics against analytic results, notebooks)
#   make docs   the API reference site, into site/ (mkdocs build --strict, offline)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo sweep test docs bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench,train]'
	touch $(STAMP)

# Fashion-MNIST (Debian's dataset-fashion-mnist, 31 MB) where apt can install it; the
# demo says which data it used and why.
FASHION := /usr/share/datasets/fashion-mnist

demo: $(STAMP)
	@[ -d $(FASHION) ] || ./.ci/fashion-mnist.sh || true
	$(PY) examples/diffusion_demo.py --out diffusion_demo $(DEMO_ARGS)

sweep: $(STAMP)
	$(PY) examples/vcma_sweep.py --out vcma_sweep.png

# --dist loadscope: a module's tests on one worker, so its module-scoped fixtures (the
# TRNG's tuned arrays, the 8-device sampler script) and its compiled functions are made
# once, not once per worker. --durations: the slowest tests in the log, to keep the
# suite's time in view.
test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadscope --durations=25 tests
	$(PY) -m pytest -q -n 2 --nbmake notebooks

# The docs extra goes into the same .venv on top of the others, under its own stamp: the
# test and demo environments never carry it. The build reads the sources and notebooks
# only (nothing is imported, executed or downloaded); --strict makes a broken cross
# reference or link fail it.
DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(VENV)/bin/mkdocs build --strict

bench: $(STAMP)
	$(PY) benchmarks/sllg_throughput.py

bench-quick: $(STAMP)
	$(PY) benchmarks/sllg_throughput.py --quick

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache site .cache/mkdocs-jupyter
