# One quality gate, locally and in CI. Every target sets up .venv from the pinned requirements first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= h200-sglang-8
OUT ?= build

.PHONY: render test lint typecheck pytest bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# checkov cannot share .venv (it pins packaging<24, pulumi needs >=26): the tests call it from its own.
.venv-checkov/.installed: requirements-checkov.txt
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

render: $(VENV)/.installed  ## render $(STACK) offline into $(OUT)/
	$(PY) render.py --stack $(STACK) --out $(OUT)

test: lint typecheck pytest  ## ruff, mypy and pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy .

pytest: $(VENV)/.installed .venv-checkov/.installed
	$(PY) -m pytest -q

bench: $(VENV)/.installed  ## time render per stack against the bare cost of importing the SDK
	$(PY) bench.py

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
