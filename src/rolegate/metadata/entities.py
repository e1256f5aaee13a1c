"""What the store keeps of registered instances: the instance (its id, account, region, tags, join token state
and instance-credential generations) and its one instance profile association (EC2 API reference,
IamInstanceProfileAssociation,
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IamInstanceProfileAssociation.html)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .join_tokens import JoinTokenState

__all__ = ["AssociationRecord", "InstanceRecord", "instance_arn"]


def instance_arn(partition: str, region: str, account_id: str, instance_id: str) -> str:
    """``arn:PARTITION:ec2:REGION:ACCOUNT:instance/ID`` (Service Authorization Reference, "Actions, resources,
    and condition keys for Amazon EC2", resource type ``instance``)."""
    return f"arn:{partition}:ec2:{region}:{account_id}:instance/{instance_id}"


@dataclass(frozen=True, slots=True)
class InstanceRecord:
    account_id: str
    instance_id: str
    partition: str  # its account's
    region: str  # where it was registered: its EC2 ARN's region
    created_at: dt.datetime
    join_token: JoinTokenState
    tags: tuple[tuple[str, str], ...] = field(default=())
    #: The newest instance credential's generation; 0 until the join token is redeemed.
    credential_generation: int = 0
    #: Credentials of an older generation are revoked (rotating from generation g revokes everything before g).
    oldest_valid_generation: int = 1
    joined_at: dt.datetime | None = None

    @property
    def arn(self) -> str:
        return instance_arn(self.partition, self.region, self.account_id, self.instance_id)

    @property
    def joined(self) -> bool:
        return self.credential_generation > 0


@dataclass(frozen=True, slots=True)
class AssociationRecord:
    association_id: str  # iip-assoc- and 17 hex digits
    account_id: str
    instance_id: str
    profile_arn: str
    profile_id: str  # AIPA…
    created_at: dt.datetime
