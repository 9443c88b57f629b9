# The two commands of the README:
#   make reports   set up (first time) and run the main job on the embedded sample data
#   make test      set up (first time) and run the whole test suite
# A second run reuses the virtual environment; it is rebuilt when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup bytecode reports test lint lab clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@$(BIN)/python -m compileall -q src
	@touch $(STAMP)

# The package's bytecode, written even where PYTHONDONTWRITEBYTECODE is set (pip writes none for an editable
# install): each process of a batch, and of the tests, then imports it instead of compiling the sources again
# (about 0.2-0.3 s of CPU a process). Only what changed is compiled.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q src

reports: bytecode
	$(BIN)/analysis run parameters/batches/default.yaml

test: bytecode
	$(BIN)/ruff check src tests bench notebooks
	$(BIN)/ruff format --check src tests bench notebooks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check --fix src tests bench notebooks
	$(BIN)/ruff format src tests bench notebooks

lab: bytecode
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) data/sample.duckdb
