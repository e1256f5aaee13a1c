"""The reference policy evaluator: docs/spec/policy-evaluation.md written out as plainly as possible.

This module exists to be obviously right, not fast. It re-reads every document on
every call, matches wildcards with a tiny set-of-positions matcher, and follows the
spec's rules in the spec's order; rule ids (R1…R73) are cited where each rule is
implemented. The fast evaluator is diffed against it (tests/policy/test_differential.py).

It imports only the standard library, and never the fast engine.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["evaluate_case"]

ALLOW = "Allow"
IMPLICIT_DENY = "ImplicitDeny"
EXPLICIT_DENY = "ExplicitDeny"
ERROR = "Error"

# Strength of a principal match (R24): larger is stronger.
ACCOUNT = 1
ROLE = 2
DIRECT = 3

# R65, R70: the actions whose resource policy is the role's trust policy; R69: the only actions a
# trust policy may name.
TRUST_ACTIONS = {
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
}


class CaseError(Exception):
    """The case is invalid; its decision is Error (R68)."""


# --------------------------------------------------------------------------------------
# Glob patterns. A pattern is a list of tokens: STAR, QMARK, or a one-character string
# that matches itself literally. Literal tokens let `${*}` and substituted values stay
# literal (R46, R48).


class _Wild:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


STAR = _Wild("STAR")
QMARK = _Wild("QMARK")


def glob_tokens(text: str) -> list[Any]:
    """A plain pattern: `*` and `?` are wildcards, everything else literal."""
    tokens: list[Any] = []
    for ch in text:
        if ch == "*":
            tokens.append(STAR)
        elif ch == "?":
            tokens.append(QMARK)
        else:
            tokens.append(ch)
    return tokens


def literal_tokens(text: str) -> list[Any]:
    return list(text)


def tokens_as_text(tokens: list[Any]) -> str:
    """The pattern read as plain text (for the Equals operators, where nothing is a wildcard)."""
    out = []
    for t in tokens:
        if t is STAR:
            out.append("*")
        elif t is QMARK:
            out.append("?")
        else:
            out.append(t)
    return "".join(out)


def glob_match(tokens: list[Any], text: str, ignore_case: bool = False) -> bool:
    """True when the token pattern matches all of ``text``."""
    if ignore_case:
        text = text.lower()
        tokens = [t.lower() if isinstance(t, str) else t for t in tokens]
    positions = {0}
    for token in tokens:
        following: set[int] = set()
        for i in positions:
            if token is STAR:
                following.update(range(i, len(text) + 1))
            elif token is QMARK:
                if i < len(text):
                    following.add(i + 1)
            elif i < len(text) and text[i] == token:
                following.add(i + 1)
        positions = following
        if not positions:
            return False
    return len(text) in positions


# --------------------------------------------------------------------------------------
# Request context (R4)


def context_values(context: dict[str, Any], key: str) -> list[str] | None:
    """The values of a context key, or None when absent; key names are case-insensitive (R4)."""
    found = None
    for name, value in context.items():
        if name.lower() == key.lower():
            found = value
    if found is None:
        return None
    if isinstance(found, str):
        return [found]
    if len(found) == 0:
        return None  # an empty list is absent (R4)
    return list(found)


def validate_context(context: Any) -> None:
    if not isinstance(context, dict):
        raise CaseError("request.context must be an object")
    for name, value in context.items():
        if isinstance(value, str):
            continue
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            continue
        raise CaseError(f"context value of {name!r} must be a string or a list of strings")


# --------------------------------------------------------------------------------------
# The caller (R1, R2)

ACCOUNT_ID = r"\d{12}"
UNIQUE_ID_RE = re.compile(r"^(AIDA|AROA)[A-Z0-9]{12,}$")  # R11: a user's (AIDA) or role's (AROA) unique id
ROOT_RE = re.compile(rf"^arn:([^:]+):iam::({ACCOUNT_ID}):root$")
USER_RE = re.compile(rf"^arn:([^:]+):iam::({ACCOUNT_ID}):user/(.+)$")
ROLE_RE = re.compile(rf"^arn:([^:]+):iam::({ACCOUNT_ID}):role/(.+)$")
SESSION_RE = re.compile(rf"^arn:([^:]+):sts::({ACCOUNT_ID}):assumed-role/([^/]+)/(.+)$")
FEDERATED_USER_RE = re.compile(rf"^arn:([^:]+):sts::({ACCOUNT_ID}):federated-user/(.+)$")
PROVIDER_RE = re.compile(rf"^arn:([^:]+):iam::({ACCOUNT_ID}):(oidc-provider|saml-provider)/(.+)$")

IAM_KINDS = {"root", "user", "role", "session", "federated-user"}


class Caller:
    def __init__(self, kind: str, arn: str, account: str | None, role_arn: str | None, unique_id: str | None = None) -> None:
        self.kind = kind  # root, user, role, session, federated-user, anonymous, external, service
        self.arn = arn
        self.account = account
        self.role_arn = role_arn  # for sessions: the role's ARN (R2); for a role caller: itself
        # R2: a user's or role's unique id; for a session, its role's unique id.
        self.unique_id = unique_id

    @property
    def is_iam(self) -> bool:
        return self.kind in IAM_KINDS

    def identities(self) -> list[tuple[str, str]]:
        """R2: (identity type, value) pairs."""
        if self.kind == "anonymous":
            return [("anonymous", "")]
        if self.kind in ("external", "service"):
            return [(self.kind, self.arn)]
        ids: list[tuple[str, str]] = []
        if self.kind != "root":
            ids.append(("arn", self.arn))
        if self.kind == "session" and self.role_arn is not None:
            ids.append(("role", self.role_arn))
        ids.append(("account", f"{self.partition}:{self.account or ''}"))
        return ids

    @property
    def partition(self) -> str:
        """R20: an IAM caller's partition, the one its ARN names."""
        return self.arn.split(":", 2)[1] if self.is_iam else ""

    def is_named(self, identity: tuple[str, str], entry_matches: Any) -> bool:
        """R25: an identity counts as named when an entry names it; the user's or role's ARN (for a
        session: the role ARN) is also named by an entry holding the caller's unique id (R21)."""
        if entry_matches(identity):
            return True
        id_type = identity[0]
        unique_named = self.unique_id is not None and (
            (id_type == "arn" and self.kind in ("user", "role")) or (id_type == "role" and self.kind == "session")
        )
        return unique_named and entry_matches(("unique-id", self.unique_id))


