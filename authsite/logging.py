"""Log formatters: plain text, or one JSON object per line; neither writes the
token of an emailed link (password reset, email verification or change).
"""

import json
import logging
import re
from datetime import UTC, datetime

# The emailed links carry their token in the path (/accounts/reset/<uid>/
# <token>/ and /accounts/email/verify/<token>/, see accounts/urls.py), and
# Django logs the path of every 4xx answer: a valid link refused during a
# lockout (429), or posted without its CSRF cookie (403), would put a token
# that still works into the logs, for as long as the link lives.
LINK_TOKEN = re.compile(r"(/reset/[^/\s'\"]+/|/email/verify/)[^/\s'\"]+(?=/)")


def redact_link_tokens(text: str) -> str:
    """Return `text` with the token of every emailed link in it blanked out."""
    return LINK_TOKEN.sub(r"\1[redacted]", text)


# Everything a LogRecord carries by itself; the rest came in through `extra`.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
) | {"message", "asctime"}


class TextFormatter(logging.Formatter):
    """Format a record as logging.Formatter does, link tokens blanked out."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_link_tokens(super().format(record))


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
        return redact_link_tokens(json.dumps(entry, default=str))
