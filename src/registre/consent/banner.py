"""The cookie banner, generated from the register's cookies and trackers (issue 16 §4).

::

    from registre.consent.banner import write_banner

    files = write_banner(register, Path("public"), langs=("fr", "en"),
                         endpoint="https://privacy.example/api/v1/consent/choices")

writes ``registre-cookies.js`` and ``registre-cookies.css``: a script and a stylesheet with no
dependency, which show the register's categories, purposes, providers and lifetimes in the
page's language, keep the choice in a first-party cookie for six months at most, load the
``<script type="text/plain" data-category="...">`` of a category only once it is accepted, and
post each choice to the service's consent endpoint for the ledger (later, when it is down).

The text a person reads is also the notice of their consent record: :func:`notice_text` gives
it line by line, and its sha256 goes with each choice, so the service can tell it was the
register's current banner (:func:`notice_digests`). The rules the script follows (the CNIL's)
are in docs/consent.md.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from registre._exceptions import ConsentError
from registre.documents.typography import NBSP, NNBSP, colon, sentence, upper_first
from registre.documents.wording import and_list, cookie_category_name, duration, pick
from registre.durations import Duration
from registre.register.model import Cookie, Lang, Register
from registre.register.taxonomy import CookieCategory

SCRIPT = "registre-cookies.js"
STYLESHEET = "registre-cookies.css"
CHOICE_COOKIE = "registre_consent"
"""The banner's own cookie, holding the choice: strictly necessary (it remembers a refusal)."""
REMEMBER_MONTHS = 6
"""The CNIL's recommendation for how long a choice, given or refused, is kept (2020)."""
MAX_GZIPPED = 15_000
"""The budget for the script and the stylesheet together, gzipped (issue 16 §4)."""

ORDER = (
    CookieCategory.essential,
    CookieCategory.preferences,
    CookieCategory.statistics,
    CookieCategory.marketing,
)

# « des cookies de mesure d'audience » / "audience measurement cookies"
AS_ADJECTIVE: dict[CookieCategory, tuple[str, str]] = {
    CookieCategory.preferences: ("de préférences", "preference"),
    CookieCategory.statistics: ("de mesure d’audience", "audience measurement"),
    CookieCategory.marketing: ("de publicité", "advertising"),
}
HEADINGS: dict[CookieCategory, tuple[str, str]] = {
    CookieCategory.essential: ("Strictement nécessaires", "Strictly necessary"),
    CookieCategory.preferences: ("Préférences", "Preferences"),
    CookieCategory.statistics: ("Mesure d’audience", "Audience measurement"),
    CookieCategory.marketing: ("Publicité", "Advertising"),
}
WHAT_FOR: dict[CookieCategory, tuple[str, str]] = {
    CookieCategory.essential: (
        "Indispensables au fonctionnement du site, ils ne peuvent pas être refusés.",
        "Needed for the site to work, they cannot be refused.",
    ),
    CookieCategory.preferences: (
        "Ils retiennent vos réglages sur le site.",
        "They remember your settings on the site.",
    ),
    CookieCategory.statistics: (
        "Ils mesurent la fréquentation du site, pour l’améliorer.",
        "They measure how the site is used, to improve it.",
    ),
    CookieCategory.marketing: (
        "Ils servent à vous montrer de la publicité, ici ou sur d’autres sites.",
        "They are used to show you advertising, here or on other sites.",
    ),
}
EXEMPT: dict[CookieCategory, tuple[str, str]] = {
    CookieCategory.preferences: (
        "Ils ne retiennent que les réglages que vous choisissez et ne demandent pas votre "
        f"accord{NNBSP}; vous pouvez vous y opposer.",
        "They keep only the settings you choose and need no consent; you can object to them.",
    ),
    CookieCategory.statistics: (
        "Limitée à des statistiques anonymes pour notre seul usage, cette mesure ne demande "
        f"pas votre accord{NNBSP}; vous pouvez vous y opposer.",
        "Limited to anonymous statistics for our own use, this measurement needs no consent; "
        "you can object to it.",
    ),
}
WORDS: dict[str, tuple[str, str]] = {
    "title": ("Vos choix sur les cookies", "Your choices about cookies"),
    "refuse": ("Tout refuser", "Refuse all"),
    "accept": ("Tout accepter", "Accept all"),
    "customize": ("Choisir", "Choose"),
    "save": ("Enregistrer mes choix", "Save my choices"),
    "close": ("Fermer", "Close"),
    "allow": ("Accepter", "Accept"),
    "always": ("Toujours actifs", "Always on"),
    "settings": ("Paramètres des cookies", "Cookie settings"),
    "policy": ("Politique de confidentialité", "Privacy policy"),
    "name": ("Nom", "Name"),
    "provider": ("Fournisseur", "Provider"),
    "purpose": ("Finalité", "Purpose"),
    "lifetime": ("Durée de vie", "Lifetime"),
    "saved": ("Vos choix sont enregistrés.", "Your choices are saved."),
}


