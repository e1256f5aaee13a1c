"""Work done once per operation model: the plans and writers codecs and the validator build from shapes.

Each is built on an operation's first use, with one builder per service so that recursive and shared
shapes resolve to one plan, and then found by the operation's identity (the models live as long as the
process). The operation is kept beside its result so an id reused by another object is never mistaken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from botocore.model import OperationModel

__all__ = ["PerOperation"]

B = TypeVar("B")
T = TypeVar("T")


class PerOperation(Generic[B, T]):
    """``get(op)`` is ``build(builder_of(op's service), op)``, computed once per operation."""

    def __init__(self, new_builder: Callable[[], B], build: Callable[[B, OperationModel], T]) -> None:
        self._new_builder = new_builder
        self._build = build
        self._builders: dict[str, B] = {}
        self._done: dict[int, tuple[OperationModel, T]] = {}

    def get(self, op: OperationModel) -> T:
        entry = self._done.get(id(op))
        if entry is not None and entry[0] is op:
            return entry[1]
        service = op.service_model.service_name
        builder = self._builders.get(service)
        if builder is None:
            builder = self._builders[service] = self._new_builder()
        result = self._build(builder, op)
        self._done[id(op)] = (op, result)
        return result
