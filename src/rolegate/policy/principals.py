"""Principal and NotPrincipal matching, graded by how directly the policy names the caller.

"AWS JSON policy elements: Principal" and "Policy evaluation for requests within a single account":
the grade matters because a resource policy that names the caller itself (user ARN, session ARN)
or everyone (``"*"``) is not limited by permissions boundaries or session policies; one that names
the role of a session is; and one that names only the account delegates to the account's own
identity policies (docs/spec/policy-evaluation.md R19–R26, R59–R62).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from rolegate.policy.document import Principal
from rolegate.policy.request import ANONYMOUS_KIND, EXTERNAL, ROLE, ROOT, SERVICE, SESSION, USER, Request


class Grade(IntEnum):
    NONE = 0
    ACCOUNT = 1  # names the caller's account: delegates to identity policies (spec R20, R62)
    ROLE = 2  # names the role of a role session: limited by boundary and session policy (R61)
    DIRECT = 3  # names the caller itself, or everyone (R19, R21, R22, R60)


def _account_of(value: str) -> tuple[str | None, str] | None:
    """(partition, account) an account entry names: a bare id names the account in the policy's own partition
    (None: whichever the caller is in), a root ARN the account in the partition it names (spec R20)."""
    if value.isdigit() and len(value) == 12:
        return None, value
    parts = value.split(":")
    if len(parts) == 6 and parts[2] == "iam" and parts[5] == "root" and parts[3] == "":
        return parts[1], parts[4]
    return None


@dataclass(frozen=True, slots=True)
class PrincipalMatcher:
    everyone: bool
    accounts: frozenset[tuple[str | None, str]]  # (partition or None for a bare id, account)
    arns: frozenset[str]
    unique_ids: frozenset[str]
    services: frozenset[str]
    federated: frozenset[str]

    @classmethod
    def of(cls, principal: Principal) -> PrincipalMatcher:
        if principal.is_wildcard:
            return cls(True, frozenset(), frozenset(), frozenset(), frozenset(), frozenset())
        accounts: set[tuple[str | None, str]] = set()
        arns: set[str] = set()
        unique_ids: set[str] = set()
        everyone = False
        for value in principal.values("AWS"):
            if value == "*":
                # {"AWS": "*"} is the same as "*" ("AWS JSON policy elements: Principal").
                everyone = True
            elif (account := _account_of(value)) is not None:
                accounts.add(account)
            elif value.startswith("arn:"):
                arns.add(value)
            else:
                unique_ids.add(value)
        # CanonicalUser entries name S3 canonical ids, which no rolegate caller has (spec R22).
        return cls(
            everyone,
            frozenset(accounts),
            frozenset(arns),
            frozenset(unique_ids),
            frozenset(principal.values("Service")),
            frozenset(principal.values("Federated")),
        )

    def grade(self, request: Request) -> Grade:
        """How directly this element names the caller (spec R19–R24)."""
        if self.everyone:
            return Grade.DIRECT
        kind = request.kind
        caller = request.principal
        if kind == SERVICE:
            return Grade.DIRECT if caller in self.services else Grade.NONE
        if kind == EXTERNAL:
            return Grade.DIRECT if caller in self.federated else Grade.NONE
        if kind == ANONYMOUS_KIND:
            return Grade.NONE
        if kind != ROOT and caller in self.arns:
            return Grade.DIRECT
        if kind == SESSION and request.role_arn in self.arns:
            return Grade.ROLE
        if self.unique_ids and request.unique_id in self.unique_ids:
            # A unique id stands in for the ARN it was bound to (a user's or role's; spec R21): it
            # names that user or role, and a session of that role with role strength. A re-created
            # principal of the same name has a new id and is not matched.
            return Grade.ROLE if kind == SESSION else Grade.DIRECT
        if self._names_account(request):
            return Grade.ACCOUNT
        return Grade.NONE

    def _names_account(self, request: Request) -> bool:
        account = request.account
        if account is None:
            return False
        return (None, account) in self.accounts or (request.partition, account) in self.accounts

    def _names_by_unique_id(self, id_type: str, request: Request) -> bool:
        """The user's or role's ARN, or a session's role ARN, is also named by its unique id (spec R25)."""
        unique_id = request.unique_id
        if unique_id is None or unique_id not in self.unique_ids:
            return False
        return (id_type == "arn" and request.kind in (USER, ROLE)) or (id_type == "role" and request.kind == SESSION)

    def names_every_identity(self, request: Request) -> bool:
        """For ``NotPrincipal``: whether every identity of the caller is listed (spec R25).

        "AWS JSON policy elements: NotPrincipal": AWS checks the account, then the role, then the
        session, so exempting a session takes its ARN, its role's ARN and its account.
        """
        if self.everyone:
            return True
        for id_type, value in request.identities():
            if id_type == "anonymous":
                return False
            if id_type == "account":
                named = self._names_account(request)
            elif id_type in ("arn", "role"):
                named = value in self.arns or self._names_by_unique_id(id_type, request)
            elif id_type == "service":
                named = value in self.services
            else:
                named = value in self.federated
            if not named:
                return False
        return True
