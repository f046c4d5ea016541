"""Keep residents' personal data out of the application's logs.

``RedactPersonalData`` is attached to every handler in ``settings.LOGGING``. It formats each
record's message with its arguments first (a phone number passed as ``%s`` is only visible
then), redacts the result, and clears the arguments; the exception text and the stack are
redacted too. What it removes:

* mobile numbers of mainland China (``1[3-9]`` and nine digits, also written ``+86 138 0013 8000``)
  and any other phone-like run of seven or more digits (landlines, extensions);
* e-mail addresses;
* residents' access tokens in paths: ``/track/<token>/…`` (pages and ``/api/v1/track/…``),
  ``/report/submitted/<token>/`` and the tracking form's ``?code=``. Open311's ``tokens/<id>``
  is a public request token and stays;
* partners' Open311 keys: ``api_key=…`` in a query string or a form body (the spec's place
  for it; clients may send ``X-API-Key`` instead, which no access log writes).

Names cannot be recognised by pattern: the code must never log contact fields at all.
Tracking numbers (``20251128-ABC234``) are not personal and are kept, so support can find a case.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as GunicornBaseLogger

REDACTED = "[redacted]"

# Kept as they are: tracking numbers, and UUIDs (task and event ids) whose digits only look
# like phone numbers.
_TRACKING_NUMBER = r"(?<![\w-])\d{8}-[2-9A-Z]{6}(?![\w-])"
_UUID = r"(?<![\w-])[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(?![\w-])"
_MOBILE = r"(?<![\d+])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)"
# Seven digits or more, single spaces allowed between them; not the decimals of a number.
_DIGIT_RUN = r"(?<![\d+])(?<!\d\.)\+?\d(?:[ ]?\d){6,}(?!\d)(?!\.\d)"
_EMAIL = r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+"

_PATTERN = re.compile(
    rf"(?P<keep>{_TRACKING_NUMBER}|{_UUID})"
    rf"|(?P<email>{_EMAIL})"
    rf"|(?P<mobile>{_MOBILE})"
    rf"|(?P<digits>{_DIGIT_RUN})"
)
_REPLACEMENTS = {"mobile": "[phone]", "digits": "[number]", "email": "[email]"}

# A path segment after "track/" or "report/submitted/" is a resident's secret access token.
_TOKEN_IN_PATH = re.compile(
    r"(?P<prefix>(?:^|[/\s\"'=])(?:track|report/submitted)/)(?!\[)[^/\s?#\"']+"
)
# The tracking form's query: the pasted link or code.
_CODE_IN_QUERY = re.compile(r"(?P<prefix>[?&]code=)[^&\s#\"']+")
# An Open311 partner's key, in a query string or a form body.
_API_KEY = re.compile(r"(?P<prefix>(?<![\w-])api_key=)(?!\[)[^&\s#\"']+")


def _replace(match: re.Match) -> str:
    kind = match.lastgroup
    return match.group(0) if kind == "keep" else _REPLACEMENTS[kind]


def redact(text: str) -> str:
    """``text`` with phone numbers, e-mail addresses and access tokens replaced."""
    text = _TOKEN_IN_PATH.sub(rf"\g<prefix>{REDACTED}", text)
    text = _CODE_IN_QUERY.sub(rf"\g<prefix>{REDACTED}", text)
    text = _API_KEY.sub(rf"\g<prefix>{REDACTED}", text)
    return _PATTERN.sub(_replace, text)


class RedactPersonalData(logging.Filter):
    """Rewrites each record so that no handler can write personal data; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, redacted
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class GunicornLogger(GunicornBaseLogger):
    """gunicorn's access and error logs, redacted the same way (``gunicorn.conf.py``).

    The access log writes each request line, and a tracking link's path is the resident's key.
    """

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, RedactPersonalData) for f in handler.filters):
                    handler.addFilter(RedactPersonalData())
