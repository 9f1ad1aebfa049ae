"""The shape of a generated document, shared by its Markdown and HTML templates.

Sections hold paragraphs, bullet lists and tables; their text is plain and unescaped, and
each template typesets and escapes it for its format. Building the policy once as blocks is
what keeps the Markdown and HTML versions saying the same thing.
"""

from __future__ import annotations

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
Line = tuple[Inline, ...]


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
    title: str
    level: Literal[2, 3]
    blocks: list[Block] = field(default_factory=list)
    anchor: str = ""


@dataclass
class Document:
    lang: Lang
    title: str
    subtitle: str
    intro: list[Block]
    toc_label: str
    sections: list[Section]


def line(*parts: Inline | None) -> Line:
    """A line of inline parts, skipping the empty ones."""
    return tuple(part for part in parts if part)


def email_link(address: str) -> Link:
    return Link(address, f"mailto:{address}")


def url_link(url: str) -> Link:
    return Link(url, url)
