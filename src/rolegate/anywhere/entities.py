"""What Roles Anywhere stores: trust anchors (the CA a workload's certificate must chain to), with their tags
and notification settings (IAM Roles Anywhere API reference, TrustAnchorDetail)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["NotificationSetting", "TrustAnchorRecord", "TRUST_ANCHOR"]

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
