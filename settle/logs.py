"""Logs as one JSON object a line, each carrying the id of the request it was written in.

The request id comes in as `X-Request-Id` (from nginx or a load balancer) or is made here; the web
middleware sets it for the request's task and threads (context variables follow `run_in_threadpool`),
answers with it, and the audit trail records it (settle/access/service.py)."""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_request_id: ContextVar[str | None] = ContextVar("settle_request_id", default=None)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# What a LogRecord carries by itself: anything else was passed in `extra=` and goes into the JSON.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def current_request_id() -> str | None:
    """The id of the request being served in this context, if any."""
    return _request_id.get()


def set_request_id(request_id: str | None) -> object:
    """Make `request_id` the current one; returns a token for `reset_request_id`."""
    return _request_id.set(request_id)


def reset_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


def request_id_from(header: str | None) -> str:
    """The caller's id when it is a sane one (letters, digits, `._:-`, at most 128), else a new one."""
    if header and _SAFE_ID.match(header):
        return header
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id", …extra fields, "error"}`, one line each."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def log_config(level: str = "info", fmt: str = "json") -> dict[str, Any]:
    """A logging.config dictionary for the server (uvicorn applies it in each worker): everything to
    stderr, as JSON (`fmt="json"`) or as plain text (`"text"`). uvicorn's access log is left off:
    Settle's own request log (settle.request) says the same and more."""
    formatter = {"()": JsonFormatter} if fmt == "json" else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "settle", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"settle": formatter},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            "sqlalchemy": {"level": "WARNING"},  # at debug it would log every statement
        },
    }
