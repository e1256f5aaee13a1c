"""The context keys a set of policies references: every condition key and every policy variable.

GetContextKeysForCustomPolicy and GetContextKeysForPrincipalPolicy list "the context keys referenced in all
the IAM policies" (IAM API reference,
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetContextKeysForCustomPolicy.html);
AWS's own example lists ``aws:username`` (a variable in ``Resource``) beside ``aws:CurrentTime`` (a condition
key), each spelled as the policy spells it. Condition keys are case-insensitive ("IAM JSON policy elements:
Condition"), so two spellings of one key are one key, listed as first written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rolegate.policy import Policy

# ${key} or ${key, 'default'}; ${*}, ${?} and ${$} are escapes, not variables ("IAM policy elements: Variables").
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = frozenset({"*", "?", "$"})


def referenced_keys(policies: Iterable[Policy]) -> list[str]:
    """Every key the policies' conditions name or their variables read, once each, in order of first use."""
    seen: dict[str, str] = {}

    def add(key: str) -> None:
        if key and key not in _ESCAPES:
            seen.setdefault(key.lower(), key)

    for policy in policies:
        for statement in policy.statements:
            for values in (statement.resources, statement.not_resources):
                for value in values or ():
                    for key in _variables(value):
                        add(key)
            for _operator, entries in statement.condition:
                for key, condition_values in entries:
                    for key_variable in _variables(key):
                        add(key_variable)
                    add(key)
                    for condition_value in condition_values:
                        if isinstance(condition_value, str):
                            for key_variable in _variables(condition_value):
                                add(key_variable)
    return list(seen.values())


def spelled(keys: Iterable[str]) -> dict[str, str]:
    """Lower-cased key -> the key as the policies spell it (the engine reports keys lower-cased)."""
    return {key.lower(): key for key in keys}


def _variables(text: str) -> list[str]:
    if "${" not in text:
        return []
    return [match.partition(",")[0].strip() for match in _VARIABLE.findall(text)]
