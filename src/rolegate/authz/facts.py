"""What authorization reads about principals and resources, and the port it reads them through.

``PolicySource`` is implemented by ``rolegate.iam.effective_policies.EffectivePolicies`` (cached per worker,
stamped with the store's scoped generations) and wired in by the composition root; authz itself knows no
store. Every method takes the request's ``Snapshot``, so one request reads the invalidation port once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rolegate.policy import CompiledPolicy
from rolegate.store.invalidation import Snapshot


@dataclass(frozen=True, slots=True)
class PrincipalPolicies:
    """A principal's identity policies (compiled), boundary and tags."""

    arn: str
    principal_id: str
    identity: tuple[CompiledPolicy, ...]
    boundary: CompiledPolicy | None
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class EntityFacts:
    """An existing resource: its ARN (with path), tags and permissions boundary, and the condition keys it
    supplies itself (a service-specific credential's ``iam:ServiceSpecificCredentialServiceName``)."""

    arn: str
    tags: tuple[tuple[str, str], ...] = ()
    boundary_arn: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()


class PolicySource(Protocol):
    def user(self, snapshot: Snapshot, account_id: str, user_id: str) -> PrincipalPolicies | None:
        """An IAM user's policies: inline, attached, its groups', and its boundary."""
        ...

    def role(self, snapshot: Snapshot, account_id: str, role_name: str) -> PrincipalPolicies | None:
        """A role's policies, as its sessions carry them."""
        ...

    def managed_document(self, snapshot: Snapshot, account_id: str, arn: str) -> CompiledPolicy | None:
        """A managed policy's default version, compiled as a session policy (``PolicyArns``)."""
        ...

    def resource(self, snapshot: Snapshot, kind: str, account_id: str, key: str) -> EntityFacts | None:
        """Facts of the ``kind`` resource named ``key`` (a name, or an ARN for providers and policies)."""
        ...
