"""botocore service models, loaded once, and the index from a wire-level operation name to its model.

This module owns *which* operations rolegate's wire layer knows about and how a request names one:
query-protocol services (IAM, STS) by the form parameter ``Action``; json-protocol services by the
``X-Amz-Target`` header (``{targetPrefix}.{Operation}``); EC2's query dialect (protocol ``ec2``) by its
``Action`` too, in an index of its own, since the signing scope, not the action, tells EC2 from IAM/STS
(ADR 0039). rest-json services are registered too; the rest-json codec routes them by method and URI template
(``wire/rest_routes.py``, ADR 0029).

Models are loaded from botocore's bundled data (the version pinned by the project), never fetched, and
from ``rolegate/wire/data/`` — our own ``service-2.json`` files, in botocore's layout
(``<service>/<api-version>/service-2.json``), for operations botocore does not model. A model there
plugs in exactly like a botocore one; it also wins over botocore's for the same service name.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import botocore.loaders
import botocore.model
from botocore.model import OperationModel, ServiceModel

__all__ = [
    "DEFAULT_SERVICES",
    "MODEL_DIR",
    "OperationRef",
    "ServiceCatalog",
    "default_catalog",
    "load_service_model",
]

#: Services the default catalog serves. Query-protocol services must have disjoint action names
#: because one endpoint routes them all by ``Action``.
DEFAULT_SERVICES: tuple[str, ...] = ("iam", "sts", "rolesanywhere", "rolesanywhere-sessions", "rolegate-instances",
                                     "ec2", "cloudtrail")
#: rolegate's own models, searched before botocore's data.
MODEL_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class OperationRef:
    """An operation resolved from a request: its service's botocore name, protocol and model."""

    service_name: str
    protocol: str
    operation: OperationModel

    @property
    def service(self) -> ServiceModel:
        return self.operation.service_model

    @property
    def name(self) -> str:
        return str(self.operation.name)


@functools.cache
def _loader(search_paths: tuple[str, ...]) -> botocore.loaders.Loader:
    return botocore.loaders.Loader(extra_search_paths=[*search_paths, str(MODEL_DIR)])


def load_service_model(service_name: str, search_paths: Iterable[str] = ()) -> ServiceModel:
    """The ``service-2`` model for ``service_name``, loaded once per process: from ``search_paths`` (tests'
    own models), then ``MODEL_DIR``, then botocore's data."""
    return _load_service_model(service_name, tuple(search_paths))


@functools.cache
def _load_service_model(service_name: str, search_paths: tuple[str, ...]) -> ServiceModel:
    data = _loader(search_paths).load_service_model(service_name, "service-2")
    return botocore.model.ServiceModel(data, service_name=service_name)


def _protocol(model: ServiceModel) -> str:
    # Newer models list several protocols in preference order; ``protocol`` is the legacy single one.
    protocols = model.metadata.get("protocols")
    if protocols:
        return str(protocols[0])
    return str(model.metadata["protocol"])


class ServiceCatalog:
    """Index of operations by the name a request uses for them, per protocol.

    Construction loads every model and every operation model eagerly, so the first request pays
    nothing and a name clash between query services is found at start-up rather than at routing.
    """

    def __init__(self, services: Iterable[str | ServiceModel] = DEFAULT_SERVICES, *,
                 search_paths: Iterable[str | Path] = ()) -> None:
        self._search_paths = tuple(str(p) for p in search_paths)
        self._services: dict[str, ServiceModel] = {}
        self._protocols: dict[str, str] = {}
        self._by_action: dict[str, OperationRef] = {}
        self._by_target: dict[str, OperationRef] = {}
        self._by_ec2_action: dict[str, OperationRef] = {}
        self._by_key: dict[tuple[str, str], OperationRef] = {}
        for service in services:
            self.add_service(service)

    def add_service(self, service: str | ServiceModel) -> None:
        model = load_service_model(service, self._search_paths) if isinstance(service, str) else service
        name = model.service_name
        if name in self._services:
            raise ValueError(f"service {name!r} is already registered")
        protocol = _protocol(model)
        refs = [OperationRef(name, protocol, model.operation_model(op)) for op in model.operation_names]
        if protocol == "query":
            clash = sorted({ref.name for ref in refs} & self._by_action.keys())
            # One endpoint routes every query service on ``Action``; an overlap would be ambiguous.
            if clash:
                raise ValueError(f"query actions of {name!r} clash with registered services: {clash}")
            self._by_action.update((ref.name, ref) for ref in refs)
        elif protocol == "json":
            prefix = model.metadata["targetPrefix"]
            self._by_target.update((f"{prefix}.{ref.name}", ref) for ref in refs)
        elif protocol == "ec2":
            # One index for the dialect: a second ec2-protocol service could not be told from the first.
            if self._by_ec2_action:
                raise ValueError(f"service {name!r} is a second ec2-protocol service")
            self._by_ec2_action.update((ref.name, ref) for ref in refs)
        elif protocol != "rest-json":
            raise ValueError(f"service {name!r} uses unsupported protocol {protocol!r}")
        self._services[name] = model
        self._protocols[name] = protocol
        self._by_key.update(((name, ref.name), ref) for ref in refs)

    # --- lookups ----------------------------------------------------------------------------------

    def lookup(self, service_name: str, operation_name: str) -> OperationRef | None:
        """The operation ``operation_name`` of service ``service_name``, or ``None``."""
        return self._by_key.get((service_name, operation_name))

    def lookup_action(self, action: str) -> OperationRef | None:
        """The query-protocol operation named by a form ``Action`` value, or ``None``."""
        return self._by_action.get(action)

    def lookup_ec2_action(self, action: str) -> OperationRef | None:
        """The operation of the ec2-protocol service named by a form ``Action`` value, or ``None``."""
        return self._by_ec2_action.get(action)

    def lookup_target(self, target: str) -> OperationRef | None:
        """The json-protocol operation named by an ``X-Amz-Target`` header value, or ``None``."""
        return self._by_target.get(target)

    def service(self, service_name: str) -> ServiceModel:
        return self._services[service_name]

    def protocol(self, service_name: str) -> str:
        return self._protocols[service_name]

    def services_by_protocol(self, protocol: str) -> Mapping[str, ServiceModel]:
        return {n: m for n, m in self._services.items() if self._protocols[n] == protocol}

    @property
    def services(self) -> Mapping[str, ServiceModel]:
        return dict(self._services)

    @property
    def operations(self) -> Mapping[tuple[str, str], OperationRef]:
        """Every operation of every service, by (service, operation)."""
        return dict(self._by_key)

    @property
    def actions(self) -> Mapping[str, OperationRef]:
        """All query-protocol operations by ``Action`` name."""
        return dict(self._by_action)


@functools.cache
def default_catalog() -> ServiceCatalog:
    """The process-wide catalog of ``DEFAULT_SERVICES`` (built on first use, then shared)."""
    return ServiceCatalog(DEFAULT_SERVICES)
