"""Wildcard patterns (``*`` and ``?``) turned into fast matchers: exact, prefix, or compiled regex.

Three dialects, each from the IAM User Guide:
- actions: case-insensitive, ``*`` and ``?`` anywhere ("IAM JSON policy elements: Action");
- strings (``StringLike``): case-sensitive, ``*`` and ``?`` anywhere ("Condition operators");
- resources (``Resource``): case-sensitive glob over the whole ARN, ``*`` may cross ``:``
  ("IAM JSON policy elements: Resource": a trailing ``*`` in a segment "can expand to match beyond the
  colon boundaries"; rolegate applies the glob to the whole ARN, spec rule R16);
- ``ArnLike``/``ArnEquals``: each of the six colon-separated components matched on its own (R37).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

Matcher = Callable[[str], bool]


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def glob_regex(pattern: str) -> str:
    """Regex source for a glob where ``*`` is any run of characters and ``?`` exactly one."""
    out = []
    for char in pattern:
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append(re.escape(char))
    return "".join(out)


@lru_cache(maxsize=8192)
def compiled(regex_source: str, ignore_case: bool = False) -> re.Pattern[str]:
    """A compiled, anchored regex, shared by every policy that uses the same pattern."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(f"(?:{regex_source})\\Z", flags)


def glob_matcher(pattern: str, *, ignore_case: bool = False) -> Matcher:
    """A matcher for a string glob; exact and prefix patterns skip the regex engine."""
    if ignore_case:
        pattern = pattern.lower()
    if pattern == "*":
        return lambda value: True
    if not has_wildcard(pattern):
        if ignore_case:
            return lambda value: value.lower() == pattern
        return pattern.__eq__
    if pattern.endswith("*") and not has_wildcard(pattern[:-1]):
        prefix = pattern[:-1]
        if ignore_case:
            return lambda value: value.lower().startswith(prefix)
        return lambda value: value.startswith(prefix)
    regex = compiled(glob_regex(pattern), ignore_case)
    return lambda value: regex.match(value) is not None


# A token of a pattern: pattern text (wildcards active) or a literal (the value of a policy
# variable, or a ``${*}`` escape), which never acts as a wildcard.
Token = tuple[bool, str]


def tokens_regex(tokens: Sequence[Token]) -> str:
    """Regex source for a whole-string glob given as tokens."""
    return "".join(glob_regex(text) if is_pattern else re.escape(text) for is_pattern, text in tokens)


def arn_matcher(pattern: str) -> Matcher:
    """A matcher for one ``Resource`` entry without policy variables (same as a string glob)."""
    return glob_matcher(pattern)


def arn_like_regex(tokens: Sequence[Token]) -> str | None:
    """Regex source for ``ArnLike``/``ArnEquals``: each colon-separated part matched on its own.

    "Condition operators" → "Amazon Resource Name (ARN) condition operators": "Case-sensitive match of
    each part of the ARN delimited by colons"; the sixth part (the resource) may itself hold colons.
    A ``:`` from a variable's value splits components like any other. None when the pattern has fewer
    than six components (it then matches nothing).
    """
    flat = [(is_pattern, char) for is_pattern, text in tokens for char in text]
    if sum(1 for _, char in flat if char == ":") < 5:
        return None
    out = []
    colons = 0
    for is_pattern, text in flat:
        in_resource_part = colons >= 5
        if text == ":" and not in_resource_part:
            colons += 1
            out.append(":")
            continue
        if not is_pattern:
            out.append(re.escape(text))
            continue
        if text == ":":
            colons += 1
            out.append(":")
        elif text == "*":
            out.append(".*" if in_resource_part else "[^:]*")
        elif text == "?":
            out.append("." if in_resource_part else "[^:]")
        else:
            out.append(re.escape(text))
    return "".join(out)
