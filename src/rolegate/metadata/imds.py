"""The EC2 instance metadata service as SDKs use it: IMDSv2 session tokens, the paths served and their bodies, and
when the agent renews what it serves (issue 13, item 2; docs/reference/workload-credential-protocols.md §0, §1).

Rules only: ``answer`` maps a GET's path and what the agent currently holds (a ``MetadataView``) to the status,
body and content type a real IMDS would send; the HTTP listener (``rolegate.agent.imds_app``) checks tokens and
writes the answer. Every body and timestamp follows the EC2 User Guide ("Retrieve security credentials from
instance metadata", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html;
"Instance identity documents", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-identity-documents.html):
JSON documents pretty-printed with ``" : "`` as IMDS prints them, timestamps ``YYYY-MM-DDTHH:MM:SSZ`` (botocore's
IMDS path parses exactly that form), ``text/plain`` for every answer as IMDS sends.

Session tokens are opaque to clients and kept by nobody: a token is its expiry and a random nonce, authenticated
with an HMAC under a key the process draws at start (``SessionTokens``). A restart therefore invalidates every
token, and SDKs that cache one re-fetch it on the 401 that follows, as they do on an instance after its token
expired; botocore fetches a new token for every credential retrieval anyway (reference §1).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import platform
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from rolegate.authz.context import iso

__all__ = ["MAX_TOKEN_TTL", "MIN_TOKEN_TTL", "TOKEN_HEADER", "TOKEN_TTL_HEADER", "Answer", "MetadataView",
           "RoleCredentials", "SessionTokens", "answer", "credential_document", "identity_document", "parse_ttl",
           "refresh_at", "BadTokenRequest"]

TOKEN_HEADER = "x-aws-ec2-metadata-token"
TOKEN_TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"
# The session token's TTL is one second to six hours (EC2 User Guide, "How Instance Metadata Service Version 2
# works": https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-v2-how-it-works.html).
MIN_TOKEN_TTL = 1
MAX_TOKEN_TTL = 21600
TEXT = "text/plain"
IDENTITY_DOCUMENT_VERSION = "2017-09-30"  # the ``version`` every identity document carries (EC2 User Guide)

# EC2's names for the identity document's ``architecture`` (i386, x86_64, arm64), from Python's for this host.
_ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64", "i386": "i386",
                  "i686": "i386"}

_MAC_BYTES = 16
_NONCE_BYTES = 12


class BadTokenRequest(ValueError):
    """A token PUT IMDS answers 400: the TTL header missing, not an integer, or outside 1–21600."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: str
    content_type: str = TEXT


NOT_FOUND = Answer(404, "Not Found")


@dataclass(frozen=True, slots=True)
class RoleCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: dt.datetime
    issued_at: dt.datetime  # when the agent received them: their ``LastUpdated``


@dataclass(frozen=True, slots=True)
class MetadataView:
    """What the agent serves at one moment. ``instance_id`` is None in certificate mode (no instance: the host is
    outside the platform); ``role_name``/``credentials`` are None when the instance has no profile association."""

    account_id: str
    region: str
    instance_id: str | None = None
    joined_at: dt.datetime | None = None
    role_name: str | None = None
    role_arn: str | None = None
    instance_profile_arn: str | None = None
    instance_profile_id: str | None = None
    credentials: RoleCredentials | None = None
    architecture: str = field(default_factory=lambda: host_architecture(platform.machine()))

    @property
    def availability_zone(self) -> str:
        # rolegate choice: one zone per region, "a", so region = zone minus its last letter, as botocore's
        # IMDSRegionProvider derives it (reference §1).
        return f"{self.region}a"

    def credentials_at(self, now: dt.datetime) -> RoleCredentials | None:
        """The credentials, unless they have expired: an expired set is never served (it is "none", 404)."""
        creds = self.credentials
        return creds if creds is not None and now < creds.expiration else None


