# Quick start: `make run` (local stack: emulator + API) and `make test` (everything CI runs).
# Both install .venv from the lock, requirements/dev.txt, on first use (exact versions,
# hash-checked, nothing resolved at install time); only Python 3.11+ is needed.
# `make lock` recompiles requirements/*.txt after a change to pyproject.toml.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The Lambda runtime's Python (template.yaml's Runtime; tests check they agree).
LAMBDA_PYTHON := 3.11

.PHONY: run test lint typecheck browser token bench clean lock lock-upgrade build-ConfigApiFunction

# A fresh venv each time the lock changes: exactly the locked packages, nothing left over.
$(STAMP): pyproject.toml requirements/dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

# Keeps the locked versions that pyproject.toml still allows; lock-upgrade takes the newest.
lock: $(STAMP)
	$(BIN)/python scripts/lock.py
lock-upgrade: $(STAMP)
	$(BIN)/python scripts/lock.py --upgrade

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

# Run by `sam build` for the function in template.yaml (BuildMethod: makefile): the runtime as
# locked in requirements/lambda.txt (hash-checked; no emulator, no server), as wheels for
# Lambda's platform (x86_64, CPython $(LAMBDA_PYTHON)) whatever machine builds it, and the package.
LAMBDA_WHEELS := --platform manylinux2014_x86_64 --implementation cp --python-version $(LAMBDA_PYTHON) --only-binary=:all:
build-ConfigApiFunction:
	$(PYTHON) -m pip install --quiet --no-deps --require-hashes $(LAMBDA_WHEELS) --target "$(ARTIFACTS_DIR)" -r requirements/lambda.txt
	$(PYTHON) -m pip install --quiet --no-deps --no-compile --target "$(ARTIFACTS_DIR)" .
