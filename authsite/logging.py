"""Log formatters: plain text, or one JSON object per line; neither writes a
password-reset token.
"""

import json
import logging
import re
from datetime import UTC, datetime

# A reset link carries its token in the path (/accounts/reset/<uid>/<token>/,
# see accounts/urls.py), and Django logs the path of every 4xx answer: a
# valid link refused during a lockout (429) would put a token that still
# works into the logs, for as long as PASSWORD_RESET_TIMEOUT.
RESET_LINK_TOKEN = re.compile(r"(/reset/[^/\s'\"]+/)[^/\s'\"]+(?=/)")


def redact_reset_tokens(text: str) -> str:
    """Return `text` with the token of every reset link in it blanked out."""
    return RESET_LINK_TOKEN.sub(r"\1[redacted]", text)


# Everything a LogRecord carries by itself; the rest came in through `extra`.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
) | {"message", "asctime"}


class TextFormatter(logging.Formatter):
    """Format a record as logging.Formatter does, reset tokens blanked out."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_reset_tokens(super().format(record))


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
        # default=str: a request, a UUID or a lazy string never breaks a line
        # (a request's str() holds its path, hence the redaction after it).
        return redact_reset_tokens(json.dumps(entry, default=str))
