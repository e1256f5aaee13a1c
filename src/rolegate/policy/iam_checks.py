"""What IAM refuses to store: a policy document checked in IAM's order of checks, with IAM's messages.

The normative list — each check, its message, its place in the order and its source — is
docs/spec/policy-validation.md (rules V1…). IAM checks a managed, inline or session policy in stages and
answers with the first stage that fails, whichever statement it is in: syntax, version, "legacy parsing",
Sids, actions present, resource format, action format, resources present, principals (V1–V12). Role trust
policies are read by IAM's other grammar, whose messages name the field (V13). Sources: IAM User Guide, "IAM
JSON policy element reference", "Grammar of the IAM JSON policy language"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html), "Troubleshoot IAM policies"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_policies.html), and the
``MalformedPolicyDocument`` answers IAM gives (reproduced by peer emulators' tests).

A document that passes these checks is then parsed and compiled by the engine (V14), so whatever IAM stores
rolegate can evaluate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from rolegate.core.arns import is_partition
from rolegate.core.errors import MalformedPolicyDocument
from rolegate.policy.compiled import compile_policy
from rolegate.policy.conditions import compile_condition, parse_operator
from rolegate.policy.document import KNOWN_VERSIONS, SYNTAX_ERROR, VERSION_2012, load_json_object, parse_policy

# The kinds IAM stores: managed policies (identity policies and permissions boundaries are managed
# policies), inline policies, role trust policies, and the session policy passed to AssumeRole*.
IAM_KINDS = ("managed", "inline", "trust", "session")

VERSION_ERROR = "Policy document must be version 2012-10-17 or greater."
LEGACY_ERROR = "The policy failed legacy parsing"
DUPLICATE_SID = "Statement IDs (SID) in a single policy must be unique."
SID_FORMAT = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."
VENDOR_REGEX = "Resource vendor must be fully qualified and cannot contain regexes."
IAM_PATH = (
    'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, '
    "instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, "
    "report/, access-report/."
)
PRINCIPAL_IN_IDENTITY = "Policy document should not specify a principal."
TRUST_INVALID_JSON = "This policy contains invalid Json"
CONDITION_KEY_COLONS = "Condition can contain only one colon."
# Every fixed message above, and the grammar's syntax error (the corpus pins each one).
MESSAGES = (SYNTAX_ERROR, VERSION_ERROR, LEGACY_ERROR, DUPLICATE_SID, SID_FORMAT, NO_ACTIONS, NO_RESOURCES, NO_VENDOR,
            ONE_COLON, VENDOR_REGEX, IAM_PATH, PRINCIPAL_IN_IDENTITY, TRUST_INVALID_JSON, CONDITION_KEY_COLONS)

_TOP_LEVEL = frozenset({"Version", "Id", "Statement"})
_STATEMENT_FIELDS = frozenset(
    {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
_EXCLUSIVE = (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal"))
_SID = re.compile(r"[0-9A-Za-z]*")
_VENDOR = re.compile(r"[A-Za-z0-9_.*?-]+")
_IAM_PATH_PREFIXES = (
    "user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/", "policy/",
    "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/",
    # Resource types IAM gained after the message's list was written (service authorization reference, "Actions,
    # resources, and condition keys for AWS Identity and Access Management"): a policy may name them.
    "assumed-role/", "delegation-request/", "role-template/",
)
_ENGINE_KIND = {"managed": "identity", "inline": "identity", "session": "session"}

Statement = Mapping[str, Any]


def check_iam_document(text: str, kind: str) -> None:
    """Raise ``MalformedPolicyDocument`` with IAM's message unless IAM would store ``text`` as a ``kind`` policy.

    ``kind`` is one of ``IAM_KINDS``. Stages run in IAM's order (docs/spec/policy-validation.md).
    """
    if kind not in IAM_KINDS:
        raise ValueError(f"unknown IAM policy kind {kind!r}; expected one of {IAM_KINDS}")
    if kind == "trust":
        _check_trust_policy(text)
        return
    document = load_json_object(text)  # V1: not JSON, duplicate keys, not an object
    statements = _check_syntax(document)  # V2
    version = document.get("Version")
    if kind == "managed" and version != VERSION_2012:
        raise MalformedPolicyDocument(VERSION_ERROR)  # V3
    substitute = version == VERSION_2012
    for stage in (_legacy_parsing, _sids, _actions_present, _resource_formats, _action_formats, _resources_present):
        stage(statements, kind, substitute)
    _no_principals(statements)  # V12
    # V14: whatever passed is read by the engine too, so a stored document can always be evaluated.
    compile_policy(text, kind=_ENGINE_KIND[kind])


# --- V2: syntax ----------------------------------------------------------------------------------


def _syntax_error() -> MalformedPolicyDocument:
    return MalformedPolicyDocument(SYNTAX_ERROR)


def _check_syntax(document: Mapping[str, Any]) -> list[Statement]:
    if not set(document) <= _TOP_LEVEL:
        raise _syntax_error()
    version = document.get("Version")
    if version is not None and version not in KNOWN_VERSIONS:
        raise _syntax_error()
    if "Id" in document and not isinstance(document["Id"], str):
        raise _syntax_error()
    raw = document.get("Statement")
    statements = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(statements, list) or not statements:
        raise _syntax_error()
    for statement in statements:
        _check_statement_syntax(statement)
    return statements


def _is_string_or_strings(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(item, str) for item in value))


def _check_statement_syntax(statement: Any) -> None:
    if not isinstance(statement, Mapping) or not set(statement) <= _STATEMENT_FIELDS:
        raise _syntax_error()
    if "Sid" in statement and not isinstance(statement["Sid"], str):
        raise _syntax_error()
    effect = statement.get("Effect")
    # A wrongly capitalised Effect is read here and refused by legacy parsing (V4).
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        raise _syntax_error()
    for one, other in _EXCLUSIVE:
        if one in statement and other in statement:
            raise _syntax_error()
    for name in ("Action", "NotAction", "Resource", "NotResource"):
        if name in statement and not _is_string_or_strings(statement[name]):
            raise _syntax_error()
    for name in ("Principal", "NotPrincipal"):
        if name in statement and not _principal_shape_ok(statement[name]):
            raise _syntax_error()
    if "Condition" in statement:
        _check_condition_syntax(statement["Condition"])


def _principal_shape_ok(value: Any) -> bool:
    if value == "*":
        return True
    return isinstance(value, Mapping) and bool(value) and all(
        isinstance(v, str) or (isinstance(v, list) and bool(v) and all(isinstance(i, str) for i in v))
        for v in value.values()
    )


def _is_condition_value(value: Any) -> bool:
    return value is not None and isinstance(value, (str, int, float, bool))


def _check_condition_syntax(condition: Any) -> None:
    if not isinstance(condition, Mapping):
        raise _syntax_error()
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            raise _syntax_error()
        if not block:
            continue  # an operator without keys tests nothing, and IAM stores it
        try:
            parse_operator(operator)
        except MalformedPolicyDocument:
            raise _syntax_error() from None
        for value in block.values():
            if not (_is_condition_value(value) or (isinstance(value, list) and all(map(_is_condition_value, value)))):
                raise _syntax_error()


def _conditions(statement: Statement) -> Iterator[tuple[str, str, list[Any]]]:
    for operator, block in statement.get("Condition", {}).items():
        for key, value in block.items():
            yield operator, key, value if isinstance(value, list) else [value]


# --- V4: legacy parsing --------------------------------------------------------------------------


def _legacy_parsing(statements: list[Statement], kind: str, substitute: bool) -> None:
    for statement in statements:
        if statement["Effect"] not in ("Allow", "Deny"):
            raise MalformedPolicyDocument(LEGACY_ERROR)
        for resource in _strings(statement, "Resource", "NotResource"):
            if _fails_legacy_arn(resource):
                raise MalformedPolicyDocument(LEGACY_ERROR)
        # V4 covers the typed condition values: a date IAM cannot read fails legacy parsing; numbers,
        # booleans, IP ranges and base64 it cannot read are syntax errors (V2 in the spec's table).
        for operator, key, values in _conditions(statement):
            try:
                compile_condition(operator, key, values, substitute=substitute)
            except MalformedPolicyDocument:
                is_date = parse_operator(operator).base.startswith("Date")
                raise MalformedPolicyDocument(LEGACY_ERROR if is_date else SYNTAX_ERROR) from None


def _strings(statement: Statement, *names: str) -> Iterator[str]:
    for name in names:
        value = statement.get(name)
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from value


def _fails_legacy_arn(resource: str) -> bool:
    """An ARN of a known partition with four or five fields, or an empty service, fails legacy parsing."""
    parts = resource.split(":")
    if resource == "*" or len(parts) < 4 or not is_partition(parts[1]):
        return False
    return len(parts) < 6 or parts[2] == ""


# --- V5, V6: Sids (format, then uniqueness) --------------------------------------------------------------------------------


def _sids(statements: list[Statement], kind: str, substitute: bool) -> None:
    sids = [s["Sid"] for s in statements if "Sid" in s]
    # IAM names a Sid's characters before its repetition: two "autogenerated-id" Sids get the format message.
    if not all(_SID.fullmatch(sid) for sid in sids):
        raise MalformedPolicyDocument(SID_FORMAT)
    if len(set(sids)) != len(sids):
        raise MalformedPolicyDocument(DUPLICATE_SID)


# --- V7, V10: actions ----------------------------------------------------------------------------


def _actions_present(statements: list[Statement], kind: str, substitute: bool) -> None:
    for statement in statements:
        if not list(_strings(statement, "Action", "NotAction")):
            raise MalformedPolicyDocument(NO_ACTIONS)


def _action_formats(statements: list[Statement], kind: str, substitute: bool) -> None:
    for statement in statements:
        for action in _strings(statement, "Action", "NotAction"):
            problem = action_problem(action)
            if problem is not None:
                raise MalformedPolicyDocument(problem)


def action_problem(action: str) -> str | None:
    """IAM's message for an action it refuses: ``"*"`` or ``vendor:name``, one colon, a valid vendor."""
    if action == "*":
        return None
    vendor, colon, _ = action.partition(":")
    if not colon or not vendor:
        return NO_VENDOR
    if action.count(":") > 1:
        return ONE_COLON
    if not _VENDOR.fullmatch(vendor):
        return f"Vendor {vendor} is not valid"
    return None


