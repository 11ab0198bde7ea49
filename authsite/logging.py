"""A log formatter that writes each record as one JSON object on one line."""

import json
import logging
from datetime import UTC, datetime

# Everything a LogRecord carries by itself; the rest came in through `extra`.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
) | {"message", "asctime"}


class JSONFormatter(logging.Formatter):
    """Format a record as JSON: time, level, logger, message and its extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        # default=str: a request, a UUID or a lazy string never breaks a line.
        return json.dumps(entry, default=str)
