"""The registry of operation handlers and what a handler is given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rolegate.authz import Authorizer, Caller, RequestContext
from rolegate.iam.accounts import AccountService
from rolegate.iam.instance_profiles import InstanceProfileService
from rolegate.iam.providers import ProviderService
from rolegate.iam.roles import RoleService
from rolegate.iam.service_linked_roles import ServiceLinkedRoleService
from rolegate.iam.access_keys import AccessKeyService
from rolegate.iam.groups import GroupService
from rolegate.iam.users import UserService
from rolegate.iam.policies import ManagedPolicyService
from rolegate.iam.account_views import AccountViewService
from rolegate.sts.mfa import MfaService
from rolegate.sts.messages import AuthorizationMessages
from rolegate.sts.sessions import StsService


@dataclass(frozen=True, slots=True)
class Services:
    """The domain services handlers call; built once by the composition root."""

    accounts: AccountService
    roles: RoleService
    instance_profiles: InstanceProfileService
    service_linked_roles: ServiceLinkedRoleService
    providers: ProviderService
    users: UserService
    groups: GroupService
    access_keys: AccessKeyService
    policies: ManagedPolicyService
    account_views: AccountViewService
    sts: StsService
    mfa: MfaService
    authorization_messages: AuthorizationMessages


@dataclass(frozen=True, slots=True)
class HandlerContext:
    services: Services
    caller: Caller | None  # None only for unsigned operations
    request_id: str
    region: str
    authorizer: Authorizer  # for checks inside an operation (iam:PassRole)
    request: RequestContext  # what domain methods receive


Handler = Callable[[HandlerContext, dict[str, Any]], dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if name in HANDLERS:
            raise RuntimeError(f"operation {name} registered twice")
        HANDLERS[name] = fn
        return fn

    return register
