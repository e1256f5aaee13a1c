"""Tag rules shared by every taggable IAM resource (IAM User Guide, "Tagging IAM resources").

The wire layer has already checked each key's and value's pattern and length from the model; these are
the rules the model cannot state: keys are unique ignoring case, ``aws:`` is reserved, at most 50 tags.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rolegate.core.errors import InvalidInput, LimitExceeded

Tags = tuple[tuple[str, str], ...]


def check_new_tags(tags: Sequence[tuple[str, str]]) -> None:
    seen: set[str] = set()
    for key, _ in tags:
        if key.lower().startswith("aws:"):
            raise InvalidInput("User is not authorized to perform operation with tag keys starting with 'aws:'. "
                               "Tag keys with the prefix 'aws:' are reserved for AWS use.")
        if key.lower() in seen:
            raise InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        seen.add(key.lower())


def merge_tags(existing: Tags, new: Sequence[tuple[str, str]], limit: int, resource_kind: str) -> Tags:
    """``existing`` with ``new`` applied: a key equal ignoring case is overwritten (keeping the new spelling)."""
    check_new_tags(new)
    merged = {k.lower(): (k, v) for k, v in existing}
    for k, v in new:
        merged[k.lower()] = (k, v)
    if len(merged) > limit:
        raise LimitExceeded(f"The number of tags has reached the maximum limit. "
                            f"Cannot exceed quota for TagsPer{resource_kind}: {limit}.")
    return tuple(merged.values())


def remove_tags(existing: Tags, keys: Iterable[str]) -> Tags:
    drop = {k.lower() for k in keys}
    return tuple((k, v) for k, v in existing if k.lower() not in drop)

