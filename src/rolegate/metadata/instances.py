"""Registered instances: registering one with an instance profile, its join, its instance credential, its one
instance profile association (the EC2 operations), and the role credentials the service issues for it.

A registered instance is the platform's EC2 instance (issue 13, item 1; docs/adr/0038-registered-instances.md).
The operator registers it with a profile — authorized like RunInstances with an instance profile: the
registration action and ``iam:PassRole`` on the profile's role, passed to ``ec2.amazonaws.com`` — and receives a
join token (``join_tokens``), which the instance's agent trades once for an *instance credential*: a sealed
token that authenticates only RotateInstanceCredential and GetInstanceRoleCredentials, and only while the
instance is registered and the credential's generation is not revoked. GetInstanceRoleCredentials is EC2's
credential vending: the service assumes the profile's role as ``ec2.amazonaws.com`` with the session named
after the instance (``StsService.assume_role_for_instance``).

The association operations follow the EC2 API reference (AssociateIamInstanceProfile,
DescribeIamInstanceProfileAssociations, ReplaceIamInstanceProfileAssociation, DisassociateIamInstanceProfile)
and its error codes (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). rolegate has
no asynchronous launch, so an association is ``associated`` as soon as it is made, and a removed one is
answered once as ``disassociated`` and is then gone. Each is authorized here, not at the endpoint: the
resource is the association's instance (known only once the association is read) and ``iam:PassRole`` is on
the profile's role (known only once the profile is read) — Service Authorization Reference, "Actions,
resources, and condition keys for Amazon EC2": the actions act on ``arn:aws:ec2:REGION:ACCOUNT:instance/ID``;
attaching or replacing a role needs ``iam:PassRole`` too (EC2 User Guide, "Grant permissions to attach an IAM
role to an instance", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/permission-to-pass-iam-roles.html),
checked with ``iam:AssociatedResourceArn`` = the instance's ARN. A denial is an ``AccessDenied`` like any other;
EC2's codec answers it in EC2's words, ``UnauthorizedOperation`` (docs/adr/0039-ec2-query-dialect.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from rolegate.authz import Authorizer, RequestContext, denial_message, session_limits
from rolegate.authz.claims import INSTANCE, SessionClaims
from rolegate.authz.operations import Resource, resource_tag_keys
from rolegate.core.arns import parse_arn
from rolegate.core.errors import (AccessDenied, ClientError, ConcurrentModification, InvalidClientTokenId,
                                  InvalidParameterValue)
from rolegate.core.pagination import decode_marker, encode_marker
from rolegate.core.stamped_cache import StampedCache
from rolegate.iam.entities import InstanceProfileRecord, RoleRecord
from rolegate.iam.tags import check_new_tags
from rolegate.store.invalidation import Snapshot, Stamp
from rolegate.store.ports import DuplicateKeyError
from rolegate.sts.sessions import IssuedSession, StsService
from rolegate.sts.tokens import INVALID_TOKEN

from . import join_tokens
from .entities import AssociationRecord, InstanceRecord, instance_arn
from .ports import InstanceStore, InstanceTransaction

__all__ = ["ASSOCIATED", "ASSOCIATING", "DISASSOCIATED", "DISASSOCIATING", "STATES", "Association",
           "IncorrectState", "InstanceRoleCredentials", "InstanceService", "InstanceSummary",
           "InvalidAssociationIdNotFound", "InvalidInstanceIdMalformed", "InvalidInstanceIdNotFound",
           "InvalidPaginationToken", "InvalidParameterCombination", "JoinedInstance", "RegisteredInstance",
           "instance_arn"]

# EC2's IamInstanceProfileAssociationState.
ASSOCIATING, ASSOCIATED, DISASSOCIATING, DISASSOCIATED = "associating", "associated", "disassociating", "disassociated"
STATES = (ASSOCIATING, ASSOCIATED, DISASSOCIATING, DISASSOCIATED)
#: IMDS role credentials: EC2 issues them for several hours and offers new ones "at least five minutes before
#: the expiration of the old credentials" (EC2 User Guide, "Retrieve security credentials from instance
#: metadata", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html);
#: observed lifetimes are about six hours. rolegate issues six hours (docs/adr/0038-registered-instances.md).
DEFAULT_ROLE_SESSION = dt.timedelta(hours=6)
#: The instance credential's own lifetime (rolegate's choice): the agent rotates it well before.
DEFAULT_INSTANCE_CREDENTIAL_LIFETIME = dt.timedelta(hours=24)
# DescribeIamInstanceProfileAssociations: "Valid range: Minimum value of 5. Maximum value of 1000."
_MIN_RESULTS, _MAX_RESULTS = 5, 1000
_LIST_DEFAULT, _LIST_MAX = 100, 1000  # ListInstances (rolegate's): IAM's paging defaults
_MAX_TAGS = 50  # EC2: "Maximum number of tags per resource – 50" (EC2 User Guide, "Tag restrictions")
_ASSOCIATION_PREFIX = "iip-assoc-"
_REGISTER = "rolegate-instances:RegisterInstance"
_EC2_PASSED_TO = "ec2.amazonaws.com"


class InvalidInstanceIdMalformed(ClientError):
    code = "InvalidInstanceID.Malformed"


class InvalidInstanceIdNotFound(ClientError):
    code = "InvalidInstanceID.NotFound"


class InvalidAssociationIdNotFound(ClientError):
    code = "InvalidAssociationID.NotFound"


class IncorrectState(ClientError):
    code = "IncorrectState"


class InvalidParameterCombination(ClientError):
    code = "InvalidParameterCombination"


class InvalidPaginationToken(ClientError):
    code = "InvalidPaginationToken"


@dataclass(frozen=True, slots=True)
class Association:
    """An IamInstanceProfileAssociation as EC2 returns it."""

    association_id: str
    instance_id: str
    profile_arn: str
    profile_id: str
    state: str  # ASSOCIATING | ASSOCIATED | DISASSOCIATING | DISASSOCIATED
    timestamp: dt.datetime


@dataclass(frozen=True, slots=True)
class RegisteredInstance:
    instance: InstanceRecord
    join_token: str  # shown once: only its hash is stored
    association: Association


@dataclass(frozen=True, slots=True)
class InstanceSummary:
    instance: InstanceRecord
    association: Association | None


@dataclass(frozen=True, slots=True)
class JoinedInstance:
    instance: InstanceRecord
    credential: IssuedSession


class _Vending(NamedTuple):
    """What vending an instance's role credentials reads from the store, kept under the account's stamp."""

    instance: InstanceRecord | None
    association: AssociationRecord | None
    profile: InstanceProfileRecord | None
    role: RoleRecord | None


@dataclass(frozen=True, slots=True)
class InstanceRoleCredentials:
    """What an instance's agent serves: its association's profile and role, and a role session when there is
    a role to assume; ``last_updated`` is when this answer was made."""

    instance_id: str
    account_id: str
    profile_arn: str | None
    profile_id: str | None
    role: RoleRecord | None
    session: IssuedSession | None
    last_updated: dt.datetime


class InstanceService:
    def __init__(self, store: InstanceStore, sts: StsService, authorizer: Authorizer, *,
                 role_session: dt.timedelta = DEFAULT_ROLE_SESSION,
                 credential_lifetime: dt.timedelta = DEFAULT_INSTANCE_CREDENTIAL_LIFETIME) -> None:
        self._store = store
        self._sts = sts
        self._authz = authorizer
        self._role_session = role_session
        self._credential_lifetime = credential_lifetime
        # (account, instance) -> (oldest valid, newest) generation, or None when not registered; valid while the
        # account's stamp holds, and every write to an instance moves it, so deregistration is seen at once.
        self._generations: StampedCache[tuple[str, str], Stamp, tuple[int, int] | None] = StampedCache(100_000)
        # (account, instance) -> what vending its role credentials reads (instance, association, profile, role),
        # under the same stamp: every write to an instance, an association, a profile or a role moves it.
        self._vending: StampedCache[tuple[str, str], Stamp, _Vending] = StampedCache(100_000)

    # --- registering (rolegate-instances) ------------------------------------------------------------------

    def register(self, request: RequestContext, profile_name: str, *, tags: Sequence[tuple[str, str]] = (),
                 join_token_ttl: dt.timedelta = join_tokens.DEFAULT_JOIN_TOKEN_TTL) -> RegisteredInstance:
        """A new instance, associated with the profile at once, and its join token. The endpoint authorized
        ``rolegate-instances:RegisterInstance``; ``iam:PassRole`` on the profile's role is checked here, before
        anything is written, as RunInstances checks it for an instance profile."""
        check_new_tags(tags)
        if len(tags) > _MAX_TAGS:
            raise InvalidParameterValue(f"The number of tags must be at most {_MAX_TAGS}.")
        token, state = join_tokens.issue_join_token(request.timestamp, join_token_ttl)
        with self._store.read() as tx:
            profile, role = _profile_by_name(tx, request.account_id, profile_name)
        instance = InstanceRecord(account_id=request.account_id, instance_id=join_tokens.new_instance_id(),
                                  partition=request.partition, region=request.region, created_at=request.timestamp,
                                  join_token=state, tags=tuple(tags))
        if role is not None:
            self._authz.check_pass_role(request, role.arn, _EC2_PASSED_TO, associated_resource=instance.arn)
        association = _new_association(instance, profile, request.timestamp)
        with self._store.write() as uow:
            uow.instances.create(instance)
            uow.instances.associate(association)
        return RegisteredInstance(instance, token, _associated(association))

    def list_instances(self, request: RequestContext, *, next_token: str | None = None,
                       max_results: int | None = None) -> tuple[list[InstanceSummary], str | None]:
        limit = _LIST_DEFAULT if max_results is None else max_results
        if not 1 <= limit <= _LIST_MAX:
            raise InvalidParameterValue(f"MaxResults must be between 1 and {_LIST_MAX}.")
        after = _after(next_token)
        with self._store.read() as tx:
            rows = tx.instances.page(request.account_id, after, limit + 1)
            page = rows[:limit]
            found = tx.instances.associations(request.account_id, association_ids=(),
                                              instance_ids=[i.instance_id for i in page], after=None,
                                              limit=len(page) or 1)
        by_instance = {a.instance_id: _associated(a) for a in found}
        token = encode_marker(page[-1].instance_id) if len(rows) > limit else None
        return [InstanceSummary(i, by_instance.get(i.instance_id)) for i in page], token

    def deregister(self, request: RequestContext, instance_id: str) -> None:
        """The instance and its association are deleted; its instance credentials stop authenticating with the
        next request (the store's write moves the account's stamp, which ``credential_is_current`` reads)."""
        _check_instance_id(instance_id)
        with self._store.write() as uow:
            if uow.instances.get(request.account_id, instance_id) is None:
                raise _instance_not_found(instance_id)
            uow.instances.delete(request.account_id, instance_id)

    # --- the instance credential ---------------------------------------------------------------------------

    def join(self, request: RequestContext, token: str) -> JoinedInstance:
        """The instance credential (generation 1) for a join token, which is redeemed in the same write
        transaction, by a conditional update: of two agents racing one token exactly one wins."""
        token = token.strip()
        with self._store.write() as uow:
            instance = uow.instances.by_join_token(join_tokens.hash_join_token(token))
            join_tokens.redeem(instance.join_token if instance is not None else None, token, request.now)
            assert instance is not None  # redeem refuses an unknown token
            if not uow.instances.redeem_join_token(instance.account_id, instance.instance_id, request.timestamp):
                join_tokens.redeem(None, token, request.now)  # another transaction redeemed it first: refused
        joined = dataclasses.replace(
            instance, join_token=dataclasses.replace(instance.join_token, redeemed=True), credential_generation=1,
            oldest_valid_generation=1, joined_at=request.timestamp)
        return JoinedInstance(joined, self._credential(request, joined, 1))

    def rotate_credential(self, request: RequestContext) -> IssuedSession:
        """A new instance credential for the calling instance. The presented one keeps working until its own
        expiry, so the agent can switch safely; every older generation is revoked."""
        claims = _instance_claims(request)
        with self._store.write() as uow:
            instance = uow.instances.get(claims.account_id, claims.principal_id)
            if instance is None or claims.generation < instance.oldest_valid_generation:
                raise InvalidClientTokenId(INVALID_TOKEN)  # deregistered (or revoked) since it authenticated
            if not uow.instances.rotate_credential(instance.account_id, instance.instance_id,
                                                   instance.credential_generation, claims.generation):
                raise ConcurrentModification("The instance credential was rotated concurrently; retry.")
        return self._credential(request, instance, instance.credential_generation + 1)

    def credential_is_current(self, snapshot: Snapshot, claims: SessionClaims) -> bool:
        """Whether an (already opened, unexpired) instance credential still authenticates: its instance is
        registered and its generation is neither revoked nor beyond the newest issued. One stamp read on a
        cache hit."""
        key = (claims.account_id, claims.principal_id)

        def read() -> tuple[int, int] | None:
            with self._store.read() as tx:
                found = tx.instances.get(claims.account_id, claims.principal_id)
            return (found.oldest_valid_generation, found.credential_generation) if found is not None else None

        generations = self._generations.get_or_build(key, snapshot.stamp(claims.account_id), read)
        return generations is not None and generations[0] <= claims.generation <= generations[1]

    def role_credentials(self, request: RequestContext) -> InstanceRoleCredentials:
        """The calling instance's profile, role and a session for it (none without an association, a profile
        that still exists or a role in it). The role's trust policy must allow ec2.amazonaws.com."""
        claims = _instance_claims(request)

        def read() -> _Vending:
            with self._store.read() as tx:
                found = tx.instances.get(claims.account_id, claims.principal_id)
                if found is None:
                    return _Vending(None, None, None, None)
                linked = tx.instances.association_for(found.account_id, found.instance_id)
                return _Vending(found, linked, *(_associated_profile(tx, linked) if linked is not None
                                                 else (None, None)))

        instance, association, profile, role = self._vending.get_or_build(
            (claims.account_id, claims.principal_id), request.snapshot.stamp(claims.account_id), read)
        if instance is None:
            raise InvalidClientTokenId(INVALID_TOKEN)
        now = request.timestamp
        if association is None:
            return InstanceRoleCredentials(instance.instance_id, instance.account_id, None, None, None, None, now)
        session = None
        if profile is not None and role is not None:
            session = self._sts.assume_role_for_instance(
                request, role.arn, instance.instance_id, instance_arn=instance.arn,
                duration_seconds=int(self._role_session.total_seconds()))
        return InstanceRoleCredentials(instance.instance_id, instance.account_id, association.profile_arn,
                                       association.profile_id, role if session is not None else None, session, now)

    # --- associations (EC2) ---------------------------------------------------------------------------------

    def associate(self, request: RequestContext, instance_id: str, *, profile_name: str | None,
                  profile_arn: str | None) -> Association:
        _check_instance_id(instance_id)
        with self._store.read() as tx:
            instance = tx.instances.get(request.account_id, instance_id)
        self._authorize_ec2(request, "ec2:AssociateIamInstanceProfile", instance_id, instance)
        if instance is None:
            raise _instance_not_found(instance_id)
        profile = self._passable_profile(request, profile_name, profile_arn, instance.arn)
        association = _new_association(instance, profile, request.timestamp)
        with self._store.write() as uow:
            if uow.instances.get(request.account_id, instance_id) is None:
                raise _instance_not_found(instance_id)
            try:
                uow.instances.associate(association)
            except DuplicateKeyError:
                raise IncorrectState(f"There is an existing association for instance {instance_id}") from None
        return _associated(association)

    def describe_associations(self, request: RequestContext, *, association_ids: Sequence[str] = (),
                              instance_ids: Sequence[str] = (), states: Sequence[str] = (),
                              max_results: int | None = None, next_token: str | None = None,
                              ) -> tuple[list[Association], str | None]:
        self._authorize_ec2(request, "ec2:DescribeIamInstanceProfileAssociations", None, None)
        if max_results is not None and not _MIN_RESULTS <= max_results <= _MAX_RESULTS:
            raise InvalidParameterValue(f"Value ( {max_results} ) for parameter maxResults is invalid. "
                                        f"Expecting a value between {_MIN_RESULTS} and {_MAX_RESULTS}.")
        after = _after(next_token, pagination=True)
        limit = max_results or _MAX_RESULTS
        if states and ASSOCIATED not in states:
            return [], None  # every association rolegate keeps is associated; a filter value matches or not
        with self._store.read() as tx:
            rows = tx.instances.associations(request.account_id, association_ids=association_ids,
                                             instance_ids=instance_ids, after=after, limit=limit + 1)
        if association_ids and after is None:
            found = {a.association_id for a in rows}
            missing = [a for a in association_ids if a not in found]
            if missing:
                raise _association_not_found(missing[0])
        token = encode_marker(rows[limit - 1].association_id) if len(rows) > limit else None
        return [_associated(a) for a in rows[:limit]], token

    def replace_association(self, request: RequestContext, association_id: str, *, profile_name: str | None,
                            profile_arn: str | None) -> Association:
        current = self._association(request, association_id)
        with self._store.read() as tx:
            instance = tx.instances.get(request.account_id, current.instance_id)
        self._authorize_ec2(request, "ec2:ReplaceIamInstanceProfileAssociation", current.instance_id, instance)
        profile = self._passable_profile(request, profile_name, profile_arn, instance.arn if instance is not None
                                         else instance_arn(request.partition, request.region, request.account_id,
                                                           current.instance_id))
        new = AssociationRecord(_new_association_id(), current.account_id, current.instance_id, profile.arn,
                                profile.instance_profile_id, request.timestamp)
        with self._store.write() as uow:
            if not uow.instances.replace_association(request.account_id, association_id, new):
                raise _association_not_found(association_id)
        return _associated(new)

    def disassociate(self, request: RequestContext, association_id: str) -> Association:
        current = self._association(request, association_id)
        with self._store.read() as tx:
            instance = tx.instances.get(request.account_id, current.instance_id)
        self._authorize_ec2(request, "ec2:DisassociateIamInstanceProfile", current.instance_id, instance)
        with self._store.write() as uow:
            if not uow.instances.disassociate(request.account_id, association_id):
                raise _association_not_found(association_id)
        return Association(current.association_id, current.instance_id, current.profile_arn, current.profile_id,
                           DISASSOCIATED, request.timestamp)

    # --- helpers ---------------------------------------------------------------------------------------------

    def _credential(self, request: RequestContext, instance: InstanceRecord, generation: int) -> IssuedSession:
        return self._sts.issue_instance_credential(
            request, account_id=instance.account_id, instance_id=instance.instance_id,
            instance_arn=instance.arn, generation=generation, lifetime=self._credential_lifetime)

    def _association(self, request: RequestContext, association_id: str) -> AssociationRecord:
        with self._store.read() as tx:
            found = tx.instances.association(request.account_id, association_id)
        if found is None:
            raise _association_not_found(association_id)
        return found

    def _authorize_ec2(self, request: RequestContext, action: str, instance_id: str | None,
                       instance: InstanceRecord | None) -> None:
        """``action`` on the instance's ARN (``*`` for Describe), as EC2 decides it; AccessDenied."""
        caller = request.signed_caller()
        session_limits(caller, action)
        if caller.principal_type == "Account":
            return  # the root user may do anything in its own account
        arn = "*" if instance_id is None else instance.arn if instance is not None else instance_arn(
            caller.partition, request.region, caller.account_id, instance_id)
        context = resource_tag_keys("instance", instance.tags) if instance is not None else {}
        decision = self._authz.decide(caller, action, (Resource(arn, caller.account_id, None),), context,
                                      request=request)
        if not decision.is_allowed:
            raise AccessDenied(denial_message(caller, action, arn, decision))

    def _passable_profile(self, request: RequestContext, name: str | None, arn: str | None,
                          instance: str) -> InstanceProfileRecord:
        """The profile named by name or ARN, once the caller may pass its role to EC2 for ``instance`` (ARN)."""
        with self._store.read() as tx:
            profile, role = _profile_by_spec(tx, request.account_id, name, arn)
        if role is not None:
            self._authz.check_pass_role(request, role.arn, _EC2_PASSED_TO, associated_resource=instance)
        return profile


