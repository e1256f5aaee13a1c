"""The AWS CLI (``awscli`` from PyPI) asking the simulator "why was I denied": ``aws iam simulate-principal-policy``
and ``aws iam get-context-keys-for-principal-policy``, through the CLI's own parsing and its ``--query``."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.e2e.test_awscli import aws  # noqa: F401  (aws: the CLI fixture)


def test_simulate_principal_policy_tells_which_statement_denied(aws: Any) -> None:  # noqa: F811
    user = f"cli-sim-{uuid.uuid4().hex[:10]}"
    arn = aws("iam", "create-user", "--user-name", user)["User"]["Arn"]
    allow = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    deny = {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
    aws("iam", "put-user-policy", "--user-name", user, "--policy-name", "S3",
        "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": [allow, deny]}))
    out = aws("iam", "simulate-principal-policy", "--policy-source-arn", arn,
              "--action-names", "s3:GetObject", "s3:DeleteBucket", "--resource-arns", "arn:aws:s3:::bucket")
    results = {r["EvalActionName"]: r for r in out["EvaluationResults"]}
    assert results["s3:GetObject"]["EvalDecision"] == "allowed"
    denied = results["s3:DeleteBucket"]
    assert denied["EvalDecision"] == "explicitDeny"
    # The document is stored as sent (one line): the Deny statement sits after the Allow on line 1.
    [statement] = denied["MatchedStatements"]
    assert (statement["SourcePolicyId"], statement["SourcePolicyType"]) == ("S3", "user")
    assert statement["StartPosition"]["Line"] == 1 and statement["StartPosition"]["Column"] > 38
    assert denied["ResourceSpecificResults"][0]["EvalResourceDecision"] == "explicitDeny"
    decision = aws("iam", "simulate-principal-policy", "--policy-source-arn", arn, "--action-names", "s3:DeleteBucket",
                   "--query", "EvaluationResults[0].EvalDecision")
    assert decision == "explicitDeny"


def test_get_context_keys_for_principal_policy_lists_what_to_supply(aws: Any) -> None:  # noqa: F811
    user = f"cli-sim-{uuid.uuid4().hex[:10]}"
    arn = aws("iam", "create-user", "--user-name", user)["User"]["Arn"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "dynamodb:*", "Resource": "arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",
        "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2015-08-16T12:00:00Z"}}}]}
    aws("iam", "put-user-policy", "--user-name", user, "--policy-name", "Table", "--policy-document", json.dumps(policy))
    keys = aws("iam", "get-context-keys-for-principal-policy", "--policy-source-arn", arn)["ContextKeyNames"]
    assert keys == ["aws:username", "aws:CurrentTime"]
    table = f"arn:aws:dynamodb:us-west-2:123456789012:table/{user}"
    supplied = aws("iam", "simulate-principal-policy", "--policy-source-arn", arn, "--action-names",
                   "dynamodb:GetItem", "--resource-arns", table, "--context-entries",
                   "ContextKeyName=aws:CurrentTime,ContextKeyValues=2019-04-25T11:00:00Z,ContextKeyType=date",
                   f"ContextKeyName=aws:username,ContextKeyValues={user},ContextKeyType=string")
    assert supplied["EvaluationResults"][0]["EvalDecision"] == "allowed"
