"""The service catalog: IAM and STS by Action, disjoint, loaded once."""

from __future__ import annotations

import pytest

from rolegate.wire.models import ServiceCatalog, default_catalog, load_service_model


def test_default_catalog_indexes_every_iam_and_sts_action() -> None:
    catalog = default_catalog()
    assert catalog is default_catalog()
    iam, sts = load_service_model("iam"), load_service_model("sts")
    assert len(catalog.actions) == len(iam.operation_names) + len(sts.operation_names)
    ref = catalog.lookup_action("GetRole")
    assert ref is not None and ref.service_name == "iam" and ref.protocol == "query" and ref.name == "GetRole"
    assert ref.service is iam
    assume = catalog.lookup_action("AssumeRole")
    assert assume is not None and assume.service_name == "sts"
    assert catalog.lookup_action("getrole") is None
    assert catalog.lookup_action("Nope") is None
    assert catalog.services_by_protocol("query").keys() == {"iam", "sts"}
    assert catalog.service("sts").metadata["xmlNamespace"] == "https://sts.amazonaws.com/doc/2011-06-15/"


def test_query_action_clash_is_refused() -> None:
    catalog = ServiceCatalog(["iam"])
    with pytest.raises(ValueError, match="already registered"):
        catalog.add_service("iam")
    clone = ServiceCatalog([])
    clone.add_service(load_service_model("sts"))
    # A second query service re-declaring an STS action under another name must clash.
    import botocore.model

    data = {
        "metadata": {"protocol": "query", "apiVersion": "2020-01-01", "serviceId": "X", "endpointPrefix": "x"},
        "operations": {"AssumeRole": {"name": "AssumeRole", "http": {"method": "POST", "requestUri": "/"}}},
        "shapes": {},
    }
    with pytest.raises(ValueError, match="clash"):
        clone.add_service(botocore.model.ServiceModel(data, service_name="fake"))


def test_json_services_route_by_target() -> None:
    import botocore.model

    data = {
        "metadata": {"protocol": "json", "apiVersion": "2020-01-01", "serviceId": "J", "endpointPrefix": "j", "targetPrefix": "J_20200101"},
        "operations": {"DoIt": {"name": "DoIt", "http": {"method": "POST", "requestUri": "/"}}},
        "shapes": {},
    }
    catalog = ServiceCatalog([])
    catalog.add_service(botocore.model.ServiceModel(data, service_name="j"))
    ref = catalog.lookup_target("J_20200101.DoIt")
    assert ref is not None and ref.protocol == "json"
    assert catalog.lookup_action("DoIt") is None
