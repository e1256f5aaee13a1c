"""What IAM answers about features that need services rolegate does not host, for an account that does not use
them: no organization (AWS Organizations' root access management), no delegation requests (a partner-only
feature), outbound web identity federation disabled (its default). Nothing here is stored: an account served
by rolegate can never be in another state.

Sources: IAM API reference, ListOrganizationsFeatures and Enable/DisableOrganizationsRoot… (errors:
OrganizationNotFoundException, "The request was rejected because no organization is associated with your
account"); ListDelegationRequests, GetDelegationRequest; GetOutboundWebIdentityFederationInfo (errors:
FeatureDisabled).
"""

from __future__ import annotations

from rolegate.authz import RequestContext
from rolegate.core.errors import FeatureDisabled, NoSuchEntity, OrganizationNotFound

NO_ORGANIZATION = "The request was rejected because no organization is associated with your account."


def organizations_features(request: RequestContext) -> None:
    """Every root-access-management operation: the account is in no organization."""
    raise OrganizationNotFound(NO_ORGANIZATION)


def delegation_request(request: RequestContext, delegation_request_id: str) -> None:
    """No delegation request exists: only partners can raise them, and rolegate hosts none."""
    raise NoSuchEntity(f"The delegation request with id {delegation_request_id} cannot be found.")


def organizations_access_report(request: RequestContext, job_id: str) -> None:
    """No Organizations access report job exists: an account outside an organization cannot generate one."""
    raise NoSuchEntity(f"The job with id {job_id} cannot be found.")


def outbound_web_identity_federation(request: RequestContext) -> None:
    """Outbound web identity federation is disabled, as it is in an account that never enabled it."""
    raise FeatureDisabled("Outbound web identity federation is disabled for this account.")