@dataclass(frozen=True)
class Category:
    """One category of the banner: its cookies, and whether the register exempts it."""

    id: CookieCategory
    exempt: bool
    """Needs no consent: every cookie of it says so (essential ones always do)."""
    cookies: tuple[Cookie, ...]

    @property
    def asked(self) -> bool:
        """The person is asked to consent to it; the ledger records their choice."""
        return not self.exempt


@dataclass(frozen=True)
class BannerFiles:
    script: Path
    stylesheet: Path
    gzipped: int
    """The two files' size together, gzipped, in bytes."""


def categories(register: Register) -> list[Category]:
    """The banner's categories in a fixed order; essential is always there (its own cookie).

    A category is exempt when every cookie of it needs no consent in the register. A
    marketing cookie is never exempt (lint CKE002): the banner refuses to be built on it.
    """
    found: list[Category] = []
    for category in ORDER:
        cookies = tuple(c for c in register.cookies.values() if c.category == category)
        if category == CookieCategory.marketing and any(not c.needs_consent for c in cookies):
            named = ", ".join(c.label for c in cookies if not c.needs_consent)
            raise ConsentError(
                f"the marketing cookie {named} is declared exempt from consent, which the law "
                "does not allow (lint CKE002)",
                hint="remove its consent_required: false; the banner will then ask for it",
            )
        if cookies or category == CookieCategory.essential:
            # strictly necessary is never asked, whatever a cookie of it says
            exempt = category == CookieCategory.essential or all(
                not c.needs_consent for c in cookies
            )
            found.append(Category(category, exempt, cookies))
    return found


def _cookie_rows(register: Register, category: Category, lang: Lang) -> list[list[str]]:
    rows = [
        [
            c.name if c.name is not None else c.kind.get(lang) if c.kind is not None else "",
            c.provider,
            sentence(c.purpose.get(lang)),
            pick(lang, "session", "session")
            if c.session
            else duration(c.lifetime, lang)
            if c.lifetime
            else pick(lang, "non précisée", "not stated"),
        ]
        for c in category.cookies
    ]
    if category.id == CookieCategory.essential:
        rows.append(
            [
                CHOICE_COOKIE,
                _first_party(register),
                pick(lang, "Retenir vos choix sur les cookies.", "Remember your cookie choices."),
                duration(Duration(REMEMBER_MONTHS, "months"), lang),
            ]
        )
    return rows


def _set_by(register: Register, category: Category, lang: Lang) -> str:
    providers = sorted({c.provider for c in category.cookies})
    if category.id == CookieCategory.essential and _first_party(register) not in providers:
        providers.append(_first_party(register))  # the banner's own cookie
    return pick(lang, "Déposés par", "Set by") + colon(lang) + and_list(providers, lang) + "."


def _first_party(register: Register) -> str:
    """Who sets the banner's own cookie: the site, named as its essential cookies name it."""
    for cookie in register.cookies.values():
        if cookie.category == CookieCategory.essential:
            return cookie.provider
    return register.organization.name


def _count(category: Category) -> int:
    return len(category.cookies) + (category.id == CookieCategory.essential)


def _intro(register: Register, found: list[Category], lang: Lang) -> str:
    org = register.organization
    name = org.name_in_text.get(lang) if org.name_in_text is not None else org.name
    parts = [
        pick(
            lang,
            f"{upper_first(name)} utilise des cookies nécessaires au fonctionnement du site, "
            "qui ne demandent pas votre accord.",
            f"{upper_first(name)} uses cookies that the site needs to work, which need no consent.",
        )
    ]
    asked = [c.id for c in found if c.asked]
    if asked:
        kinds = and_list([pick(lang, *AS_ADJECTIVE[c]) for c in asked], lang)
        parts.append(
            pick(
                lang,
                f"Avec votre accord, nous utilisons aussi des cookies {kinds}.",
                f"With your consent, we also use {kinds} cookies.",
            )
        )
    for category in found:
        if category.exempt and category.id != CookieCategory.essential:
            label = upper_first(cookie_category_name(category.id, lang))
            parts.append(f"{label}{colon(lang)}{lower(pick(lang, *EXEMPT[category.id]))}")
    settings = pick(lang, *WORDS["settings"])
    parts.append(
        pick(
            lang,
            "Vous pouvez tout accepter, tout refuser ou choisir par catégorie, et changer "
            f"d’avis à tout moment avec le lien «{NBSP}{settings}{NBSP}». Votre choix est conservé "
            "six mois.",
            "You can accept all, refuse all or choose category by category, and change your "
            f"mind at any time with the “{settings}” link. Your choice is kept for six months.",
        )
    )
    return " ".join(parts)


def lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def texts(register: Register, lang: Lang) -> dict[str, Any]:
    """Everything the banner shows in ``lang``, as the script receives it."""
    found = categories(register)
    shown: dict[str, Any] = {key: pick(lang, *pair) for key, pair in WORDS.items()}
    shown["intro"] = _intro(register, found, lang)
    shown["categories"] = [
        {
            "id": c.id.value,
            "name": pick(lang, *HEADINGS[c.id]),
            "about": pick(lang, *WHAT_FOR[c.id]),
            "exempt": c.exempt,
            "by": _set_by(register, c, lang),
            "list": pick(lang, "Voir les cookies", "See the cookies") + f" ({_count(c)})",
            "cookies": _cookie_rows(register, c, lang),
        }
        for c in found
    ]
    return shown


def notice_text(register: Register, lang: Lang) -> str:
    """The banner's text in ``lang``, one line per piece, as the person reads it.

    Its sha256 is the notice of each choice recorded through the banner.
    """
    shown = texts(register, lang)
    lines = [shown["title"], shown["intro"]]
    for category in shown["categories"]:
        lines += [category["name"], category["about"], category["by"]]
        lines += [" | ".join(row) for row in category["cookies"]]
    lines += [shown[key] for key in ("refuse", "accept", "customize", "save")]
    return "\n".join(lines) + "\n"


def notice_digests(register: Register) -> dict[str, str]:
    """The sha256 of the banner's text in each language of the register."""
    return {
        lang: hashlib.sha256(notice_text(register, lang).encode()).hexdigest()
        for lang in register.policy.languages
    }


def config(
    register: Register,
    langs: tuple[Lang, ...],
    *,
    endpoint: str | None = None,
    policy_url: str | None = None,
) -> dict[str, Any]:
    """What the script is built with: texts per language, categories, cookie, endpoint."""
    missing = [lang for lang in langs if lang not in register.policy.languages]
    if missing:
        raise ConsentError(
            f"the register is not written in {', '.join(missing)}",
            hint=f"use --lang {' or '.join(register.policy.languages)}",
        )
    by_lang = {lang: texts(register, lang) for lang in langs}
    for lang in langs:
        by_lang[lang]["sha256"] = hashlib.sha256(notice_text(register, lang).encode()).hexdigest()
    found = categories(register)
    built = {
        "order": list(langs),
        "langs": by_lang,
        "cookie": CHOICE_COOKIE,
        "months": REMEMBER_MONTHS,
        "endpoint": endpoint,
        "policy": policy_url,
        "notice_version": register.policy.version,
        "cookies": {c.id.value: [k.name for k in c.cookies] for c in found},
        # Do Not Track is a refusal only where the register says so; GPC always is
        "dnt": "dnt" in register.rights.browser_signals,
    }
    digest = hashlib.sha256(json.dumps(built, sort_keys=True).encode()).hexdigest()
    # a choice made on another version of the banner (categories, texts) is asked again
    built["version"] = digest[:16]
    return built


def _asset(name: str) -> str:
    return resources.files("registre.consent").joinpath("banner_assets", name).read_text("utf-8")


def build(
    register: Register,
    langs: tuple[Lang, ...],
    *,
    endpoint: str | None = None,
    policy_url: str | None = None,
) -> tuple[str, str]:
    """The script and the stylesheet, as text."""
    settings = config(register, langs, endpoint=endpoint, policy_url=policy_url)
    # "</" would end an inline <script> a host might paste it into
    data = json.dumps(settings, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    script = _asset("banner.js").replace("/*CONFIG*/null", data, 1)
    return script, _asset("banner.css")


def write_banner(
    register: Register,
    output: Path,
    *,
    langs: tuple[Lang, ...] = ("fr", "en"),
    endpoint: str | None = None,
    policy_url: str | None = None,
) -> BannerFiles:
    """Write the script and the stylesheet into ``output`` (created if needed)."""
    script, stylesheet = build(register, langs, endpoint=endpoint, policy_url=policy_url)
    try:
        output.mkdir(parents=True, exist_ok=True)
        (output / SCRIPT).write_text(script, encoding="utf-8")
        (output / STYLESHEET).write_text(stylesheet, encoding="utf-8")
    except OSError as error:
        raise ConsentError(
            f"cannot write the banner into {output}: {error.strerror}",
            hint="choose a folder you can write to with --output",
        ) from None
    return BannerFiles(output / SCRIPT, output / STYLESHEET, gzipped_size(script, stylesheet))


def gzipped_size(*parts: str) -> int:
    """What the files weigh on the wire, each gzipped at the level servers use (6)."""
    return sum(len(gzip.compress(p.encode(), compresslevel=6)) for p in parts)
