"""template.yaml as the tests read it: loaded with its intrinsic functions, by resource kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


def load_template() -> dict[str, Any]:
    loaded: dict[str, Any] = cfn_yaml.load(str(TEMPLATE))  # understands !Ref, !Sub, !GetAtt
    return loaded


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def function(template: dict[str, Any]) -> dict[str, Any]:
    (fn,) = resources_of(template, "AWS::Serverless::Function").values()
    props: dict[str, Any] = fn["Properties"]
    return props
