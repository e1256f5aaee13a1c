"""Marker/MaxItems paging for the List* operations of roles, users, groups, instance profiles and access keys.

Two shapes: a page read from the store by sort key (the store returns one row more than asked, which
tells whether the page is truncated), and a page of a short list already in memory (a user's policies,
tags, keys or groups), whose marker is the sort key or the position of the last item returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from rolegate.core.pagination import DEFAULT_MAX_ITEMS, Page, decode_marker, encode_marker

T = TypeVar("T")


def page_limit(max_items: int | None) -> int:
    return max_items or DEFAULT_MAX_ITEMS


def page_of_rows(rows: Sequence[T], limit: int, sort_key: Callable[[T], str]) -> Page[T]:
    """The page from ``rows`` fetched with ``limit + 1``; the marker is the last returned item's sort key."""
    if len(rows) > limit:
        return Page(list(rows[:limit]), True, encode_marker(sort_key(rows[limit - 1])))
    return Page(list(rows), False, None)


def page_after(items: Sequence[T], sort_key: Callable[[T], str], marker: str | None,
               max_items: int | None) -> Page[T]:
    """The page of ``items`` (sorted by ``sort_key``) that follows the item the marker names."""
    after = decode_marker(marker)
    rest = [i for i in items if after is None or sort_key(i) > after]
    return page_of_rows(rest, page_limit(max_items), sort_key)


def page_by_position(items: Sequence[T], marker: str | None, max_items: int | None) -> Page[T]:
    """The page of ``items`` in their given order (tags keep the order they were set in)."""
    decoded = decode_marker(marker)
    start = int(decoded) if decoded and decoded.isdigit() else 0
    end = start + page_limit(max_items)
    truncated = end < len(items)
    return Page(list(items[start:end]), truncated, encode_marker(str(end)) if truncated else None)
