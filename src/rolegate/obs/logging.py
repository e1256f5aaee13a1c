"""Log configuration: structlog and the standard library's loggers (uvicorn's) through one chain that cannot leak.

``configure_logging`` runs once at the start of every process (the ``serve`` parent and each worker). Every
event, rolegate's own and uvicorn's, passes the same processors:

- an exception becomes one short ``error`` field (its type and first line) unless the level is ``debug``,
  when the full traceback is added — always without local variables, which is how a secret access key and
  an MFA seed once reached the log (issue 10);
- every value a secret-bearing field carried (``rolegate.core.redaction``) and every field whose name says
  it is a secret is replaced by ``REDACTED``, after the exception is formatted, so a secret inside an
  exception's message is caught too;
- the renderer: JSON lines, or a console format when the stream is a terminal.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import MutableMapping
from typing import IO, Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from rolegate.core.redaction import REDACTED, known_secrets, redact

__all__ = ["configure_logging", "redact_event", "summarize_exception"]

# Field names that hold a secret whatever their value looks like (compared lower-case, without "_" and "-").
_SECRET_FIELD = re.compile(r"(secret|password|passwd|token|seed|privatekey|assertion|credential|signature)")
_MAX_ERROR_CHARS = 300
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def summarize_exception(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """``exc_info`` as one short ``error`` field; the traceback (no locals) only when debug is on."""
    exc_info = event.pop("exc_info", None)
    if not exc_info:
        return event
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if not isinstance(exc_info, tuple) or exc_info[0] is None:
        return event
    exc = exc_info[1]
    # An error that carries an operator-facing reason (the store's StoreUnavailable) says that, not AWS's words.
    text = str(getattr(exc, "reason", None) or exc).strip()
    first_line = text.splitlines()[0] if text else ""
    summary = f"{exc_info[0].__name__}: {first_line}" if first_line else exc_info[0].__name__
    event.setdefault("error", summary[:_MAX_ERROR_CHARS])
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        event["traceback"] = "".join(traceback.format_exception(*exc_info))
    return event


def redact_event(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """Every known secret replaced in every value, and every secret-named field blanked."""
    secrets = known_secrets()
    for key in list(event):
        value = event[key]
        if key != "event" and _SECRET_FIELD.search(key.lower().replace("_", "").replace("-", "")):
            event[key] = REDACTED
        else:
            event[key] = _redact_value(value, secrets)
    return event


def _redact_value(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return redact(value, secrets) if secrets else value
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, MutableMapping):
        return {k: _redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_redact_value(v, secrets) for v in value]
    return _redact_value(str(value), secrets)  # anything else is rendered as text: redact that text


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.PositionalArgumentsFormatter(),
        summarize_exception,
        redact_event,
    ]


def configure_logging(level: str = "info", *, json: bool | None = None, stream: IO[str] | None = None) -> None:
    """Send every log event to ``stream`` (stderr) through the redacting chain, at ``level`` and above.

    ``json``: None picks JSON unless the stream is a terminal. Calling it again replaces the configuration
    (tests point it at their own stream).
    """
    out = stream if stream is not None else sys.stderr
    as_json = (not _isatty(out)) if json is None else json
    renderer: Processor = (structlog.processors.JSONRenderer() if as_json
                           else structlog.dev.ConsoleRenderer(colors=False))
    shared = _shared_processors()
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer])
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(_LEVELS.get(level.lower(), logging.INFO))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        # uvicorn's own handlers would bypass the chain: drop them. Its access logger stays as uvicorn left it
        # (``access_log=False`` stops its propagation).
        logging.getLogger(name).handlers.clear()
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: a logger made before a reconfiguration must follow the new one.
        cache_logger_on_first_use=False,
    )


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
