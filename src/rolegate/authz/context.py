"""One request's context, and the global condition keys AWS puts in every request, built once per request.

``RequestContext`` is built by the endpoint once, after authentication: the caller, the request id, the HTTP
facts (``RequestMeta``), the region, the request's time (from the clock) and the request's invalidation
``Snapshot``. Everything that decides or stamps during the request — the endpoint's check, the trust check
inside AssumeRole, PassRole, the caches — reads these, so the request's time and generations are one.

Keys and their meaning: IAM User Guide, "AWS global condition context keys". Which keys a request carries
depends on the caller: ``aws:username`` only for IAM users; ``aws:TokenIssueTime``, ``aws:MultiFactorAuthPresent``
``aws:SourceIdentity`` (and ``aws:FederatedProvider`` for sessions a federated call issued) only for temporary credentials ("This key is not present when long-term credentials
are used" — for MFA, AWS leaves the key out for access keys and sets it "false" for sessions without MFA);
``aws:PrincipalTag/*`` from the user's tags, or for a role session the role's tags overlaid by the session's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rolegate.core import ids
from rolegate.core.arns import DEFAULT_PARTITION
from rolegate.store.invalidation import Snapshot

from .caller import Caller
from .facts import PrincipalPolicies

Context = dict[str, "str | list[str]"]


@dataclass(frozen=True, slots=True)
class RequestMeta:
    """Facts of the HTTP request the wire layer knows and authorization needs."""

    source_ip: str | None = None  # aws:SourceIp
    user_agent: str | None = None  # aws:UserAgent
    secure_transport: bool = False  # aws:SecureTransport: false over plain HTTP


NO_META = RequestMeta()


@dataclass(frozen=True, slots=True, eq=False)
class RequestContext:
    """What a domain method needs to know about the request it serves."""

    caller: Caller | None  # None only for unsigned operations
    request_id: str
    now: dt.datetime  # the request's time, from the clock: aws:CurrentTime, session issue times
    snapshot: Snapshot
    meta: RequestMeta = NO_META
    region: str = "us-east-1"
    actor: str | None = None  # set only by ``internal``: the part of rolegate acting without a caller
    internal_account_id: str | None = None  # the account an internal context acts in, if any
    internal_partition: str = DEFAULT_PARTITION  # that account's partition

    @classmethod
    def internal(cls, actor: str, account_id: str | None, now: dt.datetime, snapshot: Snapshot, *,
                 partition: str = DEFAULT_PARTITION) -> RequestContext:
        """The context of work rolegate does on its own behalf, not for an API caller: the server's bootstrap
        (``"rolegate-bootstrap"``), the command line (``"rolegate-cli"``), the ``--dev`` reset
        (``"rolegate-dev-reset"``). ``account_id`` is the account acted in (None when the work creates it).

        It has no caller, so it cannot pass for one: audit will see ``actor`` as the principal (no ARN, no
        access key, no source IP or user agent), a request id of its own beginning ``internal-``, the time
        ``now`` given by the actor's clock and ``account_id`` (in ``partition``) as the account."""
        return cls(caller=None, request_id=f"internal-{ids.new_request_id()}", now=now, snapshot=snapshot,
                   actor=actor, internal_account_id=account_id, internal_partition=partition)

    @property
    def account_id(self) -> str:
        """The account the request acts in: the caller's, or an internal context's own."""
        if self.caller is not None:
            return self.caller.account_id
        if self.internal_account_id is not None:
            return self.internal_account_id
        raise ValueError("this request acts in no account (unsigned, or internal without one)")

    @property
    def partition(self) -> str:
        """The partition of the account the request acts in: what every ARN the request builds carries."""
        if self.caller is not None:
            return self.caller.partition
        return self.internal_partition

    @property
    def timestamp(self) -> dt.datetime:
        """The request's time to the second: what entities created by the request record (IAM's dates
        carry no fraction)."""
        return self.now.replace(microsecond=0)

    @property
    def source_ip(self) -> str | None:
        return self.meta.source_ip

    @property
    def user_agent(self) -> str | None:
        return self.meta.user_agent

    @property
    def secure_transport(self) -> bool:
        return self.meta.secure_transport

    def signed_caller(self) -> Caller:
        """The caller of an operation that requires a signature (the endpoint refused unsigned requests)."""
        if self.caller is None:
            raise ValueError("an operation that requires a signature was served without a caller")
        return self.caller


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def global_context(caller: Caller, principal: PrincipalPolicies | None, meta: RequestMeta,
                   now: dt.datetime) -> Context:
    ctx: Context = {
        "aws:CurrentTime": iso(now),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:SecureTransport": "true" if meta.secure_transport else "false",
        "aws:PrincipalAccount": caller.account_id,
        "aws:PrincipalType": caller.principal_type,
        "aws:userid": caller.user_id,
        "aws:RequestedRegion": caller.region,
        "aws:PrincipalIsAWSService": "false",
        "aws:ViaAWSService": "false",
    }
    if meta.source_ip:
        ctx["aws:SourceIp"] = meta.source_ip
    if meta.user_agent:
        ctx["aws:UserAgent"] = meta.user_agent
    session = caller.session
    role_arn = session.role_arn if session is not None else None
    ctx["aws:PrincipalArn"] = role_arn or caller.arn
    if caller.principal_type == "User" and caller.user_name:
        ctx["aws:username"] = caller.user_name
    tags: dict[str, str] = {}
    if principal is not None and caller.principal_type in ("User", "AssumedRole"):
        tags.update(principal.tags)
    if session is not None:
        tags.update(session.tags)  # session tags win over the role's tags of the same key
        ctx["aws:TokenIssueTime"] = iso(session.issued_at)
        if session.mfa_authenticated_at is not None:
            ctx["aws:MultiFactorAuthPresent"] = "true"
            ctx["aws:MultiFactorAuthAge"] = str(max(0, int((now - session.mfa_authenticated_at).total_seconds())))
        else:
            ctx["aws:MultiFactorAuthPresent"] = "false"
        if session.source_identity:
            ctx["aws:SourceIdentity"] = session.source_identity
        if session.federated_provider is not None:
            # "When the resulting role session's temporary credentials are used to make a request, the request
            # context identifies the IdP that authenticated the original federated identity" (IAM User Guide,
            # "AWS global condition context keys", aws:FederatedProvider,
            # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-federatedprovider).
            ctx["aws:FederatedProvider"] = session.federated_provider
        if session.source_instance_arn is not None:
            # The ARN of the instance a request comes from, present in requests made with an instance's role
            # credentials (IAM User Guide, "AWS global condition context keys",
            # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-ec2-source-instance-arn).
            ctx["ec2:SourceInstanceARN"] = session.source_instance_arn
    for key, value in tags.items():
        ctx[f"aws:PrincipalTag/{key}"] = value
    return ctx
