"""rolegate's registered-instance API (its own model ``rolegate-instances``, awsJson 1.1): register, list and
deregister instances; the agent's join, credential rotation and role credentials
(docs/adr/0038-registered-instances.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rolegate.metadata.join_tokens import DEFAULT_JOIN_TOKEN_TTL
from rolegate.sts.sessions import IssuedSession

from .registry import HandlerContext, operation

_SERVICE = "rolegate-instances"


def _credentials(issued: IssuedSession) -> dict[str, Any]:
    return {"AccessKeyId": issued.access_key_id, "SecretAccessKey": issued.secret_access_key,
            "SessionToken": issued.session_token, "Expiration": issued.expiration}


@operation(_SERVICE, "RegisterInstance")
def register_instance(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    ttl = p.get("JoinTokenTtlSeconds")
    registered = ctx.services.instances.register(
        ctx.request, p["InstanceProfileName"], tags=[(t["Key"], t["Value"]) for t in p.get("Tags", [])],
        join_token_ttl=dt.timedelta(seconds=ttl) if ttl is not None else DEFAULT_JOIN_TOKEN_TTL)
    return {"InstanceId": registered.instance.instance_id, "JoinToken": registered.join_token,
            "Expiration": registered.instance.join_token.expires_at}


@operation(_SERVICE, "ListInstances")
def list_instances(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    found, token = ctx.services.instances.list_instances(ctx.request, next_token=p.get("NextToken"),
                                                         max_results=p.get("MaxResults"))
    out: dict[str, Any] = {"Instances": [{
        "InstanceId": s.instance.instance_id, "CreatedAt": s.instance.created_at, "Joined": s.instance.joined,
        "Tags": [{"Key": k, "Value": v} for k, v in s.instance.tags],
        **({"IamInstanceProfileArn": s.association.profile_arn} if s.association is not None else {}),
    } for s in found]}
    if token is not None:
        out["NextToken"] = token
    return out


@operation(_SERVICE, "DeregisterInstance")
def deregister_instance(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    ctx.services.instances.deregister(ctx.request, p["InstanceId"])
    return {}


@operation(_SERVICE, "JoinInstance")
def join_instance(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    joined = ctx.services.instances.join(ctx.request, p["JoinToken"])
    return {"InstanceId": joined.instance.instance_id, "AccountId": joined.instance.account_id,
            "Region": joined.instance.region, "InstanceCredential": _credentials(joined.credential)}


@operation(_SERVICE, "RotateInstanceCredential")
def rotate_instance_credential(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"InstanceCredential": _credentials(ctx.services.instances.rotate_credential(ctx.request))}


@operation(_SERVICE, "GetInstanceRoleCredentials")
def get_instance_role_credentials(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    found = ctx.services.instances.role_credentials(ctx.request)
    out: dict[str, Any] = {"InstanceId": found.instance_id, "AccountId": found.account_id,
                           "LastUpdated": found.last_updated}
    if found.profile_arn is not None:
        out.update(InstanceProfileArn=found.profile_arn, InstanceProfileId=found.profile_id)
    if found.role is not None and found.session is not None:
        out.update(RoleName=found.role.name, RoleArn=found.role.arn, Credentials=_credentials(found.session))
    return out
