"""Policy variables: ``${key}``, ``${key, 'default'}`` and the literal escapes ``${*}``, ``${?}``, ``${$}``.

"IAM policy elements: Variables and tags": variables are substituted only under Version 2012-10-17,
in ``Resource``/``NotResource`` and in condition values of String* and Arn* operators. A key
missing from the request context with no default leaves the element unresolved, and an unresolved
element matches nothing. The value of a variable is literal text: a ``*`` in a user name is not a
wildcard (the special-character escapes exist precisely to write a literal ``*``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_LITERAL_ESCAPES = {"*": "*", "?": "?", "$": "$"}

ContextValue = str | Sequence[str]
Context = Mapping[str, ContextValue]


@dataclass(frozen=True, slots=True)
class Variable:
    """A reference to a context key (stored lowercase: condition keys are case-insensitive)."""

    key: str
    default: str | None = None


# A template part: pattern text (wildcards active where the consumer has them), a literal
# (from ``${*}``-style escapes), or a variable.
Part = tuple[str, str] | Variable
PATTERN = "pattern"
LITERAL = "literal"


@dataclass(frozen=True, slots=True)
class Template:
    """A string with policy variables in it, split into parts once at compile time."""

    source: str
    parts: tuple[Part, ...]

    @property
    def has_variables(self) -> bool:
        return any(isinstance(part, Variable) for part in self.parts)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(part.key for part in self.parts if isinstance(part, Variable))

    def tokens(self, context: Context) -> list[tuple[bool, str]] | None:
        """(is_pattern, text) tokens with variables resolved, or None when one cannot be resolved."""
        out: list[tuple[bool, str]] = []
        for part in self.parts:
            if isinstance(part, Variable):
                value = resolve(part, context)
                if value is None:
                    return None
                out.append((False, value))
            else:
                out.append((part[0] == PATTERN, part[1]))
        return out

    def render(self, context: Context) -> str | None:
        """The string with variables substituted, or None when one cannot be resolved."""
        tokens = self.tokens(context)
        if tokens is None:
            return None
        return "".join(text for _, text in tokens)


def resolve(variable: Variable, context: Context) -> str | None:
    value = context.get(variable.key)
    if isinstance(value, str):
        return value
    if value is not None and len(value) == 1:
        return value[0]  # a one-element list is a single value
    # Absent keys fall back to the default; so do multivalued keys, which cannot be substituted.
    return variable.default


# KEY: no whitespace, braces, commas, quotes or dollars; optional ", 'default'".
_BODY = re.compile(r"^\s*([^\s{},'$]+)\s*(?:,\s*'([^']*)'\s*)?$")


def parse_template(text: str, *, substitute: bool) -> Template:
    """Split ``text`` into parts; with ``substitute`` false (Version 2008-10-17) it is all pattern text.

    Text that looks like ``${…}`` but is not a valid variable stays ordinary text.
    """
    if not substitute or "${" not in text:
        return Template(text, ((PATTERN, text),))
    parts: list[Part] = []
    plain: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("${", i):
            close = text.find("}", i + 2)
            if close != -1:
                body = text[i + 2 : close]
                variable: Part | None = None
                if body in _LITERAL_ESCAPES:
                    variable = (LITERAL, _LITERAL_ESCAPES[body])
                else:
                    match = _BODY.match(body)
                    if match:
                        variable = Variable(match.group(1).lower(), match.group(2))
                if variable is not None:
                    if plain:
                        parts.append((PATTERN, "".join(plain)))
                        plain = []
                    parts.append(variable)
                    i = close + 1
                    continue
        plain.append(text[i])
        i += 1
    if plain:
        parts.append((PATTERN, "".join(plain)))
    return Template(text, tuple(parts))