def is_service_principal(text: str) -> bool:
    if text == "cognito-identity.amazonaws.com":
        return False
    return text.endswith(".amazonaws.com") or text.endswith(".amazonaws.com.cn")


def caller_unique_id(kind: str, context: dict[str, Any]) -> str | None:
    """R2: the unique id read from a single-valued aws:userid — whole for a user or role, before ':' for a session."""
    values = context_values(context, "aws:userid")
    if values is None or len(values) != 1:
        return None
    if kind in ("user", "role"):
        return values[0]
    if kind == "session":
        return values[0].split(":", 1)[0]
    return None


def parse_caller(principal: str, context: dict[str, Any]) -> Caller:
    """R1 and R2."""
    caller = parse_caller_kind(principal, context)
    caller.unique_id = caller_unique_id(caller.kind, context)
    return caller


def parse_caller_kind(principal: str, context: dict[str, Any]) -> Caller:
    """R1: the caller's kind, account and role ARN."""
    if principal == "anonymous":
        return Caller("anonymous", principal, None, None)
    if principal.startswith("arn:"):
        m = ROOT_RE.match(principal)
        if m:
            return Caller("root", principal, m.group(2), None)
        m = USER_RE.match(principal)
        if m:
            return Caller("user", principal, m.group(2), None)
        m = ROLE_RE.match(principal)
        if m:
            return Caller("role", principal, m.group(2), principal)
        m = SESSION_RE.match(principal)
        if m:
            role_arn = f"arn:{m.group(1)}:iam::{m.group(2)}:role/{m.group(3)}"
            given = context_values(context, "aws:PrincipalArn")
            if given is not None and len(given) == 1:
                role_arn = given[0]
            return Caller("session", principal, m.group(2), role_arn)
        m = FEDERATED_USER_RE.match(principal)
        if m:
            return Caller("federated-user", principal, m.group(2), None)
        if PROVIDER_RE.match(principal):
            return Caller("external", principal, None, None)
        raise CaseError(f"unrecognised principal ARN {principal!r}")
    if principal == "":
        raise CaseError("empty principal")
    if is_service_principal(principal):
        return Caller("service", principal, None, None)
    return Caller("external", principal, None, None)


def is_service_linked_role(caller: Caller) -> bool:
    """R54: a role (or session of a role) whose path is /aws-service-role/."""
    if caller.kind not in ("role", "session") or caller.role_arn is None:
        return False
    parts = caller.role_arn.split(":", 5)
    return len(parts) == 6 and parts[5].startswith("role/aws-service-role/")


