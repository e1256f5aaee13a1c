"""The registry of operation handlers, keyed by (service, operation), and what a handler is given.

A handler registers under its botocore service name and AWS operation name, ``@operation("iam",
"CreateRole")``; two services' operations of one name (IAM's and Organizations' ``TagResource``) are
different keys, so they cannot collide. ``rolegate.wire.dispatch`` joins this registry with the service
models into the endpoint's dispatch table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from rolegate.analysis.simulation import SimulationService
from rolegate.anywhere.crls import CrlService
from rolegate.anywhere.profiles import ProfileService
from rolegate.anywhere.sessions import SessionService
from rolegate.anywhere.subjects import SubjectService
from rolegate.anywhere.tagging import TaggingService
from rolegate.anywhere.trust_anchors import TrustAnchorService
from rolegate.auth.x509 import X509Signer
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
from rolegate.iam.account_settings import AccountSettingsService
from rolegate.iam.credential_report import CredentialReportService
from rolegate.iam.login_profiles import LoginProfileService
from rolegate.iam.last_accessed import ServiceLastAccessedService
from rolegate.iam.server_certificates import ServerCertificateService
from rolegate.iam.user_credentials import UserCredentialService
from rolegate.metadata.instances import InstanceService
from rolegate.sts.mfa import MfaService
from rolegate.sts.messages import AuthorizationMessages
from rolegate.sts.sessions import StsService


class EventHistory(Protocol):
    """CloudTrail's event history (``rolegate.audit.lookup``, a sibling of the wire layer the composition root
    hands in): LookupEvents over ``account_id``'s audit records."""

    def lookup(self, account_id: str, params: Mapping[str, Any]) -> dict[str, Any]: ...


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
    login_profiles: LoginProfileService
    account_settings: AccountSettingsService
    credential_reports: CredentialReportService
    user_credentials: UserCredentialService
    server_certificates: ServerCertificateService
    last_accessed: ServiceLastAccessedService
    sts: StsService
    mfa: MfaService
    authorization_messages: AuthorizationMessages
    simulation: SimulationService
    trust_anchors: TrustAnchorService
    anywhere_profiles: ProfileService
    crls: CrlService
    subjects: SubjectService
    anywhere_tags: TaggingService
    anywhere_sessions: SessionService
    instances: InstanceService
    event_history: EventHistory


@dataclass(frozen=True, slots=True)
class HandlerContext:
    services: Services
    caller: Caller | None  # None only for unsigned operations
    request_id: str
    region: str
    authorizer: Authorizer  # for checks inside an operation (iam:PassRole)
    request: RequestContext  # what domain methods receive
    x509: X509Signer | None = None  # who signed an X.509-signed operation (CreateSession)


Handler = Callable[[HandlerContext, dict[str, Any]], dict[str, Any] | None]
#: (botocore service name, operation name) — the one key of an operation everywhere in the wire layer.
OperationKey = tuple[str, str]
HANDLERS: dict[OperationKey, Handler] = {}
#: Whether a call of an operation that normally runs in a worker thread can answer on the event loop, decided
#: from its raw (undecoded) parameters before any stage runs: the domain says when it will not wait.
InlineWhen = Callable[[Services, Mapping[str, Any]], bool]
INLINE_WHEN: dict[OperationKey, InlineWhen] = {}


def inline_when(service: str, name: str) -> Callable[[InlineWhen], InlineWhen]:
    """Register the decorated predicate for ``service``'s threaded operation ``name``."""

    def register(fn: InlineWhen) -> InlineWhen:
        INLINE_WHEN[(service, name)] = fn
        return fn

    return register


def operation(service: str, name: str, *,
              registry: dict[OperationKey, Handler] = HANDLERS) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``service``'s operation ``name`` (in ``registry``:
    rolegate's own by default; a test may keep its own for a service it defines)."""
    key = (service, name)

    def register(fn: Handler) -> Handler:
        if key in registry:
            raise RuntimeError(f"operation {service}:{name} registered twice")
        registry[key] = fn
        return fn

    return register
