"""IAM login profile operations (IAM API reference: CreateLoginProfile, GetLoginProfile, UpdateLoginProfile,
DeleteLoginProfile, ChangePassword). No answer carries a password or its hash."""

from __future__ import annotations

from typing import Any

from rolegate.iam.entities import LoginProfileRecord, UserRecord

from .common import implicit_user_name
from .registry import HandlerContext, operation


def login_profile_out(user: UserRecord, profile: LoginProfileRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"UserName": user.name, "CreateDate": profile.created_at,
                           "PasswordResetRequired": profile.password_reset_required}
    if profile.max_signin_session_duration is not None:
        out["MaxSigninSessionDuration"] = profile.max_signin_session_duration
    return out


@operation("iam", "CreateLoginProfile")
def create_login_profile(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    user, profile = ctx.services.login_profiles.create_login_profile(
        ctx.request, implicit_user_name(ctx, p.get("UserName")), p.get("Password"),
        password_reset_required=bool(p.get("PasswordResetRequired")),
        max_signin_session_duration=p.get("MaxSigninSessionDuration"))
    return {"LoginProfile": login_profile_out(user, profile)}


@operation("iam", "GetLoginProfile")
def get_login_profile(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    user, profile = ctx.services.login_profiles.get_login_profile(ctx.request,
                                                                  implicit_user_name(ctx, p.get("UserName")))
    return {"LoginProfile": login_profile_out(user, profile)}


@operation("iam", "UpdateLoginProfile")
def update_login_profile(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.login_profiles.update_login_profile(
        ctx.request, p["UserName"], password=p.get("Password"),
        password_reset_required=p.get("PasswordResetRequired"),
        max_signin_session_duration=p.get("MaxSigninSessionDuration"),
        reset_max_signin_session_duration=bool(p.get("ResetMaxSigninSessionDuration")))


@operation("iam", "DeleteLoginProfile")
def delete_login_profile(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.login_profiles.delete_login_profile(ctx.request, implicit_user_name(ctx, p.get("UserName")))


@operation("iam", "ChangePassword")
def change_password(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.login_profiles.change_password(ctx.request, p["OldPassword"], p["NewPassword"])
