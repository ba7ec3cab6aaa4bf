"""Structured logs: one JSON object a line (or plain text), each with the request id.

Secrets never reach the log: access lines carry the path without its query string (tokens
travel there for streaming), no headers, and a filter masks anything that looks like a
credential in a message (`Bearer ...`, `password=...`, `access_token=...`, cookies) and the
secret part of a password reset or invitation path.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from parley.config import Settings

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "parley_request_id", default=None
)

SECRET_PATTERNS = (
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)\b(password|passwd|access_token|refresh_token|client_secret|token|code|secret"
        r"|authorization|cookie|set-cookie|parley_session|parley_csrf|parley_pass)"
        r"([\"']?\s*[:=]\s*[\"']?)[^\s\"'&;,}]+"
    ),
    # Paths that carry a secret: password reset links and invitation codes.
    re.compile(r"(/auth/reset/|/invite/)()[^\s/?\"'&;,}]+"),
)
# Attributes every LogRecord has; anything else came in through `extra=`.
STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
SENSITIVE_KEYS = {"authorization", "cookie", "password", "token", "secret", "set-cookie"}


def redact(text: str) -> str:
    text = SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)} [redacted]", text)
    for pattern in SECRET_PATTERNS[1:]:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
    return text


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in record.__dict__.items():
        if key in STANDARD or key.startswith("_"):
            continue
        if any(word in key.lower() for word in SENSITIVE_KEYS):
            value = "[redacted]"
        elif isinstance(value, str):
            value = redact(value)
        fields[key] = value
    return fields


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        entry.update(_fields(record))
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        rid = request_id.get()
        extra = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        line = f"{record.levelname:<7} {record.name}: {redact(record.getMessage())}"
        line += f" {extra}" if extra else ""
        line += f" [{rid}]" if rid else ""
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


class ParleyHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Ours, so configuring again replaces it and leaves other handlers (a test runner's) be."""


def configure_logging(settings: Settings, stream: Any = None) -> logging.Handler:
    """Install Parley's handler on the root logger (replacing an earlier one); returns it."""
    handler = ParleyHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, ParleyHandler):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # The servers' own access logs print query strings (where tokens may travel): ours do not.
    for name in ("uvicorn.access", "granian.access"):
        logging.getLogger(name).disabled = True
    # /health asks alembic for the schema's revision, which announces itself every time.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    return handler