# --------------------------------------------------------------------------------------
# Condition operators (R13, R27–R43)

STRING_OPS = {"StringEquals", "StringEqualsIgnoreCase", "StringLike"}
NUMERIC_OPS = {
    "NumericEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
}
DATE_OPS = {"DateEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"}
ARN_OPS = {"ArnEquals", "ArnLike"}
OTHER_OPS = {"Bool", "BinaryEquals", "IpAddress"}
POSITIVE_OPS = STRING_OPS | NUMERIC_OPS | DATE_OPS | ARN_OPS | OTHER_OPS
NEGATED_OPS = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


class Operator:
    def __init__(self, name: str) -> None:
        """Parse ``[ForAllValues:|ForAnyValue:]Base[IfExists]`` (R13)."""
        self.name = name
        self.set_op: str | None = None
        rest = name
        if rest.startswith("ForAllValues:"):
            self.set_op = "all"
            rest = rest[len("ForAllValues:") :]
        elif rest.startswith("ForAnyValue:"):
            self.set_op = "any"
            rest = rest[len("ForAnyValue:") :]
        self.if_exists = False
        if rest.endswith("IfExists") and rest != "IfExists":
            self.if_exists = True
            rest = rest[: -len("IfExists")]
        self.base = rest
        if rest == "Null":
            if self.set_op is not None or self.if_exists:
                raise CaseError(f"unknown condition operator {name!r}")
            self.negated = False
            self.positive = "Null"
        elif rest in NEGATED_OPS:
            self.negated = True
            self.positive = NEGATED_OPS[rest]
        elif rest in POSITIVE_OPS:
            self.negated = False
            self.positive = rest
        else:
            raise CaseError(f"unknown condition operator {name!r}")


def value_text(value: Any) -> str:
    """A policy value as text (R31)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value)
    return value


NUMBER_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")


def parse_number(text: str) -> Decimal | None:
    if not NUMBER_RE.match(text):
        return None
    return Decimal(text)


def policy_number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise CaseError("a boolean is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CaseError("not a finite number")
        return Decimal(repr(value))
    number = parse_number(value)
    if number is None:
        raise CaseError(f"not a number: {value!r}")
    return number


EPOCH_RE = re.compile(r"^[+-]?\d+$")
DAY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
INSTANT_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
EPOCH_DAY = datetime.date(1970, 1, 1).toordinal()


def parse_date(text: str) -> Decimal | None:
    """R33: seconds since the epoch, exactly, or None."""
    if EPOCH_RE.match(text):
        return Decimal(int(text))
    m = DAY_RE.match(text)
    if m:
        try:
            day = datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
        return Decimal((day.toordinal() - EPOCH_DAY) * 86400)
    m = INSTANT_RE.match(text)
    if not m:
        return None
    try:
        day = datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    hour, minute, second = int(m.group(4)), int(m.group(5)), int(m.group(6))
    if hour > 23 or minute > 59 or second > 59:
        return None
    seconds = Decimal((day.toordinal() - EPOCH_DAY) * 86400 + hour * 3600 + minute * 60 + second)
    if m.group(7):
        seconds += Decimal("0" + m.group(7))
    zone = m.group(8)
    if zone and zone != "Z":
        zone_hours, zone_minutes = int(zone[1:3]), int(zone[4:6])
        if zone_hours > 23 or zone_minutes > 59:
            return None
        offset = zone_hours * 3600 + zone_minutes * 60
        seconds = seconds - offset if zone[0] == "+" else seconds + offset
    return seconds


def policy_date(value: Any) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise CaseError(f"not a date: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    parsed = parse_date(value)
    if parsed is None:
        raise CaseError(f"not a date: {value!r}")
    return parsed


def policy_bool(value: Any) -> str:
    """R34 and R38: 'true' or 'false'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower()
    raise CaseError(f"not a boolean: {value!r}")


def decode_base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def validate_condition_value(op: Operator, value: Any) -> None:
    """R12, R13: the value has a valid JSON type and the operator can parse it."""
    if isinstance(value, (dict, list)) or value is None:
        raise CaseError("condition values are strings, numbers or booleans")
    base = op.positive
    if base in NUMERIC_OPS:
        policy_number(value)
    elif base in DATE_OPS:
        policy_date(value)
    elif base in ("Bool", "Null"):
        policy_bool(value)
    elif base == "BinaryEquals":
        if decode_base64(value_text(value)) is None:
            raise CaseError(f"not base64: {value!r}")
    elif base == "IpAddress":
        if parse_network(value_text(value)) is None:
            raise CaseError(f"not an IP address or CIDR: {value!r}")


