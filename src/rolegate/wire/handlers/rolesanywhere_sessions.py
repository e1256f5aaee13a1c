"""IAM Roles Anywhere CreateSession (``POST /sessions``, rolegate's own model ``rolesanywhere-sessions``): the
ARNs from the JSON body (iam-rolesanywhere-session) or the query string (aws_signing_helper), the response as
both clients read it (IAM Roles Anywhere User Guide, "Authenticating with IAM Roles Anywhere")."""

from __future__ import annotations

from typing import Any

from rolegate.anywhere.errors import ValidationException
from rolegate.anywhere.sessions import SessionRequest

from .registry import HandlerContext, operation


def _arn(p: dict[str, Any], name: str) -> str:
    body, query = p.get(name), p.get("query" + name[0].upper() + name[1:])
    if body is not None and query is not None and body != query:
        raise ValidationException(f"{name} differs between the query string and the body.")
    value = body if body is not None else query
    if value is None:
        raise ValidationException(f"{name} is required, in the query string or the body.")
    return str(value)


@operation("rolesanywhere-sessions", "CreateSession")
def create_session(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    signer = ctx.x509
    assert signer is not None  # the endpoint verified the certificate's signature before this runs
    if p.get("roleSessionName") and p.get("sessionName") and p["roleSessionName"] != p["sessionName"]:
        raise ValidationException("roleSessionName and sessionName differ.")
    ask = SessionRequest(_arn(p, "trustAnchorArn"), _arn(p, "profileArn"), _arn(p, "roleArn"),
                         duration_seconds=p.get("durationSeconds"),
                         role_session_name=p.get("roleSessionName") or p.get("sessionName"),
                         instance_properties=p.get("instanceProperties"))
    session = ctx.services.anywhere_sessions.create_session(ctx.request, signer.leaf, signer.chain, signer.region,
                                                            ask)
    issued, claims = session.issued, session.issued.claims
    return {"credentialSet": [{
        "assumedRoleUser": {"arn": claims.arn, "assumedRoleId": claims.user_id},
        "credentials": {"accessKeyId": issued.access_key_id, "secretAccessKey": issued.secret_access_key,
                        "sessionToken": issued.session_token, "expiration": issued.expiration},
        "packedPolicySize": issued.packed_policy_size or 0, "roleArn": session.role_arn,
        "sourceIdentity": session.source_identity}],
        "subjectArn": session.subject_arn}
