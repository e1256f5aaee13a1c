"""The observer that feeds service last accessed data: each authenticated and authorized call, by a user or a
role session, is noted for its entity (``rolegate.iam.last_accessed.ServiceAccessRecorder`` batches the writes).

The root user is not an IAM entity and is not tracked; a federated user's calls count for the IAM user whose
credentials it was issued from, a role session's for its role.
"""

from __future__ import annotations

import threading

import structlog

from rolegate.iam.last_accessed import ServiceAccessRecorder

from .call import Call
from .observe import CompletionObserver, Outcome

log = structlog.get_logger(__name__)


class ServiceAccessObserver(CompletionObserver):
    def __init__(self, recorder: ServiceAccessRecorder) -> None:
        self._recorder = recorder

    def completed(self, call: Call, outcome: Outcome) -> None:
        caller, op = call.caller, call.operation
        if call.context is None or caller is None or op is None or caller.principal_type == "Account":
            return  # not past authentication (or unsigned), or the root user
        if outcome.error_code == "AccessDenied":
            return  # not authorized
        entity = caller.session.principal_arn if caller.session is not None else caller.arn
        if not self._recorder.note(caller.account_id, entity, op.service, op.name, caller.region):
            return
        if op.runs_inline:  # on the event loop: the batch's write must not hold it up
            threading.Thread(target=self._flush, name="rolegate-service-access", daemon=True).start()
        else:
            self._flush()

    def _flush(self) -> None:
        try:
            self._recorder.flush()
        except Exception:  # an observer must not raise; the uses stay pending for the next batch
            log.warning("could not record service last accessed data", exc_info=True)
