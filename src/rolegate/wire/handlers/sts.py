"""STS operations (STS API reference): GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity, GetSessionToken,
GetFederationToken, GetAccessKeyInfo, DecodeAuthorizationMessage. Rules live in ``rolegate.sts``; this maps shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rolegate.sts.sessions import IssuedSession

from .common import tags_in
from .registry import HandlerContext, Services, inline_when, operation


@operation("sts", "GetCallerIdentity")
def get_caller_identity(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    # Always allowed, even under an explicit deny (STS API reference, GetCallerIdentity). For a session the
    # caller carries the session's ARN and UserId (assumed-role/ROLE/SESSION, AROA…:SESSION).
    assert ctx.caller is not None
    return {"UserId": ctx.caller.user_id, "Account": ctx.caller.account_id, "Arn": ctx.caller.arn}


@operation("sts", "AssumeRole")
def assume_role(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    assert ctx.caller is not None
    issued = ctx.services.sts.assume_role(
        ctx.request, p["RoleArn"], p["RoleSessionName"], duration_seconds=p.get("DurationSeconds"),
        policy=p.get("Policy"), policy_arns=_arns(p), tags=tags_in(p.get("Tags")),
        transitive_tag_keys=p.get("TransitiveTagKeys") or (), external_id=p.get("ExternalId"),
        serial_number=p.get("SerialNumber"), token_code=p.get("TokenCode"),
        source_identity=p.get("SourceIdentity"))
    out: dict[str, Any] = {"Credentials": _credentials(issued),
                           "AssumedRoleUser": {"AssumedRoleId": issued.claims.user_id, "Arn": issued.claims.arn}}
    if issued.packed_policy_size is not None:
        out["PackedPolicySize"] = issued.packed_policy_size
    if issued.claims.source_identity is not None:
        out["SourceIdentity"] = issued.claims.source_identity
    return out


@operation("sts", "AssumeRoleWithWebIdentity")
def assume_role_with_web_identity(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    # Unsigned: the token is the proof (a signed call is served the same; its signer plays no part).
    answer = ctx.services.sts.assume_role_with_web_identity(
        ctx.request, p["RoleArn"], p["RoleSessionName"], p["WebIdentityToken"],
        duration_seconds=p.get("DurationSeconds"), policy=p.get("Policy"), policy_arns=_arns(p))
    issued = answer.session
    out: dict[str, Any] = {"Credentials": _credentials(issued), "SubjectFromWebIdentityToken": answer.subject,
                           "AssumedRoleUser": {"AssumedRoleId": issued.claims.user_id, "Arn": issued.claims.arn},
                           "Provider": answer.provider, "Audience": answer.audience}
    if issued.packed_policy_size is not None:
        out["PackedPolicySize"] = issued.packed_policy_size
    if issued.claims.source_identity is not None:
        out["SourceIdentity"] = issued.claims.source_identity
    return out


@inline_when("sts", "AssumeRoleWithWebIdentity")
def _web_identity_from_memory(services: Services, raw: Mapping[str, Any]) -> bool:
    # With the provider's keys cached the call is CPU only (no fetch to wait for): a thread would cost more.
    token = raw.get("WebIdentityToken")
    return not isinstance(token, str) or not services.sts.web_identity_needs_idp(token)


@operation("sts", "GetSessionToken")
def get_session_token(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    assert ctx.caller is not None
    issued = ctx.services.sts.get_session_token(ctx.request, duration_seconds=p.get("DurationSeconds"),
                                                serial_number=p.get("SerialNumber"), token_code=p.get("TokenCode"))
    return {"Credentials": _credentials(issued)}


@operation("sts", "GetFederationToken")
def get_federation_token(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    assert ctx.caller is not None
    issued = ctx.services.sts.get_federation_token(ctx.request, p["Name"], duration_seconds=p.get("DurationSeconds"),
                                                   policy=p.get("Policy"), policy_arns=_arns(p),
                                                   tags=tags_in(p.get("Tags")))
    out: dict[str, Any] = {"Credentials": _credentials(issued),
                           "FederatedUser": {"FederatedUserId": issued.claims.user_id, "Arn": issued.claims.arn}}
    if issued.packed_policy_size is not None:
        out["PackedPolicySize"] = issued.packed_policy_size
    return out


@operation("sts", "GetAccessKeyInfo")
def get_access_key_info(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"Account": ctx.services.sts.access_key_account(p["AccessKeyId"])}


@operation("sts", "DecodeAuthorizationMessage")
def decode_authorization_message(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"DecodedMessage": ctx.services.authorization_messages.decode(p["EncodedMessage"])}


def _arns(p: dict[str, Any]) -> list[str]:
    return [d["arn"] for d in p.get("PolicyArns") or () if d.get("arn")]


def _credentials(issued: IssuedSession) -> dict[str, Any]:
    return {"AccessKeyId": issued.access_key_id, "SecretAccessKey": issued.secret_access_key,
            "SessionToken": issued.session_token, "Expiration": issued.expiration}


@operation("sts", "AssumeRoleWithSAML")
def assume_role_with_saml(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    # Unsigned (botocore's model: "auth": noAuth): the assertion is the credential.
    saml = ctx.services.sts.assume_role_with_saml(
        ctx.request, p["RoleArn"], p["PrincipalArn"], p["SAMLAssertion"],
        duration_seconds=p.get("DurationSeconds"), policy=p.get("Policy"), policy_arns=_arns(p))
    issued, assertion = saml.issued, saml.assertion
    out: dict[str, Any] = {"Credentials": _credentials(issued),
                           "AssumedRoleUser": {"AssumedRoleId": issued.claims.user_id, "Arn": issued.claims.arn},
                           "Subject": assertion.subject, "SubjectType": assertion.subject_type,
                           "Issuer": assertion.issuer, "Audience": assertion.recipient,
                           "NameQualifier": saml.name_qualifier}
    if issued.packed_policy_size is not None:
        out["PackedPolicySize"] = issued.packed_policy_size
    if issued.claims.source_identity is not None:
        out["SourceIdentity"] = issued.claims.source_identity
    return out
