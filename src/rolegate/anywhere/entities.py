"""What Roles Anywhere stores: trust anchors (the CA a workload's certificate must chain to) with their tags and
notification settings, profiles (which roles a certificate may become, and how), CRLs (one per trust anchor)
and subjects (the certificates that created sessions) — IAM Roles Anywhere API reference, TrustAnchorDetail,
ProfileDetail, CrlDetail, SubjectDetail. Profiles, CRLs and subjects are stored as documents
(``to_document``/``from_document``, JSON-shaped) beside their id, name and times."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

__all__ = ["CRL", "DEFAULT_ATTRIBUTE_MAPPINGS", "PROFILE", "SUBJECT", "TRUST_ANCHOR", "AttributeMappings",
           "CrlRecord", "NotificationSetting", "ProfileRecord", "SeenCredential", "SubjectRecord",
           "TrustAnchorRecord"]

TRUST_ANCHOR = "trust-anchor"


@dataclass(frozen=True, slots=True)
class NotificationSetting:
    """One notification setting of a trust anchor; ``configured_by`` is the service for the defaults, the
    caller's account for a setting put by PutNotificationSettings."""

    event: str
    enabled: bool
    threshold: int | None
    channel: str
    configured_by: str


@dataclass(frozen=True, slots=True)
class TrustAnchorRecord:
    account_id: str
    trust_anchor_id: str
    arn: str
    name: str
    source_type: str
    #: The PEM bundle of CA certificates, as given (CERTIFICATE_BUNDLE is the only source served here).
    certificate_data: str
    enabled: bool
    crl_dp_revocation_enabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    notification_settings: tuple[NotificationSetting, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()


PROFILE, CRL, SUBJECT = "profile", "crl", "subject"

#: A profile's attribute mappings: certificate field -> its specifiers, in order.
AttributeMappings = tuple[tuple[str, tuple[str, ...]], ...]
#: What every new profile maps (IAM Roles Anywhere User Guide, "Certificate attribute mapping": every RDN of
#: the subject and the issuer, and the first DNS name, URI and directory name of the SAN).
DEFAULT_ATTRIBUTE_MAPPINGS: AttributeMappings = (("x509Subject", ("*",)), ("x509Issuer", ("*",)),
                                                 ("x509SAN", ("DNS", "URI", "Name/*")))


@dataclass(frozen=True, slots=True)
class ProfileRecord:
    account_id: str
    profile_id: str
    arn: str
    name: str
    enabled: bool
    created_by: str
    role_arns: tuple[str, ...]
    managed_policy_arns: tuple[str, ...]
    session_policy: str | None
    duration_seconds: int
    require_instance_properties: bool
    accept_role_session_name: bool
    attribute_mappings: AttributeMappings
    created_at: dt.datetime
    updated_at: dt.datetime
    tags: tuple[tuple[str, str], ...] = ()

    def to_document(self) -> dict[str, object]:
        return {"arn": self.arn, "enabled": self.enabled, "createdBy": self.created_by,
                "roleArns": list(self.role_arns), "managedPolicyArns": list(self.managed_policy_arns),
                "sessionPolicy": self.session_policy, "durationSeconds": self.duration_seconds,
                "requireInstanceProperties": self.require_instance_properties,
                "acceptRoleSessionName": self.accept_role_session_name,
                "attributeMappings": [[f, list(s)] for f, s in self.attribute_mappings],
                "tags": [list(t) for t in self.tags]}

    @classmethod
    def from_document(cls, account_id: str, profile_id: str, name: str, created_at: dt.datetime,
                      updated_at: dt.datetime, doc: dict[str, Any]) -> ProfileRecord:
        return cls(account_id, profile_id, doc["arn"], name, doc["enabled"], doc["createdBy"],
                   tuple(doc["roleArns"]), tuple(doc["managedPolicyArns"]), doc["sessionPolicy"],
                   doc["durationSeconds"], doc["requireInstanceProperties"], doc["acceptRoleSessionName"],
                   tuple((f, tuple(s)) for f, s in doc["attributeMappings"]), created_at, updated_at,
                   tuple((k, v) for k, v in doc["tags"]))


@dataclass(frozen=True, slots=True)
class CrlRecord:
    """A certificate revocation list imported for one trust anchor (DER as imported, PEM accepted too)."""

    account_id: str
    crl_id: str
    arn: str
    name: str
    enabled: bool
    crl_data: bytes
    trust_anchor_arn: str
    created_at: dt.datetime
    updated_at: dt.datetime
    tags: tuple[tuple[str, str], ...] = ()

    def to_document(self) -> dict[str, object]:
        return {"arn": self.arn, "enabled": self.enabled, "crlData": base64.b64encode(self.crl_data).decode(),
                "trustAnchorArn": self.trust_anchor_arn, "tags": [list(t) for t in self.tags]}

    @classmethod
    def from_document(cls, account_id: str, crl_id: str, name: str, created_at: dt.datetime,
                      updated_at: dt.datetime, doc: dict[str, Any]) -> CrlRecord:
        return cls(account_id, crl_id, doc["arn"], name, doc["enabled"], base64.b64decode(doc["crlData"]),
                   doc["trustAnchorArn"], created_at, updated_at, tuple((k, v) for k, v in doc["tags"]))


@dataclass(frozen=True, slots=True)
class SeenCredential:
    """One certificate a subject authenticated with, as ListSubjects/GetSubject show it."""

    serial_number: str
    issuer: str
    certificate_pem: str
    seen_at: dt.datetime
    failed: bool


@dataclass(frozen=True, slots=True)
class SubjectRecord:
    """An end entity (by its certificate's subject) that called CreateSession, and what it presented."""

    account_id: str
    subject_id: str
    arn: str
    x509_subject: str
    enabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    last_seen_at: dt.datetime
    credentials: tuple[SeenCredential, ...] = ()
    instance_properties: tuple[tuple[dt.datetime, tuple[tuple[str, str], ...], bool], ...] = ()

    def to_document(self) -> dict[str, object]:
        return {"arn": self.arn, "x509Subject": self.x509_subject, "enabled": self.enabled,
                "lastSeenAt": self.last_seen_at.isoformat(),
                "credentials": [[c.serial_number, c.issuer, c.certificate_pem, c.seen_at.isoformat(), c.failed]
                                for c in self.credentials],
                "instanceProperties": [[at.isoformat(), [list(p) for p in props], failed]
                                       for at, props, failed in self.instance_properties]}

    @classmethod
    def from_document(cls, account_id: str, subject_id: str, name: str, created_at: dt.datetime,
                      updated_at: dt.datetime, doc: dict[str, Any]) -> SubjectRecord:
        return cls(account_id, subject_id, doc["arn"], doc["x509Subject"], doc["enabled"], created_at, updated_at,
                   dt.datetime.fromisoformat(doc["lastSeenAt"]),
                   tuple(SeenCredential(s, i, p, dt.datetime.fromisoformat(at), f)
                         for s, i, p, at, f in doc["credentials"]),
                   tuple((dt.datetime.fromisoformat(at), tuple((k, v) for k, v in props), failed)
                         for at, props, failed in doc["instanceProperties"]))
