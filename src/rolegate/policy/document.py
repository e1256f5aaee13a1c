"""The policy document: strict parsing of IAM policy JSON into typed values, and printing it back.

Grammar and error messages follow the IAM User Guide, "IAM JSON policy element reference" and
"IAM JSON policy grammar" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
Errors are ``MalformedPolicyDocument`` with the message IAM sends for the same mistake.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rolegate.core.errors import MalformedPolicyDocument
from rolegate.policy.wildcards import glob_matcher, has_wildcard

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
KNOWN_VERSIONS = (VERSION_2012, VERSION_2008)

POLICY_KINDS = ("identity", "resource", "trust", "boundary", "session", "scp", "rcp")

# Kinds whose statements name no principal: the principal is whoever the policy is attached to.
_PRINCIPAL_FORBIDDEN = frozenset({"identity", "boundary", "session", "scp"})
# Kinds whose statements must name the principal they apply to.
_PRINCIPAL_REQUIRED = frozenset({"resource", "trust"})

PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")

# The STS actions a role trust policy may grant, and the actions decided against the trust policy
# (spec R65, R69, R70; IAM User Guide "Pass session tags in AWS STS", "Monitor and control actions
# taken with assumed roles", "Trusted identity propagation").
TRUST_ACTIONS = frozenset(
    {
        "sts:assumerole",
        "sts:assumerolewithsaml",
        "sts:assumerolewithwebidentity",
        "sts:tagsession",
        "sts:setsourceidentity",
        "sts:setcontext",
    }
)

_TOP_LEVEL = ("Version", "Id", "Statement")
_STATEMENT_FIELDS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)

SYNTAX_ERROR = "Syntax errors in policy."

# IAM accepts account ids, IAM/STS ARNs and the unique ids of users (AIDA…) and roles (AROA…) as "AWS"
# principals ("AWS JSON policy elements: Principal"; spec R11); it never accepts a partial wildcard.
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_PRINCIPAL_ARN = re.compile(
    r"^arn:[^:*?]+:(iam::\d{12}:(root|user/[^*?]+|role/[^*?]+)|sts::\d{12}:(assumed-role/[^/*?]+/[^*?]+|federated-user/[^*?]+))$"
)
_UNIQUE_ID = re.compile(r"^(AIDA|AROA)[A-Z0-9]{12,}$")

ConditionValue = str | int | float | bool
ConditionBlock = dict[str, dict[str, list[ConditionValue]]]


@dataclass(frozen=True, slots=True)
class Principal:
    """A ``Principal`` or ``NotPrincipal`` element: either ``"*"`` or a map of type to names."""

    is_wildcard: bool
    entries: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # How the document wrote it, so printing keeps scalars as scalars.
    scalar_types: frozenset[str] = frozenset()

    def values(self, principal_type: str) -> tuple[str, ...]:
        for name, values in self.entries:
            if name == principal_type:
                return values
        return ()


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement, fields as written (lists normalised to tuples, scalars remembered)."""

    effect: str
    sid: str | None = None
    principal: Principal | None = None
    not_principal: Principal | None = None
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    condition: tuple[tuple[str, tuple[tuple[str, tuple[ConditionValue, ...]], ...]], ...] = ()
    scalar_fields: frozenset[str] = frozenset()

    @property
    def is_allow(self) -> bool:
        return self.effect == "Allow"


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed policy document of one kind (identity, resource, trust, boundary, session, scp, rcp)."""

    kind: str
    version: str
    statements: tuple[Statement, ...]
    id: str | None = None
    version_given: bool = True
    statement_is_list: bool = True
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def substitutes_variables(self) -> bool:
        """Policy variables are only substituted under 2012-10-17 ("IAM JSON policy elements: Version")."""
        return self.version == VERSION_2012


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise MalformedPolicyDocument(SYNTAX_ERROR)
        seen[key] = value
    return seen


def load_json_object(text: str) -> dict[str, Any]:
    """The JSON object in ``text``; duplicate keys, trailing data and non-objects are syntax errors."""
    try:
        value = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, MalformedPolicyDocument):
            raise
        raise MalformedPolicyDocument(SYNTAX_ERROR) from None
    if not isinstance(value, dict):
        raise MalformedPolicyDocument(SYNTAX_ERROR)
    return value


def parse_policy(text: str, *, kind: str = "identity", check_trust_actions: bool = True) -> Policy:
    """Parse and check a policy document given as JSON text.

    ``check_trust_actions`` (trust policies only) rejects actions IAM refuses in a trust policy;
    the neutral case format evaluates trust policies without that write-time check.
    """
    return policy_from_dict(load_json_object(text), kind=kind, check_trust_actions=check_trust_actions)


def policy_from_dict(document: Mapping[str, Any], *, kind: str = "identity", check_trust_actions: bool = True) -> Policy:
    """Check an already-decoded policy document and return its typed form."""
    if kind not in POLICY_KINDS:
        raise ValueError(f"unknown policy kind {kind!r}; expected one of {POLICY_KINDS}")
    if not isinstance(document, Mapping):
        raise MalformedPolicyDocument(SYNTAX_ERROR)
    for key in document:
        if key not in _TOP_LEVEL:
            raise MalformedPolicyDocument(f"Unknown field {key}")
    version_given = "Version" in document
    version = document.get("Version", VERSION_2008)
    if not isinstance(version, str) or version not in KNOWN_VERSIONS:
        # IAM names the element it could not read; an unknown version string is a syntax error.
        raise MalformedPolicyDocument(SYNTAX_ERROR)
    policy_id = document.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise MalformedPolicyDocument(SYNTAX_ERROR)
    if "Statement" not in document:
        raise MalformedPolicyDocument("Missing required field Statement")
    raw_statements = document["Statement"]
    statement_is_list = isinstance(raw_statements, list)
    if isinstance(raw_statements, Mapping):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        raise MalformedPolicyDocument(SYNTAX_ERROR)
    statements = tuple(_parse_statement(raw, kind, check_trust_actions) for raw in raw_statements)
    return Policy(
        kind=kind,
        version=version,
        statements=statements,
        id=policy_id,
        version_given=version_given,
        statement_is_list=statement_is_list,
    )


def _string_list(value: Any, field_name: str) -> tuple[tuple[str, ...], bool]:
    """A string-or-list element as a tuple, and whether it was written as a scalar."""
    if isinstance(value, str) and value:
        return (value,), True
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        if not value:
            raise MalformedPolicyDocument(f"Required field {field_name} cannot be empty")
        return tuple(value), False
    raise MalformedPolicyDocument(SYNTAX_ERROR)


def _parse_statement(raw: Any, kind: str, check_trust_actions: bool) -> Statement:
    if not isinstance(raw, Mapping):
        raise MalformedPolicyDocument(SYNTAX_ERROR)
    for key in raw:
        if key not in _STATEMENT_FIELDS:
            raise MalformedPolicyDocument(f"Unknown field {key}")
    if "Effect" not in raw:
        raise MalformedPolicyDocument("Missing required field Effect")
    effect = raw["Effect"]
    if effect not in ("Allow", "Deny"):
        raise MalformedPolicyDocument(f"Invalid effect: {effect}" if isinstance(effect, str) else SYNTAX_ERROR)
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise MalformedPolicyDocument(SYNTAX_ERROR)

    scalars: set[str] = set()
    principal = not_principal = None
    has_principal = "Principal" in raw or "NotPrincipal" in raw
    if "Principal" in raw and "NotPrincipal" in raw:
        raise MalformedPolicyDocument(SYNTAX_ERROR)
    if kind in _PRINCIPAL_FORBIDDEN and has_principal:
        if kind in ("identity", "boundary", "session"):
            raise MalformedPolicyDocument("Policy document should not specify a principal.")
        raise MalformedPolicyDocument("Has prohibited field Principal")
    if kind in _PRINCIPAL_REQUIRED and not has_principal:
        raise MalformedPolicyDocument("Missing required field Principal")
    if kind == "rcp":
        # RCPs name only everyone ("Resource control policies (RCPs) — RCP syntax").
        if "NotPrincipal" in raw:
            raise MalformedPolicyDocument("Has prohibited field NotPrincipal")
        if "Principal" in raw and raw["Principal"] not in ("*", {"AWS": "*"}):
            raise MalformedPolicyDocument(f"Invalid principal in policy: {json.dumps(raw['Principal'])}")
    if "Principal" in raw:
        principal = _parse_principal(raw["Principal"])
    if "NotPrincipal" in raw:
        not_principal = _parse_principal(raw["NotPrincipal"])

    actions = not_actions = None
    if "Action" in raw and "NotAction" in raw:
        raise MalformedPolicyDocument(SYNTAX_ERROR)
    if "Action" in raw:
        actions, scalar = _string_list(raw["Action"], "Action")
        if scalar:
            scalars.add("Action")
    elif "NotAction" in raw:
        not_actions, scalar = _string_list(raw["NotAction"], "NotAction")
        if scalar:
            scalars.add("NotAction")
    else:
        raise MalformedPolicyDocument("Missing required field Action")
    for action in actions or not_actions or ():
        _check_action(action)
    if kind == "trust" and check_trust_actions:
        for action in actions or not_actions or ():
            if not names_a_trust_action(action):
                # The message IAM returns from CreateRole/UpdateAssumeRolePolicy for other actions.
                raise MalformedPolicyDocument(
                    "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML, "
                    "and sts:AssumeRoleWithWebIdentity"
                )

    resources = not_resources = None
    if "Resource" in raw and "NotResource" in raw:
        raise MalformedPolicyDocument(SYNTAX_ERROR)
    if "Resource" in raw:
        resources, scalar = _string_list(raw["Resource"], "Resource")
        if scalar:
            scalars.add("Resource")
    elif "NotResource" in raw:
        not_resources, scalar = _string_list(raw["NotResource"], "NotResource")
        if scalar:
            scalars.add("NotResource")
    elif kind != "trust":
        # Trust policies name no resource: the role they are attached to is the resource.
        raise MalformedPolicyDocument("Missing required field Resource")

    condition = _parse_condition(raw.get("Condition", {}), scalars)
    if "Condition" in raw:
        scalars.add("Condition")  # remembered so an empty block prints back
    return Statement(
        effect=effect,
        sid=sid,
        principal=principal,
        not_principal=not_principal,
        actions=actions,
        not_actions=not_actions,
        resources=resources,
        not_resources=not_resources,
        condition=condition,
        scalar_fields=frozenset(scalars),
    )


def statement_failing_closed(raw: Any, kind: str) -> Statement:
    """A stand-in for a statement the grammar cannot read, for documents that reached the engine unchecked.

    Fail closed (docs/spec/policy-validation.md, V15): an Allow (or a statement whose Effect cannot be read)
    grants nothing; a Deny keeps the elements that can be read and matches everything for those that
    cannot, and its conditions are taken to hold.
    """
    fields = raw if isinstance(raw, Mapping) else {}
    sid = fields.get("Sid") if isinstance(fields.get("Sid"), str) else None
    if fields.get("Effect") != "Deny":
        return Statement(effect="Allow", sid=sid, actions=())

    def readable(name: str) -> tuple[str, ...] | None:
        try:
            return _string_list(fields[name], name)[0] if name in fields else None
        except MalformedPolicyDocument:
            return None

    def principal(name: str) -> Principal | None:
        try:
            return _parse_principal(fields[name]) if name in fields else None
        except MalformedPolicyDocument:
            return None

    actions, not_actions = readable("Action"), readable("NotAction")
    resources, not_resources = readable("Resource"), readable("NotResource")
    if actions is None and not_actions is None:
        actions = ("*",)
    who = principal("Principal")
    if who is None and kind in _PRINCIPAL_REQUIRED:
        who = Principal(is_wildcard=True)
    return Statement(
        effect="Deny",
        sid=sid,
        principal=who,
        actions=actions,
        not_actions=not_actions if actions is None else None,
        resources=resources,
        not_resources=not_resources if resources is None else None,
    )


def names_a_trust_action(action: str) -> bool:
    """Spec R69: a trust action, or a wildcard pattern that matches at least one (case-insensitive)."""
    lowered = action.lower()
    if lowered in TRUST_ACTIONS:
        return True
    if not has_wildcard(lowered):
        return False
    matcher = glob_matcher(lowered, ignore_case=True)
    return any(matcher(name) for name in TRUST_ACTIONS)


def _check_action(action: str) -> None:
    # "IAM JSON policy elements: Action": an action is "*" or "prefix:Name" with wildcards allowed.
    if action == "*":
        return
    prefix, sep, name = action.partition(":")
    if not sep or not prefix or not name:
        raise MalformedPolicyDocument("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")


def _parse_principal(raw: Any) -> Principal:
    if raw == "*":
        return Principal(is_wildcard=True)
    if not isinstance(raw, Mapping) or not raw:
        raise MalformedPolicyDocument(SYNTAX_ERROR)
    entries: list[tuple[str, tuple[str, ...]]] = []
    scalar_types: set[str] = set()
    for principal_type, value in raw.items():
        if principal_type not in PRINCIPAL_TYPES:
            raise MalformedPolicyDocument(f"Invalid principal in policy: \"{principal_type}\"")
        if isinstance(value, str):
            values: tuple[str, ...] = (value,)
            scalar_types.add(principal_type)
        elif isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
            values = tuple(value)
        else:
            raise MalformedPolicyDocument(SYNTAX_ERROR)
        for item in values:
            _check_principal(principal_type, item)
        entries.append((principal_type, values))
    return Principal(is_wildcard=False, entries=tuple(entries), scalar_types=frozenset(scalar_types))


def _check_principal(principal_type: str, value: str) -> None:
    invalid = MalformedPolicyDocument(f'Invalid principal in policy: "{principal_type}":"{value}"')
    if not value:
        raise invalid
    if principal_type == "AWS":
        if value == "*" or _ACCOUNT_ID.match(value) or _PRINCIPAL_ARN.match(value) or _UNIQUE_ID.match(value):
            return
        raise invalid
    # Service, Federated and CanonicalUser values are names compared as given.


def _parse_condition(raw: Any, scalars: set[str]) -> tuple[tuple[str, tuple[tuple[str, tuple[ConditionValue, ...]], ...]], ...]:
    if not isinstance(raw, Mapping):
        raise MalformedPolicyDocument(SYNTAX_ERROR)
    blocks = []
    for operator, keys in raw.items():
        if not isinstance(keys, Mapping):
            raise MalformedPolicyDocument(SYNTAX_ERROR)
        entries = []
        for key, value in keys.items():
            if isinstance(value, (str, int, float, bool)):
                values: tuple[ConditionValue, ...] = (value,)
                scalars.add(f"Condition/{operator}/{key}")
            elif isinstance(value, list) and value and all(isinstance(v, (str, int, float, bool)) for v in value):
                values = tuple(value)
            else:
                raise MalformedPolicyDocument(SYNTAX_ERROR)
            entries.append((key, values))
        blocks.append((operator, tuple(entries)))
    return tuple(blocks)


# --- printing -------------------------------------------------------------------------------


def _as_written(values: tuple[str, ...] | tuple[ConditionValue, ...], scalar: bool) -> Any:
    return values[0] if scalar and len(values) == 1 else list(values)


def _principal_to_json(principal: Principal) -> Any:
    if principal.is_wildcard:
        return "*"
    return {name: _as_written(values, name in principal.scalar_types) for name, values in principal.entries}


def statement_to_dict(statement: Statement) -> dict[str, Any]:
    """The statement as a JSON-ready dict, keeping scalars scalar so printing round-trips."""
    out: dict[str, Any] = {}
    if statement.sid is not None:
        out["Sid"] = statement.sid
    out["Effect"] = statement.effect
    if statement.principal is not None:
        out["Principal"] = _principal_to_json(statement.principal)
    if statement.not_principal is not None:
        out["NotPrincipal"] = _principal_to_json(statement.not_principal)
    for name, values in (
        ("Action", statement.actions),
        ("NotAction", statement.not_actions),
        ("Resource", statement.resources),
        ("NotResource", statement.not_resources),
    ):
        if values is not None:
            out[name] = _as_written(values, name in statement.scalar_fields)
    if statement.condition or "Condition" in statement.scalar_fields:
        out["Condition"] = {
            operator: {
                key: _as_written(values, f"Condition/{operator}/{key}" in statement.scalar_fields)
                for key, values in entries
            }
            for operator, entries in statement.condition
        }
    return out


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """The policy as a JSON-ready dict."""
    out: dict[str, Any] = {}
    if policy.version_given:
        out["Version"] = policy.version
    if policy.id is not None:
        out["Id"] = policy.id
    statements = [statement_to_dict(s) for s in policy.statements]
    out["Statement"] = statements[0] if not policy.statement_is_list and len(statements) == 1 else statements
    return out


def policy_to_json(policy: Policy) -> str:
    """The policy printed as compact JSON with a stable key order."""
    return json.dumps(policy_to_dict(policy), separators=(",", ":"))
