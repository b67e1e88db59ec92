"""template.yaml (AWS SAM): it lints, and it grants the function what the code calls, no more."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from config_api.api import cors
from config_api.settings import Settings
from config_api.store.items import TTL_ATTRIBUTE
from scripts.build_lambda import lambda_python
from tests.support.aws_calls import (
    iam_actions,
    library_actions,
    reachable,
    unaccounted_clients,
    unscanned_client_calls,
)
from tests.support.imports import SRC
from tests.support.template import TEMPLATE, function, load_template, resources_of

# Runtime plumbing granted to the function besides the code's own AWS calls.
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
LOCAL_ONLY = ("moto", "werkzeug", "waitress", "uvicorn")  # the local and server extras


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def conditional_statements(template: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """The role's statements, each with the template condition it depends on (or None)."""
    role_ref = function(template)["Role"]
    assert set(role_ref) == {"Fn::GetAtt"}, "the function's role is the template's own"
    role = template["Resources"][role_ref["Fn::GetAtt"][0]]
    assert set(role["Properties"]) == {"AssumeRolePolicyDocument", "Policies"}  # no managed
    found: list[tuple[str | None, dict[str, Any]]] = []
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if set(statement) == {"Fn::If"}:
                condition, granted, otherwise = statement["Fn::If"]
                assert otherwise == {"Ref": "AWS::NoValue"}  # granted or absent, nothing else
                found.append((condition, granted))
            else:
                found.append((None, statement))
    return found


def role_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [statement for _, statement in conditional_statements(template)]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_cfn_lint_passes() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True, timeout=120, check=False
    )
    # Exit status 0: no error, no warning, no informational finding.
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_function_is_granted_exactly_the_calls_the_code_makes(template: dict[str, Any]) -> None:
    assert unscanned_client_calls() == []  # every AWS call is visible to the scan
    assert unaccounted_clients() == []  # and so is every client the Lambda builds
    from_code = iam_actions(reachable())
    statements = role_statements(template)
    assert all(s["Effect"] == "Allow" for s in statements)
    granted = {a for s in statements for a in as_list(s["Action"])}
    assert granted - LOG_ACTIONS == from_code
    assert not any("*" in action for action in granted)
    # The operator's reconcile scans the whole table; the Lambda never does.
    assert "dynamodb:Scan" not in granted
    # The rollout commands read CloudWatch and change AppConfig with the operator's
    # credentials; the function only writes EMF to its log.
    assert not {a for a in granted if a.split(":")[0] == "cloudwatch"}
    assert not granted & {"appconfig:CreateHostedConfigurationVersion", "appconfig:StartDeployment"}


def test_appconfig_is_granted_only_when_configured(template: dict[str, Any]) -> None:
    # What Powertools' AppConfigStore calls (derived from its source), granted under the one
    # condition that the AppConfig IDs were given, and nothing else under it.
    expected = library_actions()
    assert expected == {"appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"}
    assert expected <= iam_actions(reachable())  # the Lambda does use the store
    statements = conditional_statements(template)
    conditional = [(c, set(as_list(s["Action"]))) for c, s in statements if c is not None]
    assert conditional == [("HasAppConfig", expected)]
    assert not any(set(as_list(s["Action"])) & expected for c, s in statements if c is None)
    params = ("AppConfigApplicationId", "AppConfigEnvironmentId", "AppConfigProfileId")
    assert template["Conditions"]["HasAppConfig"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": params[0]}, ""]}]
    }
    # ... which a rule makes all three or none (the settings refuse a partial set).
    (rule,) = template["Rules"]["AppConfigAllOrNothing"]["Assertions"]
    all_set, none_set = rule["Assert"]["Fn::Or"]
    assert all_set == {"Fn::And": [{"Fn::Not": [{"Fn::Equals": [{"Ref": p}, ""]}]} for p in params]}
    assert none_set == {"Fn::And": [{"Fn::Equals": [{"Ref": p}, ""]} for p in params]}
    for name in params:
        assert template["Parameters"][name]["Default"] == ""  # off unless asked for
    env = function(template)["Environment"]["Variables"]
    names = ("ROLLOUT_APPCONFIG_APP", "ROLLOUT_APPCONFIG_ENV", "ROLLOUT_APPCONFIG_PROFILE")
    assert [env[n] for n in names] == [{"Ref": p} for p in params]
    # Empty, as by default, the settings read "no AppConfig".
    empty = Settings(
        ROLLOUT_APPCONFIG_APP="", ROLLOUT_APPCONFIG_ENV="", ROLLOUT_APPCONFIG_PROFILE=""
    )
    assert empty.rollout_appconfig is None


def test_timeouts_leave_room_for_the_attempt_running_at_the_deadline(
    template: dict[str, Any],
) -> None:
    # No AWS attempt starts after the request deadline, but one that started just before it
    # may run its connect + read timeout: the function must outlive that, with a margin for
    # the rest of the request, and the gateway must wait for the function's own answer.
    props = function(template)
    env = props["Environment"]["Variables"]
    fields = Settings.model_fields

    def seconds(env_name: str, field: str) -> float:
        return float(env.get(env_name, fields[field].default))

    deadline = seconds("REQUEST_DEADLINE_SECONDS", "request_deadline_seconds")
    attempt = seconds("AWS_CONNECT_TIMEOUT", "aws_connect_timeout") + seconds(
        "AWS_READ_TIMEOUT", "aws_read_timeout"
    )
    margin = 1.0
    assert props["Timeout"] >= deadline + attempt + margin, (props["Timeout"], deadline, attempt)
    (integration,) = resources_of(template, "AWS::ApiGatewayV2::Integration").values()
    assert integration["Properties"]["TimeoutInMillis"] >= props["Timeout"] * 1000


