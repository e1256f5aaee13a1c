"""Virtual MFA devices and TOTP checks: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice,
DeactivateMFADevice, GetMFADevice, ListMFADevices, ListVirtualMFADevices, DeleteVirtualMFADevice and the
device tag operations (IAM API reference), and the code check STS makes for ``SerialNumber``/``TokenCode``
so that ``aws:MultiFactorAuthPresent`` means something.

Codes are RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30-second steps) with one step of drift either way around the
device's clock; a step once accepted is never accepted again for that device (no replay). ResyncMFADevice
("synchronizes the specified MFA device with its IAM resource object on the AWS servers") looks for two
consecutive codes within five minutes either way and remembers how far the device's clock is off. The seed
is sealed at rest by the store. Lives with STS because the session side reads it; the IAM operations are
thin on top.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import os
import struct
from collections.abc import Iterable, Sequence

from rolegate.authz import RequestContext
from rolegate.core.errors import (
    AccessDenied,
    ClientError,
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
)
from rolegate.core.redaction import remember
from rolegate.iam.entities import UserRecord
from rolegate.iam.limits import DEFAULT_LIMITS, IamLimits
from rolegate.iam.ports import HasUsers
from rolegate.iam.tags import check_new_tags, merge_tags, remove_tags
from rolegate.store.ports import DuplicateKeyError

from .entities import MfaDeviceRecord
from .ports import HasMfaDevices, MfaStore, MfaTransaction

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
RESYNC_STEPS = 10  # how far ResyncMFADevice looks, either way: five minutes
MFA_DEVICES_PER_USER = 8  # IAM User Guide, "IAM and AWS STS quotas": MFA devices in use per user
MFA_FAILED = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
INVALID_CODE = "Authentication code for device is not valid."
MFA_UNKNOWN = ("MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial "
               "number is valid and associated with this user.")


class InvalidAuthenticationCode(ClientError):
    code = "InvalidAuthenticationCode"
    status = 403


def totp(seed_base32: str, step: int) -> str:
    """The RFC 6238 / RFC 4226 code of ``step`` (HOTP over the time-step counter)."""
    key = base64.b32decode(seed_base32)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10 ** DIGITS:0{DIGITS}d}"


def time_step(when: dt.datetime) -> int:
    return int(when.timestamp()) // STEP_SECONDS


class MfaService:
    def __init__(self, store: MfaStore, limits: IamLimits = DEFAULT_LIMITS) -> None:
        self._store = store
        self._limits = limits

    def create_virtual_mfa_device(self, request: RequestContext, name: str, *, path: str = "/",
                                  tags: Sequence[tuple[str, str]] = ()) -> MfaDeviceRecord:
        check_new_tags(tags)  # IAM's tag rules: the aws: prefix is reserved, keys unique ignoring case
        seed = base64.b32encode(os.urandom(20)).decode("ascii")
        remember(seed)  # never in a log line, whatever fails below (rolegate.core.redaction)
        device = MfaDeviceRecord(
            serial_number=f"arn:{request.partition}:iam::{request.account_id}:mfa{path}{name}",
            account_id=request.account_id, name=name, path=path, seed=seed, created_at=request.timestamp,
            tags=tuple(tags))
        with self._store.write() as tx:
            if tx.mfa_devices.get(device.serial_number) is not None:
                raise _exists()
            try:
                tx.mfa_devices.create(device)
            except DuplicateKeyError:
                raise _exists() from None
        return device

    def enable_mfa_device(self, request: RequestContext, user_name: str, serial_number: str, code1: str,
                          code2: str) -> None:
        """Assign the device to the user after two consecutive codes (IAM API reference, EnableMFADevice)."""
        now = request.now
        with self._store.write() as tx:
            user = _user(tx, request.account_id, user_name)
            device = tx.mfa_devices.get(serial_number)
            if device is None or device.account_id != request.account_id:
                raise NoSuchEntity(f"VirtualMFADevice with serial number {serial_number} doesn't exist.")
            if device.user_id is not None:
                raise EntityAlreadyExists("MFA Device is already in use.")
            if len(tx.mfa_devices.list_for_user(user.user_id)) >= MFA_DEVICES_PER_USER:
                raise LimitExceeded(f"Cannot exceed quota for MFADevicesPerUser: {MFA_DEVICES_PER_USER}")
            step = _consecutive_step(device.seed, code1, code2, time_step(now), DRIFT_STEPS)
            if step is None:
                raise InvalidAuthenticationCode(INVALID_CODE)
            tx.mfa_devices.update(_replace(device, user_id=user.user_id, enabled_at=now.replace(microsecond=0),
                                           last_used_step=step + 1, clock_offset_steps=0))

    def resync_mfa_device(self, request: RequestContext, user_name: str, serial_number: str, code1: str,
                          code2: str) -> None:
        """Re-learn the device's clock from two consecutive codes (IAM API reference, ResyncMFADevice)."""
        now_step = time_step(request.now)
        with self._store.write() as tx:
            _, device = _users_device(tx, request.account_id, user_name, serial_number)
            step = _consecutive_step(device.seed, code1, code2, now_step, RESYNC_STEPS)
            if step is None:
                raise InvalidAuthenticationCode(INVALID_CODE)
            tx.mfa_devices.update(_replace(device, last_used_step=step + 1, clock_offset_steps=step + 1 - now_step))

    def get_mfa_device(self, request: RequestContext, user_name: str, serial_number: str
                       ) -> tuple[UserRecord, MfaDeviceRecord]:
        """The device enabled for the user (IAM API reference, GetMFADevice)."""
        with self._store.read() as tx:
            return _users_device(tx, request.account_id, user_name, serial_number)

    def virtual_device(self, request: RequestContext, serial_number: str) -> MfaDeviceRecord:
        with self._store.read() as tx:
            return _virtual_device(tx, request.account_id, serial_number)

    def tag_mfa_device(self, request: RequestContext, serial_number: str, tags: Sequence[tuple[str, str]]) -> None:
        """TagMFADevice, under IAM's tag rules and quota (``iam.tags``), in one transaction."""
        with self._store.write() as tx:
            device = _virtual_device(tx, request.account_id, serial_number)
            merged = merge_tags(device.tags, tags, self._limits.tags_per_resource, "MFADevice")
            tx.mfa_devices.update(_replace(device, tags=merged))

    def untag_mfa_device(self, request: RequestContext, serial_number: str, keys: Iterable[str]) -> None:
        with self._store.write() as tx:
            device = _virtual_device(tx, request.account_id, serial_number)
            tx.mfa_devices.update(_replace(device, tags=remove_tags(device.tags, keys)))

    def deactivate_mfa_device(self, request: RequestContext, user_name: str, serial_number: str) -> None:
        with self._store.write() as tx:
            _, device = _users_device(tx, request.account_id, user_name, serial_number)
            tx.mfa_devices.update(_replace(device, user_id=None, enabled_at=None, clock_offset_steps=0))

    def delete_virtual_mfa_device(self, request: RequestContext, serial_number: str) -> None:
        with self._store.write() as tx:
            device = _virtual_device(tx, request.account_id, serial_number)
            if device.user_id is not None:
                raise DeleteConflict("MFA Device is still in use")
            tx.mfa_devices.delete(serial_number)

    def list_mfa_devices(self, request: RequestContext, user_name: str) -> tuple[UserRecord, list[MfaDeviceRecord]]:
        with self._store.read() as tx:
            user = _user(tx, request.account_id, user_name)
            return user, tx.mfa_devices.list_for_user(user.user_id)

    def list_virtual_mfa_devices(self, request: RequestContext, assignment_status: str = "Any"
                                 ) -> list[tuple[MfaDeviceRecord, UserRecord | None]]:
        with self._store.read() as tx:
            out: list[tuple[MfaDeviceRecord, UserRecord | None]] = []
            for d in tx.mfa_devices.list_for_account(request.account_id):
                if assignment_status == "Assigned" and d.user_id is None:
                    continue
                if assignment_status == "Unassigned" and d.user_id is not None:
                    continue
                out.append((d, tx.users.get(d.user_id) if d.user_id else None))
            return out

    def verify(self, request: RequestContext, user_id: str | None, serial_number: str | None,
               token_code: str | None) -> dt.datetime:
        """Check a code from the caller's own MFA device; the time of authentication, or AccessDenied."""
        if serial_number is None or token_code is None:
            raise AccessDenied(MFA_UNKNOWN)
        now = request.now
        with self._store.write() as tx:
            device = tx.mfa_devices.get(serial_number)
            if (device is None or user_id is None or device.user_id != user_id
                    or device.account_id != request.account_id):
                raise AccessDenied(MFA_UNKNOWN)
            step = _matching_step(device.seed, token_code, time_step(now) + device.clock_offset_steps)
            if step is None or (device.last_used_step is not None and step <= device.last_used_step):
                raise AccessDenied(MFA_FAILED.strip())
            tx.mfa_devices.update(_replace(device, last_used_step=step))
        return now.replace(microsecond=0)



