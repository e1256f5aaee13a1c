"""The audit stage of the endpoint: every answered request, of every service, becomes CloudTrail records in the
store copy of the trail, which the audit files are derived from (``rolegate.audit.drain``).

A new service needs no code here: its ``eventSource`` is its botocore model's ``endpointPrefix``
(``iam`` → ``iam.amazonaws.com``), ``readOnly`` follows the operation's name (``rolegate.audit.record``), and
the members its model marks ``sensitive`` (the botocore trait ``rolegate.core.redaction`` also reads) are
written as ``HIDDEN_DUE_TO_SECURITY_REASONS``; then every secret the request carried or produced is blanked
wherever it appears.

When a record is written (docs/adr/0041-audit-record-commits-with-its-change.md):
- a call that may change something: its request half rides in the handle stage's writes (``handling``), so the
  first write that commits holds the change and its record in one transaction, or neither; afterwards the
  whole record (with ``responseElements``) replaces it through the bookkeeping writer, not waited for;
- a success whose handler wrote nothing — a credential issuance above all — inserts its whole record itself
  before the response leaves, in a lean write of its own shared with the issuances that arrive meanwhile: on
  SQLite the event loop commits its own between two turns when the store is free (``loop_commits``,
  docs/adr/0046-the-event-loop-commits-its-issuances.md), otherwise the audit writer thread does
  (``rolegate.core.batching``; docs/adr/0044-issuance-records-in-lean-batches.md) while the loop awaits it or a
  worker thread waits; if that fails the call is answered 503 and its credentials are never returned;
- a read, or a refusal: inserted through the bookkeeping writer, not waited for.

It lives in the composition root because it joins the wire layer's ``Call`` to the audit package, which
are siblings that do not import each other.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import weakref
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from rolegate.audit.digests import RingKeySource
from rolegate.auth.partitions import partitions
from rolegate.audit.events import stored_event
from rolegate.audit.files import TrailWriter
from rolegate.audit.ports import AuditStore
from rolegate.audit.record import HIDDEN, Request, camel_keys, encoded_records, event_source, is_read_only, \
    record_time, recorded_name, request_half, waits_for_record
from rolegate.core.bookkeeping import Bookkeeping
from rolegate.core.clock import Clock
from rolegate.core.batching import BatchWriter
from rolegate.store.ports import AuditEvent, CarriedEvents, carrying
from rolegate.wire.call import Call
from rolegate.wire.dispatch import Operation
from rolegate.wire.observe import Durable, Outcome

from .config import Settings
from .loop_commits import LoopCommits

#: How long an issuance's batch may wait for a request the event loop is handling meanwhile (ADR 0045).
ISSUANCE_LINGER_SECONDS = 0.001

__all__ = ["AuditRecorder", "open_audit", "recorded"]


def open_audit(settings: Settings, keys: RingKeySource, clock: Clock) -> TrailWriter:
    """The trail's writer under ``data_dir/audit`` (CloudTrail's layout, digests signed with a key derived from
    the session key ring ``keys``), which the drainer holding the drain lock appends the store's records to.
    Regions the pinned botocore knows get directories of their own; a record signed for any other region name
    goes to the default region's files (its ``awsRegion`` still says what it was signed for)."""
    return TrailWriter(settings.data_dir / "audit", keys=keys, clock=clock,
                       default_account_id=settings.default_account_id, rotate_bytes=settings.audit_rotate_bytes,
                       rotate_seconds=settings.audit_rotate_seconds, digest_seconds=settings.audit_digest_seconds,
                       known_regions=frozenset(r for p in partitions() for r in p.regions))


class _Pending:
    """What ``handling`` left for ``record``: the request half (built when a write first carries it) and the
    events the handle stage's writes carried."""

    __slots__ = ("seed", "carried")

    def __init__(self, make_seed: Callable[[], list[dict[str, Any]]]) -> None:
        self.seed: list[dict[str, Any]] | None = None

        def events() -> tuple[AuditEvent, ...]:
            self.seed = make_seed()
            return tuple(stored_event(r, complete=False) for r in self.seed)

        self.carried = CarriedEvents(events)