# --------------------------------------------------------------------------------------
# Policy variables (R44–R49)

VARIABLE_BODY_RE = re.compile(r"^\s*([^\s{},'$]+)\s*(?:,\s*'([^']*)'\s*)?$")


def substitute(text: str, context: dict[str, Any], version: str) -> list[Any] | None:
    """The pattern tokens of ``text`` after substitution, or None when a variable is unresolved."""
    if version != "2012-10-17":
        return glob_tokens(text)  # R45
    tokens: list[Any] = []
    unresolved = False
    i = 0
    while i < len(text):
        if text.startswith("${", i):
            close = text.find("}", i + 2)
            if close != -1:
                body = text[i + 2 : close]
                if body in ("*", "?", "$"):
                    tokens.append(body)  # R48: a literal character
                    i = close + 1
                    continue
                m = VARIABLE_BODY_RE.match(body)
                if m:
                    values = context_values(context, m.group(1))
                    if values is not None and len(values) == 1:
                        tokens.extend(literal_tokens(values[0]))  # R46
                    elif m.group(2) is not None:
                        tokens.extend(literal_tokens(m.group(2)))  # R47
                    else:
                        unresolved = True
                    i = close + 1
                    continue
        tokens.extend(glob_tokens(text[i]))
        i += 1
    return None if unresolved else tokens


# --------------------------------------------------------------------------------------
# Per-value tests m(r, p) (R31–R38)


def split_arn_tokens(tokens: list[Any]) -> list[list[Any]]:
    parts: list[list[Any]] = [[]]
    for t in tokens:
        if t == ":" and len(parts) < 6:
            parts.append([])
        else:
            parts[-1].append(t)
    return parts


def value_matches(base: str, request_value: str, policy_value: Any, context: dict[str, Any], version: str) -> bool:
    """m(r, p) for a positive base operator."""
    if base in STRING_OPS or base in ARN_OPS:
        tokens = substitute(value_text(policy_value), context, version)  # R44
        if tokens is None:
            return False  # R49
        if base == "StringEquals":
            return request_value == tokens_as_text(tokens)
        if base == "StringEqualsIgnoreCase":
            return request_value.lower() == tokens_as_text(tokens).lower()
        if base == "StringLike":
            return glob_match(tokens, request_value)
        # ArnEquals / ArnLike (R37)
        pattern_parts = split_arn_tokens(tokens)
        request_parts = request_value.split(":", 5)
        if len(pattern_parts) != 6 or len(request_parts) != 6:
            return False
        return all(glob_match(p, r) for p, r in zip(pattern_parts, request_parts))
    if base in NUMERIC_OPS:
        r = parse_number(request_value)
        if r is None:
            return False
        p = policy_number(policy_value)
        return compare(base, r, p)
    if base in DATE_OPS:
        r = parse_date(request_value)
        if r is None:
            return False
        p = policy_date(policy_value)
        return compare(base, r, p)
    if base == "Bool":
        return request_value.lower() == policy_bool(policy_value)
    if base == "BinaryEquals":
        r_bytes = decode_base64(request_value)
        return r_bytes is not None and r_bytes == decode_base64(value_text(policy_value))
    if base == "IpAddress":
        address = parse_address(request_value)
        network = parse_network(value_text(policy_value))
        if address is None or network is None or address.version != network.version:
            return False
        return address in network
    raise AssertionError(base)


def compare(base: str, r: Decimal, p: Decimal) -> bool:
    if base.endswith("LessThanEquals"):
        return r <= p
    if base.endswith("LessThan"):
        return r < p
    if base.endswith("GreaterThanEquals"):
        return r >= p
    if base.endswith("GreaterThan"):
        return r > p
    return r == p  # …Equals


def key_condition(op: Operator, key: str, policy_values: list[Any], context: dict[str, Any], version: str) -> bool:
    """One key under one operator (R28–R43)."""
    request_values = context_values(context, key)
    if op.base == "Null":  # R38
        return any((request_values is None) == (policy_bool(p) == "true") for p in policy_values)
    if request_values is None:
        if op.if_exists:
            return True  # R39, R43
        if op.set_op == "all":
            return True  # R42
        if op.set_op == "any":
            return False  # R42
        return op.negated  # R29

    def single(r: str) -> bool:
        matched = any(value_matches(op.positive, r, p, context, version) for p in policy_values)
        return not matched if op.negated else matched  # R28

    if op.set_op == "all":
        return all(single(r) for r in request_values)  # R41
    if op.set_op == "any":
        return any(single(r) for r in request_values)  # R40
    # No set operator (R30): positive = some value matches; negated = no value matches.
    if op.negated:
        return all(single(r) for r in request_values)
    return any(single(r) for r in request_values)


