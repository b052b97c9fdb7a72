"""Order-id extraction from a customer's message.

A candidate is a maximal run of ASCII letters, digits, ``-`` and ``_`` (after NFKC, so
full-width digits count) that holds at least five digits and at most 32 characters, such as
``536365``, ``C536365`` or ``O240701-000001``. Runs that look like dates (``2026-06-30``) or
that are longer are ignored. Candidates right after a cue ("order", "#", "no.", "订单", "单号")
come first; the caller checks them against the warehouse, so a phone number that happens to
match is simply not found.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["extract_order_ids"]

_CANDIDATE = re.compile(r"(?<![A-Za-z0-9_-])([A-Za-z0-9][A-Za-z0-9_-]{3,31})(?![A-Za-z0-9_-])")
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_CUE = re.compile(
    r"(order|invoice|number|no\.?|#|订单号?|单号|编号)\s*(number|no\.?|id|#|:|：)?\s*$",
    re.IGNORECASE,
)
MAX_IDS = 5


def extract_order_ids(text: str) -> list[str]:
    """Order-id candidates in ``text``, cued ones first, each once, at most five."""
    norm = unicodedata.normalize("NFKC", text)
    cued: list[str] = []
    plain: list[str] = []
    for m in _CANDIDATE.finditer(norm):
        token = m.group(1).strip("-_")
        if sum(c.isdigit() for c in token) < 5 or _DATE.match(token):
            continue
        before = norm[max(0, m.start() - 16) : m.start()]
        (cued if _CUE.search(before) else plain).append(token)
    return list(dict.fromkeys(cued + plain))[:MAX_IDS]