# --- V8, V9, V11: resources ----------------------------------------------------------------------


def _resource_formats(statements: list[Statement], kind: str, substitute: bool) -> None:
    for statement in statements:
        for resource in _strings(statement, "Resource", "NotResource"):
            problem = resource_problem(resource)
            if problem is not None:
                raise MalformedPolicyDocument(problem)


def resource_problem(resource: str) -> str | None:
    """IAM's message for a Resource it refuses (after legacy parsing), or None.

    IAM reads the first field as ``arn`` whatever it says and pads a short ARN with ``*`` fields before
    naming it in the partition message.
    """
    if resource == "*":
        return None
    parts = resource.split(":")
    if len(parts) < 2:
        return f'Resource {resource} must be in ARN format or "*".'
    padded = ["arn", *parts[1:], *["*"] * (6 - len(parts))]
    if not is_partition(padded[1]):
        return f'Partition "{padded[1]}" is not valid for resource "{":".join(padded)}".'
    service = padded[2]
    if not service or "*" in service or "?" in service:
        return VENDOR_REGEX
    region = parts[3] if len(parts) > 3 else ""
    account = parts[4] if len(parts) > 4 else ""
    if service == "iam":
        if region:
            return f"IAM resource {resource} cannot contain region information."
        path = ":".join(parts[5:]) if len(parts) > 5 else "*"
        if path != "*" and not path.startswith(_IAM_PATH_PREFIXES):
            return IAM_PATH
    # S3 bucket and object ARNs name neither region nor account; access points name both.
    if service == "s3" and region and not account:
        return f"Resource {resource} can not contain region information."
    return None