def condition_holds(condition: dict[str, Any] | None, context: dict[str, Any], version: str) -> bool:
    """R27: AND over operators and keys."""
    if condition is None:
        return True
    for op_name, keys in condition.items():
        op = Operator(op_name)
        for key, values in keys.items():
            values_list = values if isinstance(values, list) else [values]
            if not key_condition(op, key, values_list, context, version):
                return False
    return True


# --------------------------------------------------------------------------------------
# Validation (R6–R13)

STATEMENT_KEYS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
ACTION_RE = re.compile(r"^[^:]+:.+$")
PRINCIPAL_TYPES = {"AWS", "Service", "Federated", "CanonicalUser"}


def as_string_list(value: Any, what: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) and v for v in items):
        raise CaseError(f"{what} must be a non-empty string or list of non-empty strings")
    return items


def names_a_trust_action(entry: str) -> bool:
    """R69: the entry is a trust action, or a wildcard pattern matching at least one (case-insensitive)."""
    if entry.lower() in TRUST_ACTIONS:
        return True
    if "*" not in entry and "?" not in entry:
        return False
    return any(glob_match(glob_tokens(entry), action, ignore_case=True) for action in TRUST_ACTIONS)


def statements_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    statement = doc["Statement"]
    return statement if isinstance(statement, list) else [statement]


def version_of(doc: dict[str, Any]) -> str:
    return doc.get("Version", "2008-10-17")


def validate_aws_principal(value: str) -> None:
    """R11."""
    if value == "*":
        return
    if "*" in value or "?" in value:
        raise CaseError(f"wildcards are not allowed in a principal: {value!r}")
    if re.fullmatch(ACCOUNT_ID, value) or UNIQUE_ID_RE.match(value):
        return
    for pattern in (ROOT_RE, USER_RE, ROLE_RE, SESSION_RE, FEDERATED_USER_RE):
        if pattern.match(value):
            return
    raise CaseError(f"invalid AWS principal {value!r}")


def principal_entries(element: Any) -> list[tuple[str, str]]:
    """The (type, value) entries of a Principal/NotPrincipal element; ("*", "*") for the bare wildcard."""
    if element == "*":
        return [("*", "*")]
    if not isinstance(element, dict) or not element:
        raise CaseError("Principal must be \"*\" or an object")
    entries = []
    for kind, values in element.items():
        if kind not in PRINCIPAL_TYPES:
            raise CaseError(f"unknown principal type {kind!r}")
        for value in as_string_list(values, f"Principal {kind}"):
            if kind == "AWS":
                validate_aws_principal(value)
            entries.append((kind, value))
    return entries


def validate_document(doc: Any, policy_type: str) -> None:
    """R6–R13 for one document of the given type: identity, resource, trust, boundary, session, scp, rcp."""
    if not isinstance(doc, dict):
        raise CaseError(f"{policy_type} policy must be a JSON object")
    for key in doc:
        if key not in ("Version", "Id", "Statement"):
            raise CaseError(f"unknown policy element {key!r}")
    if "Version" in doc and doc["Version"] not in ("2012-10-17", "2008-10-17"):
        raise CaseError(f"unknown Version {doc['Version']!r}")
    if "Statement" not in doc:
        raise CaseError("Statement is required")
    statements = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    for statement in statements:
        validate_statement(statement, policy_type)


