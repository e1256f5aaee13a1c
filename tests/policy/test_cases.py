"""The neutral case adapter (rolegate.policy.cases). The conformance corpus is run by test_corpus.py."""

from __future__ import annotations

import json
from typing import Any

from rolegate.policy.cases import evaluate_case

BASE: dict[str, Any] = {
    "id": "c1",
    "request": {"principal": "arn:aws:iam::111122223333:user/bob", "action": "s3:GetObject",
                "resource": "arn:aws:s3:::bkt/k", "resourceAccount": "111122223333", "context": {}},
    "identityPolicies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}],
    "resourcePolicy": None, "permissionBoundaries": [], "sessionPolicies": [], "scps": [], "rcps": [],
}


def test_allowed_case_echoes_its_id_and_explains() -> None:
    result = evaluate_case(BASE)
    assert result["id"] == "c1" and result["decision"] == "Allow"
    assert result["explanation"]["matched"] == [{"policyType": "identity", "policyIndex": 0, "statement": 0, "effect": "Allow"}]


def test_unknown_operator_makes_the_case_an_error_with_a_reason() -> None:
    case = json.loads(json.dumps(BASE))
    case["identityPolicies"][0]["Statement"][0]["Condition"] = {"StringEqualz": {"a:b": "c"}}
    result = evaluate_case(case)
    assert result["decision"] == "Error" and "StringEqualz" in result["error"]


def test_unrecognised_principal_arn_is_an_error() -> None:
    case = json.loads(json.dumps(BASE))
    case["request"]["principal"] = "arn:aws:iam::111122223333:group/devs"
    assert evaluate_case(case)["decision"] == "Error"


def test_assume_role_without_a_trust_policy_is_an_error() -> None:
    case = json.loads(json.dumps(BASE))
    case["request"]["action"] = "sts:AssumeRole"
    assert evaluate_case(case)["decision"] == "Error"


def test_session_policies_for_an_iam_user_are_an_error() -> None:
    case = json.loads(json.dumps(BASE))
    case["sessionPolicies"] = BASE["identityPolicies"]
    assert evaluate_case(case)["decision"] == "Error"
