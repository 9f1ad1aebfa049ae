"""The privacy policy generated from a register, in Markdown or standalone HTML.

The same register gives the same bytes: nothing depends on the time of generation, and
dictionaries are read in register order. The templates only lay blocks out; every sentence
is written in the ``sections_*`` modules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Literal

import jinja2
from markupsafe import Markup, escape

from registre._exceptions import DocumentError
from registre.documents import (
    sections_about,
    sections_commitments,
    sections_rights,
    sections_sharing,
)
from registre.documents.blocks import Block, Document, Link, Section
from registre.documents.gate import DRAFT_MARK
from registre.documents.naming import Namer
from registre.documents.typography import a, de, markdown_escape, typeset
from registre.documents.wording import date, pick
from registre.register.model import Lang, Register

Format = Literal["md", "html"]
FORMATS: tuple[Format, ...] = ("md", "html")

# Each part of the policy with its anchor: stable across versions and languages, so a link to
# « #retention » from a letter or an email still lands on the right place next year.
SECTIONS: tuple[tuple[str, Callable[[Namer], list[Section]]], ...] = (
    ("who-we-are", sections_about.who_we_are),
    ("data", sections_about.what_we_collect),
    ("purposes", sections_about.purposes),
    ("commitments", sections_commitments.commitments),
    ("retention", sections_about.retention),
    ("recipients", sections_sharing.recipients),
    ("transfers", sections_sharing.transfers),
    ("security", sections_sharing.security),
    ("cookies", sections_rights.cookies),
    ("rights", sections_rights.rights),
    ("consent", sections_rights.consent),
    ("automated-decisions", sections_rights.automated_decisions),
    ("changes", sections_rights.changes),
    ("other-controllers", sections_commitments.other_controllers),
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


def build_policy(register: Register, lang: Lang, *, draft: bool = False) -> Document:
    """The policy as blocks, before any format is chosen; ``draft`` marks every page as one."""
    n = Namer(register, check_language(register, lang))
    sections: list[Section] = []
    for anchor, build in SECTIONS:
        built = build(n)
        for section in built:
            if section.level == 2:
                section.anchor = anchor
                anchor = f"{anchor}-{len(sections)}"  # a second h2 from one builder
        sections += built
    version = n.say(
        f"Version {register.policy.version}, en vigueur à compter du "
        f"{date(register.policy.date, lang)}.",
        f"Version {register.policy.version}, effective {date(register.policy.date, lang)}.",
    )
    name = n.org()
    intro: list[Block] = [
        n.para(
            f"Cette politique explique quelles données personnelles {name} traite, pourquoi, "
            "combien de temps elles sont conservées, à qui elles sont communiquées et comment "
            "exercer vos droits.",
            f"This policy explains which personal data {name} processes, why, how long it is "
            "kept, who receives it and how to exercise your rights.",
            "activities",
        )
    ]
    if register.policy.scope is not None:
        scope = n.text(register.policy.scope)
        intro.append(
            n.para(
                f"Elle s’applique {a(scope)}.",
                f"It applies to {scope}.",
                "policy.scope",
            )
        )
    return Document(
        lang=lang,
        title=n.say(
            f"Politique de confidentialité {de(name)}",
            f"{register.organization.name} privacy policy",
        ),
        subtitle=version,
        intro=intro,
        toc_label=n.say("Sommaire", "Contents"),
        sections=sections,
        draft=DRAFT_MARK[lang] if draft else "",
        other_language=_other_language(register, lang),
    )


def _other_language(register: Register, lang: Lang) -> Link | None:
    """The link to this policy in its other language, when the register says where it is."""
    urls = register.policy.published_at
    other: Lang = "en" if lang == "fr" else "fr"
    if urls is None or other not in register.policy.languages:
        return None
    url = getattr(urls, other)
    if url is None:
        return None
    return Link(pick(lang, "English version", "Version française"), url)


def render_policy(
    register: Register, lang: Lang = "fr", fmt: Format = "md", *, draft: bool = False
) -> str:
    """The complete privacy policy as Markdown (``md``) or standalone HTML (``html``).

    ``draft`` marks every page as a draft, for a register whose lint still has errors.
    """
    if fmt not in FORMATS:
        raise DocumentError(f"unknown policy format {fmt!r}", hint="use md or html")
    document = build_policy(register, lang, draft=draft)
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
        env.filters["t"] = _html_text
        env.filters["plain"] = lambda text, lang: typeset(str(text), lang)  # titles, attributes
    return env


def _html_text(text: object, lang: Lang) -> Markup:
    """Typeset and escaped text, with French ordinals in superscript (« 1<sup>er</sup> »).

    A hyphenated word (« e-mail », « vous-même », « L. 123-22 ») is kept on one line: a
    browser may break after its hyphen, which reads as a hyphenation that is not one.
    """
    safe = _HYPHENATED.sub(r'<span class="nw">\g<0></span>', str(escape(typeset(str(text), lang))))
    if lang == "fr":
        safe = _ORDINAL.sub(r"\1<sup>er</sup>", safe)
    return Markup(safe)


_ORDINAL = re.compile(r"\b(1)er\b")
_HYPHENATED = re.compile(r"\b\w+(?:[-\u2011]\w+)+\b")
