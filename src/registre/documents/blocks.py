"""The shape of a generated document, shared by its Markdown and HTML templates.

Sections hold paragraphs, bullet lists and tables; their text is plain and unescaped, and
each template typesets and escapes it for its format. Building the policy once as blocks is
what keeps the Markdown and HTML versions saying the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from registre.register.model import Lang


@dataclass(frozen=True)
class Link:
    text: str
    href: str
    kind: Literal["link"] = "link"


@dataclass(frozen=True)
class Strong:
    text: str
    kind: Literal["strong"] = "strong"


@dataclass(frozen=True)
class Code:
    """A literal name, such as a cookie's, shown as typed and never typeset."""

    text: str
    kind: Literal["code"] = "code"


Inline = str | Link | Strong | Code
Sources = str | Iterable[str]


class Line(tuple[Inline, ...]):
    """A line of inline parts, with the register fields it says: its ``src``.

    Every sentence of a policy must come from the register; a line records the dotted paths
    of the fields it was written from (``rights.response_deadline``,
    ``activities.signup.purpose``) so a test can trace each sentence back to the file.
    """

    src: tuple[str, ...]

    def __new__(cls, parts: Iterable[Inline], src: Sources = ()) -> Line:
        made = super().__new__(cls, parts)
        made.src = (src,) if isinstance(src, str) else tuple(src)
        return made


@dataclass(frozen=True)
class Para:
    parts: Line
    kind: Literal["para"] = "para"


@dataclass(frozen=True)
class Bullets:
    items: tuple[Line, ...]
    kind: Literal["bullets"] = "bullets"


@dataclass(frozen=True)
class Table:
    """A table whose first column names each row (a row header, for screen readers)."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[Line, ...], ...]
    kind: Literal["table"] = "table"


Block = Para | Bullets | Table


@dataclass
class Section:
    """A titled part of a document; ``src`` names the field its title comes from, if any."""

    title: str
    level: Literal[2, 3]
    blocks: list[Block] = field(default_factory=list)
    anchor: str = ""
    src: tuple[str, ...] = ()


@dataclass
class Document:
    lang: Lang
    title: str
    subtitle: str
    intro: list[Block]
    toc_label: str
    sections: list[Section]
    draft: str = ""
    """The draft mark printed on every page, or empty for a document to publish."""
    other_language: Link | None = None


def line(*parts: Inline | None, src: Sources = ()) -> Line:
    """A line of inline parts, skipping the empty ones, written from the fields ``src``."""
    return Line((part for part in parts if part), src)


def email_link(address: str) -> Link:
    return Link(address, f"mailto:{address}")


def url_link(url: str) -> Link:
    return Link(url, url)
