"""Names typed by many people, folded so that the same thing groups as one."""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[\W_]+")


def name_key(text: str) -> str:
    """Case, accents, spacing and punctuation folded: "Amazon  Bedrock (GovCloud)" and
    "amazon bedrock govcloud" share the key "amazon bedrock govcloud"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", plain.casefold()).split())[:200]
