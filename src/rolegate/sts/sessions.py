"""Session issuance: AssumeRole, GetSessionToken, GetFederationToken, GetAccessKeyInfo, and revoking a role's
sessions, with STS's rules and messages (STS API reference, each operation; IAM User Guide, "Using IAM
roles" → "Role chaining", "Pass session tags in AWS STS", "Monitor and control actions taken with assumed
roles" (source identity), "Revoking IAM role temporary security credentials").

Whether a caller may assume a role is one question to the decision service (``rolegate.authz``): the role's
trust policy plus the assume keys, with the caller's identity policies. Every domain method receives the
request's ``RequestContext`` (caller, time, region, invalidation snapshot). Nothing per session is stored:
the token carries the claims.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rolegate.authz import Authorizer, Caller, RequestContext, TrustedResource, session_limits
from rolegate.authz.operations import assume_context
from rolegate.core import ids, telemetry
from rolegate.core.arns import parse_arn, partition_of_arn
from rolegate.core.bookkeeping import Bookkeeping
from rolegate.core.coalescing import Coalescer
from rolegate.core.clock import Clock
from rolegate.core.stamped_cache import StampedCache
from rolegate.core.errors import (
    AccessDenied,
    ClientError,
    InvalidIdentityToken,
    InvalidParameterValue,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)
from rolegate.federation import oidc
from rolegate.federation.jwks import KeyCache
from rolegate.iam.entities import OidcProviderRecord, RoleRecord, SamlProviderRecord
from rolegate.policy import check_iam_document
from rolegate.store.invalidation import Snapshot, Stamp

from . import tokens
from rolegate.federation.saml_assertion import SamlAssertion

from .saml import (SamlChecks, _metadata, _saml_duration, _saml_session_name, _saml_source_identity, _saml_tags,
                   name_qualifier, replay_key, saml_context)
from .mfa import MfaService
from .ports import SessionStore
from .packed_size import PackedTooLarge, check_packed_size
from .tokens import SessionClaims, SessionCodec


class PackedPolicyTooLarge(ClientError):
    code = "PackedPolicyTooLarge"


@dataclass(frozen=True, slots=True)
class WebIdentitySession:
    """AssumeRoleWithWebIdentity's answer: the session and what the token said."""

    session: IssuedSession
    subject: str  # SubjectFromWebIdentityToken: the token's sub
    provider: str  # the provider URL as IAM stores it
    audience: str


@dataclass(frozen=True, slots=True)
class WebIdentity:
    """What web identity federation needs: the account's OIDC providers by ARN, and their signing keys."""

    provider: Callable[[str], OidcProviderRecord | None]
    keys: KeyCache
    memo: oidc.SignatureMemo = field(default_factory=oidc.SignatureMemo)


def web_identity_keys(url: str, provider_arn: str, token: oidc.VerifiedToken) -> dict[str, str | list[str]]:
    """The trust policy's keys from the token (IAM User Guide, "Available keys for AWS OIDC federation",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif):
    ``URL:aud`` (``azp`` when present), ``URL:oaud`` (the ``aud`` values then), ``URL:sub``, ``URL:amr`` and
    ``aws:FederatedProvider`` (the provider's ARN)."""
    out: dict[str, str | list[str]] = {f"{url}:aud": token.audience, f"{url}:sub": token.subject,
                                       "aws:FederatedProvider": provider_arn}
    if "azp" in token.claims:
        out[f"{url}:oaud"] = list(token.audiences)
    if token.amr:
        out[f"{url}:amr"] = list(token.amr)
    return out


@dataclass(frozen=True, slots=True)
class IssuedSession:
    claims: SessionClaims
    secret_access_key: str
    session_token: str
    packed_policy_size: int | None  # percent; None when no session policy or tag was passed

    @property
    def access_key_id(self) -> str:
        return self.claims.access_key_id

    @property
    def expiration(self) -> dt.datetime:
        return self.claims.expires_at


@dataclass(frozen=True, slots=True)
class SamlSession:
    """An AssumeRoleWithSAML session and what the response reports of its assertion."""

    issued: IssuedSession
    assertion: SamlAssertion
    name_qualifier: str


