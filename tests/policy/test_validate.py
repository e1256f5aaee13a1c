"""Access Analyzer-style findings (rolegate.policy.validate)."""

from __future__ import annotations

import json
from typing import Any

from rolegate.policy import validate_policy


def _codes(statements: list[dict[str, Any]], kind: str = "identity", version: str | None = "2012-10-17") -> set[str]:
    document: dict[str, Any] = {"Statement": statements}
    if version:
        document["Version"] = version
    return {f.issue_code for f in validate_policy(json.dumps(document), kind)}


def test_a_clean_policy_has_no_findings() -> None:
    assert _codes([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bkt/*"}]) == set()


def test_malformed_document_is_an_error_finding() -> None:
    findings = validate_policy("{", "identity")
    assert [(f.finding_type, f.issue_code) for f in findings] == [("ERROR", "MALFORMED_POLICY_DOCUMENT")]


def test_missing_version_is_a_warning() -> None:
    assert "MISSING_VERSION" in _codes([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}], version=None)


def test_allow_with_not_action_is_a_security_warning() -> None:
    findings = validate_policy(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}))
    assert any(f.finding_type == "SECURITY_WARNING" and f.issue_code == "ALLOW_WITH_NOT_ACTION" for f in findings)


def test_trust_policy_open_to_everyone_without_condition_is_a_security_warning() -> None:
    assert "EXTERNAL_PRINCIPAL" in _codes([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}], kind="trust")


def test_unknown_service_and_action_are_errors() -> None:
    codes = _codes([{"Effect": "Allow", "Action": ["nosuchsvc:Get", "s3:GetObjectz"], "Resource": "*"}])
    assert {"INVALID_SERVICE", "INVALID_ACTION"} <= codes


def test_unknown_condition_key_is_a_warning() -> None:
    assert "UNKNOWN_CONDITION_KEY" in _codes([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                                               "Condition": {"StringEquals": {"s3:nosuchkey": "x"}}}])


def test_service_condition_keys_come_from_the_catalogue() -> None:
    assert _codes([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
                    "Condition": {"StringLike": {"s3:prefix": "home/*"}}}]) == set()


def test_date_operator_on_a_non_date_value_can_never_match() -> None:
    assert "INVALID_CONDITION_VALUE" in _codes([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                                                 "Condition": {"DateLessThan": {"aws:CurrentTime": "soon"}}}])


def test_operator_of_the_wrong_type_for_the_key_is_a_mismatch() -> None:
    assert "MISMATCHED_TYPE" in _codes([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                                         "Condition": {"NumericLessThan": {"aws:SourceIp": "3"}}}])


def test_action_covered_by_a_wildcard_is_redundant() -> None:
    assert "REDUNDANT_ACTION" in _codes([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:Get*"], "Resource": "*"}])


def test_repeated_statement_is_redundant() -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    assert "REDUNDANT_STATEMENT" in _codes([statement, statement])


def test_duplicate_sids_are_an_error() -> None:
    assert "DUPLICATE_SID" in _codes([{"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                                      {"Sid": "A", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}])
