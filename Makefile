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
	$(BIN)/python -m scripts.lock
lock-upgrade: $(STAMP)
	$(BIN)/python -m scripts.lock --upgrade

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
	for script in bench/*.py; do name=$$(basename $$script .py); case $$name in _*) ;; *) $(BIN)/python -m bench.$$name || exit 1;; esac; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Run by `sam build` for the function in template.yaml (BuildMethod: makefile): the runtime
# locked in requirements/lambda.txt (no emulator, no server) as wheels for Lambda's platform
# and Python whatever machine builds it, the package, and bytecode compiled by Python
# $(LAMBDA_PYTHON) (the build refuses another): scripts/build_lambda.py.
build-ConfigApiFunction:
	$(PYTHON) -m scripts.build_lambda "$(ARTIFACTS_DIR)"
