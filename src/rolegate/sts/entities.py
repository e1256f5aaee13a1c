"""STS's entities: the session key ring's keys and virtual MFA devices. Plain frozen records that cross the
storage boundary (``sts.ports``); secrets are plaintext in memory only, sealed at rest by the store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SessionKeyRecord:
    """A key of the STS session key ring. ``material`` is plaintext in memory only; sealed at rest."""

    key_id: str  # 8 hex characters (the 4 bytes a session token names)
    material: bytes  # 32 bytes
    created_at: dt.datetime
    superseded_at: dt.datetime | None = None  # when a newer key became primary


@dataclass(frozen=True, slots=True)
class MfaDeviceRecord:
    """A virtual MFA device. ``seed`` (base32) is plaintext in memory only; sealed at rest."""

    serial_number: str  # arn:PARTITION:iam::ACCOUNT:mfa/PATH…NAME
    account_id: str
    name: str
    path: str
    seed: str
    created_at: dt.datetime
    user_id: str | None = None  # the user it is enabled for; None while unassigned
    enabled_at: dt.datetime | None = None
    last_used_step: int | None = None  # the last TOTP time step accepted (no code is accepted twice)
    clock_offset_steps: int = 0  # how far the device's clock runs ahead (negative: behind), from a resync
    tags: tuple[tuple[str, str], ...] = field(default=())
