"""Turning a signed request into a ``Caller``: parse the SigV4 claim, find the key, verify the signature.

Strict mode rejects unknown keys with ``InvalidClientTokenId`` and inactive keys likewise (IAM: an inactive
key stops authenticating at once). Long-term keys are read through the stamped cache that authorization
uses (``iam.effective_policies``), stamped by the request's invalidation ``Snapshot``: any change to a key
or its owner moves its account's generation, so the next request anywhere sees it, and a steady caller
costs one stamp read instead of two row reads — the read authorization then reuses. Temporary
credentials (``ASIA…`` with ``X-Amz-Security-Token``) are verified without the store: the token is opened
by the session codec, which also derives the secret the request must be signed with
(``rolegate.sts.tokens``). An instance credential (a session token of kind ``Instance``,
docs/adr/0038-registered-instances.md) is opened the same way and then checked against the store — its instance
still registered, its generation not revoked — through the instance service's stamped cache, so deregistering
an instance refuses its credential from the next request on. ``--dev`` accepts an unknown key without checking its signature, as the
default account's administrator IAM user (``rolegate-dev``), so that it behaves like a developer's own
credentials — the way local AWS emulators are used — and announces so loudly at start.

Every account lives in one partition, and its credentials work only there: a request signed for a region of
another partition (``rolegate.auth.partitions``) is refused as a key that partition's IAM does not know is —
``InvalidClientTokenId`` — whether the key is long-term, a session's or (in ``--dev``) unknown
(docs/adr/0022-partitions.md; https://docs.amazonaws.cn/en_us/aws/latest/userguide/general-info.html:
"Accounts and credentials for other Amazon Regions will not work for services operating in the China …
Regions").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import structlog

from rolegate.authz import Caller, SessionClaims, root_caller, session_caller
from rolegate.authz.claims import INSTANCE
from rolegate.core import ids
from rolegate.core.arns import DEFAULT_PARTITION, partition_of_arn
from rolegate.core.errors import InvalidClientTokenId, MissingAuthenticationToken
from rolegate.core.redaction import remember
from rolegate.iam.access_keys import AccessKeyService
from rolegate.iam.effective_policies import EffectivePolicies
from rolegate.store.invalidation import Invalidation, Snapshot
from rolegate.iam.entities import AccessKeyRecord, UserRecord
from rolegate.sts.tokens import SessionCodec

from .partitions import partition_of_region
from .sigv4 import HttpRequest, SigV4Credential, SigV4Verifier, parse_sigv4

UNKNOWN_KEY = "The security token included in the request is invalid."
MISSING_AUTH = "Request is missing Authentication Token"

log = structlog.get_logger("rolegate.auth")

#: Whether an opened instance credential still authenticates (``InstanceService.credential_is_current``).
InstanceCredentialCheck = Callable[[Snapshot, SessionClaims], bool]


class Authenticator:
    def __init__(self, keys: AccessKeyService, verifier: SigV4Verifier, *, cache: EffectivePolicies,
                 invalidation: Invalidation, dev: bool = False, default_account_id: str = "123456789012",
                 sessions: SessionCodec | None = None, dev_user: Callable[[], UserRecord | None] | None = None,
                 default_partition: str = DEFAULT_PARTITION,
                 instance_credentials: InstanceCredentialCheck | None = None) -> None:
        """``dev_user``: in ``--dev``, the administrator IAM user an unknown key acts as (read per request, so
        a user who deletes it gets the root user instead — the behaviour of older releases).
        ``default_partition``: the default account's partition, the only one ``--dev``'s unknown keys work in."""
        self._default_partition = default_partition
        self._instance_credentials = instance_credentials
        self._dev_user = dev_user
        self._keys = keys
        self._cache = cache
        self._invalidation = invalidation
        self._sessions = sessions
        self._verifier = verifier
        self._dev = dev
        self._default_account = default_account_id

    def authenticate(self, req: HttpRequest, form: Mapping[str, str], *, signature_required: bool,
                     snapshot: Snapshot | None = None) -> Caller | None:
        """The caller, or None for an unsigned request to an operation that needs no signature.

        ``snapshot`` is the request's: a long-term key is read against it, and authorization reuses it (a
        fresh one when the caller is authenticated alone)."""
        cred = parse_sigv4(req, form=form)
        if cred is not None:
            remember(cred.security_token)  # whatever happens next, no log line may carry it
        if cred is None:
            if signature_required:
                raise MissingAuthenticationToken(MISSING_AUTH)
            return None
        if cred.access_key_id.startswith(ids.SESSION_KEY):
            return self._authenticate_session(req, cred.access_key_id, cred, snapshot)
        if cred.security_token is not None and not self._dev:
            # A session token with a long-term key (a stale AWS_SESSION_TOKEN, typically).
            raise InvalidClientTokenId(UNKNOWN_KEY)
        owned = self._cache.credential(snapshot or Snapshot(self._invalidation), cred.access_key_id)
        if owned is None or owned.key.status != "Active":
            if self._dev and owned is None:
                return self._dev_caller(cred.access_key_id, cred.region)
            raise InvalidClientTokenId(UNKNOWN_KEY)
        key, user = owned.key, owned.user
        remember(key.secret_access_key)
        _require_partition(cred.region, owned.partition)
        self._verifier.verify(req, cred, key.secret_access_key)
        self._note_use(key, cred.service, cred.region)
        if user is None:
            return root_caller(key.account_id, key.access_key_id, cred.region, partition=owned.partition)
        return Caller(account_id=key.account_id, arn=user.arn, user_id=user.user_id, principal_type="User",
                      access_key_id=key.access_key_id, region=cred.region, user_name=user.name,
                      partition=owned.partition)

    def _authenticate_session(self, req: HttpRequest, access_key_id: str, cred: SigV4Credential,
                              snapshot: Snapshot | None) -> Caller:
        # A session key without its token, or with a token that does not open
        # under the key ring for this key id: all "invalid" in STS's words. An expired one: ExpiredToken.
        token = cred.security_token
        if self._sessions is None or token is None:
            if self._dev:
                return self._dev_caller(access_key_id, cred.region)
            raise InvalidClientTokenId(UNKNOWN_KEY)
        try:
            claims, secret = self._sessions.open(token, access_key_id)
        except InvalidClientTokenId:
            if self._dev:
                return self._dev_caller(access_key_id, cred.region)
            raise
        remember(secret)
        _require_partition(cred.region, claims.partition)
        self._verifier.verify(req, cred, secret)
        if claims.kind == INSTANCE and (self._instance_credentials is None or not self._instance_credentials(
                snapshot or Snapshot(self._invalidation), claims)):
            raise InvalidClientTokenId(UNKNOWN_KEY)  # deregistered, or a generation rotated away
        return session_caller(claims, cred.region)

    def _dev_caller(self, access_key_id: str, region: str) -> Caller:
        """``--dev``'s answer to an unknown key: the default account's administrator user, as a developer's own
        credentials would be — not the root user, which AWS forbids to assume roles (STS API reference,
        AssumeRole: "You cannot use AWS account root user credentials to call AssumeRole")."""
        if partition_of_region(region) != self._default_partition:
            # AWS's answer carries no hint; the developer who expected --dev to accept anything gets one here.
            log.warning("--dev refused an unknown key signed for a region outside the default account's partition; "
                        "set ROLEGATE_DEFAULT_ACCOUNT_PARTITION, or create an account there", region=region,
                        partition=partition_of_region(region), default_partition=self._default_partition)
            raise InvalidClientTokenId(UNKNOWN_KEY)
        user = self._dev_user() if self._dev_user is not None else None
        if user is None:
            return root_caller(self._default_account, access_key_id, region, dev_fallback=True,
                               partition=self._default_partition)
        return Caller(account_id=user.account_id, arn=user.arn, user_id=user.user_id, principal_type="User",
                      access_key_id=access_key_id, region=region, user_name=user.name, dev_fallback=True,
                      partition=partition_of_arn(user.arn))

    def _note_use(self, key: AccessKeyRecord, service: str, region: str) -> None:
        # Last use is bookkeeping: failing to record it must not refuse a correctly signed request.
        try:
            self._keys.record_use(key, service, region)
        except Exception:
            log.warning("could not record access key use", access_key_id=key.access_key_id, exc_info=True)


def _require_partition(region: str, partition: str) -> None:
    """Refuse a request signed for a region outside the credentials' partition: that partition's IAM, not
    this one, would know the key (https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/
    partitions.html: "You cannot use IAM credentials from one partition to interact with resources in a
    different partition")."""
    if partition_of_region(region) != partition:
        raise InvalidClientTokenId(UNKNOWN_KEY)