def _matching_step(seed: str, code: str, current: int) -> int | None:
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp(seed, step), code):
            return step
    return None


def _consecutive_step(seed: str, code1: str, code2: str, current: int, window: int) -> int | None:
    """The step of ``code1`` when ``code2`` is the next step's code, both within ``window`` steps of now."""
    for step in range(current - window - 1, current + window):
        if hmac.compare_digest(totp(seed, step), code1) and hmac.compare_digest(totp(seed, step + 1), code2):
            return step
    return None


def _user(tx: HasUsers, account_id: str, user_name: str) -> UserRecord:
    user = tx.users.get_by_name(account_id, user_name)
    if user is None:
        raise NoSuchEntity(f"The user with name {user_name} cannot be found.")
    return user


def _users_device(tx: MfaTransaction, account_id: str, user_name: str, serial_number: str
                  ) -> tuple[UserRecord, MfaDeviceRecord]:
    """The user and the device enabled for them, or NoSuchEntity."""
    user = _user(tx, account_id, user_name)
    device = tx.mfa_devices.get(serial_number)
    if device is None or device.user_id != user.user_id:
        raise NoSuchEntity(f"MFA Device with serial number {serial_number} does not exist.")
    return user, device


def _virtual_device(tx: HasMfaDevices, account_id: str, serial_number: str) -> MfaDeviceRecord:
    device = tx.mfa_devices.get(serial_number)
    if device is None or device.account_id != account_id:
        raise NoSuchEntity(f"VirtualMFADevice with serial number {serial_number} doesn't exist.")
    return device


def _replace(device: MfaDeviceRecord, **changes: object) -> MfaDeviceRecord:
    return dataclasses.replace(device, **changes)  # type: ignore[arg-type]


def _exists() -> EntityAlreadyExists:
    return EntityAlreadyExists("MFADevice entity at the same path and name already exists.")
