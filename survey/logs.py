"""Log lines without secrets (the token of an account link is masked wherever it is
logged), and the request they were written for."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar, Token
from dataclasses import dataclass

# The secret segment of the invitation and password-reset links (survey/urls.py):
# /invite/<token>/ and /accounts/reset/<uidb64>/<token>/. Django logs the path of a
# refused or failed request ("Forbidden (CSRF token missing.): /invite/...", "Not Found:
# ..."), and a live invitation token in a log line is a working login for whoever reads
# it. Django's own set-password step carries no token and is left as it is.
_LINK_TOKEN = re.compile(r"(/invite/|/reset/[^/\s'\"]+/)(?!set-password/)[^/\s'\"?]+")
MASK = "********"


def mask_link_tokens(text: str) -> str:
    return _LINK_TOKEN.sub(rf"\g<1>{MASK}", text)


class MaskLinkTokens(logging.Filter):
    """On a handler (settings.LOGGING): the record's message with link tokens masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_link_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


@dataclass(frozen=True)
class RequestTag:
    """What every audit line of a request repeats: its ID (the X-Request-ID header of
    the response) and the client's address."""

    id: str
    ip: str | None


# Set by survey.middleware.RequestIdMiddleware for the length of a request, so that code
# far from the request (model methods, jobs built inline) logs under its ID. Unset,
# hence None, in background jobs, management commands and tests outside a request.
_current: ContextVar[RequestTag | None] = ContextVar("survey_request", default=None)


def current_request() -> RequestTag | None:
    return _current.get()


def bind_request(tag: RequestTag) -> Token[RequestTag | None]:
    return _current.set(tag)


def unbind_request(token: Token[RequestTag | None]) -> None:
    _current.reset(token)
