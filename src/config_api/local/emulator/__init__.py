"""Bundled local AWS emulator (moto) with a LocalStack-compatible chaos API."""

from .chaos import ChaosState
from .durable import DataDirError
from .fault_rules import AwsCall, ChaosError, FaultRule
from .server import (
    EFFECTS_PATH,
    FAULTS_PATH,
    LOST_RESPONSES_PATH,
    REQUESTS_PATH,
    Emulator,
    build_app,
)

__all__ = [
    "EFFECTS_PATH",
    "FAULTS_PATH",
    "LOST_RESPONSES_PATH",
    "REQUESTS_PATH",
    "AwsCall",
    "ChaosError",
    "ChaosState",
    "DataDirError",
    "Emulator",
    "FaultRule",
    "build_app",
]