def _instance_claims(request: RequestContext) -> SessionClaims:
    caller = request.signed_caller()
    claims = caller.session
    if claims is None or claims.kind != INSTANCE:
        raise AccessDenied(f"User: {caller.arn} is not authorized to perform this operation: only an instance "
                           "credential may call it")
    return claims


def _profile_by_name(tx: InstanceTransaction, account_id: str,
                     name: str) -> tuple[InstanceProfileRecord, RoleRecord | None]:
    profile = tx.instance_profiles.get_by_name(account_id, name)
    if profile is None:
        raise InvalidParameterValue(f"Value ({name}) for parameter iamInstanceProfile.name is invalid. "
                                    "Invalid IAM Instance Profile name")
    return profile, _role_of(tx, profile)


def _profile_by_spec(tx: InstanceTransaction, account_id: str, name: str | None,
                     arn: str | None) -> tuple[InstanceProfileRecord, RoleRecord | None]:
    """EC2's IamInstanceProfileSpecification: a name or an ARN (both: they must name one profile)."""
    if name is None and arn is None:
        raise ClientError("The request must contain the parameter iamInstanceProfile.name or "
                          "iamInstanceProfile.arn", code="MissingParameter")
    if arn is None:
        assert name is not None
        return _profile_by_name(tx, account_id, name)
    parsed = parse_arn(arn)
    by_arn = None
    if parsed is not None and parsed.service == "iam" and parsed.account == account_id \
            and parsed.resource.startswith("instance-profile/"):
        by_arn = tx.instance_profiles.get_by_name(account_id, parsed.resource.rsplit("/", 1)[-1])
    if by_arn is None or by_arn.arn != arn:
        raise InvalidParameterValue(f"Value ({arn}) for parameter iamInstanceProfile.arn is invalid. "
                                    "Invalid IAM Instance Profile ARN")
    if name is not None and name != by_arn.name:
        raise InvalidParameterCombination("The parameters iamInstanceProfile.name and iamInstanceProfile.arn "
                                          "name different instance profiles")
    return by_arn, _role_of(tx, by_arn)


