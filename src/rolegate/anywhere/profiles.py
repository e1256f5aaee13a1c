"""Profiles: which roles a certificate may become through Roles Anywhere, for how long, with which session
policies and which certificate attributes as session tags (IAM Roles Anywhere API reference, CreateProfile …
DisableProfile, PutAttributeMapping, DeleteAttributeMapping).

Naming a role in a profile hands it to the service, so creating or updating a profile needs ``iam:PassRole``
on each role named, passed to ``rolesanywhere.amazonaws.com`` (Service Authorization Reference: CreateProfile
and UpdateProfile list iam:PassRole as a dependent action). A session policy must be a valid policy
document; managed policy ARNs are checked by the model's pattern only, as AWS does at this point.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rolegate.authz import Authorizer, RequestContext
from rolegate.core.arns import parse_arn
from rolegate.core.errors import AwsError
from rolegate.policy.document import parse_policy

from .common import anywhere_arn, check_tags, next_token, page_start, resource_id
from .documents import Documents
from .entities import DEFAULT_ATTRIBUTE_MAPPINGS, PROFILE, AttributeMappings, ProfileRecord
from .errors import ValidationException
from .ports import AnywhereStore

__all__ = ["DEFAULT_DURATION_SECONDS", "ProfilePage", "ProfileService", "SERVICE_PRINCIPAL"]

SERVICE_PRINCIPAL = "rolesanywhere.amazonaws.com"
#: A profile's session length when it names none (API reference, ProfileDetail: durationSeconds, "default
#: 3600").
DEFAULT_DURATION_SECONDS = 3600
#: UpdateProfile's model bounds sessionPolicy to 100,000 characters; CreateProfile's leaves it open, and the
#: same bound applies to both here.
MAX_SESSION_POLICY_CHARS = 100_000
#: Neither model bounds a field's mapping rules: rolegate keeps at most 50 per field (a rolegate choice; a
#: certificate has far fewer attributes), each at most 60 characters as MappingRule.specifier says.
MAX_MAPPING_RULES = 50
MAX_SPECIFIER_CHARS = 60
#: Specifiers of x509SAN that a mapping rule may name (User Guide, "Certificate attribute mapping").
_SAN_SPECIFIERS = frozenset({"DNS", "URI", "Name", "Name/*", "*"})


@dataclasses.dataclass(frozen=True, slots=True)
class ProfilePage:
    items: list[ProfileRecord]
    next_token: str | None


class ProfileService:
    def __init__(self, store: AnywhereStore, authorizer: Authorizer) -> None:
        self._store = store
        self._authorizer = authorizer

    def create(self, request: RequestContext, name: str, role_arns: Sequence[str], *,
               managed_policy_arns: Sequence[str] = (), session_policy: str | None = None,
               duration_seconds: int | None = None, enabled: bool = False,
               require_instance_properties: bool = False, accept_role_session_name: bool = False,
               tags: Sequence[tuple[str, str]] = (), alias_name: str | None = None,
               tip_configuration: Mapping[str, Any] | None = None) -> ProfileRecord:
        _unsupported(alias_name, tip_configuration)
        check_tags(tags)
        self._check_roles(request, role_arns)
        _check_session_policy(session_policy)
        profile_id = str(uuid.uuid4())
        caller = request.caller
        profile = ProfileRecord(
            account_id=request.account_id, profile_id=profile_id, arn=anywhere_arn(request, PROFILE, profile_id),
            name=name, enabled=enabled, created_by=caller.arn if caller is not None else request.actor or "",
            role_arns=tuple(role_arns), managed_policy_arns=tuple(managed_policy_arns), session_policy=session_policy,
            duration_seconds=duration_seconds or DEFAULT_DURATION_SECONDS,
            require_instance_properties=require_instance_properties,
            accept_role_session_name=accept_role_session_name, attribute_mappings=DEFAULT_ATTRIBUTE_MAPPINGS,
            created_at=request.timestamp, updated_at=request.timestamp, tags=tuple(tags))
        with self._store.write() as tx:
            Documents(tx.anywhere_documents).create(profile)
        return profile

    def get(self, request: RequestContext, identifier: str) -> ProfileRecord:
        with self._store.read() as tx:
            return Documents(tx.anywhere_documents).get(ProfileRecord, request.account_id,
                                                        resource_id(identifier, PROFILE))

    def list(self, request: RequestContext, *, token: str | None = None, page_size: int | None = None) -> ProfilePage:
        after, size = page_start(token, page_size)
        with self._store.read() as tx:
            rows = Documents(tx.anywhere_documents).page(ProfileRecord, request.account_id, after, size + 1)
        return ProfilePage(rows[:size], next_token([r.profile_id for r in rows], size))

    def update(self, request: RequestContext, identifier: str, *, name: str | None = None,
               role_arns: Sequence[str] | None = None, managed_policy_arns: Sequence[str] | None = None,
               session_policy: str | None = None, duration_seconds: int | None = None,
               accept_role_session_name: bool | None = None, alias_name: str | None = None,
               tip_configuration: Mapping[str, Any] | None = None) -> ProfileRecord:
        _unsupported(alias_name, tip_configuration)
        changes: dict[str, Any] = {}
        if role_arns is not None:
            self._check_roles(request, role_arns)
            changes["role_arns"] = tuple(role_arns)
        if session_policy is not None:
            _check_session_policy(session_policy)
            changes["session_policy"] = session_policy
        for key, value in (("name", name), ("duration_seconds", duration_seconds),
                           ("accept_role_session_name", accept_role_session_name)):
            if value is not None:
                changes[key] = value
        if managed_policy_arns is not None:
            changes["managed_policy_arns"] = tuple(managed_policy_arns)
        return self._change(request, identifier, lambda p: dataclasses.replace(p, **changes))

    def set_enabled(self, request: RequestContext, identifier: str, enabled: bool) -> ProfileRecord:
        return self._change(request, identifier, lambda p: dataclasses.replace(p, enabled=enabled))

    def delete(self, request: RequestContext, identifier: str) -> ProfileRecord:
        with self._store.write() as tx:
            docs = Documents(tx.anywhere_documents)
            profile = docs.get(ProfileRecord, request.account_id, resource_id(identifier, PROFILE))
            docs.delete(profile)
        return profile

    def put_attribute_mapping(self, request: RequestContext, identifier: str, field: str,
                              rules: Sequence[Mapping[str, Any]]) -> ProfileRecord:
        specifiers = tuple(str(r["specifier"]) for r in rules)
        _check_specifiers(specifiers)
        if field == "x509SAN":
            bad = [s for s in specifiers if s not in _SAN_SPECIFIERS and not s.startswith("Name/")]
            if bad:
                raise ValidationException(f"Invalid x509SAN specifier(s): {', '.join(bad)}.")

        def put(profile: ProfileRecord) -> ProfileRecord:
            mappings = dict(profile.attribute_mappings)
            current = list(mappings.get(field, ()))
            current += [s for s in specifiers if s not in current]
            mappings[field] = tuple(current)
            return dataclasses.replace(profile, attribute_mappings=_ordered(mappings))

        return self._change(request, identifier, put)

    def delete_attribute_mapping(self, request: RequestContext, identifier: str, field: str,
                                 specifiers: Sequence[str] | None) -> ProfileRecord:
        """The field's named specifiers go; without ``specifiers``, the whole field's mapping does."""
        _check_specifiers(specifiers or ())
        def drop(profile: ProfileRecord) -> ProfileRecord:
            mappings = dict(profile.attribute_mappings)
            if specifiers:
                left = tuple(s for s in mappings.get(field, ()) if s not in set(specifiers))
                if left:
                    mappings[field] = left
                else:
                    mappings.pop(field, None)
            else:
                mappings.pop(field, None)
            return dataclasses.replace(profile, attribute_mappings=_ordered(mappings))

        return self._change(request, identifier, drop)

    def _change(self, request: RequestContext, identifier: str,
                change: Callable[[ProfileRecord], ProfileRecord]) -> ProfileRecord:
        with self._store.write() as tx:
            docs = Documents(tx.anywhere_documents)
            profile = docs.get(ProfileRecord, request.account_id, resource_id(identifier, PROFILE))
            changed = dataclasses.replace(change(profile), updated_at=request.timestamp)
            docs.update(changed)
        return changed

    def _check_roles(self, request: RequestContext, role_arns: Sequence[str]) -> None:
        for arn in role_arns:
            parsed = parse_arn(arn)
            if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("role/"):
                raise ValidationException(f"Invalid role ARN: {arn}")
            if request.caller is not None:
                self._authorizer.check_pass_role(request, arn, SERVICE_PRINCIPAL)


def _ordered(mappings: Mapping[str, tuple[str, ...]]) -> AttributeMappings:
    order = {"x509Subject": 0, "x509Issuer": 1, "x509SAN": 2}
    return tuple(sorted(((f, s) for f, s in mappings.items() if s), key=lambda item: order.get(item[0], 9)))


def _check_specifiers(specifiers: Sequence[str]) -> None:
    if len(specifiers) > MAX_MAPPING_RULES:
        raise ValidationException(f"At most {MAX_MAPPING_RULES} mapping rules per certificate field.")
    if any(len(s) > MAX_SPECIFIER_CHARS for s in specifiers):
        raise ValidationException(f"A specifier is at most {MAX_SPECIFIER_CHARS} characters.")


def _check_session_policy(policy: str | None) -> None:
    if policy is None:
        return
    if len(policy) > MAX_SESSION_POLICY_CHARS:
        raise ValidationException(f"sessionPolicy must be at most {MAX_SESSION_POLICY_CHARS} characters.")
    try:
        parse_policy(policy)
    except AwsError as exc:
        raise ValidationException(f"Invalid session policy: {exc.message}") from None
    except ValueError as exc:
        raise ValidationException(f"Invalid session policy: {exc}") from None


def _unsupported(alias_name: str | None, tip_configuration: Mapping[str, Any] | None) -> None:
    if alias_name:
        raise ValidationException("Profile aliases are not supported by this service.")
    if tip_configuration is not None and tip_configuration.get("status") == "ENABLED":
        raise ValidationException("Trusted identity propagation (tipConfiguration) is not supported by this "
                                  "service.")
