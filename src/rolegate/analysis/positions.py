"""Where each statement of a policy document sits in its text: the line and column of its start and end.

The simulator answers ``MatchedStatements`` with ``StartPosition``/``EndPosition`` {Line, Column} of the
statement in the document as stored, so positions are computed from the original text by a small JSON scanner
that only tracks offsets — parsing (and every rule about what a valid policy is) stays in ``rolegate.policy``.

Lines count from 1. A column is the 1-based column *after* the statement's opening ``{`` (start) and after its
closing ``}`` (end): the AWS CLI's own example of ``simulate-custom-policy`` reports, for a one-line document
whose statement object opens at column 37 and closes at column 166, ``StartPosition`` {1, 38} and
``EndPosition`` {1, 167} (https://docs.aws.amazon.com/cli/latest/reference/iam/simulate-custom-policy.html).
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator
from dataclasses import dataclass

_WHITESPACE = " \t\n\r"


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Span:
    start: Position
    end: Position


class _Unscannable(Exception):
    """The text is not the JSON the scanner expects; callers get no positions rather than an error."""


@functools.lru_cache(maxsize=256)  # one simulation asks once per matched statement of each result
def statement_spans(text: str) -> tuple[Span, ...]:
    """The span of every statement of ``text`` in order (the ``Statement`` object, or each object of the
    ``Statement`` array); empty when the text has no such member or is not JSON."""
    try:
        scanner = _Scanner(text)
        return scanner.statements()
    except _Unscannable:
        return ()


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def statements(self) -> tuple[Span, ...]:
        self._skip()
        self._expect("{")
        found: tuple[Span, ...] = ()
        for key in self._members("}"):
            if key == "Statement":
                found = self._statement_value()
            else:
                self._value()
        return found

    def _statement_value(self) -> tuple[Span, ...]:
        self._skip()
        if self._peek() == "{":
            return (self._object_span(),)
        if self._peek() != "[":
            self._value()
            return ()
        self.at += 1
        spans: list[Span] = []
        for _ in self._elements("]"):
            if self._peek() == "{":
                spans.append(self._object_span())
            else:
                self._value()
        return tuple(spans)

    def _object_span(self) -> Span:
        start = self.at
        self._value()
        return Span(self._position(start), self._position(self.at - 1))

    def _position(self, offset: int) -> Position:
        line = bisect.bisect_right(self._line_starts, offset)
        column = offset - self._line_starts[line - 1] + 1
        return Position(line, column + 1)

    # -- JSON, offsets only ------------------------------------------------------------------------

    def _members(self, close: str) -> Iterator[str]:
        """Yields each member's key with the scanner on its value; consumes the closing brace."""
        self._skip()
        if self._peek() == close:
            self.at += 1
            return
        while True:
            self._skip()
            key = self._string()
            self._skip()
            self._expect(":")
            self._skip()
            yield key
            self._skip()
            if self._peek() == ",":
                self.at += 1
                continue
            self._expect(close)
            return

    def _elements(self, close: str) -> Iterator[None]:
        self._skip()
        if self._peek() == close:
            self.at += 1
            return
        while True:
            self._skip()
            yield None
            self._skip()
            if self._peek() == ",":
                self.at += 1
                continue
            self._expect(close)
            return

    def _value(self) -> None:
        self._skip()
        ch = self._peek()
        if ch == "{":
            self.at += 1
            for _ in self._members("}"):
                self._value()
        elif ch == "[":
            self.at += 1
            for _ in self._elements("]"):
                self._value()
        elif ch == '"':
            self._string()
        else:
            start = self.at
            while self.at < len(self.text) and self.text[self.at] not in _WHITESPACE + ",]}":
                self.at += 1
            if self.at == start:
                raise _Unscannable

    def _string(self) -> str:
        self._expect('"')
        text, start = self.text, self.at
        while self.at < len(text):
            ch = text[self.at]
            if ch == "\\":
                self.at += 2
                continue
            if ch == '"':
                self.at += 1
                return text[start:self.at - 1]
            self.at += 1
        raise _Unscannable

    def _skip(self) -> None:
        text = self.text
        while self.at < len(text) and text[self.at] in _WHITESPACE:
            self.at += 1

    def _peek(self) -> str:
        if self.at >= len(self.text):
            raise _Unscannable
        return self.text[self.at]

    def _expect(self, ch: str) -> None:
        if self._peek() != ch:
            raise _Unscannable
        self.at += 1
