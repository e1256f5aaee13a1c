"""The rest protocols' route table: each operation's HTTP method and ``requestUri`` template, matched to a path.

A rest-json model names an operation only by where it is sent: ``"http": {"method": "PATCH", "requestUri":
"/trustanchor/{trustAnchorId}"}``. A template is literal segments and labels; ``{name}`` matches one path
segment, ``{name+}`` (greedy) the rest of the path, ``/`` included; a ``?a=b&c`` tail names query
parameters the request must carry (as botocore's ``RestSerializer._render_uri_template`` and Smithy's
``@http`` trait describe). Labels are matched on the raw (percent-encoded) path and decoded afterwards,
so an encoded ``/`` inside a label stays part of the label.

Ties between templates matching the same path are broken the way Smithy's HTTP binding rules require
servers to: more literal segments first, then fewer greedy labels. Two templates of the same method that
are the same pattern (differing only in label names) are ambiguous, and refused when the table is built,
as the catalog refuses a clash of query actions (ADR 0012, rule 2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from .models import OperationRef

__all__ = ["RestRoute", "RestRoutes", "RouteMatch"]

_LABEL = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """A path matched to an operation: its route and the decoded values of the template's labels."""

    route: RestRoute
    labels: dict[str, str]


@dataclass(frozen=True, slots=True)
class RestRoute:
    ref: OperationRef
    method: str
    template: str
    pattern: re.Pattern[str]
    #: Query parameters the template requires (``?key`` or ``?key=value``; ``None`` means any value).
    required_query: tuple[tuple[str, str | None], ...]
    #: (literal segment count, -greedy label count): larger sorts first.
    specificity: tuple[int, int]
    #: The pattern with label names erased; equal shapes of one method are ambiguous.
    shape: str

    def match(self, raw_path: str, query: list[tuple[str, str]]) -> RouteMatch | None:
        m = self.pattern.fullmatch(raw_path)
        if m is None:
            return None
        present = dict(query)
        for key, value in self.required_query:
            if key not in present or (value is not None and present[key] != value):
                return None
        return RouteMatch(self, {k: unquote(v) for k, v in m.groupdict().items()})


def compile_route(ref: OperationRef) -> RestRoute:
    http = ref.operation.http
    method = str(http.get("method", "POST")).upper()
    template = str(http["requestUri"])
    path, _, query = template.partition("?")
    parts: list[str] = []
    shape_parts: list[str] = []
    last = 0
    greedy = 0
    for m in _LABEL.finditer(path):
        literal = re.escape(path[last:m.start()])
        parts.append(literal)
        shape_parts.append(literal)
        if m.group(2):
            greedy += 1
            parts.append(f"(?P<{m.group(1)}>.+)")
            shape_parts.append("(.+)")
        else:
            parts.append(f"(?P<{m.group(1)}>[^/]+)")
            shape_parts.append("([^/]+)")
        last = m.end()
    tail = re.escape(path[last:])
    parts.append(tail)
    shape_parts.append(tail)
    literal_segments = sum(1 for seg in path.split("/") if seg and "{" not in seg)
    required = tuple((k, v if "=" in item else None)
                     for item in query.split("&") if item
                     for k, _, v in [item.partition("=")])
    return RestRoute(ref, method, template, re.compile("".join(parts)), required,
                     (literal_segments + len(required), -greedy), method + " " + "".join(shape_parts))


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    """The query string's parameters in order, repeated keys kept, blank values kept (``?a&b=``)."""
    return parse_qsl(raw_query, keep_blank_values=True)


class RestRoutes:
    """Every rest operation's route, most specific first; built once from the catalog's rest models."""

    def __init__(self, refs: Iterable[OperationRef]) -> None:
        routes = [compile_route(ref) for ref in refs]
        seen: dict[str, RestRoute] = {}
        for route in routes:
            other = seen.get(route.shape)
            if other is not None and other.required_query == route.required_query:
                raise ValueError(f"rest routes {other.ref.service_name}:{other.ref.name} ({other.template}) and "
                                 f"{route.ref.service_name}:{route.ref.name} ({route.template}) are ambiguous")
            seen[route.shape] = route
        self._routes = sorted(routes, key=lambda r: r.specificity, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._routes)

    def find(self, method: str, raw_path: str, query: list[tuple[str, str]]) -> RouteMatch | None:
        """The operation ``method raw_path`` is sent to, or ``None``."""
        for route in self._routes:
            if route.method == method:
                found = route.match(raw_path, query)
                if found is not None:
                    return found
        return None

    def claims(self, raw_path: str) -> bool:
        """Whether some rest operation lives at ``raw_path`` (with any method): the router's rule 2."""
        return any(route.pattern.fullmatch(raw_path) for route in self._routes)