# Durations (STS API reference): AssumeRole 900 s up to the role's MaxSessionDuration, 1 hour when chaining;
# GetSessionToken and GetFederationToken up to 129,600 s, 43,200 s by default, root user at most 3,600 s.
MIN_DURATION = 900
CHAINED_MAX = 3600
LONG_DEFAULT = 43_200
ROOT_MAX = 3600
MAX_SESSION_POLICY_ARNS = 10
# "The plaintext that you use for both inline and managed session policies can't exceed 2,048 characters"
# (STS API reference, AssumeRole: Policy, https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
# GetFederationToken's model states it; AssumeRole's newer model does not, so the rule is checked here for
# every variant, before the policy is parsed or packed.
MAX_SESSION_POLICY_CHARS = 2048
REVOKE_POLICY_NAME = "AWSRevokeOlderSessions"
EC2_SERVICE_PRINCIPAL = "ec2.amazonaws.com"  # whom a role trusts to issue an instance profile's credentials
CHAINING_LIMIT = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
ROLE_LIMIT = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
ROOT_CANNOT_ASSUME = "Roles may not be assumed by root accounts."
DEFAULT_LAST_USED_INTERVAL = dt.timedelta(minutes=5)

PolicyExists = Callable[[str, str], bool]  # (account id, policy ARN) -> visible managed policy?


