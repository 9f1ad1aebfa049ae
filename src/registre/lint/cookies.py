"""Cookie checks, after the CNIL's 2020 guidelines and recommendation on trackers."""

from __future__ import annotations

from collections.abc import Iterator

from registre.durations import Duration
from registre.lint.finding import Finding, finding, longer_than
from registre.register.model import Register
from registre.register.taxonomy import CookieCategory

THIRTEEN_MONTHS = Duration(13, "months")


def check_cookies(register: Register) -> Iterator[Finding]:
    for cookie_id, cookie in register.cookies.items():
        at = ("cookies", cookie_id)
        if cookie.lifetime is not None and longer_than(cookie.lifetime, THIRTEEN_MONTHS):
            yield finding(
                "CKE001",
                (*at, "lifetime"),
                f"Cookie {cookie.name} lives {cookie.lifetime}, longer than the "
                "13 months the CNIL recommends: shorten its lifetime.",
            )
        if cookie.consent_required is not False or cookie.category == CookieCategory.essential:
            continue
        if cookie.category == CookieCategory.marketing:
            yield finding(
                "CKE002",
                (*at, "consent_required"),
                f"Cookie {cookie.name} is used for marketing without consent: "
                "advertising trackers always need it; set 'consent_required' to true.",
            )
        else:
            yield finding(
                "CKE003",
                (*at, "consent_required"),
                f"Cookie {cookie.name} ({cookie.category.value}) is set without "
                "consent: only trackers that are strictly necessary, or audience "
                "measurement meeting the CNIL's conditions, are exempt; check them "
                "or require consent.",
            )