def _resources_present(statements: list[Statement], kind: str, substitute: bool) -> None:
    for statement in statements:
        if not list(_strings(statement, "Resource", "NotResource")):
            raise MalformedPolicyDocument(NO_RESOURCES)


# --- V12: principals of managed, inline and session policies ---------------------------------------


def _no_principals(statements: Iterable[Statement]) -> None:
    for statement in statements:
        if "Principal" in statement or "NotPrincipal" in statement:
            raise MalformedPolicyDocument(PRINCIPAL_IN_IDENTITY)


# --- V13: trust policies --------------------------------------------------------------------------


def _check_trust_policy(text: str) -> None:
    """IAM's trust-policy grammar: messages that name the field, then the rules only trust policies have."""
    try:
        document = load_json_object(text)
    except MalformedPolicyDocument:
        raise MalformedPolicyDocument(TRUST_INVALID_JSON) from None
    # The grammar's own messages: Unknown field, Missing required field, Invalid principal, trust actions.
    policy = parse_policy(text, kind="trust")
    raw = document["Statement"]
    statements: list[Statement] = [raw] if isinstance(raw, Mapping) else list(raw)
    for statement in statements:
        for name in ("Resource", "NotResource"):
            if name in statement:
                raise MalformedPolicyDocument(f"Has prohibited field {name}")
    for parsed in policy.statements:
        for _, entries in parsed.condition:
            if any(key.count(":") > 1 for key, _ in entries):
                raise MalformedPolicyDocument(CONDITION_KEY_COLONS)
    _sids(statements, "trust", False)
    # Operators and typed values, with the engine's messages (``Invalid Condition type : NAME``, ADR 0009).
    compile_policy(text, kind="trust")
