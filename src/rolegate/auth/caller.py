"""Who is calling: the principal a request authenticated as."""

from __future__ import annotations

from dataclasses import dataclass

from rolegate.core.arns import account_root_arn
from rolegate.sts.tokens import SessionClaims


@dataclass(frozen=True, slots=True)
class Caller:
    account_id: str
    arn: str
    user_id: str  # aws:userid
    principal_type: str  # aws:PrincipalType: Account | User | AssumedRole | FederatedUser
    access_key_id: str | None = None
    region: str = "us-east-1"
    dev_fallback: bool = False  # accepted by --dev without a known key
    user_name: str | None = None  # the IAM user's name when principal_type is "User"
    # Temporary credentials (ASIA… key + session token): the verified claims of the session.
    session: SessionClaims | None = None
    # The store's policy generation authentication read the caller's key at: authorization of this request
    # decides against the same snapshot, so a request reads the counter once. None when authentication read
    # nothing (session credentials, callers built in process).
    generation: int | None = None


def root_caller(account_id: str, access_key_id: str | None, region: str, *, dev_fallback: bool = False) -> Caller:
    # For the root user, GetCallerIdentity's UserId is the account id (STS API reference).
    return Caller(account_id=account_id, arn=account_root_arn(account_id), user_id=account_id,
                  principal_type="Account", access_key_id=access_key_id, region=region,
                  dev_fallback=dev_fallback)
