"""Who is calling: the principal a request authenticated as, with the session claims it carries."""

from __future__ import annotations

from dataclasses import dataclass

from rolegate.core.arns import DEFAULT_PARTITION, account_root_arn

from . import claims as kinds
from .claims import SessionClaims


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
    partition: str = DEFAULT_PARTITION  # the caller's account's; the request was signed for one of its regions


def root_caller(account_id: str, access_key_id: str | None, region: str, *, dev_fallback: bool = False,
                partition: str = DEFAULT_PARTITION) -> Caller:
    # For the root user, GetCallerIdentity's UserId is the account id (STS API reference).
    return Caller(account_id=account_id, arn=account_root_arn(account_id, partition), user_id=account_id,
                  principal_type="Account", access_key_id=access_key_id, region=region,
                  dev_fallback=dev_fallback, partition=partition)


def session_caller(claims: SessionClaims, region: str) -> Caller:
    """The caller a session's requests come from: the role session, the federated user, or (GetSessionToken)
    the user or root user itself — each carrying the session's claims."""
    if claims.kind == kinds.ACCOUNT:
        base = root_caller(claims.account_id, claims.access_key_id, region, partition=claims.partition)
        return Caller(account_id=base.account_id, arn=base.arn, user_id=base.user_id,
                      principal_type=base.principal_type, access_key_id=claims.access_key_id, region=region,
                      session=claims, partition=claims.partition)
    return Caller(account_id=claims.account_id, arn=claims.arn, user_id=claims.user_id, principal_type=claims.kind,
                  access_key_id=claims.access_key_id, region=region,
                  user_name=claims.principal_name if claims.kind == kinds.USER else None, session=claims,
                  partition=claims.partition)
