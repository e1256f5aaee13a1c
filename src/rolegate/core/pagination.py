"""Marker/MaxItems pagination as IAM's List* operations do it.

The marker is opaque to clients; ours is the sort key of the last item returned, so a page stays stable
while items before it are deleted. MaxItems defaults to 100 and is capped at 1,000 (IAM API reference,
"Common parameters" of the List operations).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Generic, TypeVar

from .errors import ValidationError

T = TypeVar("T")

DEFAULT_MAX_ITEMS = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    is_truncated: bool
    marker: str | None


def encode_marker(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode("utf-8")).decode("ascii")


def decode_marker(marker: str | None) -> str | None:
    """The sort key after which the next page starts; a marker we did not issue is a ValidationError."""
    if marker is None:
        return None
    try:
        return base64.urlsafe_b64decode(marker.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError):
        raise ValidationError("Invalid Marker.") from None
