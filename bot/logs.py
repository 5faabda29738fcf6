"""LOG_FORMAT=json: one JSON object per line for a log collector (Loki, CloudWatch, journald).

Opt-in, set up by the gateway's `create_app`; the default leaves logging as uvicorn sets it.
The formatter writes the time, level, logger and the formatted message, which the code keeps
free of phone numbers, chat ids and text (pseudonyms at most, README "Privacy"). An exception
is written as its class and the traceback's frames only: an exception's own message may quote
what a person wrote (a parser error, a URL with a number), so it is never written.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import traceback
from typing import TextIO

JSON = "json"
# Loggers that uvicorn gives handlers of its own and does not let propagate.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            kind, _error, trace = record.exc_info
            entry["exception"] = kind.__name__
            entry["frames"] = traceback.format_tb(trace)
        return json.dumps(entry, ensure_ascii=False)


def configure(log_format: str, stream: TextIO | None = None) -> None:
    """JSON lines on `stream` (stderr) for the root logger and uvicorn's; anything else: as is."""
    if log_format != JSON:
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    for name in UVICORN_LOGGERS:
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
