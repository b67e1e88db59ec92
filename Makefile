# Quick start: `make run` (local stack: emulator + API) and `make test` (everything CI runs).
# Both bootstrap .venv from pyproject.toml on first use; only Python 3.11+ is needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck browser token bench clean build-ConfigApiFunction

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(STAMP)
	$(BIN)/config-api local

test: lint typecheck browser
	$(BIN)/pytest

# The /ops/rollout page test drives Debian's headless Chromium (a test tool's own browser
# download does not work everywhere); installed when absent (root, or sudo).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

token: $(STAMP)
	@$(BIN)/config-api token $(or $(USER_ID),alice)

bench: $(STAMP)
	for script in bench/*.py; do case $$script in */_*) ;; *) $(BIN)/python $$script || exit 1;; esac; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Run by `sam build` for the function in template.yaml (BuildMethod: makefile): the package
# and its runtime dependencies as pinned in pyproject.toml, less the local-only emulator and
# server (scripts/lambda_requirements.py), as wheels for Lambda's platform (x86_64, CPython
# 3.11) whatever machine builds it.
LAMBDA_WHEELS := --platform manylinux2014_x86_64 --implementation cp --python-version 3.11 --only-binary=:all:
build-ConfigApiFunction:
	$(PYTHON) scripts/lambda_requirements.py > "$(ARTIFACTS_DIR)/requirements.txt"
	$(PYTHON) -m pip install --quiet $(LAMBDA_WHEELS) --target "$(ARTIFACTS_DIR)" -r "$(ARTIFACTS_DIR)/requirements.txt"
	$(PYTHON) -m pip install --quiet --no-deps --no-compile --target "$(ARTIFACTS_DIR)" .
	rm -f "$(ARTIFACTS_DIR)/requirements.txt"