def test_each_grant_is_on_this_stack_s_resources_only(template: dict[str, Any]) -> None:
    configuration = (
        "arn:${AWS::Partition}:appconfig:${AWS::Region}:${AWS::AccountId}:application/"
        "${AppConfigApplicationId}/environment/${AppConfigEnvironmentId}/configuration/"
        "${AppConfigProfileId}"
    )
    expected = {
        "dynamodb": [{"Fn::GetAtt": ["ConfigTable", "Arn"]}],
        # The ticker object, not the bucket: GetObject of one key.
        "s3": [{"Fn::Sub": "${TickerBucket.Arn}/${TickerKey}"}],
        "logs": [{"Fn::GetAtt": ["FunctionLogGroup", "Arn"]}],
        # The one configuration profile in the one environment (the resource is named by IDs).
        "appconfig": [{"Fn::Sub": configuration}],
    }
    for statement in role_statements(template):
        services = {a.split(":")[0] for a in as_list(statement["Action"])}
        assert len(services) == 1, statement
        assert as_list(statement["Resource"]) == expected[services.pop()]
        assert "Condition" not in statement and "NotAction" not in statement


def test_table_matches_the_store(template: dict[str, Any]) -> None:
    (table,) = resources_of(template, "AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert {(a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]} == {
        ("PK", "S"),
        ("SK", "S"),
    }
    assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_bucket_is_private_versioned_and_encrypted(template: dict[str, Any]) -> None:
    (bucket,) = resources_of(template, "AWS::S3::Bucket").values()
    props = bucket["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")


def test_function_configuration_matches_the_code(template: dict[str, Any]) -> None:
    props = function(template)
    module, attribute = props["Handler"].rsplit(".", 1)
    handler_file = SRC.parent / (module.replace(".", "/") + ".py")
    body = ast.parse(handler_file.read_text()).body
    assigned = {
        target.id
        for node in body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    defined = {node.name for node in body if isinstance(node, ast.FunctionDef)}
    assert attribute in assigned | defined
    known = {name.upper() for name in Settings.model_fields}  # each field's variable
    assert set(props["Environment"]["Variables"]) <= known
    assert "JWT_SECRET" not in props["Environment"]["Variables"]  # AWS verifies via JWKS
    # The lock and the build (scripts/build_lambda.py) are for the function's Python.
    assert props["Runtime"] == f"python{lambda_python()}"


def test_parameters_follow_the_settings_bounds(template: dict[str, Any]) -> None:
    param = template["Parameters"]["MaxConfigurations"]
    schema = Settings.model_json_schema()["properties"]["max_configurations"]
    assert (param["MinValue"], param["MaxValue"]) == (schema["minimum"], schema["maximum"])
    assert "Stage" in template["Parameters"]


def test_api_authorizes_with_jwt_and_throttles(template: dict[str, Any]) -> None:
    (authorizer,) = resources_of(template, "AWS::ApiGatewayV2::Authorizer").values()
    assert authorizer["Properties"]["AuthorizerType"] == "JWT"
    routes = resources_of(template, "AWS::ApiGatewayV2::Route").values()
    open_routes = {
        r["Properties"]["RouteKey"]
        for r in routes
        if r["Properties"].get("AuthorizationType") != "JWT"
    }
    assert open_routes == {"GET /health"}
    (stage,) = resources_of(template, "AWS::ApiGatewayV2::Stage").values()
    assert set(stage["Properties"]["DefaultRouteSettings"]) >= {
        "ThrottlingRateLimit",
        "ThrottlingBurstLimit",
    }


def test_api_cors_is_the_apps(template: dict[str, Any]) -> None:
    """The HTTP API answers CORS (preflights carry no token): with the app's lists."""
    (api,) = resources_of(template, "AWS::ApiGatewayV2::Api").values()
    condition, config, otherwise = api["Properties"]["CorsConfiguration"]["Fn::If"]
    assert (condition, otherwise) == ("HasCors", {"Ref": "AWS::NoValue"})
    assert config == {
        "AllowOrigins": {"Ref": "CorsAllowOrigins"},
        "AllowCredentials": True,
        "AllowMethods": list(cors.METHODS),
        "AllowHeaders": [h.lower() for h in cors.REQUEST_HEADERS],
        "ExposeHeaders": [h.lower() for h in cors.EXPOSED_HEADERS],
        "MaxAge": cors.MAX_AGE_SECONDS,
    }
    (rule,) = template["Rules"]["CorsOriginsListed"]["Assertions"]
    assert rule["Assert"] == {"Fn::Not": [{"Fn::Contains": [{"Ref": "CorsAllowOrigins"}, "*"]}]}


def test_lambda_code_does_not_import_local_only_packages() -> None:
    """The artifact has no emulator or server (tests/unit/test_lock.py) and needs none."""
    handler = ast.parse((SRC / "lambda_handler.py").read_text())
    imports = sorted(
        n.module for n in ast.walk(handler) if isinstance(n, ast.ImportFrom) and n.module
    )
    probe = (
        f"import importlib, sys\nfor m in {imports!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in {LOCAL_ONLY!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"
