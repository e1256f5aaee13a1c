"""Shared builders for the policy unit tests (no tests here): one statement in, one decision out."""

from __future__ import annotations

from typing import Any

from rolegate.policy import PolicySet, Request, compile_policy, evaluate

A = "111122223333"
B = "444455556666"
SESSION = f"arn:aws:sts::{A}:assumed-role/Deploy/alice"
ROLE = f"arn:aws:iam::{A}:role/Deploy"
USER = f"arn:aws:iam::{A}:user/bob"


def request(
    action: str = "s3:GetObject",
    resource: str = "arn:aws:s3:::bkt/key",
    *,
    principal: str = USER,
    account: str = A,
    context: dict[str, Any] | None = None,
) -> Request:
    return Request.of(principal=principal, action=action, resource=resource, resource_account=account, context=context or {})


def identity(*statements: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


def allow(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def decide_identity(statement: dict[str, Any], req: Request | None = None, *, version: str = "2012-10-17") -> str:
    policy = compile_policy(identity(statement, version=version))
    return evaluate(req or request(), PolicySet(identity=[policy])).outcome.value


def condition_allows(condition: dict[str, Any], context: dict[str, Any], *, version: str = "2012-10-17") -> bool:
    return decide_identity(allow(Condition=condition), request(context=context), version=version) == "Allow"
