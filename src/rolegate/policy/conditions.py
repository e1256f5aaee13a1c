"""Condition operators compiled to closures over the request context.

Semantics from the IAM User Guide:
- "IAM JSON policy elements: Condition operators" — every operator, ``…IfExists``, ``Null``; a key
  missing from the context makes a condition false, except negated operators (true) and ``IfExists``;
- "Conditions with multiple context keys or values" — operators and keys AND'd, values OR'd, and for
  a negated operator the values NOR'd;
- "Set operators for multivalued context keys" — ``ForAllValues`` is true when every context value
  matches (and when the key is missing or empty), ``ForAnyValue`` when at least one does (false when
  the key is missing); with a negated operator the negation applies to each context value.
A policy value the operator cannot read is an error at compile time; a request value it cannot
read matches no policy value.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from rolegate.core.errors import MalformedPolicyDocument
from rolegate.policy.variables import Context, ContextValue, Template, parse_template
from rolegate.policy.wildcards import arn_like_regex, compiled, tokens_regex

_INVALID = object()

# (context value, prepared policy value) -> bool
Compare = Callable[[Any, Any], bool]
Prepare = Callable[[str], Any]
PreparePolicy = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    """One base operator: how to read both sides and compare them."""

    family: str
    negated: bool
    # Raises MalformedPolicyDocument for a policy value the operator cannot read (spec R13).
    prepare_policy: PreparePolicy
    prepare_context: Prepare
    compare: Compare
    # Policy variables apply to String* and Arn* values only (spec R44).
    takes_variables: bool
    # "string" / "arn" for wildcard operators: they take the template tokens so variable values stay literal.
    glob: str | None = None


def _invalid_value(family: str, value: Any) -> MalformedPolicyDocument:
    return MalformedPolicyDocument(f"Invalid {family} condition value: {json.dumps(value)}")


def _identity(value: str) -> Any:
    return value


def _lower(value: str) -> Any:
    return value.lower()


def policy_value_text(value: Any) -> str:
    """Condition values may be JSON numbers or booleans; they are compared as their JSON text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return str(value)


_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def parse_number(value: str) -> Any:
    """An exact decimal for ``[+-]digits[.digits]``; anything else is not a number."""
    if not _NUMBER.match(value):
        return _INVALID
    return Decimal(value)


