"""How the audit trail names a person: a digest of their identity, keyed when the deployment
has a key.

The trail is append-only and outlives every erasure, so it never holds an identity in clear.
A plain sha256 of an email lets anyone who reads the trail confirm a guess (``sha256("camille.
martin@example.fr")`` is one line of shell); with the deployment's key in ``REGISTRE_HMAC_KEY``
(the key the keyed anonymization methods use) the digest is ``hmac-sha256:`` and the HMAC-SHA256
of the identity, which only the key's holder can recompute. Without a key it stays the plain
sha256, as every entry written before keys were used: both forms are read and compared.

Identity values are normalized first (:func:`normalize_identity`: emails lower-cased, phone
numbers in E.164), so that holds, requests and consents name the same person the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import phonenumbers

from registre.engine.anonymize import KEY_VARIABLE

KEYED_PREFIX = "hmac-sha256:"
"""What a keyed digest starts with; a plain one is 64 hexadecimal characters."""


def deployment_key() -> bytes:
    """The deployment's key (``REGISTRE_HMAC_KEY``), empty when it is not set."""
    return os.environ.get(KEY_VARIABLE, "").encode()


def digest(text: str) -> str:
    """The digest the trail records for ``text``: keyed when the deployment has a key."""
    key = deployment_key()
    if key:
        return KEYED_PREFIX + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
    return hashlib.sha256(text.encode()).hexdigest()


def matches(text: str, recorded: str) -> bool | None:
    """Whether ``recorded`` is the digest of ``text``; None when it is keyed and there is no key.

    A plain digest is compared as written before keys were used; a keyed one needs the key it
    was written with (a key changed since makes it False).
    """
    if not recorded.startswith(KEYED_PREFIX):
        return hmac.compare_digest(hashlib.sha256(text.encode()).hexdigest(), recorded)
    key = deployment_key()
    if not key:
        return None
    mac = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(KEYED_PREFIX + mac, recorded)


PHONE_REGION = "FR"
"""The country of phone numbers written without a country code."""


def normalize_identity(identity: dict[str, str], *, strict: bool = True) -> dict[str, str]:
    """Identity values as holds store and compare them.

    Emails are trimmed and lower-cased; phone numbers put in E.164 (``+33612345678``, numbers
    without a country code read as French), as data-subject requests compare them. With
    ``strict`` an invalid phone number raises ValueError; otherwise it is kept as given.
    """
    normalized = {}
    for name, value in identity.items():
        text = value.strip()
        if name == "email":
            text = text.lower()
        elif name == "phone":
            text = _e164(text, strict=strict)
        normalized[name] = text
    return normalized


def _e164(text: str, *, strict: bool) -> str:
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        if strict:
            raise ValueError(f"{text!r} is not a valid phone number; write it as +33 6 12 34 56 78")
        return text
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
