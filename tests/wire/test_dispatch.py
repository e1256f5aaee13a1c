"""The dispatch table: operations keyed by (service, operation), auth type from the model."""

from __future__ import annotations

from typing import Any

import pytest

from rolegate.wire.dispatch import DispatchTable, is_unsigned
from rolegate.wire.handlers import HANDLERS, Handler, HandlerContext, OperationKey, operation
from rolegate.wire.models import ServiceCatalog, default_catalog


def _noop(ctx: HandlerContext, p: dict[str, Any]) -> None:
    return None


def test_unsigned_operations_come_from_the_model() -> None:
    catalog = default_catalog()
    unsigned = sorted(key for key, ref in catalog.operations.items() if is_unsigned(ref.operation))
    assert unsigned == [("rolegate-instances", "JoinInstance"), ("sts", "AssumeRoleWithSAML"),
                        ("sts", "AssumeRoleWithWebIdentity")]


def test_every_implemented_operation_is_in_the_table_with_its_auth_type() -> None:
    table = DispatchTable(default_catalog())
    assert sorted(table.keys()) == sorted(HANDLERS)
    list_roles = default_catalog().lookup("iam", "ListRoles")
    assert list_roles is not None
    entry = table.get(list_roles)
    assert entry is not None and entry.signature_required and entry.runs_inline
    # GetRole shows RoleLastUsed, so it first waits for queued bookkeeping: in a thread, never on the loop.
    get_role = default_catalog().lookup("iam", "GetRole")
    assert get_role is not None and not table.get(get_role).runs_inline  # type: ignore[union-attr]
    create_role = default_catalog().lookup("iam", "CreateRole")
    assert create_role is not None and table.get(create_role) is not None
    assert not table.get(create_role).runs_inline  # type: ignore[union-attr]


def test_one_name_in_two_services_is_two_entries() -> None:
    registry: dict[OperationKey, Handler] = {}
    operation("iam", "TagResource", registry=registry)(_noop)
    operation("organizations", "TagResource", registry=registry)(_noop)
    assert sorted(registry) == [("iam", "TagResource"), ("organizations", "TagResource")]
    with pytest.raises(RuntimeError, match="registered twice"):
        operation("iam", "TagResource", registry=registry)(_noop)


def test_a_handler_for_an_unmodelled_operation_is_refused() -> None:
    with pytest.raises(ValueError, match="does not have"):
        DispatchTable(ServiceCatalog(["sts"]), {("sts", "AssumeRoleWithTelepathy"): _noop})


def test_handlers_of_services_the_catalog_does_not_serve_are_left_out() -> None:
    table = DispatchTable(ServiceCatalog(["sts"]))
    assert table.keys() and all(service == "sts" for service, _ in table.keys())


def test_ec2s_describe_is_a_read_on_the_event_loop_and_its_changes_run_in_a_thread() -> None:
    table = DispatchTable(default_catalog())
    entries = {name: table.get(ref) for (service, name), ref in default_catalog().operations.items()
               if service == "ec2" and table.get(ref) is not None}
    assert {name: (e.runs_inline, e.signature_required) for name, e in entries.items()} == {  # type: ignore[union-attr]
        "DescribeIamInstanceProfileAssociations": (True, True), "AssociateIamInstanceProfile": (False, True),
        "ReplaceIamInstanceProfileAssociation": (False, True), "DisassociateIamInstanceProfile": (False, True)}
