"""Service last accessed data ("access advisor"): when each user and role last made an authenticated,
authorized call to each service rolegate serves (and to each action), and the reports
GenerateServiceLastAccessedDetails / GetServiceLastAccessedDetails(WithEntities) build from it.

Recording (``ServiceAccessRecorder``) keeps uses in memory and writes them in one batch about once per
``flush_interval`` per process (and before a report is generated), so no request pays a write of its own; AWS itself documents the data as
lagging ("Recent activity usually appears within four hours", IAM API reference,
GenerateServiceLastAccessedDetails). A report is computed when it is generated and stored, so the job is
COMPLETED at once and any node can answer for it.

What a report lists follows the IAM API reference, GetServiceLastAccessedDetails: "For each service that the
resource could access using permissions policies" — the services named by Allow statements of the entity's
own permission policies (a user's include its groups'; a policy's is its default version), boundaries and
other policy types not considered. A wildcard service prefix (``"*"``, ``"s*:…"``) stands for the matching
services rolegate knows: those it serves and those it has seen called.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from rolegate.authz import RequestContext
from rolegate.core.arns import parse_arn
from rolegate.core.clock import Clock
from rolegate.core.errors import InvalidInput, NoSuchEntity
from rolegate.core.pagination import Page
from rolegate.policy.wildcards import glob_matcher, has_wildcard

from .aws_managed import aws_managed_policy
from .entities import AccessReportJobRecord, ServiceAccessRecord
from .paging import page_by_position
from .policy_lookup import find_managed_policy
from .ports import IamStore, IamTransaction

SERVICE_LEVEL = "SERVICE_LEVEL"
ACTION_LEVEL = "ACTION_LEVEL"
DEFAULT_FLUSH_INTERVAL = dt.timedelta(minutes=1)

#: Services rolegate serves, with the names AWS's reports give them.
SERVICE_NAMES = {"iam": "AWS Identity and Access Management", "sts": "AWS Security Token Service"}


class ServiceAccessRecorder:
    """Uses noted in memory, written in batches: at most one write per ``flush_interval`` per process."""

    def __init__(self, store: IamStore, clock: Clock, *,
                 flush_interval: dt.timedelta = DEFAULT_FLUSH_INTERVAL) -> None:
        self._store = store
        self._clock = clock
        self._interval = flush_interval
        self._pending: dict[tuple[str, str, str], ServiceAccessRecord] = {}
        self._flushed_at: dt.datetime | None = None
        self._lock = threading.Lock()

    def note(self, account_id: str, entity_arn: str, namespace: str, action: str, region: str) -> bool:
        """Note one call of ``namespace:action`` by the entity now; True when the batch is due to be written
        (the caller then calls ``flush``, on a thread that may wait for the store)."""
        now = self._clock.now().replace(microsecond=0)
        with self._lock:
            for act in (None, action):
                self._pending[(entity_arn, namespace, act or "")] = ServiceAccessRecord(
                    account_id, entity_arn, namespace, act, now, region)
            return self._flushed_at is None or now - self._flushed_at >= self._interval

    def flush(self) -> None:
        """Write every pending use now (before a report is generated, and at the interval)."""
        with self._lock:
            batch, self._pending = list(self._pending.values()), {}
            self._flushed_at = self._clock.now().replace(microsecond=0)
        if not batch:
            return
        # A batch that cannot be written (the store down, its account gone after a --dev reset) is dropped, not
        # kept: retrying it could fail for ever, and the loss is at most one interval of bookkeeping.
        with self._store.write() as tx:
            tx.service_access.record(batch)


class ServiceLastAccessedService:
    def __init__(self, store: IamStore, recorder: ServiceAccessRecorder) -> None:
        self._store = store
        self._recorder = recorder

    def generate(self, request: RequestContext, arn: str, granularity: str = SERVICE_LEVEL) -> str:
        """Build the report for the user, group, role or managed policy ``arn``; its job id."""
        kind, name = _target(arn, request.account_id)
        with contextlib.suppress(Exception):  # bookkeeping: a failed write leaves the report a minute behind
            self._recorder.flush()
        with self._store.write() as tx:
            entities, documents = _entities_and_documents(tx, request.account_id, kind, name, arn)
            accesses = tx.service_access.for_entities(request.account_id, [e["Arn"] for e in entities])
            report = _report(documents, entities, accesses, granularity)
            job = AccessReportJobRecord(job_id=str(uuid.uuid4()), account_id=request.account_id, arn=arn,
                                        granularity=granularity, created_at=request.timestamp,
                                        completed_at=request.timestamp, report=json.dumps(report))
            tx.access_reports.create(job)
        return job.job_id

    def services(self, request: RequestContext, job_id: str, *, marker: str | None = None,
                 max_items: int | None = None) -> tuple[AccessReportJobRecord, Page[dict[str, Any]]]:
        job = self._job(request, job_id)
        return job, page_by_position(json.loads(job.report)["services"], marker, max_items)

    def entities(self, request: RequestContext, job_id: str, namespace: str, *, marker: str | None = None,
                 max_items: int | None = None) -> tuple[AccessReportJobRecord, Page[dict[str, Any]]]:
        """The report's entities with when each last called ``namespace`` (never-seen ones without a time)."""
        job = self._job(request, job_id)
        report = json.loads(job.report)
        last = report["entity_access"].get(namespace, {})
        rows = [{"EntityInfo": e, **({"LastAuthenticated": last[e["Arn"]]} if e["Arn"] in last else {})}
                for e in report["entities"]]
        return job, page_by_position(rows, marker, max_items)

    def policies_granting(self, request: RequestContext, arn: str,
                          namespaces: Sequence[str]) -> list[dict[str, Any]]:
        """ListPoliciesGrantingServiceAccess: for each namespace, the user's, group's or role's permission
        policies that allow one of its actions (IAM API reference, ListPoliciesGrantingServiceAccess: "a list of
        policies that grant the entity access to the specified service"; a user's include its groups')."""
        kind, name = _target(arn, request.account_id)
        if kind == "policy":
            raise InvalidInput(f"ARN {arn} is not valid: it must name a user, group or role.")
        with self._store.read() as tx:
            _, policies = _entity_policies(tx, request.account_id, kind, name, arn)
        return [{"ServiceNamespace": ns,
                 "Policies": [meta for meta, doc in policies if ns.lower() in allowed_namespaces([doc], [ns.lower()])]}
                for ns in namespaces]

    def _job(self, request: RequestContext, job_id: str) -> AccessReportJobRecord:
        with self._store.read() as tx:
            job = tx.access_reports.get(job_id)
        if job is None or job.account_id != request.account_id:
            raise NoSuchEntity(f"The job with id {job_id} cannot be found.")
        return job


