"""Decisions and their explanations: which statements decided, and which policy type is to blame.

The policy-type names are the ones AWS uses in AccessDenied messages ("… with an explicit deny in a
service control policy", "… because no identity-based policy allows the X action"), so the
authorization layer can build AWS's message from ``Decision.policy_type_phrase``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Outcome(str, Enum):
    ALLOW = "Allow"
    IMPLICIT_DENY = "ImplicitDeny"
    EXPLICIT_DENY = "ExplicitDeny"
    ERROR = "Error"


class PolicyType(str, Enum):
    """The kinds of policy a request can meet, in AWS's evaluation order."""

    RCP = "rcp"
    SCP = "scp"
    RESOURCE = "resource"
    IDENTITY = "identity"
    BOUNDARY = "boundary"
    SESSION = "session"


# The phrase AWS puts in AccessDenied messages for each policy type.
POLICY_TYPE_PHRASES = {
    PolicyType.RCP: "resource control policy",
    PolicyType.SCP: "service control policy",
    PolicyType.RESOURCE: "resource-based policy",
    PolicyType.IDENTITY: "identity-based policy",
    PolicyType.BOUNDARY: "permissions boundary",
    PolicyType.SESSION: "session policy",
}


@dataclass(frozen=True, slots=True)
class StatementRef:
    """A statement that matched: policy type, which policy of that type (and SCP/RCP level), statement."""

    policy_type: PolicyType
    policy_index: int
    statement_index: int
    sid: str | None
    effect: str
    level: int | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "policyType": self.policy_type.value,
            "policyIndex": self.policy_index,
            "statement": self.sid if self.sid else self.statement_index,
            "effect": self.effect,
        }
        if self.level is not None:
            out["level"] = self.level
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    # The statements that matched the request (allows and denies), in evaluation order.
    matched: tuple[StatementRef, ...] = ()
    # For ExplicitDeny: the type of the first policy with a matching Deny.
    denied_by: PolicyType | None = None
    # For ImplicitDeny: the policy type whose missing Allow decided.
    missing_allow: PolicyType | None = None
    # Context keys that conditions of action/resource-matching statements asked for but were absent.
    missing_context_keys: tuple[str, ...] = ()
    error: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def is_allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW

    @property
    def policy_type_phrase(self) -> str | None:
        culprit = self.denied_by or self.missing_allow
        return POLICY_TYPE_PHRASES[culprit] if culprit is not None else None

    def explanation(self) -> dict[str, object]:
        out: dict[str, object] = {"matched": [ref.to_json() for ref in self.matched]}
        if self.denied_by is not None:
            out["deniedBy"] = self.denied_by.value
        if self.missing_allow is not None:
            out["noAllowIn"] = self.missing_allow.value
        if self.missing_context_keys:
            out["missingContextKeys"] = list(self.missing_context_keys)
        if self.notes:
            out["notes"] = list(self.notes)
        return out
