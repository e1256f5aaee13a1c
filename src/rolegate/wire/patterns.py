"""Java regular expressions from botocore models, translated to Python ``re`` and compiled once.

The ``pattern`` constraints in AWS models are Java (``java.util.regex``) patterns matched against the
whole value (``Matcher.matches()``). Python differs where it matters:

* ``\\w``, ``\\d``, ``\\s`` are ASCII-only in Java by default but Unicode-aware in Python ``str``
  patterns, so they are spelled out as ASCII classes (``[\\w+=,.@-]+`` must reject ``é``).
* ``\\p{L}``, ``\\p{Z}``, ``\\p{N}`` … (Unicode general categories) do not exist in ``re``; they are
  expanded into explicit code-point ranges computed from ``unicodedata`` (once per category).
* ``\\uXXXX`` is understood by both, but models also write supplementary code points as
  ``\\u10000``/``\\u10FFFF`` (5–6 hex digits). Java would read that as ``\\u1000`` followed by
  ``0``; the model's evident intent is the code point, so a ``\\u`` followed by 5–6 hex digits whose
  value lies in U+10000..U+10FFFF is taken as that code point.
* ``\\x{h…h}`` is translated to ``\\U…``; a surrogate pair ``\\uD800\\uDC00`` is its one code point, as in Java.

Constructs with no faithful translation (class intersection ``&&``, nested classes, ``\\Q…\\E``,
possessive quantifiers, ``\\p{Is…}``/``\\p{In…}``) raise ``UnsupportedPattern`` at compile time so a
new model can't silently validate wrongly.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata

__all__ = ["UnsupportedPattern", "compile_java_pattern", "translate_java_pattern"]


class UnsupportedPattern(ValueError):
    """A model pattern uses a Java construct this translator does not handle."""


_HEX = frozenset("0123456789abcdefABCDEF")
_ASCII_CLASSES = {
    "w": "a-zA-Z0-9_",
    "d": "0-9",
    "s": " \\t\\n\\x0b\\f\\r",
}
_NEGATED_ASCII = {"W": "w", "D": "d", "S": "s"}


@functools.cache
def _category_table() -> dict[str, list[tuple[int, int]]]:
    """Code-point ranges per two-letter Unicode general category (e.g. ``Lu``)."""
    table: dict[str, list[tuple[int, int]]] = {}
    category = unicodedata.category
    start = 0
    current = category("\x00")
    for cp in range(1, sys.maxunicode + 1):
        cat = category(chr(cp))
        if cat != current:
            table.setdefault(current, []).append((start, cp - 1))
            start, current = cp, cat
    table.setdefault(current, []).append((start, sys.maxunicode))
    return table


def _cp(cp: int) -> str:
    return f"\\U{cp:08x}"


@functools.cache
def _category_class_body(name: str) -> str:
    """The inside of a character class matching Unicode general category ``name`` (``L`` or ``Lu``)."""
    table = _category_table()
    if len(name) == 1:
        ranges = sorted(r for cat, rs in table.items() if cat[0] == name for r in rs)
    else:
        ranges = list(table.get(name, []))
    if not ranges or not name[0].isupper():
        raise UnsupportedPattern(f"unknown Unicode category \\p{{{name}}}")
    return "".join(_cp(a) if a == b else f"{_cp(a)}-{_cp(b)}" for a, b in ranges)


def _read_braced(pattern: str, i: int) -> tuple[str, int]:
    """Read ``{…}`` starting at ``pattern[i] == '{'``; return the content and the index after ``}``."""
    end = pattern.find("}", i)
    if pattern[i : i + 1] != "{" or end < 0:
        raise UnsupportedPattern(f"malformed escape near offset {i} in {pattern!r}")
    return pattern[i + 1 : end], end + 1


def translate_java_pattern(pattern: str) -> str:
    """Translate a Java regex into an equivalent Python ``re`` pattern (see module docstring)."""
    out: list[str] = []
    in_class = False
    class_start = -1  # index in ``out`` of the current class's '[' (to spot a leading '^' or ']')
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise UnsupportedPattern(f"trailing backslash in {pattern!r}")
            e = pattern[i + 1]
            i += 2
            if e in ("p", "P"):
                name, i = _read_braced(pattern, i)
                if name.startswith(("Is", "In", "java", "Alpha", "Alnum", "Punct")) or "=" in name:
                    raise UnsupportedPattern(f"unsupported property \\{e}{{{name}}} in {pattern!r}")
                body = _category_class_body(name)
                if e == "P":
                    if in_class:
                        raise UnsupportedPattern(f"negated property inside a class in {pattern!r}")
                    out.append(f"[^{body}]")
                else:
                    out.append(body if in_class else f"[{body}]")
            elif e in _ASCII_CLASSES:
                body = _ASCII_CLASSES[e]
                out.append(body if in_class else f"[{body}]")
            elif e in _NEGATED_ASCII:
                if in_class:
                    raise UnsupportedPattern(f"negated shorthand \\{e} inside a class in {pattern!r}")
                out.append(f"[^{_ASCII_CLASSES[_NEGATED_ASCII[e]]}]")
            elif e == "u":
                digits = pattern[i : i + 4]
                if len(digits) != 4 or not set(digits) <= _HEX:
                    raise UnsupportedPattern(f"malformed \\u escape in {pattern!r}")
                cp = int(digits, 16)
                j = i + 4
                # Models write supplementary code points as \u10000..\u10FFFF; see module docstring.
                for extra in (2, 1):
                    more = pattern[j : j + extra]
                    if len(more) == extra and set(more) <= _HEX:
                        wide = int(digits + more, 16)
                        if 0x10000 <= wide <= 0x10FFFF:
                            cp, j = wide, j + extra
                            break
                low = pattern[j + 2 : j + 6] if pattern[j : j + 2] == "\\u" else ""
                if 0xD800 <= cp <= 0xDBFF and len(low) == 4 and set(low) <= _HEX and 0xDC00 <= int(low, 16) <= 0xDFFF:
                    # A UTF-16 surrogate pair (``\uD800\uDC00``) is one supplementary code point, as Java reads it
                    # (CloudTrail's PartitionKeyName writes U+10000..U+10FFFF so).
                    cp, j = 0x10000 + ((cp - 0xD800) << 10) + (int(low, 16) - 0xDC00), j + 6
                out.append(_cp(cp))
                i = j
            elif e == "x" and pattern[i : i + 1] == "{":
                digits, i = _read_braced(pattern, i)
                if not digits or not set(digits) <= _HEX or int(digits, 16) > 0x10FFFF:
                    raise UnsupportedPattern(f"malformed \\x{{…}} escape in {pattern!r}")
                out.append(_cp(int(digits, 16)))
            elif e in ("Q", "E", "G", "Z", "R", "X", "h", "H", "v", "V", "k"):
                raise UnsupportedPattern(f"unsupported escape \\{e} in {pattern!r}")
            else:
                # Escaped punctuation, \t \n \r \f, \xhh, \0, \b, \A, \z and back-references mean
                # the same in both dialects, except \z, Python's spelling of which is \Z.
                out.append("\\Z" if e == "z" else "\\" + e)
            continue
        if in_class:
            if c == "[":
                raise UnsupportedPattern(f"nested character class in {pattern!r}")
            if c == "&" and pattern[i : i + 2] == "&&":
                raise UnsupportedPattern(f"class intersection in {pattern!r}")
            if c == "]" and not (len(out) == class_start + 1 or out[-1] == "^" and len(out) == class_start + 2):
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            class_start = len(out) - 1
            i += 1
            # Java, like Python, treats a ']' right after '[' or '[^' as a literal.
            continue
        if c in "*+?}" and pattern[i + 1 : i + 2] == "+":
            raise UnsupportedPattern(f"possessive quantifier in {pattern!r}")
        out.append(c)
        i += 1
    if in_class:
        raise UnsupportedPattern(f"unterminated character class in {pattern!r}")
    return "".join(out)


@functools.cache
def compile_java_pattern(pattern: str) -> re.Pattern[str]:
    """The compiled Python equivalent of a Java model pattern; use ``.fullmatch`` (Java ``matches``)."""
    return re.compile(translate_java_pattern(pattern))
