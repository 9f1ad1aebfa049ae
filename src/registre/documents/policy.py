"""The privacy policy generated from a register, in Markdown or standalone HTML.

The same register gives the same bytes: nothing depends on the time of generation, and
dictionaries are read in register order. The templates only lay blocks out; every sentence
is written in the ``sections_*`` modules.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Literal

import jinja2

from registre._exceptions import DocumentError
from registre.documents import sections_about, sections_rights, sections_sharing
from registre.documents.blocks import Document, Section
from registre.documents.naming import Namer
from registre.documents.typography import de, markdown_escape, typeset
from registre.documents.wording import date
from registre.register.model import Lang, Register

Format = Literal["md", "html"]
FORMATS: tuple[Format, ...] = ("md", "html")

SECTIONS: tuple[Callable[[Namer], list[Section]], ...] = (
    sections_about.who_we_are,
    sections_about.what_we_collect,
    sections_about.purposes,
    sections_about.retention,
    sections_sharing.recipients,
    sections_sharing.transfers,
    sections_sharing.security,
    sections_rights.cookies,
    sections_rights.rights,
    sections_rights.consent,
    sections_rights.automated_decisions,
    sections_rights.requirements,
    sections_rights.changes,
)


def check_language(register: Register, lang: str) -> Lang:
    """``lang`` if the policy is published in it; raise :class:`DocumentError` otherwise."""
    if lang not in register.policy.languages:
        published = ", ".join(register.policy.languages)
        raise DocumentError(
            f"the policy is not published in {lang!r}",
            hint=f"use one of the register's languages ({published}), or add {lang!r} to "
            "policy.languages and translate every text",
        )
    return lang


def build_policy(register: Register, lang: Lang) -> Document:
    """The policy as blocks, before any format is chosen."""
    n = Namer(register, check_language(register, lang))
    org = register.organization
    sections = [section for build in SECTIONS for section in build(n)]
    for number, section in enumerate(s for s in sections if s.level == 2):
        section.anchor = f"section-{number + 1}"
    version = n.say(
        f"Version {register.policy.version}, en vigueur à compter du "
        f"{date(register.policy.date, lang)}.",
        f"Version {register.policy.version}, effective {date(register.policy.date, lang)}.",
    )
    intro = [
        n.para(
            f"Cette politique explique quelles données personnelles {org.name} traite, pourquoi, "
            "combien de temps elles sont conservées, à qui elles sont communiquées et comment "
            "exercer vos droits.",
            f"This policy explains which personal data {org.name} processes, why, how long it is "
            "kept, who receives it and how to exercise your rights.",
        )
    ]
    return Document(
        lang=lang,
        title=n.say(f"Politique de confidentialité {de(org.name)}", f"{org.name} privacy policy"),
        subtitle=version,
        intro=list(intro),
        toc_label=n.say("Sommaire", "Contents"),
        sections=sections,
    )


def render_policy(register: Register, lang: Lang = "fr", fmt: Format = "md") -> str:
    """The complete privacy policy as Markdown (``md``) or standalone HTML (``html``)."""
    if fmt not in FORMATS:
        raise DocumentError(f"unknown policy format {fmt!r}", hint="use md or html")
    document = build_policy(register, lang)
    template = _environment(fmt).get_template(f"policy.{fmt}.j2")
    return template.render(doc=document).rstrip("\n") + "\n"


@cache
def _environment(fmt: Format) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("registre.documents", "templates"),
        autoescape=fmt == "html",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    if fmt == "md":
        env.filters["t"] = lambda text, lang: markdown_escape(typeset(str(text), lang))
        env.filters["cell"] = lambda text, lang: markdown_escape(typeset(str(text), lang)).replace(
            "\n", " "
        )
    else:
        env.filters["t"] = lambda text, lang: typeset(str(text), lang)
    return env
