"""IAM account settings and the credential report (IAM API reference: GetAccountPasswordPolicy,
UpdateAccountPasswordPolicy, DeleteAccountPasswordPolicy, CreateAccountAlias, DeleteAccountAlias,
ListAccountAliases, GenerateCredentialReport, GetCredentialReport)."""

from __future__ import annotations

from typing import Any

from rolegate.iam.credential_report import REPORT_FORMAT
from rolegate.iam.entities import PasswordPolicyRecord

from .common import page_out
from .registry import HandlerContext, operation


def password_policy_out(policy: PasswordPolicyRecord) -> dict[str, Any]:
    # MaxPasswordAge and PasswordReusePrevention appear only when set; ExpirePasswords says whether the first is.
    out: dict[str, Any] = {
        "MinimumPasswordLength": policy.minimum_password_length,
        "RequireSymbols": policy.require_symbols,
        "RequireNumbers": policy.require_numbers,
        "RequireUppercaseCharacters": policy.require_uppercase_characters,
        "RequireLowercaseCharacters": policy.require_lowercase_characters,
        "AllowUsersToChangePassword": policy.allow_users_to_change_password,
        "ExpirePasswords": policy.max_password_age is not None,
        "HardExpiry": policy.hard_expiry,
    }
    if policy.max_password_age is not None:
        out["MaxPasswordAge"] = policy.max_password_age
    if policy.password_reuse_prevention is not None:
        out["PasswordReusePrevention"] = policy.password_reuse_prevention
    return out


@operation("iam", "GetAccountPasswordPolicy")
def get_account_password_policy(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"PasswordPolicy": password_policy_out(ctx.services.account_settings.get_password_policy(ctx.request))}


@operation("iam", "UpdateAccountPasswordPolicy")
def update_account_password_policy(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.account_settings.update_password_policy(
        ctx.request, minimum_password_length=p.get("MinimumPasswordLength"),
        require_symbols=p.get("RequireSymbols"), require_numbers=p.get("RequireNumbers"),
        require_uppercase_characters=p.get("RequireUppercaseCharacters"),
        require_lowercase_characters=p.get("RequireLowercaseCharacters"),
        allow_users_to_change_password=p.get("AllowUsersToChangePassword"),
        max_password_age=p.get("MaxPasswordAge"), password_reuse_prevention=p.get("PasswordReusePrevention"),
        hard_expiry=p.get("HardExpiry"))


@operation("iam", "DeleteAccountPasswordPolicy")
def delete_account_password_policy(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.account_settings.delete_password_policy(ctx.request)


@operation("iam", "CreateAccountAlias")
def create_account_alias(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.account_settings.create_alias(ctx.request, p["AccountAlias"])


@operation("iam", "DeleteAccountAlias")
def delete_account_alias(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.account_settings.delete_alias(ctx.request, p["AccountAlias"])


@operation("iam", "ListAccountAliases")
def list_account_aliases(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.account_settings.list_aliases(ctx.request, marker=p.get("Marker"),
                                                      max_items=p.get("MaxItems"))
    return page_out(page, "AccountAliases", page.items)


@operation("iam", "GenerateCredentialReport")
def generate_credential_report(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    state = ctx.services.credential_reports.generate(ctx.request)
    out: dict[str, Any] = {"State": state.state}
    if state.description:
        out["Description"] = state.description
    return out


@operation("iam", "GetCredentialReport")
def get_credential_report(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    report = ctx.services.credential_reports.get(ctx.request)
    # Content is a blob: the codec base64-encodes it, as IAM sends it ("The report is Base64-encoded").
    return {"Content": report.content.encode("utf-8"), "ReportFormat": REPORT_FORMAT,
            "GeneratedTime": report.generated_at}