def host_architecture(machine: str) -> str:
    return _ARCHITECTURES.get(machine.lower(), machine.lower())


class SessionTokens:
    """IMDSv2 session tokens: ``issue`` one for ``ttl`` seconds, ``valid`` says whether one is still good."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def issue(self, now: dt.datetime, ttl: int) -> str:
        payload = struct.pack(">Q", int(now.timestamp()) + ttl) + secrets.token_bytes(_NONCE_BYTES)
        return base64.urlsafe_b64encode(payload + self._mac(payload)).decode("ascii").rstrip("=")

    def valid(self, token: str | None, now: dt.datetime) -> bool:
        if not token or len(token) > 128:
            return False
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError):
            return False
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if len(payload) != 8 + _NONCE_BYTES or not hmac.compare_digest(mac, self._mac(payload)):
            return False
        expires: int = struct.unpack(">Q", payload[:8])[0]
        return now.timestamp() < expires

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def parse_ttl(value: str | None) -> int:
    """The TTL a token PUT asks for, or BadTokenRequest: IMDS answers 400 when the header is missing or out of
    range (reference §1; the official IMDS mock, aws/amazon-ec2-metadata-mock, does the same)."""
    if value is None or not value.strip().isdigit():
        raise BadTokenRequest("the X-aws-ec2-metadata-token-ttl-seconds header must be an integer number of seconds")
    ttl = int(value.strip())
    if not MIN_TOKEN_TTL <= ttl <= MAX_TOKEN_TTL:
        raise BadTokenRequest(f"the token TTL must be between {MIN_TOKEN_TTL} and {MAX_TOKEN_TTL} seconds")
    return ttl


def refresh_at(creds: RoleCredentials) -> dt.datetime:
    """When the agent fetches new credentials to replace ``creds``: at half their lifetime or 20 minutes before
    they expire, whichever comes first — but not before a quarter of their life has passed, so short sessions
    (IAM Roles Anywhere's 15 minutes) are not fetched in a loop.

    Why: botocore's IMDS provider stretches any expiry closer than 15 min + 2–10 min to "now + that offset"
    (reference §1, "static stability"), so credentials handed out late in their life are used past it; AWS
    rotates instance credentials "at least five minutes before expiration" and issues them for hours. Serving
    credentials with half their life or ≥ 20 minutes left keeps clients inside it."""
    lifetime = creds.expiration - creds.issued_at
    due = min(creds.issued_at + lifetime / 2, creds.expiration - dt.timedelta(minutes=20))
    return max(due, creds.issued_at + lifetime / 4)


def _document(fields: dict[str, object]) -> str:
    # IMDS pretty-prints its JSON with two spaces and " : " (the EC2 User Guide's examples, byte for byte).
    return json.dumps(fields, indent=2, separators=(",", " : "))


def credential_document(creds: RoleCredentials, account_id: str | None = None) -> str:
    """``meta-data/iam/security-credentials/ROLE``; with ``account_id``, the ``-extended`` form with AccountId."""
    fields: dict[str, object] = {
        "Code": "Success", "LastUpdated": iso(creds.issued_at), "Type": "AWS-HMAC",
        "AccessKeyId": creds.access_key_id, "SecretAccessKey": creds.secret_access_key,
        "Token": creds.session_token, "Expiration": iso(creds.expiration)}
    if account_id is not None:
        fields["AccountId"] = account_id
    return _document(fields)


def _info_document(view: MetadataView, now: dt.datetime) -> str:
    creds = view.credentials
    return _document({"Code": "Success", "LastUpdated": iso(creds.issued_at if creds else now),
                      "InstanceProfileArn": view.instance_profile_arn, "InstanceProfileId": view.instance_profile_id})


def identity_document(view: MetadataView) -> str | None:
    """``dynamic/instance-identity/document`` (the EC2 User Guide's fields). rolegate has no AMIs, instance types,
    kernels or private addresses: those fields are null. ``pendingTime`` is when the instance joined."""
    if view.instance_id is None:
        return None
    return _document({
        "accountId": view.account_id, "architecture": view.architecture,
        "availabilityZone": view.availability_zone, "billingProducts": None, "devpayProductCodes": None,
        "marketplaceProductCodes": None, "imageId": None, "instanceId": view.instance_id, "instanceType": None,
        "kernelId": None, "pendingTime": iso(view.joined_at) if view.joined_at else None, "privateIp": None,
        "ramdiskId": None, "region": view.region, "version": IDENTITY_DOCUMENT_VERSION})


def _listing(*entries: str) -> Answer:
    # Directory listings are one entry per line; sub-directories end in "/" (as IMDS lists them).
    return Answer(200, "\n".join(entries))


def answer(path: str, view: MetadataView, now: dt.datetime,
           sign: Callable[[str], str] | None = None) -> Answer:
    """The answer to ``GET path`` (the request path, ``/latest/...``); ``sign`` signs the identity document."""
    if path.rstrip("/") == "":
        return _listing("latest")
    if path.rstrip("/") == "/latest":
        return _listing("meta-data/", "dynamic/")
    if not path.startswith("/latest/"):
        return NOT_FOUND
    # Every path answers with or without a trailing slash, as IMDS and the AWS helper's emulator do (reference §1).
    parts = [p for p in path[len("/latest/"):].split("/") if p]
    if not parts:
        return _listing("meta-data/", "dynamic/")
    head, rest = parts[0], parts[1:]
    if head == "meta-data":
        return _meta_data(rest, view, now)
    if head == "dynamic":
        return _dynamic(rest, view, sign)
    return NOT_FOUND


def _meta_data(parts: list[str], view: MetadataView, now: dt.datetime) -> Answer:
    instance = view.instance_id is not None
    if not parts:
        return _listing("iam/", *(("instance-id", "placement/") if instance else ()))
    if parts == ["instance-id"]:
        return Answer(200, view.instance_id) if view.instance_id is not None else NOT_FOUND
    if parts[0] == "placement" and instance:
        if len(parts) == 1:
            return _listing("availability-zone", "region")
        if parts[1:] == ["region"]:
            return Answer(200, view.region)
        if parts[1:] == ["availability-zone"]:
            return Answer(200, view.availability_zone)
        return NOT_FOUND
    if parts[0] != "iam":
        return NOT_FOUND
    creds = view.credentials_at(now)
    if len(parts) == 1:
        return _listing(*(["info"] if view.instance_profile_arn else []),
                        *(["security-credentials/"] if creds else []))
    if parts[1:] == ["info"]:
        return Answer(200, _info_document(view, now)) if view.instance_profile_arn else NOT_FOUND
    if parts[1] not in ("security-credentials", "security-credentials-extended"):
        return NOT_FOUND
    if creds is None or view.role_name is None:
        return NOT_FOUND  # no association (or expired): IMDS answers 404, and SDKs move on (reference §1)
    if len(parts) == 2:
        # Exactly the name, no trailing newline: botocore takes the whole body as the role name.
        return Answer(200, view.role_name)
    if len(parts) == 3 and parts[2] == view.role_name:
        extended = parts[1] == "security-credentials-extended"
        return Answer(200, credential_document(creds, view.account_id if extended else None))
    return NOT_FOUND


def _dynamic(parts: list[str], view: MetadataView, sign: Callable[[str], str] | None) -> Answer:
    document = identity_document(view)
    if document is None:
        return NOT_FOUND
    if not parts:
        return _listing("instance-identity/")
    if parts[0] != "instance-identity":
        return NOT_FOUND
    if len(parts) == 1:
        return _listing("document", *(["signature"] if sign else []))
    if parts[1:] == ["document"]:
        return Answer(200, document)
    if parts[1:] == ["signature"] and sign is not None:
        return Answer(200, sign(document))
    return NOT_FOUND
