# Two entry points that do all set-up on a fresh machine:
#   make demo   the main job: a diffusion model sampling with noise from simulated VCMA
#               junction arrays (paper A), its quality and energy tables
#   make sweep  a VCMA pulse-amplitude sweep over 4096 junctions (seconds)
#   make test   the test suite (physics against analytic results, notebooks)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo sweep test bench bench-quick clean

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
# once, not once per worker.
test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadscope tests
	$(PY) -m pytest -q -n 2 --nbmake notebooks

bench: $(STAMP)
	$(PY) benchmarks/sllg_throughput.py

bench-quick: $(STAMP)
	$(PY) benchmarks/sllg_throughput.py --quick

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