def _policy_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise _invalid_value("Numeric", value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _invalid_value("Numeric", value)
        return Decimal(repr(value))
    number = parse_number(value)
    if number is _INVALID:
        raise _invalid_value("Numeric", value)
    return number


_EPOCH = re.compile(r"^[+-]?\d+$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_INSTANT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def parse_date(value: str) -> Any:
    """Exact seconds since the epoch for epoch seconds, ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SS[.f][zone]``."""
    if _EPOCH.match(value):
        return Decimal(int(value))
    match = _DAY.match(value) or _INSTANT.match(value)
    if match is None:
        return _INVALID
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return _INVALID
    seconds = Decimal((day.toordinal() - _EPOCH_ORDINAL) * 86400)
    if match.re is _DAY:
        return seconds
    hour, minute, second = int(match.group(4)), int(match.group(5)), int(match.group(6))
    if hour > 23 or minute > 59 or second > 59:
        return _INVALID
    seconds += hour * 3600 + minute * 60 + second
    if match.group(7):
        seconds += Decimal("0" + match.group(7))
    zone = match.group(8)
    if zone and zone != "Z":
        zone_hours, zone_minutes = int(zone[1:3]), int(zone[4:6])
        if zone_hours > 23 or zone_minutes > 59:
            return _INVALID
        offset = zone_hours * 3600 + zone_minutes * 60
        seconds = seconds - offset if zone[0] == "+" else seconds + offset
    return seconds


def _policy_date(value: Any) -> Any:
    if isinstance(value, bool) or isinstance(value, float):
        raise _invalid_value("Date", value)
    if isinstance(value, int):
        return Decimal(value)
    parsed = parse_date(value)
    if parsed is _INVALID:
        raise _invalid_value("Date", value)
    return parsed


def policy_bool(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower()
    raise _invalid_value("Bool", value)


def _decode_base64(value: str) -> Any:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return _INVALID


def _policy_binary(value: Any) -> Any:
    decoded = _decode_base64(policy_value_text(value))
    if decoded is _INVALID:
        raise _invalid_value("Binary", value)
    return decoded


def _policy_network(value: Any) -> Any:
    try:
        return ipaddress.ip_network(policy_value_text(value), strict=False)
    except ValueError:
        raise _invalid_value("IpAddress", value) from None


def _parse_address(value: str) -> Any:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return _INVALID


def _in_network(address: Any, network: Any) -> bool:
    return bool(address.version == network.version and address in network)


def _eq(a: Any, b: Any) -> bool:
    return bool(a == b)


def _regex_match(value: Any, regex: Any) -> bool:
    return regex is not None and regex.match(value) is not None


def _text(value: Any) -> Any:
    return policy_value_text(value)


def _lower_text(value: Any) -> Any:
    return policy_value_text(value).lower()


def _string(negated: bool, ignore_case: bool = False) -> OperatorSpec:
    if ignore_case:
        return OperatorSpec("String", negated, _lower_text, _lower, _eq, True)
    return OperatorSpec("String", negated, _text, _identity, _eq, True)


def _numeric(negated: bool, compare: Compare) -> OperatorSpec:
    return OperatorSpec("Numeric", negated, _policy_number, parse_number, compare, False)


def _date(negated: bool, compare: Compare) -> OperatorSpec:
    return OperatorSpec("Date", negated, _policy_date, parse_date, compare, False)


def _arn(negated: bool) -> OperatorSpec:
    return OperatorSpec("Arn", negated, _text, _identity, _regex_match, True, glob="arn")


def _lt(c: Any, p: Any) -> bool:
    return bool(c < p)


def _le(c: Any, p: Any) -> bool:
    return bool(c <= p)


def _gt(c: Any, p: Any) -> bool:
    return bool(c > p)


def _ge(c: Any, p: Any) -> bool:
    return bool(c >= p)


BASE_OPERATORS: dict[str, OperatorSpec] = {
    "StringEquals": _string(False),
    "StringNotEquals": _string(True),
    "StringEqualsIgnoreCase": _string(False, ignore_case=True),
    "StringNotEqualsIgnoreCase": _string(True, ignore_case=True),
    "StringLike": OperatorSpec("String", False, _text, _identity, _regex_match, True, glob="string"),
    "StringNotLike": OperatorSpec("String", True, _text, _identity, _regex_match, True, glob="string"),
    "NumericEquals": _numeric(False, _eq),
    "NumericNotEquals": _numeric(True, _eq),
    "NumericLessThan": _numeric(False, _lt),
    "NumericLessThanEquals": _numeric(False, _le),
    "NumericGreaterThan": _numeric(False, _gt),
    "NumericGreaterThanEquals": _numeric(False, _ge),
    "DateEquals": _date(False, _eq),
    "DateNotEquals": _date(True, _eq),
    "DateLessThan": _date(False, _lt),
    "DateLessThanEquals": _date(False, _le),
    "DateGreaterThan": _date(False, _gt),
    "DateGreaterThanEquals": _date(False, _ge),
    "Bool": OperatorSpec("Bool", False, policy_bool, _lower, _eq, False),
    "BinaryEquals": OperatorSpec("Binary", False, _policy_binary, _decode_base64, _eq, False),
    "IpAddress": OperatorSpec("IpAddress", False, _policy_network, _parse_address, _in_network, False),
    "NotIpAddress": OperatorSpec("IpAddress", True, _policy_network, _parse_address, _in_network, False),
    "ArnEquals": _arn(False),
    "ArnLike": _arn(False),
    "ArnNotEquals": _arn(True),
    "ArnNotLike": _arn(True),
}

SET_PREFIXES = ("ForAllValues", "ForAnyValue")


@dataclass(frozen=True, slots=True)
class ParsedOperator:
    name: str
    base: str
    set_prefix: str | None
    if_exists: bool


def parse_operator(name: str) -> ParsedOperator:
    """Split ``ForAnyValue:StringLikeIfExists`` into its parts; unknown operators are errors."""
    set_prefix = None
    base = name
    if ":" in name:
        set_prefix, _, base = name.partition(":")
        if set_prefix not in SET_PREFIXES:
            raise MalformedPolicyDocument(f"Invalid Condition type : {name}")
    if_exists = False
    if base.endswith("IfExists") and base != "IfExists":
        base = base[: -len("IfExists")]
        if_exists = True
    if base == "Null":
        if if_exists or set_prefix is not None:
            raise MalformedPolicyDocument(f"Invalid Condition type : {name}")
    elif base not in BASE_OPERATORS:
        raise MalformedPolicyDocument(f"Invalid Condition type : {name}")
    return ParsedOperator(name, base, set_prefix, if_exists)


# A compiled condition: context key (lowercase), then the test given that key's value and the
# whole context (for variables in policy values).
ConditionTest = Callable[[ContextValue | None, Context], bool]


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    operator: str
    key: str
    test: ConditionTest


def compile_condition(operator: str, key: str, values: Sequence[Any], *, substitute: bool) -> CompiledCondition:
    parsed = parse_operator(operator)
    lowered_key = key.lower()
    if parsed.base == "Null":
        return CompiledCondition(operator, lowered_key, _null_test(values))
    spec = BASE_OPERATORS[parsed.base]
    single = _single_value_test(spec, values, substitute=substitute and spec.takes_variables)
    return CompiledCondition(operator, lowered_key, _combine(spec.negated, parsed, single))


def _null_test(values: Sequence[Any]) -> ConditionTest:
    wanted = {policy_bool(v) for v in values}

    def test(value: ContextValue | None, context: Context) -> bool:
        is_null = value is None or (not isinstance(value, str) and len(value) == 0)
        return ("true" if is_null else "false") in wanted

    return test


def _single_value_test(spec: OperatorSpec, values: Sequence[Any], *, substitute: bool) -> Callable[[str, Context], bool]:
    """Whether one context value positively matches any of the policy values (before negation)."""
    static: list[Any] = []
    dynamic: list[Template] = []
    for raw in values:
        if not spec.takes_variables:
            static.append(spec.prepare_policy(raw))
            continue
        template = parse_template(policy_value_text(raw), substitute=substitute)
        if template.has_variables or len(template.parts) > 1:
            dynamic.append(template)
        elif spec.glob == "string":
            static.append(compiled(tokens_regex([(True, template.source)])))
        elif spec.glob == "arn":
            static.append(_arn_pattern([(True, template.source)]))
        else:
            static.append(spec.prepare_policy(raw))
    compare = spec.compare
    prepare_context = spec.prepare_context
    glob = spec.glob
    prepare_policy = spec.prepare_policy

    if not dynamic and len(static) == 1:
        only = static[0]

        def test_one(value: str, context: Context) -> bool:
            prepared = prepare_context(value)
            return prepared is not _INVALID and compare(prepared, only)

        return test_one

    def test(value: str, context: Context) -> bool:
        prepared = prepare_context(value)
        if prepared is _INVALID:
            return False
        for candidate in static:
            if compare(prepared, candidate):
                return True
        for template in dynamic:
            # An unresolved variable makes this policy value match nothing (spec R49).
            if glob:
                tokens = template.tokens(context)
                if tokens is None:
                    continue
                candidate = compiled(tokens_regex(tokens)) if glob == "string" else _arn_pattern(tokens)
            else:
                rendered = template.render(context)
                if rendered is None:
                    continue
                candidate = prepare_policy(rendered)
            if compare(prepared, candidate):
                return True
        return False

    return test


def _arn_pattern(tokens: list[tuple[bool, str]]) -> Any:
    regex = arn_like_regex(tokens)
    return None if regex is None else compiled(regex)


def _combine(negated: bool, parsed: ParsedOperator, single: Callable[[str, Context], bool]) -> ConditionTest:
    if_exists = parsed.if_exists
    if parsed.set_prefix == "ForAllValues":

        def for_all(value: ContextValue | None, context: Context) -> bool:
            if value is None:
                return True
            values = (value,) if isinstance(value, str) else value
            return all(single(v, context) != negated for v in values)

        return for_all
    if parsed.set_prefix == "ForAnyValue":

        def for_any(value: ContextValue | None, context: Context) -> bool:
            if value is None or (not isinstance(value, str) and not value):
                return if_exists
            values = (value,) if isinstance(value, str) else value
            return any(single(v, context) != negated for v in values)

        return for_any

    def plain(value: ContextValue | None, context: Context) -> bool:
        if value is None or (not isinstance(value, str) and not value):
            return if_exists or negated
        if isinstance(value, str):
            return single(value, context) != negated
        return any(single(v, context) for v in value) != negated

    return plain
