"""IAM operations of features rolegate does not host, answered as for an account that does not use them
(``rolegate.iam.unhosted_features``; ``docs/compat/coverage.md`` lists them with that status)."""

from __future__ import annotations

from typing import Any

from rolegate.iam import unhosted_features as unhosted

from .registry import HandlerContext, operation

_ORGANIZATIONS_FEATURES = ("ListOrganizationsFeatures", "EnableOrganizationsRootCredentialsManagement",
                           "DisableOrganizationsRootCredentialsManagement", "EnableOrganizationsRootSessions",
                           "DisableOrganizationsRootSessions")


def _no_organization(ctx: HandlerContext, p: dict[str, Any]) -> None:
    unhosted.organizations_features(ctx.request)


for _name in _ORGANIZATIONS_FEATURES:
    operation("iam", _name)(_no_organization)


@operation("iam", "ListDelegationRequests")
def list_delegation_requests(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    # The output shape spells the flag ``isTruncated``.
    return {"DelegationRequests": [], "isTruncated": False}


@operation("iam", "GetDelegationRequest")
def get_delegation_request(ctx: HandlerContext, p: dict[str, Any]) -> None:
    unhosted.delegation_request(ctx.request, p["DelegationRequestId"])


@operation("iam", "GetOrganizationsAccessReport")
def get_organizations_access_report(ctx: HandlerContext, p: dict[str, Any]) -> None:
    unhosted.organizations_access_report(ctx.request, p["JobId"])


@operation("iam", "GetOutboundWebIdentityFederationInfo")
def get_outbound_web_identity_federation_info(ctx: HandlerContext, p: dict[str, Any]) -> None:
    unhosted.outbound_web_identity_federation(ctx.request)
