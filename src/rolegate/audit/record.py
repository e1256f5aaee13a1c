"""One request's audit record in CloudTrail's record format: the fields, their meaning, and how they are filled.

The record follows "CloudTrail record contents for management, data, and network activity events"
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html)
and the ``userIdentity`` element
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
``FIELDS`` and ``USER_IDENTITY_FIELDS`` are the tables ``docs/audit.md`` is generated from
(``scripts/generate_audit_doc.py``; ``tests/audit/test_audit_doc.py`` fails when it is stale).

Nothing here knows HTTP or a botocore model: the server's recorder (``rolegate.server.audit_recorder``) reads
the request and hands this module plain values already in the record's form (``recorded``: member names in
camelCase, the members the model marks ``sensitive`` and every secret value replaced by ``HIDDEN``).
``finish`` then blanks every secret the request carried or produced wherever it still appears in the record's
text — inside a longer string — so a value that slipped past the model's traits never reaches a sink.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
import uuid
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rolegate.authz import Caller

from . import record_json

__all__ = ["CREDENTIAL_MEMBERS", "EVENT_VERSION", "FIELDS", "HIDDEN", "USER_IDENTITY_FIELDS", "ROLEGATE_DENIAL_FIELD",
           "ROLEGATE_UNRECORDED_FIELD", "Request", "camel_keys", "encoded_records", "event_id", "event_source", "finish",
           "finish_encoded", "is_read_only",
           "recorded_name", "record_time", "records_for", "request_half", "user_identity", "waits_for_record"]

EVENT_VERSION = "1.11"
# What CloudTrail writes in place of a value it will not record (record contents, "requestParameters").
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
# A rolegate choice: CloudTrail has no field for the reason of a denial; ours is named so no reader mistakes it
# for one of CloudTrail's.
ROLEGATE_DENIAL_FIELD = "rolegateDenialReason"
# Also rolegate's: a record committed with its change whose response half never followed (the server stopped in
# between) says so, rather than passing for a call that answered nothing (docs/adr/0041).
ROLEGATE_UNRECORDED_FIELD = "rolegateResponseUnrecorded"

#: (field, meaning) of every top-level field rolegate writes, in the order it writes them.
FIELDS: tuple[tuple[str, str], ...] = (
    ("eventVersion", f"the record format's version (`{EVENT_VERSION}`)"),
    ("userIdentity", "who made the request (table below); absent fields are omitted, as CloudTrail does"),
    ("eventTime", "when the request was answered, UTC, `YYYY-MM-DDTHH:MM:SSZ`"),
    ("eventSource", "the service: `iam.amazonaws.com`, `sts.amazonaws.com`, … (the model's endpoint prefix)"),
    ("eventName", "the operation (`CreateRole`, `AssumeRole`, …)"),
    ("awsRegion", "the region the request was signed for (`us-east-1` for an unsigned or unreadable one)"),
    ("sourceIPAddress", "the client's address as the server saw it"),
    ("userAgent", "the request's `User-Agent` header"),
    ("errorCode", "the AWS error code, for a refused request only"),
    ("errorMessage", "the AWS error message, for a refused request only"),
    ("requestParameters", "the request's parameters, member names in camelCase; secret members are "
                          f"`{HIDDEN}`; `null` when the request could not be read"),
    ("responseElements", "the response's members, camelCase; secrets never appear (session tokens and secret "
                         f"keys are `{HIDDEN}`); `null` for a refused request"),
    ("requestID", "the request id the client saw (`x-amzn-RequestId`, `<RequestId>`)"),
    ("eventID", "a unique id of this record"),
    ("readOnly", "whether the operation only reads (`Get…`, `List…`, … and STS's credential calls, as CloudTrail "
                 "marks them)"),
    ("eventType", "`AwsApiCall`"),
    ("managementEvent", "`true`: every rolegate operation is a management event"),
    ("recipientAccountId", "the account this copy of the record belongs to"),
    ("sharedEventID", "for a cross-account AssumeRole: the id shared by the caller's and the role's copies"),
    ("eventCategory", "`Management`"),
    ("tlsDetails", "when the request came over TLS: `tlsVersion` (`TLSv1.3`), `cipherSuite` (OpenSSL's name, "
                   "`TLS_AES_256_GCM_SHA384`) and `clientProvidedHostHeader`"),
    (ROLEGATE_DENIAL_FIELD, "rolegate's own field: for an `AccessDenied`, the decision's explanation"),
    (ROLEGATE_UNRECORDED_FIELD, "rolegate's own field: `true` on a record committed with its change whose "
                                "response (`responseElements`, `errorCode`) was never recorded, because the "
                                "server stopped in between"),
)

#: (field, meaning) of ``userIdentity``.
USER_IDENTITY_FIELDS: tuple[tuple[str, str], ...] = (
    ("type", "`Root`, `IAMUser`, `AssumedRole`, `FederatedUser`, `WebIdentityUser`, `SAMLUser` or `AWSService`; "
             "rolegate's own `Instance` for a registered instance's instance credential "
             "(docs/adr/0038-registered-instances.md)"),
    ("principalId", "the account id (root), user id (`AIDA…`), `<role id>:<session name>`, or the instance id"),
    ("arn", "the caller's ARN"),
    ("accountId", "the caller's account"),
    ("accessKeyId", "the access key the request was signed with"),
    ("userName", "the IAM user's name (type `IAMUser`)"),
    ("sessionContext", "for temporary credentials: `sessionIssuer` (type, principalId, arn, accountId, userName), "
                       "`attributes` (`creationDate`, `mfaAuthenticated`), `sourceIdentity`"),
    ("webIdFederationData", "for `AssumeRoleWithWebIdentity`: `federatedProvider` and `attributes`"),
    ("identityProvider", "for `AssumeRoleWithSAML` / web identity: the provider the caller came from"),
    ("invokedBy", "for a service principal (`AWSService`): the service"),
)

# Operations that only read. CloudTrail marks STS's credential calls read-only too (they change no resource);
# rolegate still makes their records durable before the response, since they hand out credentials.
_READ_PREFIXES = ("Get", "List", "Describe", "Lookup", "Simulate", "Decode")
_READ_ONLY_STS = frozenset({"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "AssumeRoot",
                            "GetCallerIdentity", "GetSessionToken", "GetFederationToken", "GetAccessKeyInfo",
                            "DecodeAuthorizationMessage"})
_UNSIGNED_IDENTITY_TYPE = {"AssumeRoleWithWebIdentity": "WebIdentityUser", "AssumeRoleWithSAML": "SAMLUser"}


@dataclass(frozen=True, slots=True)
class Request:
    """What the observer knows of a request once it is answered, in plain values."""

    request_id: str
    event_source: str  # "iam.amazonaws.com"
    event_name: str
    service: str  # botocore's service name ("iam", "sts")
    time: dt.datetime
    region: str
    source_ip: str | None
    user_agent: str | None
    caller: Caller | None
    params: Mapping[str, Any] | None  # in the record's form: camelCase, sensitive members and secrets HIDDEN
    result: Mapping[str, Any] | None  # the same
    error_code: str | None
    error_message: str | None
    denial_reason: str | None
    secure: bool
    host: str | None
    tls_version: str | None  # what the connection negotiated, when the server knows it
    cipher_suite: str | None
    secrets: Iterable[str]  # every secret the request carried or produced (``rolegate.core.redaction``)


def event_source(endpoint_prefix: str) -> str:
    """CloudTrail's ``eventSource`` for a service's endpoint prefix (``iam`` → ``iam.amazonaws.com``)."""
    return f"{endpoint_prefix}.amazonaws.com"


def is_read_only(service: str, operation: str) -> bool:
    if service == "sts":
        return operation in _READ_ONLY_STS
    return operation.startswith(_READ_PREFIXES)


#: Output members that hand out credentials: STS's ``Credentials``, Roles Anywhere CreateSession's ``credentialSet``.
CREDENTIAL_MEMBERS = frozenset({"Credentials", "credentialSet"})


def waits_for_record(operation: str, output_members: Iterable[str]) -> bool:
    """Whether a success must have its record committed before the response: every change (an operation whose
    name does not say it only reads) and every credential issuance (its output has a credential member).
    A refused call changed nothing, so its record may be buffered like a read's."""
    return not operation.startswith(_READ_PREFIXES) or not CREDENTIAL_MEMBERS.isdisjoint(output_members)


