"""EC2's instance profile association operations (EC2 API reference: AssociateIamInstanceProfile,
DescribeIamInstanceProfileAssociations, ReplaceIamInstanceProfileAssociation, DisassociateIamInstanceProfile),
on the instances registered with rolegate (``ctx.services.instances``; docs/adr/0039-ec2-query-dialect.md).

The rules — which instance, which profile, who may, what state — are the instance service's; these handlers
only turn EC2's input (a profile given by ``Name`` or ``Arn``, Describe's ``Filter.N``) into its arguments and
its ``Association`` into the model's ``IamInstanceProfileAssociation``.
"""

from __future__ import annotations

from typing import Any

from rolegate.core.errors import InvalidParameterValue
from rolegate.metadata.instances import Association

from .registry import HandlerContext, operation

__all__ = ["association_out"]


#: Describe's filters (EC2 API reference, DescribeIamInstanceProfileAssociations: ``instance-id``, ``state``).
_INSTANCE_ID, _STATE = "instance-id", "state"
_FILTERS = frozenset({_INSTANCE_ID, _STATE})


def association_out(a: Association) -> dict[str, Any]:
    """The ``IamInstanceProfileAssociation`` structure."""
    return {"AssociationId": a.association_id, "InstanceId": a.instance_id,
            "IamInstanceProfile": {"Arn": a.profile_arn, "Id": a.profile_id},
            "State": a.state, "Timestamp": a.timestamp}


def _profile(p: dict[str, Any]) -> dict[str, str | None]:
    spec = p["IamInstanceProfile"]
    return {"profile_name": spec.get("Name"), "profile_arn": spec.get("Arn")}


def _filters(filters: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Describe's ``Filter.N``: each filter's values by its name. Filters are ANDed and a filter's values ORed
    (EC2 API reference, "Filter"); rolegate refuses a filter given twice or without values rather than guess
    which intersection or which "everything" was meant (an InvalidParameterValue, the code EC2 answers an
    invalid filter with)."""
    out: dict[str, list[str]] = {}
    for f in filters:
        name = f.get("Name")  # the model does not require it
        if name not in _FILTERS:
            raise InvalidParameterValue(f"The filter '{'null' if name is None else name}' is invalid")
        if name in out:
            raise InvalidParameterValue(f"The filter '{name}' is given more than once")
        values = f.get("Values") or []
        if not values:
            raise InvalidParameterValue(f"The filter '{name}' must be given at least one value")
        out[name] = list(values)
    return out


@operation("ec2", "AssociateIamInstanceProfile")
def associate_iam_instance_profile(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    a = ctx.services.instances.associate(ctx.request, p["InstanceId"], **_profile(p))
    return {"IamInstanceProfileAssociation": association_out(a)}


@operation("ec2", "DescribeIamInstanceProfileAssociations")
def describe_iam_instance_profile_associations(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    filters = _filters(p.get("Filters") or [])
    found, token = ctx.services.instances.describe_associations(
        ctx.request, association_ids=p.get("AssociationIds") or (), instance_ids=filters.get(_INSTANCE_ID, ()),
        states=filters.get(_STATE, ()), max_results=p.get("MaxResults"), next_token=p.get("NextToken"))
    out: dict[str, Any] = {"IamInstanceProfileAssociations": [association_out(a) for a in found]}
    if token:
        out["NextToken"] = token
    return out


@operation("ec2", "ReplaceIamInstanceProfileAssociation")
def replace_iam_instance_profile_association(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    a = ctx.services.instances.replace_association(ctx.request, p["AssociationId"], **_profile(p))
    return {"IamInstanceProfileAssociation": association_out(a)}


@operation("ec2", "DisassociateIamInstanceProfile")
def disassociate_iam_instance_profile(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    a = ctx.services.instances.disassociate(ctx.request, p["AssociationId"])
    return {"IamInstanceProfileAssociation": association_out(a)}
