"""Log lines for operators: one JSON object per line (or plain text), each naming the request it belongs to.

Every record gets ``request_id`` from the request being served (api.middleware sets it for the request's task
and the threads it runs in; ``-`` outside a request). The access line of each request (logger
``fairflag.access``, written by api.middleware.RequestGuard) adds ``method``, ``path``, ``status`` and
``duration_ms``. Only the standard library: a formatter and a filter.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

current_request_id: ContextVar[str | None] = ContextVar("fairflag_request_id", default=None)
ACCESS_FIELDS = ("method", "path", "status", "duration_ms")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request's id (a record that brings its own keeps it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (UTC, ISO 8601), level, logger, message, request_id, the access
    fields when present, and the traceback as ``exc_info`` text."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id.get(),
        }
        for name in ACCESS_FIELDS:
            if (value := getattr(record, name, None)) is not None:
                line[name] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def config(log_format: str = "json", level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the server (uvicorn's ``log_config``): fairflag's and uvicorn's
    loggers to stderr in the chosen format. uvicorn's own access log is off; fairflag.access replaces it."""
    formatter: dict[str, Any] = ({"()": JsonFormatter} if log_format == "json"
                                 else {"format": TEXT_FORMAT})
    handler = {"class": "logging.StreamHandler", "formatter": "main", "filters": ["request_id"],
               "stream": "ext://sys.stderr"}
    loggers = {name: {"handlers": ["main"], "level": level.upper(), "propagate": False}
               for name in ("fairflag", "uvicorn", "uvicorn.error")}
    return {"version": 1, "disable_existing_loggers": False, "filters": {"request_id": {"()": RequestIdFilter}},
            "formatters": {"main": formatter}, "handlers": {"main": handler}, "loggers": loggers}
