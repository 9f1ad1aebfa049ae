"""The mail the service sends, in the recipient's language, as plain text with an HTML part.

- the one-time code that proves an email address;
- the letter answering a request (the letter itself is the HTML part), with a one-time,
  expiring download link when the answer is an export: a package is never attached;
- the letter forwarding a request to a controller (we are its processor), in the register's
  first language, with a one-time link to the controller's data when there is some;
- the daily digest to the DPO: requests late, and due within a few days.
"""

from __future__ import annotations

import re
from datetime import date
from html import escape, unescape
from typing import Any

from registre.service.mail import Mail

_TAGS = re.compile(r"<[^>]+>")
_BLOCK_ENDS = re.compile(r"</(p|h[1-6]|li|tr|div|table|ul|ol)>|<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_HEAD = re.compile(r"<(head|style|script)\b.*?</\1>", re.IGNORECASE | re.DOTALL)


def as_text(html: str) -> str:
    """The plain-text part of an HTML letter: its words, paragraph by paragraph."""
    body = _HEAD.sub("", html)
    body = _BLOCK_ENDS.sub("\n\n", body)
    text = unescape(_TAGS.sub("", body))
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"


def _paragraphs(text: str, lang: str, bold: str | None = None) -> str:
    html = escape(text)
    if bold:
        html = html.replace(escape(bold), f"<strong>{escape(bold)}</strong>")
    body = "".join(f"<p>{p}</p>" for p in html.split("\n\n") if p.strip())
    return f'<html lang="{lang}"><body>{body}</body></html>'


def code_mail(to: str, request_id: str, code: str, minutes: int, org: str, lang: str) -> Mail:
    if lang == "fr":
        subject = f"Votre code de vérification : {code}"
        text = (
            f"Bonjour,\n\nPour confirmer votre demande {request_id} auprès de {org}, saisissez "
            f"ce code : {code}\n\nIl est valable {minutes} minutes et ne sert qu'une fois. "
            "Si vous n'avez rien demandé, ignorez ce message.\n"
        )
    else:
        subject = f"Your verification code: {code}"
        text = (
            f"Hello,\n\nTo confirm your request {request_id} to {org}, enter this code: "
            f"{code}\n\nIt is valid for {minutes} minutes and works once. If you asked for "
            "nothing, ignore this message.\n"
        )
    return Mail(to=to, subject=subject, text=text, html=_paragraphs(text, lang, bold=code))


def letter_mail(
    to: str,
    request_id: str,
    letter_html: str,
    org: str,
    lang: str,
    link: str | None,
    link_expires: date | None,
) -> Mail:
    """The answer to a request: the letter, and the download link of the export if there is one."""
    if lang == "fr":
        subject = f"Réponse à votre demande {request_id} — {org}"
        extra = (
            f"Vous pouvez télécharger une copie de vos données une seule fois, jusqu'au "
            f"{link_expires:%d/%m/%Y}, à cette adresse : {link}"
            if link and link_expires
            else ""
        )
    else:
        subject = f"Answer to your request {request_id} — {org}"
        extra = (
            f"You can download a copy of your data once, until {link_expires:%Y-%m-%d}, at: {link}"
            if link and link_expires
            else ""
        )
    return _with_link(to, subject, letter_html, lang, link, extra)


def extension_mail(to: str, request_id: str, letter_html: str, org: str, lang: str) -> Mail:
    """The deadline of a request extended (Art. 12(3)): the letter giving the reason."""
    if lang == "fr":
        subject = f"Votre demande {request_id} : délai de réponse prolongé — {org}"
    else:
        subject = f"Your request {request_id}: the time to answer extended — {org}"
    return _with_link(to, subject, letter_html, lang, None, "")


def forward_mail(
    to: str,
    request_id: str,
    letter_html: str,
    org: str,
    lang: str,
    link: str | None,
    link_expires: date | None,
) -> Mail:
    """A request forwarded to its controller: our letter, and the link to its data if any."""
    if lang == "fr":
        subject = f"Demande d'une personne concernée transmise ({request_id}) — {org}"
        extra = (
            f"Les données de cette personne que nous traitons pour votre compte sont à "
            f"télécharger une seule fois, jusqu'au {link_expires:%d/%m/%Y}, à cette adresse : "
            f"{link}"
            if link and link_expires
            else ""
        )
    else:
        subject = f"A data subject's request forwarded to you ({request_id}) — {org}"
        extra = (
            f"The data about this person that we process on your behalf can be downloaded "
            f"once, until {link_expires:%Y-%m-%d}, at: {link}"
            if link and link_expires
            else ""
        )
    return _with_link(to, subject, letter_html, lang, link, extra)


def _with_link(
    to: str, subject: str, letter_html: str, lang: str, link: str | None, extra: str
) -> Mail:
    """A letter as the HTML part, its words as the text part, the link's paragraph first."""
    text = as_text(letter_html)
    html = letter_html
    if extra and link:
        text = f"{extra}\n\n{text}"
        said = escape(extra.rpartition(": ")[0].rstrip())
        colon = " :" if lang == "fr" else ":"
        anchor = f'<p>{said}{colon} <a href="{escape(link)}">{escape(link)}</a></p>'
        if re.search(r"<body[^>]*>", html):
            html = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + anchor, html, count=1)
        else:
            html = anchor + html
    return Mail(to=to, subject=subject, text=text, html=html)


def digest_mail(
    to: str, org: str, lang: str, late: list[dict[str, Any]], soon: list[dict[str, Any]], days: int
) -> Mail:
    """The DPO's daily digest: late requests first, then those due within ``days`` days."""

    def line(item: dict[str, Any]) -> str:
        return f"- {item['id']} ({item['kind']}, {item['state']}): " + (
            f"échéance {item['due']}" if lang == "fr" else f"due {item['due']}"
        )

    if lang == "fr":
        subject = f"{org} : {len(late)} demande(s) en retard, {len(soon)} à traiter sous {days} j"
        parts = ["Bonjour,", f"Demandes en retard : {len(late)}"]
        parts += [line(i) for i in late] or ["(aucune)"]
        parts += [f"Demandes à échéance dans les {days} jours : {len(soon)}"]
        parts += [line(i) for i in soon] or ["(aucune)"]
    else:
        subject = f"{org}: {len(late)} late request(s), {len(soon)} due within {days} days"
        parts = ["Hello,", f"Late requests: {len(late)}"]
        parts += [line(i) for i in late] or ["(none)"]
        parts += [f"Requests due within {days} days: {len(soon)}"]
        parts += [line(i) for i in soon] or ["(none)"]
    text = "\n\n".join(parts) + "\n"
    return Mail(to=to, subject=subject, text=text, html=_paragraphs(text, lang))