class StsService:
    def __init__(self, store: SessionStore, clock: Clock, codec: SessionCodec, mfa: MfaService, *,
                 policy_exists: PolicyExists, authorizer: Authorizer,
                 last_used_interval: dt.timedelta = DEFAULT_LAST_USED_INTERVAL,
                 web_identity: WebIdentity | None = None, saml: SamlChecks | None = None,
                 bookkeeping: Bookkeeping[Any] | None = None) -> None:
        self._store = store
        self._clock = clock
        # RoleLastUsed is written here, off the request (``rolegate.core.bookkeeping``); None: written in line.
        self._bookkeeping = bookkeeping
        self._codec = codec
        self._mfa = mfa
        self._policy_exists = policy_exists
        self._authz = authorizer
        self._interval = last_used_interval
        self._web_identity = web_identity
        self._saml = saml or SamlChecks()
        self._role_use: dict[str, dt.datetime] = {}  # role id -> last use this process wrote
        self._role_use_lock = threading.Lock()
        # Roles by (account, lower-cased name), valid while the role's account's generation stays the same:
        # every change to a role (trust policy, deletion, tags) moves it (``store.sql_generation``).
        self._roles: StampedCache[tuple[str, str], Stamp, RoleRecord | None] = StampedCache(10_000, name=telemetry.ASSUMED_ROLES)
        # Identity providers by ARN, valid while their account's generation stays the same (as roles above).
        self._providers: StampedCache[str, Stamp, OidcProviderRecord | None] = StampedCache(
            1_000, name=telemetry.FEDERATION_PROVIDERS)
        self._saml_providers: StampedCache[str, Stamp, SamlProviderRecord | None] = StampedCache(
            1_000, name=telemetry.FEDERATION_PROVIDERS)
        # SAML replay records: the redemptions that arrive together are recorded in one write transaction
        # (a lean transaction of three statements) instead of one each; each caller still waits for its commit.
        self._redemptions: Coalescer[tuple[str, dt.datetime, dt.datetime], bool] = Coalescer(
            self._record_redemptions)

    @property
    def codec(self) -> SessionCodec:
        """The token codec, which request authentication shares to open session tokens."""
        return self._codec

    # --- AssumeRole --------------------------------------------------------------------------------

    def assume_role(self, request: RequestContext, role_arn: str, session_name: str, *,
                    duration_seconds: int | None = None, policy: str | None = None,
                    policy_arns: Sequence[str] = (), tags: Sequence[tuple[str, str]] = (),
                    transitive_tag_keys: Sequence[str] = (), external_id: str | None = None,
                    serial_number: str | None = None, token_code: str | None = None,
                    source_identity: str | None = None) -> IssuedSession:
        caller = request.signed_caller()
        if caller.principal_type == "Account":
            raise AccessDenied(ROOT_CANNOT_ASSUME)
        session_limits(caller, "sts:AssumeRole")  # federated users may not (the rule is authz's)
        prior = caller.session
        chained = prior is not None and prior.kind == tokens.ASSUMED_ROLE
        if duration_seconds is not None and chained and duration_seconds > CHAINED_MAX:
            raise ValidationError(CHAINING_LIMIT)
        role = self._role(request.snapshot, role_arn)
        if role is None or partition_of_arn(role.arn) != request.partition:
            # AWS does not reveal whether a role exists: a missing role is refused like an untrusted one. A
            # role in another partition is missing here: each partition's IAM is its own (ADR 0022).
            raise AccessDenied(_not_authorized(caller, "sts:AssumeRole", role_arn))
        duration = duration_seconds if duration_seconds is not None else 3600
        if duration > role.max_session_duration:
            raise ValidationError(ROLE_LIMIT)
        now = _whole_second(request.now)
        inherited = prior.transitive_tags() if chained and prior is not None else ()
        all_tags, transitive, packed = self._session_inputs(role, policy, policy_arns, tags, transitive_tag_keys,
                                                            inherited)
        source = _source_identity(source_identity, prior)

        mfa_at = prior.mfa_authenticated_at if prior is not None else None
        mfa_verified = serial_number is not None or token_code is not None
        if mfa_verified:
            mfa_at = self._mfa.verify(request, _caller_user_id(caller), serial_number, token_code)
        context = assume_context(session_name, role.tags, tags=tags, transitive_tag_keys=transitive_tag_keys,
                                 external_id=external_id, source_identity=source, mfa_verified=mfa_verified)
        # "Permissions required to add session tags": sts:TagSession in the trust policy; "Permissions
        # required to set source identity": sts:SetSourceIdentity, also when it is passed on through a chain.
        actions = ["sts:AssumeRole", *(["sts:TagSession"] if tags else []),
                   *(["sts:SetSourceIdentity"] if source is not None else [])]
        self._authz.trust(request, TrustedResource(role.arn, role.account_id, role.trust_policy), actions, context)

        return self._role_session(request, role, session_name, now + dt.timedelta(seconds=duration), policy=policy,
                                  policy_arns=policy_arns, tags=all_tags, transitive=transitive, source=source,
                                  mfa_at=mfa_at, chained=chained, packed=packed, channel=telemetry.ASSUME_ROLE)

    # --- AssumeRoleWithWebIdentity -----------------------------------------------------------------

    def assume_role_with_web_identity(self, request: RequestContext, role_arn: str, session_name: str,
                                      token: str, *, duration_seconds: int | None = None,
                                      policy: str | None = None,
                                      policy_arns: Sequence[str] = ()) -> WebIdentitySession:
        """STS API reference, AssumeRoleWithWebIdentity
        (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html); each check
        in order is in docs/spec/federation.md, "Web identity (OIDC)"."""
        if self._web_identity is None:
            raise InvalidIdentityToken("Web identity federation is not configured on this server.")
        # botocore sends the token file as read, trailing newline included.
        token = token.strip()
        role = self._role(request.snapshot, role_arn)
        action = "sts:AssumeRoleWithWebIdentity"
        if role is None:
            raise AccessDenied(f"Not authorized to perform {action}")
        partition = partition_of_arn(role.arn)
        issuer = oidc.unverified_issuer(token)
        if not issuer.startswith("https://"):
            raise InvalidIdentityToken("The iss claim must start with https://")
        url = issuer[len("https://"):]
        provider_arn = f"arn:{partition}:iam::{role.account_id}:oidc-provider/{url}"
        provider = self._cached_provider(request.snapshot, role.account_id, provider_arn)
        if provider is None:
            raise InvalidIdentityToken(f"No OpenIDConnect provider found in your account for {issuer}")
        verified = oidc.verify(token, provider_url=provider.url, client_ids=provider.client_ids,
                               keys=self._web_identity.keys, now=request.now, memo=self._web_identity.memo,
                               thumbprints=provider.thumbprints)
        duration = duration_seconds if duration_seconds is not None else 3600
        if duration > role.max_session_duration:
            raise ValidationError(ROLE_LIMIT)
        tags, transitive_keys = oidc.session_tags(verified.claims)
        all_tags, transitive, packed = self._session_inputs(role, policy, policy_arns, tags, transitive_keys, ())
        source = _source_identity(oidc.source_identity(verified.claims), None)
        context = assume_context(session_name, role.tags, tags=tags, transitive_tag_keys=transitive_keys,
                                 source_identity=source)
        context.update(web_identity_keys(provider.url, provider_arn, verified))
        actions = [action, *(["sts:TagSession"] if tags else []),
                   *(["sts:SetSourceIdentity"] if source is not None else [])]
        self._authz.trust_federated(request, TrustedResource(role.arn, role.account_id, role.trust_policy),
                                    provider_arn, actions, context)
        now = _whole_second(request.now)
        issued = self._role_session(request, role, session_name, now + dt.timedelta(seconds=duration),
                                    policy=policy, policy_arns=policy_arns, tags=all_tags, transitive=transitive,
                                    source=source, mfa_at=None, chained=False, packed=packed,
                                    channel=telemetry.ASSUME_ROLE_WITH_WEB_IDENTITY,
                                    federated_provider=provider_arn)
        return WebIdentitySession(issued, verified.subject, provider.url, verified.audience)

    def web_identity_needs_idp(self, token: str) -> bool:
        """Whether AssumeRoleWithWebIdentity with ``token`` may have to fetch the provider's keys (and so wait on
        the network, up to the fetch timeout). When it may not, the call is CPU only: the keys are cached, and a
        token presented before costs no signature check (``oidc.SignatureMemo``), so the wire layer runs it on
        the event loop instead of paying for a thread (docs/adr/0028-federation.md)."""
        if self._web_identity is None:
            return False
        found = oidc.unverified_issuer_and_kid(token.strip())
        if found is None or not found[0].startswith("https://"):
            return False  # refused before any key is needed
        return self._web_identity.keys.would_fetch(found[0], found[1])

    def assume_role_for_certificate(self, request: RequestContext, role_arn: str, session_name: str, *,
                                    service_principal: str, duration_seconds: int,
                                    tags: Sequence[tuple[str, str]], source_identity: str,
                                    context: Mapping[str, str | list[str]], policy: str | None,
                                    policy_arns: Sequence[str]) -> IssuedSession:
        """A role session for a workload outside AWS that proved a certificate (IAM Roles Anywhere
        CreateSession, ``rolegate.anywhere.sessions``): the role's trust policy must allow
        ``service_principal`` ``sts:AssumeRole``, ``sts:TagSession`` and ``sts:SetSourceIdentity`` with
        ``context`` (aws:SourceArn, the certificate's aws:PrincipalTag/x509… keys), as the IAM Roles Anywhere
        User Guide's trust model requires; ``duration_seconds`` is capped by the role's MaxSessionDuration."""
        role = self._role(request.snapshot, role_arn)
        if role is None:
            raise AccessDenied(f"Not authorized to perform sts:AssumeRole on {role_arn}")
        all_tags, transitive, packed = self._session_inputs(role, policy, policy_arns, tags, (), ())
        keys = assume_context(session_name, role.tags, tags=tags, source_identity=source_identity)
        keys.update(context)
        self._authz.trust_federated(request, TrustedResource(role.arn, role.account_id, role.trust_policy),
                                    service_principal, ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                                    keys)
        duration = min(duration_seconds, role.max_session_duration)
        now = _whole_second(request.now)
        return self._role_session(request, role, session_name, now + dt.timedelta(seconds=duration),
                                  policy=policy, policy_arns=policy_arns, tags=all_tags, transitive=transitive,
                                  source=source_identity, mfa_at=None, chained=False, packed=packed,
                                  channel=telemetry.ROLES_ANYWHERE)

    def assume_role_for_instance(self, request: RequestContext, role_arn: str, instance_id: str, *,
                                 instance_arn: str, duration_seconds: int) -> IssuedSession:
        """A registered instance's role session, as EC2 issues one for an instance profile's role
        (``rolegate.metadata.instances``): the role's trust policy must allow the service principal
        ``ec2.amazonaws.com`` ``sts:AssumeRole`` (IAM User Guide, "Use an IAM role to grant permissions to
        applications running on Amazon EC2 instances"), with ``ec2:SourceInstanceARN`` and
        ``aws:SourceAccount`` (the instance's account) in the trust check's context. The session is named after
        the instance, so its ARN is ``assumed-role/ROLE/i-…``, and every request made with it carries
        ``ec2:SourceInstanceARN``. ``duration_seconds`` is not capped by the role's MaxSessionDuration, which
        bounds the AssumeRole API only (docs/adr/0038-registered-instances.md)."""
        role = self._role(request.snapshot, role_arn)
        if role is None:
            raise AccessDenied(f"Not authorized to perform sts:AssumeRole on {role_arn}")
        keys = assume_context(instance_id, role.tags)
        keys.update({"ec2:SourceInstanceARN": instance_arn, "aws:SourceAccount": role.account_id})
        self._authz.trust_federated(request, TrustedResource(role.arn, role.account_id, role.trust_policy),
                                    EC2_SERVICE_PRINCIPAL, ["sts:AssumeRole"], keys)
        now = _whole_second(request.now)
        return self._role_session(request, role, instance_id, now + dt.timedelta(seconds=duration_seconds),
                                  policy=None, policy_arns=(), tags=(), transitive=(), source=None, mfa_at=None,
                                  chained=False, packed=None, channel=telemetry.INSTANCE_METADATA,
                                  source_instance_arn=instance_arn)

    def issue_instance_credential(self, request: RequestContext, *, account_id: str, instance_id: str,
                                  instance_arn: str, generation: int, lifetime: dt.timedelta) -> IssuedSession:
        """A registered instance's own credential (rolegate's, docs/adr/0038-registered-instances.md): a sealed
        token of kind ``Instance`` naming the instance and the credential's generation. It authenticates only
        RotateInstanceCredential and GetInstanceRoleCredentials, and only while the store still holds the
        instance with that generation unrevoked (``rolegate.auth.authenticate``)."""
        now = _whole_second(request.now)
        claims = SessionClaims(
            kind=tokens.INSTANCE, account_id=account_id,
            access_key_id=ids.new_access_key_id(account_id, prefix=ids.SESSION_KEY), issued_at=now,
            expires_at=now + lifetime, principal_id=instance_id, principal_arn=instance_arn,
            principal_name=instance_id, generation=generation)
        sealed = self._codec.seal(claims)
        return IssuedSession(claims, sealed.secret_access_key, sealed.session_token, None)

    def _session_inputs(self, role: RoleRecord, policy: str | None, policy_arns: Sequence[str],
                        tags: Sequence[tuple[str, str]], transitive_tag_keys: Sequence[str],
                        inherited: Sequence[tuple[str, str]],
                        ) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...], int | None]:
        """The session policies checked, the session's tags and transitive keys, and the packed size."""
        self._check_session_policies(role.account_id, policy, policy_arns)
        all_tags, transitive = _session_tags(tags, transitive_tag_keys, inherited)
        return all_tags, transitive, self._packed(policy, policy_arns, all_tags, transitive)

    def _role_session(self, request: RequestContext, role: RoleRecord, session_name: str,
                      expires_at: dt.datetime, *, policy: str | None, policy_arns: Sequence[str],
                      tags: tuple[tuple[str, str], ...], transitive: tuple[str, ...], source: str | None,
                      mfa_at: dt.datetime | None, chained: bool, packed: int | None,
                      channel: str, federated_provider: str | None = None,
                      source_instance_arn: str | None = None) -> IssuedSession:
        """A role session, sealed: what every AssumeRole variant issues once the role trusts its caller
        (``channel``: which variant, for the credentials-issued metric)."""
        now = _whole_second(request.now)
        claims = SessionClaims(
            kind=tokens.ASSUMED_ROLE, account_id=role.account_id,
            access_key_id=ids.new_access_key_id(role.account_id, prefix=ids.SESSION_KEY),
            issued_at=now, expires_at=expires_at, principal_id=role.role_id,
            principal_arn=role.arn, principal_name=role.name, session_name=session_name, policy=policy,
            policy_arns=tuple(policy_arns), tags=tags, transitive_tag_keys=transitive,
            source_identity=source, mfa_authenticated_at=mfa_at, chained=chained,
            federated_provider=federated_provider, source_instance_arn=source_instance_arn)
        sealed = self._codec.seal(claims)
        telemetry.credentials_issued(channel)
        self._note_role_use(role, request.region)
        return IssuedSession(claims, sealed.secret_access_key, sealed.session_token, packed)

    # --- AssumeRoleWithSAML ------------------------------------------------------------------------

    def assume_role_with_saml(self, request: RequestContext, role_arn: str, principal_arn: str,
                              saml_assertion: str, *, duration_seconds: int | None = None,
                              policy: str | None = None, policy_arns: Sequence[str] = ()) -> SamlSession:
        """AssumeRoleWithSAML (unsigned): the assertion's checks (``rolegate.federation.saml_assertion``),
        then the role's trust in the provider, then the session (docs/spec/federation.md, "SAML")."""
        role = self._role(request.snapshot, role_arn)
        if parse_arn(principal_arn) is None or ":saml-provider/" not in principal_arn:
            raise ValidationError(f"{principal_arn} is invalid")
        provider = self._saml_provider(request.snapshot, principal_arn)
        if provider is None:
            # IAM User Guide, "Troubleshoot SAML federation with IAM": "Specified provider doesn't exist."
            raise InvalidIdentityToken("Specified provider doesn't exist.")
        now = _whole_second(request.now)
        if provider.valid_until is not None and provider.valid_until <= now:
            raise InvalidIdentityToken("The SAML provider's metadata document has expired (validUntil).")
        metadata = _metadata(provider.metadata_document)
        assertion = self._saml.verify(saml_assertion, provider.signing_certificates or metadata.signing_certificates,
                                      metadata.entity_id, request.now,
                                      private_keys=[k.pem for k in provider.private_keys],
                                      encryption_required=provider.assertion_encryption_mode == "Required")
        if role is None or (role_arn, principal_arn) not in assertion.role_pairs:
            # The Role attribute must name this very pair (IAM User Guide, "Role" SAML attribute); a role
            # that does not exist is refused alike, so nothing says whether it does.
            raise AccessDenied("Not authorized to perform sts:AssumeRoleWithSAML")
        if not self._saml.recipient_in_partition(assertion.recipient, partition_of_arn(role.arn)):
            raise InvalidIdentityToken("Invalid SAML response received: the Recipient is the sign-in endpoint of "
                                       "another partition.")
        session_name = _saml_session_name(assertion.session_name)
        duration = _saml_duration(duration_seconds, assertion.session_duration, role.max_session_duration)
        self._check_session_policies(role.account_id, policy, policy_arns)
        tags, transitive = _saml_tags(assertion.principal_tags, assertion.transitive_tag_keys)
        packed = self._packed(policy, policy_arns, tags, transitive)
        source = _source_identity(_saml_source_identity(assertion.source_identity), None)
        qualifier = name_qualifier(assertion.issuer, provider.account_id, provider.name)
        context = {**assume_context(session_name, role.tags, tags=tags, transitive_tag_keys=transitive,
                                    source_identity=source),
                   **saml_context(assertion, qualifier, provider.account_id, provider.name),
                   "aws:FederatedProvider": provider.arn}
        actions = ["sts:AssumeRoleWithSAML", *(["sts:TagSession"] if tags else []),
                   *(["sts:SetSourceIdentity"] if source is not None else [])]
        self._authz.trust_federated(request, TrustedResource(role.arn, role.account_id, role.trust_policy),
                                    principal_arn, actions, context)
        # Last, so a refused attempt does not use the assertion up: one redemption per assertion, on every
        # node, until it expires (SAML 2.0 profiles §4.1.4.5). Durable before the answer; concurrent
        # redemptions share one write (``_record_redemptions``).
        fresh = self._redemptions.call((replay_key(assertion), assertion.not_on_or_after + self._saml.skew, now))
        if not fresh:
            raise InvalidIdentityToken("Invalid SAML response received: the assertion has already been used.")
        issued = self._role_session(request, role, session_name, now + dt.timedelta(seconds=duration),
                                    policy=policy, policy_arns=policy_arns, tags=tags, transitive=transitive,
                                    source=source, mfa_at=None, chained=False, packed=packed,
                                    channel=telemetry.ASSUME_ROLE_WITH_SAML,
                                    federated_provider=provider.arn)
        return SamlSession(issued, assertion, qualifier)

    def _record_redemptions(self, claims: Sequence[tuple[str, dt.datetime, dt.datetime]]) -> list[bool]:
        """Record ``(replay key, expires at, now)`` claims in one write; whether each is the first redemption.
        Expired records are removed as of the earliest ``now``: a record one redemption's clock sees as expired
        may still be live for another's in the same batch."""
        return self._store.saml_assertions.claim_many([(key, expires) for key, expires, _ in claims],
                                                      min(now for _, _, now in claims))

    # --- GetSessionToken / GetFederationToken ------------------------------------------------------

    def get_session_token(self, request: RequestContext, *, duration_seconds: int | None = None,
                          serial_number: str | None = None, token_code: str | None = None) -> IssuedSession:
        caller = request.signed_caller()
        if caller.session is not None:
            raise AccessDenied("Cannot call GetSessionToken with session credentials")
        is_root = caller.principal_type == "Account"
        duration = _long_duration(duration_seconds, is_root)
        mfa_at = None
        if serial_number is not None or token_code is not None:
            mfa_at = self._mfa.verify(request, _caller_user_id(caller), serial_number, token_code)
        now = _whole_second(request.now)
        kind = tokens.ACCOUNT if is_root else tokens.USER
        claims = SessionClaims(
            kind=kind, account_id=caller.account_id,
            access_key_id=ids.new_access_key_id(caller.account_id, prefix=ids.SESSION_KEY), issued_at=now,
            expires_at=now + dt.timedelta(seconds=duration), principal_id=caller.user_id,
            principal_arn=caller.arn, principal_name="" if is_root else caller.arn.rsplit("/", 1)[-1],
            mfa_authenticated_at=mfa_at)
        sealed = self._codec.seal(claims)
        telemetry.credentials_issued(telemetry.GET_SESSION_TOKEN)
        return IssuedSession(claims, sealed.secret_access_key, sealed.session_token, None)

    def get_federation_token(self, request: RequestContext, name: str, *, duration_seconds: int | None = None,
                             policy: str | None = None, policy_arns: Sequence[str] = (),
                             tags: Sequence[tuple[str, str]] = ()) -> IssuedSession:
        caller = request.signed_caller()
        if caller.session is not None:
            raise AccessDenied("Cannot call GetFederationToken with session credentials")
        is_root = caller.principal_type == "Account"
        duration = _long_duration(duration_seconds, is_root)
        self._check_session_policies(caller.account_id, policy, policy_arns)
        all_tags, _ = _session_tags(tags, (), ())
        packed = self._packed(policy, policy_arns, tags)
        now = _whole_second(request.now)
        claims = SessionClaims(
            kind=tokens.FEDERATED_USER, account_id=caller.account_id,
            access_key_id=ids.new_access_key_id(caller.account_id, prefix=ids.SESSION_KEY), issued_at=now,
            expires_at=now + dt.timedelta(seconds=duration), principal_id=caller.user_id,
            principal_arn=caller.arn, principal_name=name, session_name=name, policy=policy,
            policy_arns=tuple(policy_arns), tags=all_tags)
        sealed = self._codec.seal(claims)
        telemetry.credentials_issued(telemetry.GET_FEDERATION_TOKEN)
        return IssuedSession(claims, sealed.secret_access_key, sealed.session_token, packed)

    # --- GetAccessKeyInfo --------------------------------------------------------------------------

    @staticmethod
    def access_key_account(access_key_id: str) -> str:
        """The account an access key id belongs to, read from the id itself, with no lookup (STS API
        reference, GetAccessKeyInfo)."""
        account = ids.account_of_access_key_id(access_key_id)
        if account is None:
            raise InvalidParameterValue(f"The access key ID '{access_key_id}' is not valid.")
        return account

    # --- revocation --------------------------------------------------------------------------------

    def revoke_sessions(self, request: RequestContext, role_name: str) -> str:
        """What the console's "Revoke active sessions" does: the inline policy ``AWSRevokeOlderSessions``
        denying everything to sessions issued before now. Returns the policy document written."""
        document = revocation_policy(request.now)
        with self._store.write() as tx:
            role = tx.roles.get_by_name(request.account_id, role_name)
            if role is None:
                raise NoSuchEntity(f"The role with name {role_name} cannot be found.")
            tx.roles.put_inline_policy(role.role_id, REVOKE_POLICY_NAME, document)
        return document

    # --- helpers -----------------------------------------------------------------------------------

    def _role(self, snapshot: Snapshot, role_arn: str) -> RoleRecord | None:
        parsed = parse_arn(role_arn)
        if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("role/"):
            raise ValidationError(f"{role_arn} is invalid")  # AssumeRole: a RoleArn that is no role ARN
        name = parsed.resource.rsplit("/", 1)[-1]
        role = self._cached_role(snapshot, parsed.account, name)
        # The ARN must name the role exactly (path and name as stored): ARNs are case-sensitive.
        return role if role is not None and role.arn == role_arn else None

    def _cached_role(self, snapshot: Snapshot, account_id: str, name: str) -> RoleRecord | None:
        stamp = snapshot.stamp(account_id)  # read first: the role read below is at least as new

        def read() -> RoleRecord | None:
            with self._store.read() as tx:
                return tx.roles.get_by_name(account_id, name)

        return self._roles.get_or_build((account_id, name.lower()), stamp, read)

    def _cached_provider(self, snapshot: Snapshot, account_id: str, arn: str) -> OidcProviderRecord | None:
        assert self._web_identity is not None
        lookup = self._web_identity.provider
        return self._providers.get_or_build(arn, snapshot.stamp(account_id), lambda: lookup(arn))

    def _saml_provider(self, snapshot: Snapshot, arn: str) -> SamlProviderRecord | None:
        """The provider, valid while its account's generation stays the same (every IAM change to a provider
        moves it), as roles are cached."""
        account = parse_arn(arn)
        stamp = snapshot.stamp(account.account if account is not None else "")

        def read() -> SamlProviderRecord | None:
            with self._store.read() as tx:
                return tx.saml_providers.get(arn)

        return self._saml_providers.get_or_build(arn, stamp, read)

    def _check_session_policies(self, account_id: str, policy: str | None, policy_arns: Sequence[str]) -> None:
        if policy is not None and len(policy) > MAX_SESSION_POLICY_CHARS:
            raise ValidationError(f"1 validation error detected: Value '{policy}' at 'policy' failed to satisfy "
                                  f"constraint: Member must have length less than or equal to "
                                  f"{MAX_SESSION_POLICY_CHARS}")
        if policy is not None:
            # The same grammar and order as IAM's documents (docs/spec/policy-validation.md, kind "session").
            check_iam_document(policy, "session")
        if len(policy_arns) > MAX_SESSION_POLICY_ARNS:
            raise ValidationError(f"1 validation error detected: Value at 'policyArns' failed to satisfy "
                                  f"constraint: Member must have length less than or equal to "
                                  f"{MAX_SESSION_POLICY_ARNS}")
        for arn in policy_arns:
            # Session policies by ARN must be managed policies the role's (or caller's) account can see.
            if not self._policy_exists(account_id, arn):
                raise MalformedPolicyDocument(f"Policy {arn} does not exist or is not attachable.")

    @staticmethod
    def _packed(policy: str | None, policy_arns: Sequence[str], tags: Sequence[tuple[str, str]],
                transitive: Sequence[str] = ()) -> int | None:
        """``PackedPolicySize`` of the session's policies and every tag it carries, inherited ones included
        (rolegate.sts.packed_size)."""
        try:
            return check_packed_size(policy, policy_arns, tags, transitive)
        except PackedTooLarge as exc:
            raise PackedPolicyTooLarge(exc.message) from None

    def _note_role_use(self, role: RoleRecord, region: str) -> None:
        """RoleLastUsed, written at most once per role per interval per process (the reasoning of
        ``AccessKeyService.record_use``): AWS documents last-used data as lagging, and a write per
        AssumeRole would serialize every issuance on the store."""
        now = self._clock.now().replace(microsecond=0)
        with self._role_use_lock:
            previous = max((t for t in (role.last_used_at, self._role_use.get(role.role_id)) if t), default=None)
            if previous is not None and now - previous < self._interval:
                return
            self._role_use[role.role_id] = now
        role_id = role.role_id
        if self._bookkeeping is not None:
            self._bookkeeping.submit(lambda tx: tx.role_usage.record(role_id, now, region))
            return
        try:
            with self._store.write() as tx:
                tx.role_usage.record(role.role_id, now, region)
        except Exception:  # bookkeeping must not fail an issued session
            with self._role_use_lock:
                self._role_use.pop(role.role_id, None)



