"""What a session token says about its session: the claims every request made with it carries.

The claims are the principal's, so they live with the principal (``rolegate.authz.caller``); sealing them
into a token and opening it again is STS's (``rolegate.sts.tokens``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rolegate.core.arns import account_root_arn, assumed_role_arn, federated_user_arn, partition_of_arn

# Principal kinds of a session (the aws:PrincipalType a session's caller has).
ASSUMED_ROLE = "AssumedRole"
FEDERATED_USER = "FederatedUser"
USER = "User"  # GetSessionToken called by an IAM user
ACCOUNT = "Account"  # GetSessionToken called by the root user
# A registered instance's own credential (rolegate's, docs/adr/0038-registered-instances.md): it may only rotate
# itself and fetch its role's credentials; the principal is the instance's EC2 ARN.
INSTANCE = "Instance"


@dataclass(frozen=True, slots=True)
class SessionClaims:
    """What a session token says about its session. Times are timezone-aware UTC, whole seconds."""

    kind: str  # ASSUMED_ROLE | FEDERATED_USER | USER | ACCOUNT | INSTANCE
    account_id: str
    access_key_id: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    principal_id: str  # role id (AROA…), user id (AIDA…), instance id (i-…) or, for the root user, the account id
    principal_arn: str  # role ARN (with path), user ARN, root ARN, instance ARN; FederatedUser: the caller's ARN
    principal_name: str  # role name, user name, federated user name, instance id; "" for root
    session_name: str = ""  # RoleSessionName; the federated user name
    policy: str | None = None  # inline session policy, as given
    policy_arns: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = field(default=())  # session tags, inherited transitive ones included
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None
    mfa_authenticated_at: dt.datetime | None = None
    chained: bool = False  # assumed with the credentials of another role session
    # The IAM identity provider (its ARN) that authenticated a session issued by AssumeRoleWithWebIdentity or
    # AssumeRoleWithSAML: ``aws:FederatedProvider`` of the session's requests.
    federated_provider: str | None = None
    # An instance credential's generation: the store revokes every generation older than the one an instance
    # last rotated from (``rolegate.metadata.instances``). 0 for every other kind.
    generation: int = 0
    # A role session issued to a registered instance: its EC2 ARN, ``ec2:SourceInstanceARN`` of every request
    # made with the session (IAM User Guide, "AWS global condition context keys", ec2:SourceInstanceARN).
    source_instance_arn: str | None = None

    @property
    def arn(self) -> str:
        """The caller ARN requests made with this session carry (GetCallerIdentity's ``Arn``)."""
        if self.kind == ASSUMED_ROLE:
            return assumed_role_arn(self.account_id, self.principal_name, self.session_name, self.partition)
        if self.kind == FEDERATED_USER:
            return federated_user_arn(self.account_id, self.session_name, self.partition)
        if self.kind == ACCOUNT:
            return account_root_arn(self.account_id, self.partition)
        return self.principal_arn

    @property
    def partition(self) -> str:
        """The partition of the session's account, which the principal's ARN carries (the token needs no field
        of its own: the ARN was built in the account's partition when the session was issued)."""
        return partition_of_arn(self.principal_arn)

    @property
    def user_id(self) -> str:
        """``aws:userid``: ``AROA…:session`` for a role session, ``ACCOUNT:name`` for a federated user
        (IAM User Guide, "Information available in all requests" → aws:userid)."""
        if self.kind == ASSUMED_ROLE:
            return f"{self.principal_id}:{self.session_name}"
        if self.kind == FEDERATED_USER:
            return f"{self.account_id}:{self.session_name}"
        return self.principal_id

    @property
    def role_arn(self) -> str | None:
        return self.principal_arn if self.kind == ASSUMED_ROLE else None

    @property
    def mfa_present(self) -> bool:
        return self.mfa_authenticated_at is not None

    def transitive_tags(self) -> tuple[tuple[str, str], ...]:
        """The tags a chained session inherits from this one (IAM User Guide, "Chaining roles with session tags")."""
        keys = {k.lower() for k in self.transitive_tag_keys}
        return tuple((k, v) for k, v in self.tags if k.lower() in keys)
