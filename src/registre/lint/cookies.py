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
                f"Cookie {cookie.label} lives {cookie.lifetime}, longer than the "
                "13 months the CNIL recommends: shorten its lifetime.",
            )
        if cookie.cnil_exempt and (
            cookie.session is False
            and (cookie.lifetime is None or longer_than(cookie.lifetime, THIRTEEN_MONTHS))
        ):
            yield finding(
                "CKE004",
                (*at, "cnil_exempt"),
                f"Cookie {cookie.label} is declared exempt from consent as audience "
                "measurement, but its lifetime is "
                f"{'not stated' if cookie.lifetime is None else cookie.lifetime}: the exemption "
                "requires 13 months at most; give its lifetime or ask for consent.",
            )
        if cookie.consent_required is not False or cookie.category == CookieCategory.essential:
            continue
        if cookie.cnil_exempt:
            continue  # the exemption is declared; CKE004 checks what the register shows of it
        if cookie.category == CookieCategory.marketing:
            yield finding(
                "CKE002",
                (*at, "consent_required"),
                f"Cookie {cookie.label} is used for marketing without consent: "
                "advertising trackers always need it; set 'consent_required' to true.",
            )
        else:
            yield finding(
                "CKE003",
                (*at, "consent_required"),
                f"Cookie {cookie.label} ({cookie.category.value}) is set without "
                "consent: only trackers that are strictly necessary, or audience "
                "measurement meeting the CNIL's conditions, are exempt; check them "
                "or require consent.",
            )