_NAMES: dict[str, str] = {}


def recorded_name(member: str) -> str:
    """A member's name as CloudTrail writes it: its first letter lowered (``RoleName`` → ``roleName``)."""
    found = _NAMES.get(member)
    if found is None:
        found = member[:1].lower() + member[1:]
        if len(_NAMES) < 4096:  # member names come from the models; bounded all the same
            _NAMES[member] = found
    return found


def camel_keys(value: Any, secrets: Container[str] = ()) -> Any:
    """``value`` in the record's form without a model to go by: every mapping key's name as ``recorded_name``
    writes it, blobs and every string that is one of ``secrets`` as ``HIDDEN``, datetimes as ``record_time``
    (CloudTrail's ``Mon DD, YYYY, HH:MM:SS AM`` is not kept: ISO 8601)."""
    if type(value) is str:
        return HIDDEN if value in secrets else value
    if isinstance(value, (int, float)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {recorded_name(k) if isinstance(k, str) else k: camel_keys(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [camel_keys(v, secrets) for v in value]
    if isinstance(value, dt.datetime):
        return record_time(value)
    if isinstance(value, bytes):
        return HIDDEN  # blobs are keys, certificates' private halves or tokens: never recorded raw
    if isinstance(value, str):
        return HIDDEN if str(value) in secrets else value
    return value


def record_time(when: dt.datetime) -> str:
    """A time as the record writes it: UTC, to the second, ``YYYY-MM-DDTHH:MM:SSZ``."""
    if when.tzinfo is not dt.timezone.utc:
        when = when.astimezone(dt.timezone.utc)
    return when.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def user_identity(caller: Caller | None, operation: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``userIdentity`` element for ``caller`` (``None``: an unsigned federation call, identified by what
    it presented)."""
    if caller is None:
        kind = _UNSIGNED_IDENTITY_TYPE.get(operation, "Unknown")
        found: dict[str, Any] = {"type": kind}
        if kind == "WebIdentityUser" and params is not None:
            provider = params.get("providerId")
            found["identityProvider"] = provider if isinstance(provider, str) else "unknown"
        elif kind == "SAMLUser" and params is not None:
            principal = params.get("principalArn")
            if isinstance(principal, str):
                found["identityProvider"] = principal
        return found
    if caller.principal_type == "Account" and caller.session is None:
        found = {"type": "Root", "principalId": caller.account_id, "arn": caller.arn,
                 "accountId": caller.account_id}
    elif caller.principal_type == "User" and caller.session is None:
        found = {"type": "IAMUser", "principalId": caller.user_id, "arn": caller.arn,
                 "accountId": caller.account_id}
        if caller.user_name:
            found["userName"] = caller.user_name
    else:
        found = {"type": _session_type(caller), "principalId": caller.user_id, "arn": caller.arn,
                 "accountId": caller.account_id}
    if caller.access_key_id:
        found["accessKeyId"] = caller.access_key_id
    claims = caller.session
    if claims is not None:
        issuer_type = {"AssumedRole": "Role", "FederatedUser": "IAMUser", "User": "IAMUser",
                       "Instance": "Instance"}.get(claims.kind, "Root")
        issuer = {"type": issuer_type, "principalId": claims.principal_id, "arn": claims.principal_arn,
                  "accountId": claims.account_id}
        if claims.principal_name:
            issuer["userName"] = claims.principal_name
        context: dict[str, Any] = {
            "sessionIssuer": issuer,
            "webIdFederationData": {},
            "attributes": {"creationDate": record_time(claims.issued_at),
                           "mfaAuthenticated": "true" if claims.mfa_authenticated_at is not None else "false"},
        }
        if claims.source_identity:
            context["sourceIdentity"] = claims.source_identity
        found["sessionContext"] = context
    return found


def _session_type(caller: Caller) -> str:
    if caller.principal_type == "AssumedRole":
        return "AssumedRole"
    if caller.principal_type in ("FederatedUser", "Instance"):
        return caller.principal_type
    return "Root" if caller.principal_type == "Account" else "IAMUser"


def request_half(request: Request, *, read_only: bool) -> list[dict[str, Any]]:
    """The records as far as they are known before the call is handled: everything but the response, marked
    ``ROLEGATE_UNRECORDED_FIELD`` until ``records_for`` (given them as ``seed``) completes them."""
    records = records_for(request, read_only=read_only)
    for record in records:
        record[ROLEGATE_UNRECORDED_FIELD] = True
    return records


def records_for(request: Request, *, read_only: bool,
                seed: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The request's records (``encoded_records`` without their JSON)."""
    return [record for record, _ in encoded_records(request, read_only=read_only, seed=seed)]


def encoded_records(request: Request, *, read_only: bool,
                    seed: list[dict[str, Any]] | None = None) -> list[tuple[dict[str, Any], str]]:
    """The request's records, each with its JSON text: one, or for a cross-account AssumeRole that succeeded, one for the caller's account
    and one for the role's, sharing ``sharedEventID`` (CloudTrail's "Cross-account events" in the record
    contents). A refused one is the caller's account's only: its ``RoleArn`` may name an account rolegate does not
    hold, and a copy there would let any caller grow the trail's tree with accounts of its own invention
    (docs/adr/0042-audit-log-files-and-digests.md). With ``seed`` (``request_half``'s records of this request)
    the records keep its ids and time, so the completed record replaces the one committed with the change."""
    caller = request.caller
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": user_identity(caller, request.event_name, request.params),
        "eventTime": seed[0]["eventTime"] if seed else record_time(request.time),
        "eventSource": request.event_source,
        "eventName": request.event_name,
        "awsRegion": request.region,
        "sourceIPAddress": request.source_ip or "unknown",
        "userAgent": request.user_agent or "",
    }
    if request.error_code is not None:
        record["errorCode"] = request.error_code
        record["errorMessage"] = request.error_message or ""
    record["requestParameters"] = request.params
    record["responseElements"] = request.result if request.error_code is None and request.result else None
    record["requestID"] = request.request_id
    record["eventID"] = seed[0]["eventID"] if seed else event_id()
    record["readOnly"] = read_only
    record["eventType"] = "AwsApiCall"
    record["managementEvent"] = True
    record["recipientAccountId"] = caller.account_id if caller is not None else _role_account(request) or ""
    record["eventCategory"] = "Management"
    if request.secure:
        # CloudTrail's tlsDetails ("CloudTrail record contents": tlsVersion, cipherSuite,
        # clientProvidedHostHeader); the first two only when the server read them from the connection, since a
        # record must not claim values nobody read.
        tls: dict[str, str] = {}
        if request.tls_version:
            tls["tlsVersion"] = request.tls_version
        if request.cipher_suite:
            tls["cipherSuite"] = request.cipher_suite
        tls["clientProvidedHostHeader"] = request.host or ""
        record["tlsDetails"] = tls
    if request.denial_reason is not None:
        record[ROLEGATE_DENIAL_FIELD] = request.denial_reason
    records = [record]
    role_account = _role_account(request)
    if (caller is not None and request.error_code is None and role_account is not None
            and role_account != caller.account_id):
        pair = seed if seed is not None and len(seed) == 2 else None
        shared = pair[0]["sharedEventID"] if pair else str(uuid.uuid4())
        other = dict(record, eventID=pair[1]["eventID"] if pair else event_id(),
                     recipientAccountId=role_account, sharedEventID=shared)
        record["sharedEventID"] = shared
        records.append(other)
    return [finish_encoded(r, request.secrets) for r in records]


# The random part of event ids. An eventID is no secret (the records carry it, LookupEvents filters on it): it
# must be unique, not unpredictable, so a generator seeded from the OS serves, at a tenth of a system call's cost
# per id. Seeded again in every forked worker, so that no two processes draw the same sequence.
_ids = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _ids.seed(os.urandom(32)))


def event_id() -> str:
    """A new eventID: a UUID, as CloudTrail's are, of version 7 (RFC 9562 §5.7: the Unix time in milliseconds,
    then 74 random bits). Ids made one after another sort together, so the store's unique index on them grows at
    its end instead of dirtying a random page of it for every record a commit carries."""
    bits = _ids.getrandbits(74)
    # unix_ts_ms (48) | ver = 7 (4) | rand_a (12) | var = 0b10 (2) | rand_b (62)
    value = (time.time_ns() // 1_000_000) << 80 | 0x7 << 76 | (bits >> 62) << 64 | 0x2 << 62 | bits & (1 << 62) - 1
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _role_account(request: Request) -> str | None:
    if not request.event_name.startswith("AssumeRole") or request.params is None:
        return None
    arn = request.params.get("roleArn")
    if not isinstance(arn, str):
        return None
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


def finish(record: dict[str, Any], secrets: Iterable[str]) -> dict[str, Any]:
    """``record`` with every one of ``secrets`` replaced by ``HIDDEN`` wherever it appears, as JSON would write it."""
    return finish_encoded(record, secrets)[0]


def finish_encoded(record: dict[str, Any], secrets: Iterable[str]) -> tuple[dict[str, Any], str]:
    """``finish``, and the finished record's JSON text (compact, as the store and the files keep it)."""
    text, spelling = record_json.encode(record)
    changed = False
    for secret in sorted(set(secrets), key=len, reverse=True):
        encoded = spelling(secret)  # as the encoder that wrote the record writes it
        if encoded and encoded in text:
            text = text.replace(encoded, HIDDEN)
            changed = True
    if not changed:
        return record, text
    loaded: dict[str, Any] = record_json.loads(text)
    return loaded, text
