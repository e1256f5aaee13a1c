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


def _findings(statements: list[dict[str, Any]], kind: str = "identity") -> list[tuple[str, str, str]]:
    document = {"Version": "2012-10-17", "Statement": statements}
    return [(f.finding_type, f.issue_code, f.message) for f in validate_policy(json.dumps(document), kind)]


def test_a_condition_key_the_action_does_not_support_is_an_error_naming_the_actions() -> None:
    # Access Analyzer's example: sts:TagSession does not carry cognito-identity.amazonaws.com:aud.
    found = _findings([{"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                        "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:id"}}}],
                      kind="trust")
    assert ("ERROR", "UNSUPPORTED_ACTION_FOR_CONDITION_KEY",
            "The following actions: sts:TagSession are not supported by the condition key "
            "cognito-identity.amazonaws.com:aud. The condition will not be evaluated for these actions. We "
            "recommend that you move these actions to a different statement without this condition key.") in found


def test_condition_keys_of_the_action_and_of_its_resource_types_are_supported() -> None:
    assert _codes([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bkt",
                    "Condition": {"StringLike": {"s3:prefix": "home/*"}}},
                   {"Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "*",
                    "Condition": {"StringEquals": {"ec2:ResourceTag/team": "core", "aws:ResourceTag/x": "y"}}},
                   {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
                    "Condition": {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::bkt"}}}]) \
        == set()


def test_a_key_of_another_service_is_unsupported_but_a_wildcard_action_that_has_one_supporter_is_not() -> None:
    found = _findings([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:List*"], "Resource": "*",
                        "Condition": {"StringLike": {"s3:prefix": "home/*"}}}])
    assert [m for _, code, m in found if code == "UNSUPPORTED_ACTION_FOR_CONDITION_KEY"] == [
        "The following actions: s3:GetObject are not supported by the condition key s3:prefix. The condition will "
        "not be evaluated for these actions. We recommend that you move these actions to a different statement "
        "without this condition key."]


def test_an_action_given_none_of_its_resource_types_is_a_resource_type_mismatch() -> None:
    found = _findings([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                        "Resource": "arn:aws:s3:::bkt"}])
    assert [(t, c) for t, c, _ in found] == [("WARNING", "RESOURCE_TYPE_MISMATCH")]
    assert "s3:GetObject applies to resources of type accesspointobject, object" in found[0][2]
    other_service = _findings([{"Effect": "Allow", "Action": "s3:GetObject",
                                "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/t"}])
    assert [c for _, c, _ in other_service] == ["RESOURCE_TYPE_MISMATCH"]


def test_wildcards_and_variables_in_a_resource_can_be_of_the_action_s_type() -> None:
    assert _codes([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
                    "Resource": ["arn:aws:s3:::bkt/${aws:username}/*", "arn:aws:s3:::*"]},
                   {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/team/*"},
                   {"Effect": "Allow", "Action": "logs:PutLogEvents",
                    "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/*:log-stream:*"}]) == set()


def test_an_action_without_resource_types_needs_resource_star() -> None:
    found = _findings([{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::bkt"}])
    assert [(t, c) for t, c, _ in found] == [("WARNING", "RESOURCE_TYPE_MISMATCH")]
    assert "does not support resource-level permissions" in found[0][2]


def test_an_arn_of_no_resource_type_of_its_service_is_an_invalid_arn_resource() -> None:
    found = _findings([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:us-east-1:1:nosuch/x"}])
    assert ("ERROR", "INVALID_ARN_RESOURCE", "Resource ARN does not match the expected ARN format. Update the "
            "resource portion of the ARN.") in found
