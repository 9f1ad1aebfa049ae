"""Who a request is about: identities given by the requester, validated and normalised.

An identity is a set of ``kind -> value`` pairs: ``email``, ``phone``, and any kind the
mapping declares in a table's ``identity`` (``customer_id``, ``user_id``). The kind ``tenant``
is special: it names the client company or professional the person belongs to, and narrows
every other identity to that client's rows (a user id is only unique within one client).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import phonenumbers

from registre._exceptions import RequestError
from registre.engine.identities import DEFAULT_REGION

TENANT = "tenant"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KIND = re.compile(r"^[a-z][a-z0-9_]*$")

Identity = dict[str, str]


def normalize_email(value: str) -> str:
    """An email address, trimmed and lower-cased; raise RequestError when it is not one."""
    text = value.strip()
    if not _EMAIL.match(text):
        raise RequestError(
            f"{value!r} is not an email address", hint="write it as name@example.com"
        )
    return text.lower()


def normalize_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """A phone number in E.164 (+33612345678); raise RequestError when it is not one."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise RequestError(
            f"{value!r} is not a valid phone number",
            hint="write it with its country code, such as +33 6 12 34 56 78",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize(kind: str, value: str) -> str:
    """One identity value in the form it is compared in."""
    if kind == "email":
        return normalize_email(value)
    if kind == "phone":
        return normalize_phone(value)
    return value.strip()


def build_identity(
    email: str | None = None, phone: str | None = None, ids: Iterable[str] = ()
) -> Identity:
    """An identity from the CLI's ``--email``, ``--phone`` and ``--id KIND=VALUE`` options."""
    identity: Identity = {}
    if email:
        identity["email"] = normalize_email(email)
    if phone:
        identity["phone"] = normalize_phone(phone)
    for item in ids:
        kind, sep, value = item.partition("=")
        kind = kind.strip()
        if not sep or not value.strip() or not _KIND.match(kind):
            raise RequestError(
                f"{item!r} is not an identity", hint="write it as KIND=VALUE, such as user_id=42"
            )
        identity[kind] = normalize(kind, value)
    if not any(kind != TENANT for kind in identity):
        raise RequestError(
            "a request needs at least one identity of the person",
            hint="give --email, --phone or --id KIND=VALUE",
        )
    return identity


def as_identity(value: Mapping[str, str] | str) -> Identity:
    """An identity from a mapping, or from a bare email address or phone number."""
    if isinstance(value, str):
        kind = "email" if "@" in value else "phone"
        return {kind: normalize(kind, value)}
    return {kind: normalize(kind, str(v)) for kind, v in value.items()}


def check_kinds(identity: Mapping[str, str], known: Iterable[str]) -> None:
    """Refuse an identity kind that no mapped table declares (a typo finds nobody, silently)."""
    accepted = {"email", "phone", TENANT, *known}
    unknown = sorted(set(identity) - accepted)
    if unknown:
        raise RequestError(
            f"no mapped table identifies people by {', '.join(unknown)}",
            hint=f"use --email, --phone or --id KIND=VALUE with KIND one of: "
            f"{', '.join(sorted(accepted - {'email', 'phone'}))}",
        )
