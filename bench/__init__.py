"""Benchmarks: run each from the repository root as a module, e.g. `python -m bench.latency`
(the root is then on sys.path, so the scripts use the tests' harness, tests/support).

The service's INFO/WARNING log lines (counter initialised, retries) would bury the figures,
so only errors are logged while a benchmark runs.
"""

import logging

from config_api.observability.log import logger

logger.setLevel(logging.ERROR)
