"""Log lines without secrets: the token of an account link is masked wherever it is logged."""

from __future__ import annotations

import logging
import re

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