def revocation_policy(now: dt.datetime) -> str:
    """The console's revocation policy (IAM User Guide, "Revoking IAM role temporary security credentials")."""
    stamp = now.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": ["*"], "Resource": ["*"],
        "Condition": {"DateLessThan": {"aws:TokenIssueTime": stamp}}}]})


def _not_authorized(caller: Caller, action: str, resource: str) -> str:
    return f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource}"


def _caller_user_id(caller: Caller) -> str | None:
    """The IAM user whose MFA device a code is checked against (None: root or a role session)."""
    if caller.principal_type == "User":
        return caller.session.principal_id if caller.session is not None else caller.user_id
    return None


def _whole_second(when: dt.datetime) -> dt.datetime:
    return when.replace(microsecond=0)


def _long_duration(requested: int | None, is_root: bool) -> int:
    if is_root:
        # "Sessions for AWS account owners are restricted to a maximum of 3,600 seconds (one hour). If the
        # duration is longer than one hour, the session for AWS account owners defaults to one hour."
        return min(requested if requested is not None else ROOT_MAX, ROOT_MAX)
    return requested if requested is not None else LONG_DEFAULT


def _session_tags(tags: Sequence[tuple[str, str]], transitive_keys: Sequence[str],
                  inherited: Sequence[tuple[str, str]]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The session's tags (inherited transitive ones first) and its transitive keys.

    IAM User Guide, "Pass session tags in AWS STS": tag keys are case-insensitive and unique; ``aws:`` is
    reserved; transitive keys must be keys of the session tags; "After you set a tag as transitive, ...
    you can't override its value" further down the chain.
    """
    seen: set[str] = set()
    for k, _ in tags:
        if k.lower().startswith("aws:"):
            raise InvalidParameterValue("Tag keys starting with 'aws:' are reserved for AWS use.")
        if k.lower() in seen:
            raise InvalidParameterValue("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        seen.add(k.lower())
    for key in transitive_keys:
        if key.lower() not in seen:
            raise InvalidParameterValue(f"The transitive tag key {key} is not one of the session tags.")
    inherited_keys = {k.lower() for k, _ in inherited}
    clash = [k for k, _ in tags if k.lower() in inherited_keys]
    if clash:
        raise InvalidParameterValue(f"The session tag key {clash[0]} is an inherited transitive tag and "
                                    f"cannot be overridden.")
    all_tags = (*inherited, *tags)
    transitive = (*(k for k, _ in inherited), *transitive_keys)
    return tuple(all_tags), tuple(dict.fromkeys(transitive))


def _source_identity(requested: str | None, prior: SessionClaims | None) -> str | None:
    """SourceIdentity: never ``aws:``-prefixed; once set in a chain it stays, and cannot be changed (IAM User
    Guide, "Monitor and control actions taken with assumed roles")."""
    if requested is not None and requested.lower().startswith("aws:"):
        raise ValidationError("SourceIdentity cannot start with the reserved prefix 'aws:'.")
    inherited = prior.source_identity if prior is not None else None
    if inherited is not None and requested is not None and requested != inherited:
        raise AccessDenied("The source identity of a role session cannot be changed once it is set.")
    return inherited if inherited is not None else requested
