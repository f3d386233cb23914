"""Process logging: one JSON object per line (or plain text for a terminal).

`orchestra serve` hands `logging_config()` to uvicorn, which applies it in every worker
process (ORCHESTRA_LOG_FORMAT=json|text, ORCHESTRA_LOG_LEVEL). Strawberry's own error
logger is silenced: it logs each GraphQL error at ERROR with a traceback, refusals
included. server/logging_ops.py logs each operation once instead, at INFO for client
mistakes and ERROR for server faults, whose traceback the masking extension logs with
the SQL but never its parameters (the engine is created with hide_parameters).
"""

from __future__ import annotations

import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter

FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


def json_formatter() -> JsonFormatter:
    """`{"time", "level", "logger", "message", ...extra fields}` on one line."""
    return JsonFormatter(
        FIELDS,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )


def quiet_library_loggers() -> None:
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL + 1)


def logging_config(log_format: str = "json", level: str = "INFO") -> dict[str, Any]:
    if log_format == "text":
        formatter: dict[str, Any] = {"format": FIELDS}
    else:
        formatter = {"()": "server.logging_setup.json_formatter"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # uvicorn's loggers through the same handler, once; its access log stays off
            # (each GraphQL operation has its own line).
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False},
            "strawberry.execution": {"level": logging.CRITICAL + 1},
        },
    }
