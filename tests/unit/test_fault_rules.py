"""The chaos API's documents (local/emulator/fault_rules.py): LocalStack's shape, defaults
filled in, and every invalid rule refused with a message naming the field."""

from __future__ import annotations

import pytest

from config_api.local.emulator.fault_rules import (
    ChaosError,
    FaultRule,
    parse_latency,
    parse_rules,
)


def test_a_rule_takes_localstack_s_defaults() -> None:
    assert parse_rules(b'[{"service": "dynamodb"}, {"probability": 0}]') == [
        FaultRule(service="dynamodb", probability=1.0, status_code=503, code="ServiceUnavailable"),
        FaultRule(probability=0.0),
    ]
    rule = b'[{"operation": "PutItem", "error": {"statusCode": 400, "code": "Throttled"}}]'
    assert parse_rules(rule)[0].to_json() == {
        "operation": "PutItem",
        "probability": 1.0,
        "error": {"statusCode": 400, "code": "Throttled"},
    }


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"", "body: Invalid JSON"),
        (b'{"service": "s3"}', "body: Input should be a valid array"),
        (b'[{"operations": "PutItem"}]', "[0].operations: Extra inputs are not permitted"),
        (b'[{}, {"probability": 1.5}]', "[1].probability: Input should be less than or equal"),
        (b'[{"probability": "0.5"}]', "[0].probability: Input should be a valid number"),
        (b'[{"probability": true}]', "[0].probability: Input should be a valid number"),
        (b'[{"service": 3}]', "[0].service: Input should be a valid string"),
        (b'[{"error": {"statusCode": 200}}]', "[0].error.statusCode: Input should be greater"),
        (b'[{"error": {"statusCode": 500.0}}]', "[0].error.statusCode: Input should be a valid"),
        (b'[{"error": {"code": ""}}]', "[0].error.code: String should have at least 1"),
        (b'[{"error": {"status": 500}}]', "[0].error.status: Extra inputs are not permitted"),
    ],
)
def test_an_invalid_rule_is_refused_naming_the_field(body: bytes, named: str) -> None:
    with pytest.raises(ChaosError) as refused:
        parse_rules(body)
    assert str(refused.value).startswith(named), str(refused.value)


def test_latency() -> None:
    assert parse_latency(b'{"latency": 250}') == 250.0
    for body in (
        b'{"latency": -1}',
        b'{"latency": "1"}',
        b"{}",
        b"[300]",
        b'{"latency": 1, "x": 2}',
    ):
        with pytest.raises(ChaosError):
            parse_latency(body)
