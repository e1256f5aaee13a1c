"""What every Roles Anywhere resource shares: ARNs, identifiers given as id or ARN, list paging, tag checks."""

from __future__ import annotations

from collections.abc import Sequence

from rolegate.authz import RequestContext
from rolegate.core.pagination import decode_marker, encode_marker

from .errors import TooManyTags, ValidationException

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "MAX_TAGS", "anywhere_arn", "check_tags", "next_token",
           "page_start", "resource_id"]

#: AWS's general tagging limit (50 user tags per resource); more is TooManyTagsException.
MAX_TAGS = 50
DEFAULT_PAGE_SIZE = 50  # rolegate's choice: the API reference gives no default
MAX_PAGE_SIZE = 1000


def anywhere_arn(request: RequestContext, kind: str, resource: str) -> str:
    """``arn:PARTITION:rolesanywhere:REGION:ACCOUNT:KIND/ID`` (Service Authorization Reference, resource types)."""
    return f"arn:{request.partition}:rolesanywhere:{request.region}:{request.account_id}:{kind}/{resource}"


def resource_id(identifier: str, kind: str) -> str:
    """The id in an identifier that may be the id itself or the resource's ARN (``…:KIND/ID``)."""
    if identifier.startswith("arn:"):
        return identifier.rsplit(f":{kind}/", 1)[-1] if f":{kind}/" in identifier else ""
    return identifier


def page_start(next_token: str | None, page_size: int | None) -> tuple[str | None, int]:
    """The id a page starts after, and its size; a token we did not issue or a size out of range is refused."""
    size = DEFAULT_PAGE_SIZE if page_size is None else page_size
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationException(f"pageSize must be between 1 and {MAX_PAGE_SIZE}.")
    try:
        return decode_marker(next_token), size
    except Exception:
        raise ValidationException("Invalid nextToken.") from None


def next_token(ids: Sequence[str], size: int) -> str | None:
    """The token of the page after one read with ``size + 1`` rows (``ids`` all of them), or None at the end."""
    return encode_marker(ids[size - 1]) if len(ids) > size else None


def check_tags(tags: Sequence[tuple[str, str]]) -> None:
    keys = [k for k, _ in tags]
    if len(set(keys)) != len(keys):
        raise ValidationException("Duplicate tag keys.")
    if any(k.lower().startswith("aws:") for k in keys):
        raise ValidationException("Tag keys starting with 'aws:' are reserved for AWS use.")
    if len(keys) > MAX_TAGS:
        raise TooManyTags(f"A resource can have at most {MAX_TAGS} tags.")
