"""Plain records that cross the storage boundary. No SQL here: the domain reads and writes these."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class AccountRecord:
    account_id: str
    name: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AccessKeyRecord:
    access_key_id: str
    account_id: str
    secret_access_key: str  # plaintext in memory only; sealed at rest by the store
    status: str  # "Active" | "Inactive"
    created_at: dt.datetime
    user_id: str | None = None  # None: the account's root user


@dataclass(frozen=True, slots=True)
class RoleRecord:
    account_id: str
    role_id: str
    name: str
    path: str
    arn: str
    trust_policy: str
    created_at: dt.datetime
    max_session_duration: int = 3600
    description: str | None = None
    permissions_boundary_arn: str | None = None
    last_used_at: dt.datetime | None = None
    last_used_region: str | None = None
    tags: tuple[tuple[str, str], ...] = field(default=())