def _role_of(tx: InstanceTransaction, profile: InstanceProfileRecord) -> RoleRecord | None:
    return tx.roles.get_by_name(profile.account_id, profile.role_name) if profile.role_name else None


def _associated_profile(tx: InstanceTransaction,
                        association: AssociationRecord) -> tuple[InstanceProfileRecord | None, RoleRecord | None]:
    """The association's profile as it is now (None once deleted, or replaced by another of that name) and its
    role: deleting a profile an instance uses is allowed, as on AWS, and leaves the instance without credentials."""
    name = association.profile_arn.rsplit("/", 1)[-1]
    profile = tx.instance_profiles.get_by_name(association.account_id, name)
    if profile is None or profile.instance_profile_id != association.profile_id:
        return None, None
    return profile, _role_of(tx, profile)


def _new_association(instance: InstanceRecord, profile: InstanceProfileRecord, now: dt.datetime) -> AssociationRecord:
    return AssociationRecord(_new_association_id(), instance.account_id, instance.instance_id, profile.arn,
                             profile.instance_profile_id, now)


def _new_association_id() -> str:
    return _ASSOCIATION_PREFIX + secrets.token_hex(9)[:17]


def _associated(record: AssociationRecord) -> Association:
    return Association(record.association_id, record.instance_id, record.profile_arn, record.profile_id, ASSOCIATED,
                       record.created_at)


def _check_instance_id(instance_id: str) -> None:
    if not join_tokens.is_instance_id(instance_id):
        raise InvalidInstanceIdMalformed(f'Invalid id: "{instance_id}" (expecting "i-...")')


def _instance_not_found(instance_id: str) -> InvalidInstanceIdNotFound:
    return InvalidInstanceIdNotFound(f"The instance ID '{instance_id}' does not exist")


def _association_not_found(association_id: str) -> InvalidAssociationIdNotFound:
    return InvalidAssociationIdNotFound(f"The association ID '{association_id}' does not exist")


def _after(token: str | None, *, pagination: bool = False) -> str | None:
    """The id a page starts after; a token this service did not issue (it re-encodes differently) is refused."""
    try:
        after = decode_marker(token)
    except ClientError:
        after = None
    if token is None or (after is not None and encode_marker(after) == token):
        return after
    if pagination:
        raise InvalidPaginationToken(f"Invalid pagination token: {token}")
    raise InvalidParameterValue("Invalid NextToken.")
