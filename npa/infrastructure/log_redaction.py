"""Nothing from a request body reaches a log unredacted, tracebacks included.

The sources are closed where they are: SQL errors hide their parameters (`make_engine`), the
input guard and the models refuse what would fail later (so no traceback carries an input),
and request bodies are never logged. This filter is the last line on every log handler of a
service process (uvicorn's loggers included, which propagate to the root): it rewrites the
finished text of each record, message and traceback, so that

- e-mail addresses become `<e-mail>`;
- pydantic's `input_value=…` in validation errors becomes `input_value=<redacted>`;
- characters that cannot be written as UTF-8 (lone surrogates) become `\\udXXX` escapes, so
  the handler never fails on them and prints the record's arguments instead.
"""

import logging
import re

EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
INPUT_VALUE = re.compile(r"input_value=.*?(?=, input_type=|\]$|$)", re.MULTILINE)


def redact(text: str) -> str:
    text = INPUT_VALUE.sub("input_value=<redacted>", text)
    text = EMAIL.sub("<e-mail>", text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: keep the format only
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, redact(text)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of `logger` (the root by default)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(existing, RedactingFilter) for existing in handler.filters):
            handler.addFilter(RedactingFilter())