def validate_statement(statement: Any, policy_type: str) -> None:
    if not isinstance(statement, dict):
        raise CaseError("a statement must be an object")
    for key in statement:
        if key not in STATEMENT_KEYS:
            raise CaseError(f"unknown statement element {key!r}")
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise CaseError("Effect must be Allow or Deny")
    if "Sid" in statement and not isinstance(statement["Sid"], str):
        raise CaseError("Sid must be a string")
    if ("Action" in statement) == ("NotAction" in statement):
        raise CaseError("exactly one of Action and NotAction is required")
    for action in as_string_list(statement.get("Action", statement.get("NotAction")), "Action"):
        if action != "*" and not ACTION_RE.match(action):
            raise CaseError(f"invalid action {action!r}")
        if policy_type == "trust" and not names_a_trust_action(action):
            raise CaseError(f"a trust policy may not name the action {action!r}")  # R69
    if "Resource" in statement and "NotResource" in statement:
        raise CaseError("Resource and NotResource together")
    if "Resource" in statement or "NotResource" in statement:
        as_string_list(statement.get("Resource", statement.get("NotResource")), "Resource")
    elif policy_type != "trust":
        raise CaseError("Resource or NotResource is required")  # R9
    has_principal = "Principal" in statement or "NotPrincipal" in statement
    if "Principal" in statement and "NotPrincipal" in statement:
        raise CaseError("Principal and NotPrincipal together")
    if policy_type in ("resource", "trust"):  # R10
        if not has_principal:
            raise CaseError("a resource-based policy statement needs Principal or NotPrincipal")
        element = statement.get("Principal", statement.get("NotPrincipal"))
        principal_entries(element)
    elif policy_type == "rcp":
        if "NotPrincipal" in statement:
            raise CaseError("NotPrincipal is not allowed in an RCP")
        if "Principal" in statement and statement["Principal"] not in ("*", {"AWS": "*"}):
            raise CaseError("an RCP Principal must be \"*\"")
    elif has_principal:
        raise CaseError(f"Principal is not allowed in a {policy_type} policy")
    if "Condition" in statement:
        condition = statement["Condition"]
        if not isinstance(condition, dict):
            raise CaseError("Condition must be an object")
        for op_name, keys in condition.items():
            op = Operator(op_name)
            if not isinstance(keys, dict):
                raise CaseError("a condition operator maps keys to values")
            for values in keys.values():
                if isinstance(values, list):
                    if not values:
                        raise CaseError("empty condition value list")
                    for value in values:
                        validate_condition_value(op, value)
                else:
                    validate_condition_value(op, values)


# --------------------------------------------------------------------------------------
# Statement matching (R14–R26)


def action_matches(statement: dict[str, Any], action: str) -> bool:
    if "Action" in statement:
        patterns = as_string_list(statement["Action"], "Action")
        return any(glob_match(glob_tokens(p), action, ignore_case=True) for p in patterns)  # R14
    patterns = as_string_list(statement["NotAction"], "NotAction")
    return not any(glob_match(glob_tokens(p), action, ignore_case=True) for p in patterns)  # R15


def resource_entry_matches(entry: str, resource: str, context: dict[str, Any], version: str) -> bool:
    tokens = substitute(entry, context, version)  # R18
    if tokens is None:
        return False
    return glob_match(tokens, resource)  # R16


def resource_matches(statement: dict[str, Any], resource: str, context: dict[str, Any], version: str) -> bool:
    if "Resource" in statement:
        entries = as_string_list(statement["Resource"], "Resource")
        return any(resource_entry_matches(e, resource, context, version) for e in entries)
    if "NotResource" in statement:
        entries = as_string_list(statement["NotResource"], "NotResource")
        return not any(resource_entry_matches(e, resource, context, version) for e in entries)  # R17
    return True  # R9: trust-policy statement without Resource


def entry_strength(entry: tuple[str, str], caller: Caller) -> int | None:
    """R19–R24: how strongly one Principal entry matches the caller, or None."""
    kind, value = entry
    if kind == "*" or (kind == "AWS" and value == "*"):
        return DIRECT  # R19
    if kind == "AWS":
        if not caller.is_iam:
            return None  # R23
        account = None
        if re.fullmatch(ACCOUNT_ID, value):
            account = value
        else:
            m = ROOT_RE.match(value)
            if m:
                account = m.group(2)
        if account is not None:
            m = ROOT_RE.match(value)
            in_partition = m is None or m.group(1) == caller.partition
            return ACCOUNT if account == caller.account and in_partition else None  # R20
        if caller.kind != "root" and value == caller.arn:
            return DIRECT  # R21
        if caller.kind == "session" and value == caller.role_arn:
            return ROLE  # R21
        if UNIQUE_ID_RE.match(value) and value == caller.unique_id:
            return ROLE if caller.kind == "session" else DIRECT  # R21
        return None
    if kind == "Service":
        return DIRECT if caller.kind == "service" and value == caller.arn else None  # R22
    if kind == "Federated":
        return DIRECT if caller.kind == "external" and value == caller.arn else None  # R22
    return None  # CanonicalUser