class AuditRecorder:
    def __init__(self, store: AuditStore, bookkeeping: Bookkeeping[Any], clock: Clock) -> None:
        self._store = store
        self._bookkeeping = bookkeeping
        self._clock = clock
        self._waits: dict[tuple[str, str], bool] = {}
        # Issuances' records: those that arrive together are appended in one lean transaction by the audit
        # writer; each response still waits for the commit that holds its own. A batch waits for a request the
        # event loop is handling meanwhile (``expecting``), at most ISSUANCE_LINGER_SECONDS.
        self._alone: BatchWriter[tuple[AuditEvent, ...]] = BatchWriter(
            self._append, name="rolegate-audit-writer", linger=ISSUANCE_LINGER_SECONDS)
        # On SQLite, the records of an event loop's issuances are committed by that loop, when the store is free
        # (docs/adr/0046-the-event-loop-commits-its-issuances.md); the writer above takes them when it is not.
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopCommits[tuple[AuditEvent, ...]]] = \
            weakref.WeakKeyDictionary()

    @contextmanager
    def expecting(self) -> Iterator[None]:
        """Around handling a request, from its start up to ``record``: its record may join the batch about to be
        written (docs/adr/0045-issuance-batches-wait-for-the-loop.md, docs/adr/0046)."""
        commits = self._loop_commits()
        with self._alone.expecting():
            if commits is None:
                yield
            else:
                with commits.expecting():
                    yield

    def waits(self, op: Operation) -> bool:
        """Whether a success of ``op`` waits for its record's commit (a change, a credential issuance)."""
        key = (op.service, op.name)
        found = self._waits.get(key)
        if found is None:
            output = op.ref.operation.output_shape
            members = output.members if isinstance(output, StructureShape) else {}
            found = self._waits[key] = waits_for_record(op.name, members)
        return found

    @contextmanager
    def handling(self, call: Call) -> Iterator[None]:
        """Around the handle stage: a call that may change something has its request half carried by its writes."""
        op = call.operation
        if op is None or not self.waits(op):
            yield
            return
        read_only = is_read_only(op.service, op.name)
        # Built inside the handler's write, so it is redacted of every secret the request has carried until then.
        pending = _Pending(lambda: request_half(self._request(call, None), read_only=read_only))
        call.audit = pending
        with carrying(pending.carried):
            yield

    def record(self, call: Call, outcome: Outcome) -> Durable | None:
        op = call.operation
        if op is None:
            return None  # not an AWS operation (an unknown action): nothing CloudTrail would name
        pending = call.audit if isinstance(call.audit, _Pending) else None
        records = encoded_records(self._request(call, outcome), read_only=is_read_only(op.service, op.name),
                                  seed=pending.seed if pending is not None else None)  # built: its ids are kept
        events = tuple(stored_event(r, complete=True, text=text) for r, text in records)
        if pending is not None and pending.carried.committed:
            self._bookkeeping.submit(lambda tx: _complete(tx, events))
        elif call.error is None and self.waits(op):
            # Nothing the handler wrote carried the record (it wrote nothing): a write of its own, waited for.
            commits = self._loop_commits()
            return commits.submit(events) if commits is not None else self._alone.submit(events)
        else:
            self._bookkeeping.submit(lambda tx: tx.audit_events.add(events))
        return None

    def close(self) -> None:
        """Write what is queued for the audit writer, then stop it (before the store closes)."""
        self._alone.close()

    def _append(self, batch: Sequence[tuple[AuditEvent, ...]]) -> None:
        self._store.audit_log.append(_joined(batch))

    def _append_now(self, batch: Sequence[tuple[AuditEvent, ...]]) -> bool:
        return self._store.audit_log.append(_joined(batch), wait=False)

    def _loop_commits(self) -> LoopCommits[tuple[AuditEvent, ...]] | None:
        """The running event loop's committer, if this is one and the store's commits are local; else None."""
        if not self._store.audit_log.local:
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None  # a worker thread: it may wait for the writer
        found = self._loops.get(loop)
        if found is None:
            found = self._loops[loop] = LoopCommits(loop, self._append_now, self._alone, _joined,
                                                    linger=ISSUANCE_LINGER_SECONDS)
        return found

    def _request(self, call: Call, outcome: Outcome | None) -> Request:
        op = call.operation
        assert op is not None
        model = op.ref.operation
        err = call.error if outcome is not None else None
        params = call.params
        secrets = call.secrets
        return Request(
            request_id=call.request_id,
            event_source=event_source(str(op.ref.service.metadata.get("endpointPrefix", op.service))),
            event_name=op.name, service=op.service,
            time=call.context.now if call.context is not None else self._clock.now(),
            region=call.context.region if call.context is not None else
            (call.caller.region if call.caller is not None else "us-east-1"),
            source_ip=call.request.client_ip, user_agent=call.request.header("user-agent"),
            caller=call.caller,
            params=recorded(model.input_shape, params, secrets) if params is not None else None,
            result=recorded(model.output_shape, call.result, secrets)
            if call.result is not None and outcome is not None else None,
            error_code=outcome.error_code if outcome is not None else None,
            error_message=err.message if err is not None else None,
            denial_reason=err.message if err is not None and err.code == "AccessDenied" else None,
            secure=call.request.secure, host=call.request.header("host"), tls_version=call.request.tls_version,
            cipher_suite=call.request.cipher_suite, secrets=tuple(secrets))


def _joined(batch: Sequence[tuple[AuditEvent, ...]]) -> tuple[AuditEvent, ...]:
    return tuple(event for events in batch for event in events)


def _complete(tx: Any, events: tuple[AuditEvent, ...]) -> None:
    for event in events:
        if not tx.audit_events.complete(event):
            tx.audit_events.add((event,))  # its request half is gone (retention of a very old row): keep the whole


def recorded(shape: Shape | None, value: Any, secrets: Container[str]) -> Any:
    """``value`` as the record writes it, in one walk guided by its model ``shape``: member names in camelCase
    (``recorded_name``), every member the model marks ``sensitive`` (or that is a blob) and every string that is
    one of ``secrets`` as ``HIDDEN``, times as ``record_time``. Where the model says nothing (an unknown member),
    ``camel_keys`` goes on without it."""
    if shape is None:
        return camel_keys(value, secrets)
    if shape.metadata.get("sensitive") or shape.type_name == "blob":
        return HIDDEN
    if type(value) is str:
        return HIDDEN if value in secrets else value
    if value is None or type(value) is int or type(value) is bool:
        return value
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        members = shape.members
        return {recorded_name(k): recorded(members.get(k), v, secrets) for k, v in value.items()}
    if isinstance(shape, ListShape) and isinstance(value, (list, tuple)):
        member = shape.member
        return [recorded(member, v, secrets) for v in value]
    if isinstance(shape, MapShape) and isinstance(value, Mapping):
        kind = shape.value
        return {recorded_name(k) if isinstance(k, str) else k: recorded(kind, v, secrets) for k, v in value.items()}
    if isinstance(value, dt.datetime):
        return record_time(value)
    return camel_keys(value, secrets)
