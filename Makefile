# One entry point for set-up, running, testing and packaging. Every target creates .venv if needed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: sysdeps run test test-fast lint bench dist dist-onefile smoke-dist deps clean

$(STAMP): pyproject.toml probe/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ./probe -e '.[dev]'
	@# torch is optional (cross-checks); exact pin or pip pulls a CUDA build. Failure only skips tests.
	-$(PY) -m pip install --quiet 'torch==2.13.0' || echo "torch not installed: PyTorch cross-checks will be skipped"
	@# Lightning only for the probe's Lightning-callback test (it keeps the torch above).
	@# Never without torch: lightning would pull a multi-GB CUDA torch itself.
	-$(PY) -c "import torch" 2>/dev/null && $(PY) -m pip install --quiet 'lightning==2.6.6' \
		|| echo "lightning not installed: its probe test will be skipped"
	touch $(STAMP)

## Qt's Debian libraries (checked every time, installed only when missing).
sysdeps:
	@bash scripts/system-deps.sh

deps: sysdeps $(STAMP)

## Launch the app (GUI).
run: sysdeps $(STAMP)
	$(PY) main.py

## Run the whole test suite (core, gui offscreen, cli, slow soak/memory tests included).
test: sysdeps $(STAMP)
	$(PY) -m pytest -q

test-fast: sysdeps $(STAMP)
	$(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(PY) -m ruff check .

bench: sysdeps $(STAMP)
	$(PY) bench/run_all.py

## Build the packaged executable: dist/actiscope/actiscope (one-folder).
dist: $(STAMP)
	$(PY) -m PyInstaller --noconfirm --clean --log-level WARN actiscope.spec

## One-file build: dist/onefile/actiscope (own folder: dist/actiscope is the one-folder build).
dist-onefile: $(STAMP)
	ACTISCOPE_ONEFILE=1 $(PY) -m PyInstaller --noconfirm --clean --log-level WARN \
		--distpath dist/onefile --workpath build/onefile actiscope.spec

## Build, then run the packaged app's --smoke (GUI exports, a run file written with the probe's
## RunWriter and read back, a formula), a headless training run and a formula export.
smoke-dist: dist
	QT_QPA_PLATFORM=offscreen dist/actiscope/actiscope --smoke
	out=$$(mktemp -d) && trap 'rm -rf "$$out"' EXIT && \
		dist/actiscope/actiscope run --preset dying-relu --steps 50 --out "$$out/run.csv" && \
		test "$$(wc -l < "$$out/run.csv")" -ge 51 && echo "packaged run: OK" && \
		dist/actiscope/actiscope export-curves --activations "formula:x*sigmoid(x)" \
			--out "$$out/formula.csv" && \
		head -1 "$$out/formula.csv" | grep -q "sigmoid(x) f'(x)" && \
		test "$$(wc -l < "$$out/formula.csv")" -ge 100 && echo "packaged formula: OK"
	@du -sh dist/actiscope

clean:
	rm -rf build dist $(VENV)
