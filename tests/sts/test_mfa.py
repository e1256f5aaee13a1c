"""Virtual MFA: RFC 6238 codes, enabling with two consecutive codes, and sessions that carry MFA."""

from __future__ import annotations

import base64

import pytest

from rolegate.core.clock import FixedClock
from rolegate.core.errors import AccessDenied, DeleteConflict, EntityAlreadyExists, NoSuchEntity
from rolegate.iam.roles import RoleService
from rolegate.iam.users import UserService
from rolegate.sts.mfa import InvalidAuthenticationCode, MfaService, time_step, totp
from rolegate.sts.sessions import StsService

from .conftest import ACCOUNT, Requests, trust, user_caller


def test_totp_matches_the_rfc_6238_test_vector() -> None:
    seed = base64.b32encode(b"12345678901234567890").decode()
    assert totp(seed, 59 // 30) == "287082"  # RFC 6238 Appendix B, T=59, SHA1 (last 6 of 94287082)
    assert totp(seed, 1111111109 // 30) == "081804"  # 07081804


def _enabled(mfa: MfaService, users: UserService, clock: FixedClock, req: Requests,
             name: str = "alice"):  # type: ignore[no-untyped-def]
    user = users.create_user(req(ACCOUNT), name)
    device = mfa.create_virtual_mfa_device(req(ACCOUNT), name)
    step = time_step(clock.now())
    mfa.enable_mfa_device(req(ACCOUNT), name, device.serial_number, totp(device.seed, step - 1), totp(device.seed,
                                                                                                      step))
    clock.advance(30)
    return user, device


def test_enable_needs_two_consecutive_codes(mfa: MfaService, users: UserService, clock: FixedClock,
                                            req: Requests) -> None:
    users.create_user(req(ACCOUNT), "alice")
    device = mfa.create_virtual_mfa_device(req(ACCOUNT), "alice")
    assert device.serial_number == f"arn:aws:iam::{ACCOUNT}:mfa/alice"
    step = time_step(clock.now())
    with pytest.raises(InvalidAuthenticationCode):
        mfa.enable_mfa_device(req(ACCOUNT), "alice", device.serial_number, totp(device.seed, step),
                              totp(device.seed, step))
    mfa.enable_mfa_device(req(ACCOUNT), "alice", device.serial_number, totp(device.seed, step - 1),
                          totp(device.seed, step))
    user, devices = mfa.list_mfa_devices(req(ACCOUNT), "alice")
    assert [d.serial_number for d in devices] == [device.serial_number]
    with pytest.raises(EntityAlreadyExists):
        mfa.enable_mfa_device(req(ACCOUNT), "alice", device.serial_number, "000000", "000000")


def test_device_in_use_cannot_be_deleted_until_deactivated(mfa: MfaService, users: UserService,
                                                           clock: FixedClock, req: Requests) -> None:
    _, device = _enabled(mfa, users, clock, req)
    with pytest.raises(DeleteConflict):
        mfa.delete_virtual_mfa_device(req(ACCOUNT), device.serial_number)
    mfa.deactivate_mfa_device(req(ACCOUNT), "alice", device.serial_number)
    mfa.delete_virtual_mfa_device(req(ACCOUNT), device.serial_number)
    with pytest.raises(NoSuchEntity):
        mfa.delete_virtual_mfa_device(req(ACCOUNT), device.serial_number)


def test_session_token_with_mfa_carries_mfa_and_a_code_is_used_once(
        mfa: MfaService, users: UserService, clock: FixedClock, sts: StsService, req: Requests) -> None:
    user, device = _enabled(mfa, users, clock, req)
    caller = user_caller(user)
    code = totp(device.seed, time_step(clock.now()))
    issued = sts.get_session_token(req(caller), serial_number=device.serial_number, token_code=code)
    assert issued.claims.mfa_present and issued.claims.mfa_authenticated_at == clock.now()
    with pytest.raises(AccessDenied, match="invalid MFA one time pass code"):
        sts.get_session_token(req(caller), serial_number=device.serial_number, token_code=code)  # replay
    with pytest.raises(AccessDenied, match="invalid MFA one time pass code"):
        sts.get_session_token(req(caller), serial_number=device.serial_number, token_code="123456"
                              if code != "123456" else "654321")
    assert not sts.get_session_token(req(caller)).claims.mfa_present


def test_assume_role_checks_the_callers_own_device_for_an_mfa_trust(
        mfa: MfaService, users: UserService, clock: FixedClock, sts: StsService, roles: RoleService, req: Requests) -> None:
    user, device = _enabled(mfa, users, clock, req)
    _, other_device = _enabled(mfa, users, clock, req, "bob")
    caller = user_caller(user)
    arn = roles.create_role(req(ACCOUNT), "r", trust(user.arn,
                                                     condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})).arn
    with pytest.raises(AccessDenied):
        sts.assume_role(req(caller), arn, "s")
    with pytest.raises(AccessDenied, match="unable to validate MFA code"):
        sts.assume_role(req(caller), arn, "s", serial_number=other_device.serial_number,
                        token_code=totp(other_device.seed, time_step(clock.now())))
    issued = sts.assume_role(req(caller), arn, "s", serial_number=device.serial_number,
                             token_code=totp(device.seed, time_step(clock.now())))
    assert issued.claims.mfa_present


def test_user_with_an_mfa_device_cannot_be_deleted(mfa: MfaService, users: UserService, clock: FixedClock,
                                                   req: Requests) -> None:
    _enabled(mfa, users, clock, req)
    with pytest.raises(DeleteConflict, match="MFA device"):
        users.delete_user(req(ACCOUNT), "alice")


def test_a_device_whose_clock_drifted_works_again_after_a_resync(
        mfa: MfaService, users: UserService, clock: FixedClock, sts: StsService, req: Requests) -> None:
    user, device = _enabled(mfa, users, clock, req)
    caller = user_caller(user)
    ahead = time_step(clock.now()) + 6  # the phone's clock runs three minutes fast
    with pytest.raises(AccessDenied, match="invalid MFA one time pass code"):
        sts.get_session_token(req(caller), serial_number=device.serial_number, token_code=totp(device.seed, ahead))
    with pytest.raises(InvalidAuthenticationCode):  # two codes, but not consecutive
        mfa.resync_mfa_device(req(ACCOUNT), "alice", device.serial_number, totp(device.seed, ahead),
                              totp(device.seed, ahead + 2))
    mfa.resync_mfa_device(req(ACCOUNT), "alice", device.serial_number, totp(device.seed, ahead),
                          totp(device.seed, ahead + 1))
    clock.advance(30)
    issued = sts.get_session_token(req(caller), serial_number=device.serial_number,
                                   token_code=totp(device.seed, ahead + 2))
    assert issued.claims.mfa_present
    with pytest.raises(InvalidAuthenticationCode):  # beyond five minutes either way: not this device's codes
        far = time_step(clock.now()) + 20
        mfa.resync_mfa_device(req(ACCOUNT), "alice", device.serial_number, totp(device.seed, far),
                              totp(device.seed, far + 1))


def test_resync_and_get_need_the_device_to_be_the_users(mfa: MfaService, users: UserService,
                                                        clock: FixedClock, req: Requests) -> None:
    _, device = _enabled(mfa, users, clock, req)
    users.create_user(req(ACCOUNT), "bob")
    step = time_step(clock.now())
    with pytest.raises(NoSuchEntity, match="does not exist"):
        mfa.resync_mfa_device(req(ACCOUNT), "bob", device.serial_number, totp(device.seed, step),
                              totp(device.seed, step + 1))
    with pytest.raises(NoSuchEntity):
        mfa.get_mfa_device(req(ACCOUNT), "bob", device.serial_number)
    user, got = mfa.get_mfa_device(req(ACCOUNT), "alice", device.serial_number)
    assert (user.name, got.serial_number, got.enabled_at) == ("alice", device.serial_number, got.enabled_at)
    assert got.enabled_at is not None


def test_device_tags_change_in_one_transaction_and_unknown_devices_are_no_such_entity(
        mfa: MfaService, clock: FixedClock, accounts: object, req: Requests) -> None:
    device = mfa.create_virtual_mfa_device(req(ACCOUNT), "spare", tags=[("team", "sec")])
    mfa.tag_mfa_device(req(ACCOUNT), device.serial_number, [("env", "prod")])
    assert mfa.virtual_device(req(ACCOUNT), device.serial_number).tags == (("team", "sec"), ("env", "prod"))
    with pytest.raises(NoSuchEntity, match="doesn't exist"):
        mfa.tag_mfa_device(req(ACCOUNT), f"arn:aws:iam::{ACCOUNT}:mfa/nope", [])