def identity_matched(entry: tuple[str, str], identity: tuple[str, str]) -> bool:
    """R25: does one NotPrincipal entry name one identity of the caller."""
    kind, value = entry
    id_type, id_value = identity
    if kind == "*" or (kind == "AWS" and value == "*"):
        return True
    if id_type == "anonymous":
        return False
    if kind == "AWS":
        if id_type == "account":
            # The account identity is "PARTITION:ACCOUNT" (Caller.identities): a root ARN names it only in its
            # own partition, a bare id in any (R20).
            partition, _, account = id_value.partition(":")
            m = ROOT_RE.match(value)
            return value == account or (m is not None and m.group(1) == partition and m.group(2) == account)
        if id_type in ("arn", "role"):
            return value == id_value
        if id_type == "unique-id":
            return value == id_value  # R21
        return False
    if kind == "Service":
        return id_type == "service" and value == id_value
    if kind == "Federated":
        return id_type == "external" and value == id_value
    return False


def principal_strength(statement: dict[str, Any], caller: Caller, has_boundary: bool) -> int | None:
    """The strength with which a resource-based statement's principal part matches (R24–R26), or None."""
    if "Principal" in statement:
        strengths = [entry_strength(e, caller) for e in principal_entries(statement["Principal"])]
        found = [s for s in strengths if s is not None]
        return max(found) if found else None
    entries = principal_entries(statement["NotPrincipal"])
    if statement["Effect"] == "Deny" and has_boundary:
        return DIRECT  # R26
    def named(identity: tuple[str, str]) -> bool:
        return any(identity_matched(e, identity) for e in entries)

    every_identity_named = all(caller.is_named(i, named) for i in caller.identities())
    return None if every_identity_named else DIRECT  # R25


class Evaluation:
    """One request against the case's documents."""

    def __init__(self, request: dict[str, Any], caller: Caller, has_boundary: bool) -> None:
        self.action = request["action"]
        self.resource = request["resource"]
        self.context = request.get("context", {})
        self.caller = caller
        self.has_boundary = has_boundary

    def statement_strength(self, doc: dict[str, Any], statement: dict[str, Any], effect: str, policy_type: str) -> int | None:
        """None when the statement does not apply; otherwise its principal strength (DIRECT when no principal)."""
        if statement["Effect"] != effect:
            return None
        version = version_of(doc)
        if not action_matches(statement, self.action):
            return None
        if not resource_matches(statement, self.resource, self.context, version):
            return None
        strength: int | None = DIRECT
        if policy_type == "resource":
            strength = principal_strength(statement, self.caller, self.has_boundary)
            if strength is None:
                return None
        if not condition_holds(statement.get("Condition"), self.context, version):
            return None
        return strength

    def strengths(self, doc: dict[str, Any], effect: str, policy_type: str) -> list[int]:
        found = []
        for statement in statements_of(doc):
            strength = self.statement_strength(doc, statement, effect, policy_type)
            if strength is not None:
                found.append(strength)
        return found

    def allows(self, doc: dict[str, Any], policy_type: str) -> bool:
        return bool(self.strengths(doc, "Allow", policy_type))

    def denies(self, doc: dict[str, Any], policy_type: str) -> bool:
        return bool(self.strengths(doc, "Deny", policy_type))


# --------------------------------------------------------------------------------------
# The decision (R50–R68, R71–R73)


def is_kms_key(resource: str) -> bool:
    """R71: the resource is a KMS key, `arn:P:kms:REGION:ACCOUNT:key/ID`."""
    parts = resource.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "kms" and parts[5].startswith("key/")


def list_field(case: dict[str, Any], name: str) -> list[Any]:
    value = case.get(name, [])
    if not isinstance(value, list):
        raise CaseError(f"{name} must be a list")
    return value


def levels_field(case: dict[str, Any], name: str) -> list[list[Any]]:
    levels = list_field(case, name)
    for level in levels:
        if not isinstance(level, list):
            raise CaseError(f"each level of {name} must be a list of documents")
    return levels


