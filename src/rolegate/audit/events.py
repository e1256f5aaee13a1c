"""A CloudTrail record as the store keeps it: the columns CloudTrail's LookupEvents filters on, read from the record.

LookupEvents (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html) filters on
one attribute of eight (``API_LookupAttribute.html``): EventId, EventName, EventSource, ReadOnly, Username,
AccessKeyId, ResourceType, ResourceName. The last two are the event's "Resources", which CloudTrail names with
CloudFormation-style types (``AWS::IAM::Role``; "Filtering CloudTrail events",
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events-console.html#filtering-cloudtrail-events);
rolegate takes them from the request's parameters and, for credentials it issued, from the response.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from rolegate.store.ports import AuditEvent

from . import record_json

__all__ = ["RESOURCE_PARAMETERS", "resources_of", "stored_event", "username_of"]

#: requestParameters members (camelCase, as the record writes them) that name a resource, and its type.
RESOURCE_PARAMETERS: tuple[tuple[str, str], ...] = (
    ("roleName", "AWS::IAM::Role"), ("roleArn", "AWS::IAM::Role"), ("userName", "AWS::IAM::User"),
    ("groupName", "AWS::IAM::Group"), ("policyArn", "AWS::IAM::Policy"),
    ("instanceProfileName", "AWS::IAM::InstanceProfile"), ("accessKeyId", "AWS::IAM::AccessKey"),
    ("serverCertificateName", "AWS::IAM::ServerCertificate"), ("openIDConnectProviderArn", "AWS::IAM::OIDCProvider"),
    ("sAMLProviderArn", "AWS::IAM::SAMLProvider"), ("principalArn", "AWS::IAM::SAMLProvider"),
    ("trustAnchorId", "AWS::RolesAnywhere::TrustAnchor"), ("profileId", "AWS::RolesAnywhere::Profile"),
)


def resources_of(record: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """LookupEvents' ``Resources`` of ``record``: (ResourceType, ResourceName), each pair once, in a stable order."""
    found: list[tuple[str, str]] = []
    params = record.get("requestParameters")
    if isinstance(params, Mapping):
        for member, kind in RESOURCE_PARAMETERS:
            value = params.get(member)
            if isinstance(value, str) and value:
                found.append((kind, value))
    response = record.get("responseElements")
    if isinstance(response, Mapping):
        # What CloudTrail lists for an AssumeRole: the temporary access key and the assumed-role session.
        credentials = response.get("credentials")
        if isinstance(credentials, Mapping) and isinstance(credentials.get("accessKeyId"), str):
            found.append(("AWS::IAM::AccessKey", credentials["accessKeyId"]))
        user = response.get("assumedRoleUser")
        if isinstance(user, Mapping) and isinstance(user.get("arn"), str):
            found.append(("AWS::STS::AssumedRole", user["arn"]))
    return tuple(dict.fromkeys(found))


def username_of(identity: Mapping[str, Any]) -> str | None:
    """LookupEvents' ``Username``: the IAM user's name, ``root``, or for temporary credentials the session's name
    (the last part of the assumed-role or federated-user ARN)."""
    kind = identity.get("type")
    if kind == "Root":
        return "root"
    if kind == "IAMUser":
        name = identity.get("userName")
        return name if isinstance(name, str) else None
    arn = identity.get("arn")
    if isinstance(arn, str) and "/" in arn:
        return arn.rsplit("/", 1)[1]
    return None


def stored_event(record: Mapping[str, Any], *, complete: bool, text: str | None = None) -> AuditEvent:
    """``record`` with its LookupEvents columns, ready to insert; ``text``: its JSON, if already written."""
    identity = record.get("userIdentity") or {}
    key = identity.get("accessKeyId") if isinstance(identity, Mapping) else None
    when = str(record["eventTime"])
    if not (len(when) == 20 and when.endswith("Z")):
        raise ValueError(f"eventTime not in CloudTrail's form: {when!r}")
    return AuditEvent(
        event_id=str(record["eventID"]),
        event_time=dt.datetime.fromisoformat(when[:-1]).replace(tzinfo=dt.timezone.utc),
        event_name=str(record["eventName"]), event_source=str(record["eventSource"]),
        username=username_of(identity) if isinstance(identity, Mapping) else None,
        access_key_id=key if isinstance(key, str) else None, read_only=bool(record.get("readOnly")),
        recipient_account_id=str(record.get("recipientAccountId") or ""), resources=resources_of(record),
        record=text if text is not None else record_json.dumps(record),
        complete=complete)
