"""The diff as a short report for a DPO."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from registre.diff.change import Change
from registre.diff.words import NBSP
from registre.register.model import Lang, Register


def long_date(day: dt.date, lang: Lang) -> str:
    """« 1er janvier 2026 » / “January 1, 2026”, with French non-breaking spaces."""
    from babel.dates import format_date

    text = str(format_date(day, format="long", locale=lang))
    if lang == "fr" and day.day == 1:
        text = "1er" + text[1:]  # French writes the first of the month as an ordinal
    return text.replace(" ", NBSP) if lang == "fr" else text


PolicyField = Literal["version", "date"]


def must_bump(old: Register, new: Register, changes: list[Change]) -> list[PolicyField]:
    """The policy fields still holding the old value although people's rights change."""
    if not any(c.affects_rights for c in changes):
        return []
    fields: tuple[PolicyField, ...] = ("version", "date")
    return [field for field in fields if getattr(old.policy, field) == getattr(new.policy, field)]


def _bump_notice(fields: list[PolicyField], new: Register, lang: Lang) -> str:
    """Say which of the version and date to change before the new policy is published."""
    values = {"version": new.policy.version, "date": long_date(new.policy.date, lang)}
    keys = ", ".join(f"policy.{field}" for field in fields)
    both = len(fields) == 2
    if lang == "fr":
        wanted = " et ".join(
            {"version": "une nouvelle version", "date": "une nouvelle date"}[f] for f in fields
        )
        held = " et ".join(values[f] for f in fields)
        verb = "sont" if both else "est"
        return (
            f"Avant publication, donnez à la politique {wanted}{NBSP}: {held} {verb} "
            f"celle{'s' if both else ''} de la politique précédente ({keys})."
        )
    wanted = " and ".join(fields)
    held = " and ".join(values[f] for f in fields)
    return (
        f"Before publishing, give the policy a new {wanted}: {held} "
        f"{'are those' if both else 'is that'} of the previous policy ({keys})."
    )


def render_text(changes: list[Change], old: Register, new: Register, lang: Lang) -> str:
    """The changes as a short report for a DPO, rights-affecting ones first."""
    fr = lang == "fr"
    title = "politique de confidentialité" if fr else "privacy policy"
    lines = [
        f"{new.organization.name} — {title} {old.policy.version} "
        f"({long_date(old.policy.date, lang)}) → {new.policy.version} "
        f"({long_date(new.policy.date, lang)})",
        "",
    ]
    if not changes:
        lines.append("Aucun changement." if fr else "No change.")
        return "\n".join(lines) + "\n"
    rights = [c for c in changes if c.affects_rights]
    editorial = [c for c in changes if not c.affects_rights]
    if rights:
        count = len(rights)
        if fr:
            noun = "changement touche" if count == 1 else "changements touchent"
            lines.append(
                f"{count} {noun} aux droits des personnes{NBSP}: informez les personnes "
                "concernées avant leur entrée en vigueur."
            )
            if new.policy.notify_changes_by_email:
                lines.append("La politique promet de les en informer par e-mail.")
        else:
            noun = "change affects" if count == 1 else "changes affect"
            lines.append(
                f"{count} {noun} people’s rights: tell the people concerned before "
                "they take effect."
            )
            if new.policy.notify_changes_by_email:
                lines.append("The policy promises to tell them by email.")
        bump = must_bump(old, new, changes)
        if bump:
            lines.append(_bump_notice(bump, new, lang))
        lines.extend(f"  - {c.describe(lang)}" for c in rights)
        lines.append("")
    if editorial:
        count = len(editorial)
        if fr:
            noun = "changement rédactionnel" if count == 1 else "changements rédactionnels"
            lines.append(f"{count} {noun}{NBSP}:")
        else:
            noun = "editorial change" if count == 1 else "editorial changes"
            lines.append(f"{count} {noun}:")
        lines.extend(f"  - {c.describe(lang)}" for c in editorial)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
