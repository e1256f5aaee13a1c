"""A test double of the instance service's association methods (``rolegate.metadata.instances.InstanceService``),
kept in memory, for the EC2 handlers' tests.

It is a double, not the service: it answers with the codes and messages the service's contract names
(InvalidInstanceID.Malformed/NotFound, IncorrectState, InvalidAssociationID.NotFound, InvalidParameterValue),
paginates by position behind an opaque token, and refuses an action named in ``denied`` with AWS's AccessDenied
message, as the real service does after its own authorization (``IN_DOMAIN``). It holds no store, checks no
policy and passes no role; the end-to-end test (tests/e2e/test_ec2_associations_awscli.py) runs the real one.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from rolegate.authz import RequestContext
from rolegate.core.errors import AccessDenied, ClientError, InvalidParameterValue

_INSTANCE_ID = re.compile(r"i-[0-9a-f]{17}")


@dataclass(frozen=True, slots=True)
class Association:
    """The contract's ``Association``, field for field."""

    association_id: str
    instance_id: str
    profile_arn: str
    profile_id: str
    state: str
    timestamp: datetime


class InstanceAssociationsDouble:
    def __init__(self, account_id: str) -> None:
        self._account = account_id
        self.instances: set[str] = set()
        self.profiles: dict[str, str] = {}  # name -> id
        self.associations: dict[str, Association] = {}  # by association id, in creation order
        self.denied: set[str] = set()  # actions refused to every caller

    def add_instance(self) -> str:
        instance_id = "i-" + secrets.token_hex(9)[:17]
        self.instances.add(instance_id)
        return instance_id

    def profile_arn(self, name: str) -> str:
        return f"arn:aws:iam::{self._account}:instance-profile/{name}"

    # --- the contract ------------------------------------------------------------------------------

    def associate(self, request: RequestContext, instance_id: str, *, profile_name: str | None,
                  profile_arn: str | None) -> Association:
        self._authorize(request, "ec2:AssociateIamInstanceProfile")
        self._instance(instance_id)
        if any(a.instance_id == instance_id for a in self.associations.values()):
            raise ClientError(f"There is an existing association for instance {instance_id}", code="IncorrectState")
        arn, profile_id = self._profile(profile_name, profile_arn)
        association = Association("iip-assoc-" + secrets.token_hex(9)[:17], instance_id, arn, profile_id,
                                  "associated", request.now)
        self.associations[association.association_id] = association
        return association

    def describe_associations(self, request: RequestContext, *, association_ids: Sequence[str] = (),
                              instance_ids: Sequence[str] = (), states: Sequence[str] = (),
                              max_results: int | None = None, next_token: str | None = None
                              ) -> tuple[list[Association], str | None]:
        self._authorize(request, "ec2:DescribeIamInstanceProfileAssociations")
        for association_id in association_ids:
            if association_id not in self.associations:
                raise self._no_association(association_id)
        found = [a for a in self.associations.values()
                 if (not association_ids or a.association_id in association_ids)
                 and (not instance_ids or a.instance_id in instance_ids) and (not states or a.state in states)]
        start = 0
        if next_token is not None:
            try:
                start = int(base64.urlsafe_b64decode(next_token.encode()).decode().removeprefix("offset:"))
            except ValueError:
                raise InvalidParameterValue(f"Invalid value '{next_token}' for nextToken") from None
        end = len(found) if max_results is None else start + max_results
        token = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode() if end < len(found) else None
        return found[start:end], token

    def replace_association(self, request: RequestContext, association_id: str, *, profile_name: str | None,
                            profile_arn: str | None) -> Association:
        self._authorize(request, "ec2:ReplaceIamInstanceProfileAssociation")
        old = self.associations.get(association_id)
        if old is None:
            raise self._no_association(association_id)
        arn, profile_id = self._profile(profile_name, profile_arn)
        del self.associations[association_id]
        new = Association("iip-assoc-" + secrets.token_hex(9)[:17], old.instance_id, arn, profile_id, "associated",
                          request.now)
        self.associations[new.association_id] = new
        return new

    def disassociate(self, request: RequestContext, association_id: str) -> Association:
        self._authorize(request, "ec2:DisassociateIamInstanceProfile")
        old = self.associations.pop(association_id, None)
        if old is None:
            raise self._no_association(association_id)
        return replace(old, state="disassociated", timestamp=request.now)

    # --- helpers -----------------------------------------------------------------------------------

    def _authorize(self, request: RequestContext, action: str) -> None:
        if action in self.denied:
            caller = request.signed_caller()
            raise AccessDenied(f"User: {caller.arn} is not authorized to perform: {action} "
                               f"because no identity-based policy allows the {action} action")

    def _instance(self, instance_id: str) -> None:
        if not _INSTANCE_ID.fullmatch(instance_id):
            raise ClientError(f'Invalid id: "{instance_id}"', code="InvalidInstanceID.Malformed")
        if instance_id not in self.instances:
            raise ClientError(f"The instance ID '{instance_id}' does not exist", code="InvalidInstanceID.NotFound")

    def _profile(self, name: str | None, arn: str | None) -> tuple[str, str]:
        if arn is not None:
            name = arn.rsplit("/", 1)[-1] if arn.startswith(self.profile_arn("")) else None
            if name is None or name not in self.profiles:
                raise InvalidParameterValue(f"Value ({arn}) for parameter iamInstanceProfile.arn is invalid. "
                                            "Invalid IAM Instance Profile ARN")
        if name is None or name not in self.profiles:
            raise InvalidParameterValue(f"Value ({name}) for parameter iamInstanceProfile.name is invalid. "
                                        "Invalid IAM Instance Profile name")
        return self.profile_arn(name), self.profiles[name]

    @staticmethod
    def _no_association(association_id: str) -> ClientError:
        return ClientError(f"The association ID '{association_id}' does not exist",
                           code="InvalidAssociationID.NotFound")
