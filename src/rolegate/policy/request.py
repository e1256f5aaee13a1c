"""The request being decided: caller, action, resource, resource account and context.

Context keys are stored lowercase because condition keys are case-insensitive ("IAM JSON policy
elements: Condition" → "Condition key names are not case-sensitive"); values keep their case.
The caller's account and kind are read from its ARN once, here, so matching never re-parses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

ANONYMOUS = "anonymous"

ContextInput = Mapping[str, str | Sequence[str]]


_ROOT = re.compile(r"^arn:([^:]+):iam::(\d{12}):root$")
_USER = re.compile(r"^arn:([^:]+):iam::(\d{12}):user/(.+)$")
_ROLE = re.compile(r"^arn:([^:]+):iam::(\d{12}):role/(.+)$")
_SESSION = re.compile(r"^arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/(.+)$")
_FEDERATED_USER = re.compile(r"^arn:([^:]+):sts::(\d{12}):federated-user/(.+)$")
_PROVIDER = re.compile(r"^arn:([^:]+):iam::(\d{12}):(oidc-provider|saml-provider)/(.+)$")

# Caller kinds (spec R1). IAM callers have an account and identity policies.
ROOT, USER, ROLE, SESSION, FEDERATED_USER = "root", "user", "role", "session", "federated-user"
ANONYMOUS_KIND, EXTERNAL, SERVICE = "anonymous", "external", "service"
IAM_KINDS = frozenset({ROOT, USER, ROLE, SESSION, FEDERATED_USER})


class UnknownCaller(ValueError):
    """The principal is an ARN of no caller kind (a group, a malformed ARN…)."""


def is_service_principal(text: str) -> bool:
    # "AWS JSON policy elements: Principal" — service principals; Cognito is an identity provider.
    if text == "cognito-identity.amazonaws.com":
        return False
    return text.endswith(".amazonaws.com") or text.endswith(".amazonaws.com.cn")


def classify_caller(principal: str, role_arn_hint: str | None = None) -> tuple[str, str | None, str | None]:
    """(kind, account, role ARN) of a caller (spec R1, R2); raises ``UnknownCaller``."""
    if principal == ANONYMOUS:
        return ANONYMOUS_KIND, None, None
    if principal.startswith("arn:"):
        if match := _ROOT.match(principal):
            return ROOT, match.group(2), None
        if match := _USER.match(principal):
            return USER, match.group(2), None
        if match := _ROLE.match(principal):
            return ROLE, match.group(2), principal
        if match := _SESSION.match(principal):
            role_arn = role_arn_hint or f"arn:{match.group(1)}:iam::{match.group(2)}:role/{match.group(3)}"
            return SESSION, match.group(2), role_arn
        if match := _FEDERATED_USER.match(principal):
            return FEDERATED_USER, match.group(2), None
        if _PROVIDER.match(principal):
            return EXTERNAL, None, None
        raise UnknownCaller(f"unrecognised principal ARN {principal!r}")
    if not principal:
        raise UnknownCaller("empty principal")
    if is_service_principal(principal):
        return SERVICE, None, None
    return EXTERNAL, None, None


def principal_account(principal: str) -> str | None:
    """The account of an IAM caller ARN; None for anonymous, external and service callers."""
    try:
        return classify_caller(principal)[1]
    except UnknownCaller:
        return None


def _is_service_linked(kind: str, role_arn: str | None) -> bool:
    """A role (or its session) under /aws-service-role/: SCPs and RCPs do not apply (spec R54)."""
    if kind not in (ROLE, SESSION) or role_arn is None:
        return False
    parts = role_arn.split(":", 5)
    return len(parts) == 6 and parts[5].startswith("role/aws-service-role/")


def is_kms_key(resource: str) -> bool:
    """The resource is a KMS key (``arn:P:kms:REGION:ACCOUNT:key/ID``), so its key policy must allow (spec R71)."""
    if ":kms:" not in resource:
        return False
    parts = resource.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "kms" and parts[5].startswith("key/")


def normalise_context(context: ContextInput) -> dict[str, str | tuple[str, ...]]:
    out: dict[str, str | tuple[str, ...]] = {}
    for key, value in context.items():
        out[key.lower()] = value if isinstance(value, str) else tuple(str(v) for v in value)
    return out


@dataclass(frozen=True, slots=True)
class Request:
    """One authorization question. Build with ``Request.of(...)`` to normalise the context."""

    principal: str
    action: str
    resource: str
    resource_account: str | None
    context: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    # Derived once:
    action_lower: str = ""
    kind: str = ""
    account: str | None = None
    # For a role session: its role's ARN (aws:PrincipalArn when given, which carries the path).
    role_arn: str | None = None
    # aws:userid when single-valued; ``unique_id`` reads the caller's unique id from it (spec R2).
    user_id: str | None = None
    is_service_linked_role: bool = False

    @classmethod
    def of(
        cls,
        *,
        principal: str,
        action: str,
        resource: str,
        resource_account: str | None = None,
        context: ContextInput | None = None,
    ) -> Request:
        """Raises ``UnknownCaller`` for a principal ARN of no known caller kind."""
        ctx = normalise_context(context or {})
        hint = ctx.get("aws:principalarn")
        if not isinstance(hint, str):
            hint = hint[0] if hint is not None and len(hint) == 1 else None
        kind, account, role_arn = classify_caller(principal, hint)
        user_id = ctx.get("aws:userid")
        if user_id is not None and not isinstance(user_id, str):
            user_id = user_id[0] if len(user_id) == 1 else None  # a one-element list is the scalar (spec R4)
        return cls(
            principal=principal,
            action=action,
            resource=resource,
            resource_account=resource_account,
            context=ctx,
            action_lower=action.lower(),
            kind=kind,
            account=account,
            role_arn=role_arn,
            user_id=user_id if isinstance(user_id, str) else None,
            is_service_linked_role=_is_service_linked(kind, role_arn),
        )

    @property
    def is_iam_caller(self) -> bool:
        return self.kind in IAM_KINDS

    @property
    def is_anonymous(self) -> bool:
        return self.kind == ANONYMOUS_KIND

    @property
    def is_root(self) -> bool:
        return self.kind == ROOT

    @property
    def unique_id(self) -> str | None:
        """Spec R2: a user's or role's unique id (all of aws:userid); a session's role id (before ':')."""
        if self.user_id is None:
            return None
        if self.kind in (USER, ROLE):
            return self.user_id
        if self.kind == SESSION:
            return self.user_id.partition(":")[0]
        return None

    @property
    def partition(self) -> str | None:
        """An IAM caller's partition: the one its ARN names (spec R20)."""
        return self.principal.split(":", 2)[1] if self.kind in IAM_KINDS else None

    @property
    def is_cross_account(self) -> bool:
        """Spec R3: only IAM callers of the resource's own account are same-account."""
        return self.account is None or self.account != self.resource_account


    def identities(self) -> tuple[tuple[str, str], ...]:
        """(type, value) identities matched by NotPrincipal (spec R2, R25)."""
        if self.kind == ANONYMOUS_KIND:
            return (("anonymous", ""),)
        if self.kind in (EXTERNAL, SERVICE):
            return ((self.kind, self.principal),)
        out: list[tuple[str, str]] = []
        if self.kind != ROOT:
            out.append(("arn", self.principal))
        if self.kind == SESSION and self.role_arn is not None:
            out.append(("role", self.role_arn))
        out.append(("account", self.account or ""))
        return tuple(out)