def decide(case: dict[str, Any]) -> str:
    request = case.get("request")
    if not isinstance(request, dict):
        raise CaseError("request must be an object")
    for field in ("principal", "action", "resource", "resourceAccount"):
        if not isinstance(request.get(field), str):
            raise CaseError(f"request.{field} must be a string")
    context = request.get("context", {})
    validate_context(context)

    identity = list_field(case, "identityPolicies")
    boundaries = list_field(case, "permissionBoundaries")
    sessions = list_field(case, "sessionPolicies")
    scps = levels_field(case, "scps")
    rcps = levels_field(case, "rcps")
    resource_policy = case.get("resourcePolicy")

    caller = parse_caller(request["principal"], context)  # R1, R2
    trust = request["action"].lower() in TRUST_ACTIONS  # R65, R70

    # R5: policy types the caller can have.
    if len(boundaries) > 1:
        raise CaseError("at most one permissions boundary")
    if not caller.is_iam and (identity or boundaries or sessions):
        raise CaseError(f"a {caller.kind} caller has no identity policies, boundary or session policies")
    if caller.kind == "root" and (identity or boundaries or sessions):
        raise CaseError("the root user has no identity policies, boundary or session policies")
    if sessions and caller.kind not in ("session", "role", "federated-user"):
        raise CaseError(f"session policies do not apply to a {caller.kind} caller")
    if scps and not caller.is_iam:
        raise CaseError(f"SCPs do not apply to a {caller.kind} caller")  # R54
    if trust and resource_policy is None:
        raise CaseError("sts:AssumeRole* needs the role's trust policy")  # R65

    # R6–R13: validate every document.
    for doc in identity:
        validate_document(doc, "identity")
    for doc in boundaries:
        validate_document(doc, "boundary")
    for doc in sessions:
        validate_document(doc, "session")
    if resource_policy is not None:
        validate_document(resource_policy, "trust" if trust else "resource")
    for level in scps:
        for doc in level:
            validate_document(doc, "scp")
    for level in rcps:
        for doc in level:
            validate_document(doc, "rcp")

    # R54: where organization policies apply.
    service_linked = is_service_linked_role(caller)
    scps_apply = caller.is_iam and not service_linked
    rcps_apply = caller.kind != "service" and not service_linked
    applicable_scps = scps if scps_apply else []
    applicable_rcps = rcps if rcps_apply else []

    evaluation = Evaluation(request, caller, has_boundary=bool(boundaries))

    # R51: explicit deny anywhere wins.
    typed_docs: list[tuple[dict[str, Any], str]] = []
    typed_docs += [(d, "identity") for d in identity]
    typed_docs += [(d, "boundary") for d in boundaries]
    typed_docs += [(d, "session") for d in sessions]
    if resource_policy is not None:
        typed_docs.append((resource_policy, "resource"))
    typed_docs += [(d, "scp") for level in applicable_scps for d in level]
    typed_docs += [(d, "rcp") for level in applicable_rcps for d in level]
    if any(evaluation.denies(doc, policy_type) for doc, policy_type in typed_docs):
        return EXPLICIT_DENY

    # R52: every SCP level must allow. R53: every RCP level holds RCPFullAWSAccess, which allows
    # everything, so RCPs take part only through their denies (above).
    for level in applicable_scps:
        if not any(evaluation.allows(doc, "scp") for doc in level):
            return IMPLICIT_DENY

    # R67: the root user cannot assume a role.
    if trust and caller.kind == "root":
        return IMPLICIT_DENY

    grants: list[int] = []
    if resource_policy is not None:
        grants = evaluation.strengths(resource_policy, "Allow", "resource")
    any_grant = bool(grants)

    if trust and not any_grant:
        return IMPLICIT_DENY  # R65

    if is_kms_key(request["resource"]) and not any_grant:
        return IMPLICIT_DENY  # R71: the key policy must allow, whatever identity policies say

    if not caller.is_iam:
        return ALLOW if any_grant else IMPLICIT_DENY  # R64

    identity_allows = caller.kind == "root" or any(evaluation.allows(d, "identity") for d in identity)  # R55
    if caller.kind == "federated-user" and not sessions:
        identity_allows = False  # R58
    boundary_ok = not boundaries or evaluation.allows(boundaries[0], "boundary")  # R56
    session_ok = not sessions or any(evaluation.allows(d, "session") for d in sessions)  # R57

    same_account = caller.account == request["resourceAccount"]  # R3
    if same_account:  # R59–R62
        allowed = DIRECT in grants or ((identity_allows or ROLE in grants) and boundary_ok and session_ok)
    else:  # R63
        allowed = any_grant and identity_allows and boundary_ok and session_ok
    return ALLOW if allowed else IMPLICIT_DENY  # R50


def evaluate_case(case: dict[str, Any]) -> dict[str, Any]:
    """The decision for one case in the neutral format: ``{"id", "decision"[, "error"]}``."""
    case_id = case.get("id") if isinstance(case, dict) else None
    try:
        if not isinstance(case, dict):
            raise CaseError("a case must be a JSON object")
        decision = decide(case)
    except CaseError as error:
        return {"id": case_id, "decision": ERROR, "error": str(error)}
    return {"id": case_id, "decision": decision}
