"""The audit stage of the endpoint: every answered request, of every service, becomes CloudTrail records.

A new service needs no code here: its ``eventSource`` is its botocore model's ``endpointPrefix``
(``iam`` → ``iam.amazonaws.com``), ``readOnly`` follows the operation's name (``rolegate.audit.record``), and
the members its model marks ``sensitive`` (the botocore trait ``rolegate.core.redaction`` also reads) are
written as ``HIDDEN_DUE_TO_SECURITY_REASONS``; then every secret the request carried or produced is blanked
wherever it appears. A change or a credential issuance waits for its records' fsync before the response
leaves (ADR 0032); a read, or a refused call, is appended and not waited for.

It lives in the composition root because it joins the wire layer's ``Call`` to the audit package, which
are siblings that do not import each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from rolegate.audit.digests import RingKeySource
from rolegate.audit.files import TrailWriter
from rolegate.audit.record import HIDDEN, Request, event_source, is_durable, is_read_only, records_for
from rolegate.audit.sink import AuditSink
from rolegate.core.clock import Clock
from rolegate.wire.call import Call
from rolegate.wire.observe import Outcome

from .config import Settings

__all__ = ["AuditRecorder", "hide_sensitive", "open_audit"]


def open_audit(settings: Settings, keys: RingKeySource, clock: Clock) -> TrailWriter:
    """This process's writer of the trail under ``data_dir/audit`` (CloudTrail's layout; each worker process
    writes its own open files, digests signed with a key derived from the session key ring ``keys``)."""
    return TrailWriter(settings.data_dir / "audit", keys=keys, clock=clock,
                       default_account_id=settings.default_account_id, rotate_bytes=settings.audit_rotate_bytes,
                       rotate_seconds=settings.audit_rotate_seconds, digest_seconds=settings.audit_digest_seconds)


class AuditRecorder:
    def __init__(self, sink: AuditSink, clock: Clock) -> None:
        self.sink = sink
        self._clock = clock

    def record(self, call: Call, outcome: Outcome) -> None:
        op = call.operation
        if op is None:
            return  # not an AWS operation (an unknown action): nothing CloudTrail would name
        model = op.ref.operation
        err = call.error
        params = call.params
        request = Request(
            request_id=call.request_id,
            event_source=event_source(str(op.ref.service.metadata.get("endpointPrefix", op.service))),
            event_name=op.name, service=op.service,
            time=call.context.now if call.context is not None else self._clock.now(),
            region=call.context.region if call.context is not None else
            (call.caller.region if call.caller is not None else "us-east-1"),
            source_ip=call.request.client_ip, user_agent=call.request.header("user-agent"),
            caller=call.caller,
            params=hide_sensitive(model.input_shape, params) if params is not None else None,
            result=hide_sensitive(model.output_shape, call.result) if call.result is not None else None,
            error_code=outcome.error_code, error_message=err.message if err is not None else None,
            denial_reason=err.message if err is not None and err.code == "AccessDenied" else None,
            secure=call.request.secure, host=call.request.header("host"), secrets=tuple(call.secrets))
        records = records_for(request, read_only=is_read_only(op.service, op.name))
        seq = self.sink.append(records)
        if err is None and is_durable(op.service, op.name, call.result):
            self.sink.durable(seq)


def hide_sensitive(shape: Shape | None, value: Any) -> Any:
    """``value`` with every member ``shape`` marks ``sensitive`` (or that is a blob) replaced by ``HIDDEN``."""
    if shape is None:
        return value
    if shape.metadata.get("sensitive") or shape.type_name == "blob":
        return HIDDEN
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        members = shape.members
        return {k: hide_sensitive(members.get(k), v) for k, v in value.items()}
    if isinstance(shape, ListShape) and isinstance(value, (list, tuple)):
        return [hide_sensitive(shape.member, v) for v in value]
    if isinstance(shape, MapShape) and isinstance(value, Mapping):
        return {k: hide_sensitive(shape.value, v) for k, v in value.items()}
    if isinstance(value, dt.datetime):
        return value
    return value
