"""Consent with proof (issue 16): a ledger in the audit trail, enforced withdrawals, links.

::

    from registre.consent import has_consent, record_consent, withdraw_consent

    record_consent(state, "camille@example.fr", "newsletter", method="form",
                   register=register, notice_version="1.0", notice_text=policy_text)
    has_consent(state, "camille@example.fr", "newsletter")          # True
    link = make_link(state, "camille@example.fr", "newsletter", "https://shop.example/unsub")
    withdrawal = follow_link(state, link.url)                      # the one click
    enforce_withdrawal(desk, withdrawal)                           # erasure + letter

:mod:`.model` is a record's shape (ISO/IEC TS 27560 after the DPV), :mod:`.ledger` its
storage against the audit trail, :mod:`.decisions` what a host calls, :mod:`.links` the signed
unsubscribe links, :mod:`.withdrawal` the enforcement through the erasure machinery.
Imported on first use: :mod:`registre.requests` reads the ledger for the Art. 15 export, and
this package reaches the requests desk.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from registre.consent.decisions import (
        consent_history,
        expire_consents,
        has_consent,
        record_consent,
        withdraw_consent,
    )
    from registre.consent.links import UnsubscribeLink, follow_link, make_link
    from registre.consent.model import ConsentRecord, Decision, Method
    from registre.consent.withdrawal import Enforcement, enforce_withdrawal

_EXPORTS = {
    "ConsentRecord": "registre.consent.model",
    "Decision": "registre.consent.model",
    "Enforcement": "registre.consent.withdrawal",
    "Method": "registre.consent.model",
    "UnsubscribeLink": "registre.consent.links",
    "consent_history": "registre.consent.decisions",
    "enforce_withdrawal": "registre.consent.withdrawal",
    "expire_consents": "registre.consent.decisions",
    "follow_link": "registre.consent.links",
    "has_consent": "registre.consent.decisions",
    "make_link": "registre.consent.links",
    "record_consent": "registre.consent.decisions",
    "withdraw_consent": "registre.consent.decisions",
}

__all__ = [
    "ConsentRecord",
    "Decision",
    "Enforcement",
    "Method",
    "UnsubscribeLink",
    "consent_history",
    "enforce_withdrawal",
    "expire_consents",
    "follow_link",
    "has_consent",
    "make_link",
    "record_consent",
    "withdraw_consent",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'registre.consent' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