def _target(arn: str, account_id: str) -> tuple[str, str]:
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "iam":
        raise InvalidInput(f"ARN {arn} is not valid.")
    kind, _, rest = parsed.resource.partition("/")
    if kind not in ("user", "role", "group", "policy") or not rest:
        raise InvalidInput(f"ARN {arn} is not valid: it must name a user, group, role or policy.")
    if parsed.account not in (account_id, "aws") or (parsed.account == "aws" and kind != "policy"):
        raise NoSuchEntity(f"The entity {arn} cannot be found.")
    return kind, rest.rsplit("/", 1)[-1]


# A permission policy as ListPoliciesGrantingServiceAccess describes it, and its document.
GrantingPolicy = tuple[dict[str, Any], str]


def _entities_and_documents(tx: IamTransaction, account_id: str, kind: str, name: str,
                            arn: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The users and roles whose calls count for the target, as EntityInfo, and the target's own policies."""
    if kind != "policy":
        entity, policies = _entity_policies(tx, account_id, kind, name, arn)
        documents = [d for _, d in policies]
        if kind != "group":
            return [entity], documents
        members = tx.groups.list_members(entity["Id"], None, 10_000)
        return [_info(u.arn, u.name, "USER", u.user_id, u.path) for u in members], documents
    if find_managed_policy(tx, account_id, arn) is None:
        raise NoSuchEntity(f"The entity {arn} cannot be found.")
    entities = []
    for e in tx.managed_policies.entities(account_id, arn, attached=True, boundary=False):
        if e.kind == "Group":
            entities += [_info(u.arn, u.name, "USER", u.user_id, u.path)
                         for u in tx.groups.list_members(e.entity_id, None, 10_000)]
        else:
            found = tx.users.get(e.entity_id) if e.kind == "User" else tx.roles.get_by_name(account_id, e.name)
            if found is not None:
                entities.append(_info(found.arn, e.name, e.kind.upper(), e.entity_id, e.path))
    return _unique(entities), [d for _, d in _managed_policies(tx, account_id, [arn])]


def _entity_policies(tx: IamTransaction, account_id: str, kind: str, name: str,
                     arn: str) -> tuple[dict[str, Any], list[GrantingPolicy]]:
    """A user's, role's or group's EntityInfo and its permission policies (a user's include its groups')."""
    missing = NoSuchEntity(f"The entity {arn} cannot be found.")
    if kind == "user":
        user = tx.users.get_by_name(account_id, name)
        if user is None:
            raise missing
        policies = _inline(tx.users.list_inline_policies(user.user_id), "USER", user.name)
        policies += _managed_policies(tx, account_id, tx.managed_policies.attached("User", user.user_id))
        for group in tx.users.list_groups(user.user_id):
            policies += _inline(tx.groups.list_inline_policies(group.group_id), "GROUP", group.name)
            policies += _managed_policies(tx, account_id, tx.managed_policies.attached("Group", group.group_id))
        return _info(user.arn, user.name, "USER", user.user_id, user.path), policies
    if kind == "role":
        role = tx.roles.get_by_name(account_id, name)
        if role is None:
            raise missing
        policies = _inline(tx.roles.list_inline_policies(role.role_id), "ROLE", role.name)
        policies += _managed_policies(tx, account_id, tx.managed_policies.attached("Role", role.role_id))
        return _info(role.arn, role.name, "ROLE", role.role_id, role.path), policies
    target = tx.groups.get_by_name(account_id, name)
    if target is None:
        raise missing
    policies = _inline(tx.groups.list_inline_policies(target.group_id), "GROUP", target.name)
    policies += _managed_policies(tx, account_id, tx.managed_policies.attached("Group", target.group_id))
    return _info(target.arn, target.name, "GROUP", target.group_id, target.path), policies


def _inline(pairs: Iterable[tuple[str, str]], entity_type: str, entity_name: str) -> list[GrantingPolicy]:
    return [({"PolicyName": name, "PolicyType": "INLINE", "EntityType": entity_type, "EntityName": entity_name},
             document) for name, document in pairs]


def _managed_policies(tx: IamTransaction, account_id: str, arns: Iterable[str]) -> list[GrantingPolicy]:
    out: list[GrantingPolicy] = []
    for arn in arns:
        aws = aws_managed_policy(arn)
        if aws is not None:
            out.append(({"PolicyName": arn.rsplit("/", 1)[-1], "PolicyType": "MANAGED", "PolicyArn": arn},
                        aws.default_version.document))
            continue
        policy = find_managed_policy(tx, account_id, arn)
        version = tx.managed_policies.get_version(policy.policy_id, policy.default_version_id) if policy else None
        if policy is not None and version is not None:
            out.append(({"PolicyName": policy.name, "PolicyType": "MANAGED", "PolicyArn": arn}, version.document))
    return out


def _info(arn: str, name: str, kind: str, entity_id: str, path: str) -> dict[str, Any]:
    return {"Arn": arn, "Name": name, "Type": kind, "Id": entity_id, "Path": path}


def _unique(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for e in entities:
        seen.setdefault(e["Arn"], e)
    return list(seen.values())


def allowed_namespaces(documents: Sequence[str], known: Iterable[str]) -> set[str]:
    """The service prefixes the Allow statements of ``documents`` name; wildcard prefixes match ``known``."""
    known = set(known)
    out: set[str] = set()
    for document in documents:
        try:
            statements = json.loads(document).get("Statement", [])
        except (ValueError, AttributeError):
            continue
        for st in statements if isinstance(statements, list) else [statements]:
            if not isinstance(st, dict) or st.get("Effect") != "Allow":
                continue
            actions = st.get("Action", [])
            if "NotAction" in st:  # everything but some actions: every service may remain
                actions = ["*"]
            for action in [actions] if isinstance(actions, str) else actions:
                if not isinstance(action, str):
                    continue
                prefix = action.split(":", 1)[0].lower() if ":" in action else action.lower()
                if has_wildcard(prefix):
                    matches = glob_matcher(prefix, ignore_case=True)
                    out.update(ns for ns in known if matches(ns))
                elif prefix:
                    out.add(prefix)
    return out


def _report(documents: Sequence[str], entities: list[dict[str, Any]], accesses: list[ServiceAccessRecord],
            granularity: str) -> dict[str, Any]:
    namespaces = sorted(allowed_namespaces(documents, set(SERVICE_NAMES) | {a.namespace for a in accesses}))
    services = []
    entity_access: dict[str, dict[str, str]] = {}
    for ns in namespaces:
        service_level = sorted((a for a in accesses if a.namespace == ns and a.action is None),
                               key=lambda a: a.last_at, reverse=True)
        out: dict[str, Any] = {"ServiceName": SERVICE_NAMES.get(ns, ns), "ServiceNamespace": ns,
                               "TotalAuthenticatedEntities": len({a.entity_arn for a in service_level})}
        if service_level:
            latest = service_level[0]
            out.update(LastAuthenticated=_iso(latest.last_at), LastAuthenticatedEntity=latest.entity_arn,
                       LastAuthenticatedRegion=latest.region)
        entity_access[ns] = {a.entity_arn: _iso(a.last_at) for a in reversed(service_level)}
        if granularity == ACTION_LEVEL and ns in SERVICE_NAMES:
            # Action-level data is tracked for the services rolegate serves, the actions seen called.
            latest_by_action: dict[str, ServiceAccessRecord] = {}
            for a in accesses:
                if a.namespace == ns and a.action is not None:
                    held = latest_by_action.get(a.action)
                    if held is None or held.last_at < a.last_at:
                        latest_by_action[a.action] = a
            out["TrackedActionsLastAccessed"] = [
                {"ActionName": name, "LastAccessedEntity": a.entity_arn, "LastAccessedTime": _iso(a.last_at),
                 "LastAccessedRegion": a.region} for name, a in sorted(latest_by_action.items())]
        services.append(out)
    return {"services": services, "entities": entities, "entity_access": entity_access}


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).isoformat()
