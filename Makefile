# One quality gate, locally and in CI. Every target sets up .venv from the pinned requirements first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= h200-sglang-8
OUT ?= build

CHECKOV_VENV := .venv-checkov

.PHONY: render test lint typecheck pytest bench clean scan

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

# checkov lives in its own virtualenv: its pins conflict with the Pulumi SDK's (see requirements-checkov.txt).
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

pytest: $(VENV)/.installed $(CHECKOV_VENV)/.installed
	CHECKOV=$(CHECKOV_VENV)/bin/checkov $(PY) -m pytest -q

bench: $(VENV)/.installed  ## time render per stack against the bare cost of importing the SDK
	$(PY) bench.py

clean:
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
