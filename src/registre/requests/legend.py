"""The words of an access copy: its column headers and its legend file, in the reader's language.

A copy a person cannot read is not the "concise, intelligible" answer Art. 12(1) asks for, and
Art. 15(3) asks for a copy of the data, not of our schema. The register already names every
mapped column in words: its data category (``columns:``), the event whose date it holds
(``events:``). A CSV header gives those words with the raw column name in parentheses,
``Données de localisation (lat)``: people read the words, programs read the name back from the
last parentheses, and two columns of one category never share a header. A category's name
usually lists its fields in parentheses ("Appareils (fabricant, IMEI, ...)"); a header keeps
the part before them, and the legend gives the whole name.

The legend (``LISEZMOI.txt`` in French, ``README.txt`` in English) lists every file of the
package with its number of rows, and for each CSV which columns hold which data, in words.

Each table's CSV is named after the table (:func:`file_names`), but a table's name is the
database's, not ours: ``../../x``, a backslash, a NUL or 300 characters would make a member
outside the archive's root, or one that no file system accepts. A name that is not already a
plain file name is made one (anything but letters, digits, ``_``, ``-`` and ``.`` becomes
``_``, no leading dot, at most 80 characters) and gets the first 8 hex digits of the sha256 of
the table's name, so that two tables never share a file: ``x-9cdf6a50.csv``. The legend then
says which table the file holds.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from registre.documents.typography import colon as typeset_colon
from registre.documents.typography import de, upper_first
from registre.documents.typography import typeset as _typeset_uncached
from registre.documents.wording import pick
from registre.register.mapping import TableMapping
from registre.register.model import Lang, Register

LEGEND_NAMES: dict[Lang, str] = {"fr": "LISEZMOI.txt", "en": "README.txt"}


@dataclass(frozen=True)
class ColumnWords:
    """What one exported column is, for people."""

    column: str
    label: str
    """Short words for the header: ``Données de localisation``."""
    meaning: str
    """Full words for the legend, under which the column is listed."""

    @property
    def header(self) -> str:
        return f"{self.label} ({self.column})"


@dataclass
class LegendFile:
    """A file of the package, as the legend describes it."""

    name: str
    rows: int | None = None
    """Rows of a data file; None for the letter and the legend."""
    columns: list[ColumnWords] = field(default_factory=list)
    table: str | None = None
    """The table a CSV holds, when its name is not the table's (see :func:`file_names`)."""


MAX_FILE_NAME = 80
"""UTF-8 bytes of a table's name kept in its file's name (file systems allow 255 a name)."""
_UNSAFE = re.compile(r"[^\w.-]+|\.{2,}")  # \w: letters and digits of every script, and _
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10)]
)  # names Windows gives to devices, whatever the extension


def file_names(tables: Iterable[str]) -> dict[str, str]:
    """Each table's file name in a package, without its extension: readable, safe, unique.

    A table whose name is a plain file name keeps it; any other (and two that differ only by
    case, which a Mac or Windows file system would take for one) gets the readable part of its
    name and 8 hex digits of its sha256.
    """
    names = list(dict.fromkeys(tables))
    readable = {t: _readable(t) for t in names}
    plain = {t for t, name in readable.items() if name == t and _allowed(name)}
    folded: dict[str, int] = {}
    for table in plain:
        folded[table.casefold()] = folded.get(table.casefold(), 0) + 1
    out = {}
    for table, name in readable.items():
        if table not in plain or folded[table.casefold()] > 1:
            digest = hashlib.sha256(table.encode("utf-8", "surrogatepass")).hexdigest()[:8]
            name = f"{name or 'table'}-{digest}"
        out[table] = name
    return out


def _readable(table: str) -> str:
    name = re.sub("_+", "_", _UNSAFE.sub("_", table)).strip("._-")
    while len(name.encode("utf-8", "surrogatepass")) > MAX_FILE_NAME:
        name = name[:-1]
    return name


def _allowed(name: str) -> bool:
    return bool(name) and name.split(".")[0].upper() not in _RESERVED


@lru_cache(maxsize=4096)
def typeset(text: str, lang: Lang) -> str:
    """:func:`~registre.documents.typography.typeset`, remembered: an access request's words
    are mostly the same ones (the register's names, our sentences), and typesetting each again
    was a third of the package's time (2.5 ms of 7 on a device-management account holder)."""
    return _typeset_uncached(text, lang)


def short_name(name: str) -> str:
    """A category name without the trailing list of fields in parentheses, if it has one."""
    name = name.strip()
    if not name.endswith(")"):
        return name
    depth = 0
    for index in range(len(name) - 1, -1, -1):
        if name[index] == ")":
            depth += 1
        elif name[index] == "(":
            depth -= 1
            if depth == 0:
                return name[:index].rstrip() or name
    return name


def column_words(
    register: Register,
    mapping: TableMapping,
    table: sa.Table,
    column: str,
    lang: Lang,
    files: dict[str, str],
) -> ColumnWords:
    """How ``column`` of a mapped table is named; ``files``: table name -> its CSV in the package.

    A personal column is named by its data category, a column holding an event's date by that
    event, then the key, the references and the columns declared not personal.
    """

    def say(fr: str, en: str) -> str:
        return typeset(pick(lang, fr, en), lang)

    if column in mapping.columns:
        category = register.data_category(mapping.columns[column])
        full = category.name.get(lang)
        if category.special:
            full += pick(lang, " (donnée sensible)", " (special category of data)")
        return ColumnWords(column, typeset(short_name(full), lang), typeset(full, lang))
    events = [event for event, path in mapping.events.items() if path == column]
    if events:
        name = register.event(events[0]).name.get(lang)
        label = say(upper_first(f"date {de(name)}"), f"Date of {name}")
        return ColumnWords(column, label, label)
    # a column of a key of several that is also a reference (order_item's order_id) is told
    # as the reference
    referenced = any(reference.column == column for reference in mapping.references.values())
    if column in mapping.key_columns() and not (referenced and len(mapping.key_columns()) > 1):
        return ColumnWords(
            column,
            say("Identifiant", "Identifier"),
            say(
                "Identifiant de la ligne dans notre base de données",
                "Identifier of the row in our database",
            ),
        )
    for reference in mapping.references.values():
        if reference.column == column:
            target = files.get(reference.table)
            if target is not None:
                return ColumnWords(
                    column,
                    say(f"Lien vers {target}", f"Link to {target}"),
                    say(
                        f"Identifiant de la ligne liée dans {target}",
                        f"Identifier of the linked row in {target}",
                    ),
                )
            return ColumnWords(
                column,
                say("Lien vers une autre table", "Link to another table"),
                say(
                    "Identifiant d'une ligne liée, dans une table dont cette copie ne contient "
                    "aucune ligne",
                    "Identifier of a linked row, in a table none of whose rows are in this copy",
                ),
            )
    if column in identity_columns(mapping):
        return ColumnWords(
            column,
            say("Identifiant", "Identifier"),
            say("Identifiant qui vous désigne", "Identifier that designates you"),
        )
    kind = table.c[column].type if column in table.c else None
    if isinstance(kind, sa.DateTime | sa.Date):
        return ColumnWords(
            column,
            say("Date", "Date"),
            say("Date et heure notées par le service", "Date and time noted by the service"),
        )
    return ColumnWords(
        column,
        say("Information complémentaire", "Additional information"),
        say(
            "Informations sur le service, qui ne désignent personne à elles seules",
            "Information about the service, which designates no one by itself",
        ),
    )


def identity_columns(mapping: TableMapping) -> set[str]:
    """The columns that identify a person: one per kind, or several (``[email, alt_email]``)."""
    columns: set[str] = set()
    value: Any  # a column, or a list of them, whichever form the mapping holds
    for value in mapping.identity.values():
        columns.update([value] if isinstance(value, str) else value)
    return columns


def legend(
    register: Register,
    lang: Lang,
    files: list[LegendFile],
    *,
    for_controller: bool,
    raw_headers: bool = False,
) -> str:
    """The legend's text: what the package holds, file by file, and how to read it.

    ``raw_headers``: the CSVs name their columns by their raw names (a portability package).
    """
    say = _Say(lang)
    colon = typeset_colon(lang)
    organization = register.organization.name
    lines = [
        say(
            "Copie des données personnelles d'une personne, que nous traitons pour votre compte"
            if for_controller
            else f"Copie de vos données personnelles détenues par {organization}",
            "Copy of the personal data of a person, which we process on your behalf"
            if for_controller
            else f"Copy of your personal data held by {organization}",
        ),
        "",
        say("Ce dossier contient les fichiers suivants.", "This folder holds the files below."),
    ]
    for entry in files:
        lines.append("")
        if entry.rows is None:
            lines.append(f"{entry.name}{colon}{_describe_other(entry.name, lang)}")
            continue
        rows = say(
            f"{entry.rows} ligne" + ("s" if entry.rows > 1 else ""),
            f"{entry.rows} row" + ("" if entry.rows == 1 else "s"),
        )
        if entry.name == "data.json":
            lines.append(
                f"{entry.name}{colon}{rows}. "
                + say(
                    "Les mêmes données que les fichiers CSV, en un seul document JSON destiné aux "
                    "programmes ; chaque colonne y porte son nom technique, celui qui figure "
                    + (
                        "en tête des fichiers CSV."
                        if raw_headers
                        else "entre parenthèses dans les en-têtes des fichiers CSV."
                    ),
                    "The same data as the CSV files, in one JSON document meant for programs; "
                    "each column has its technical name there, the one "
                    + (
                        "heading the CSV files."
                        if raw_headers
                        else "in parentheses in the CSV files' headers."
                    ),
                )
            )
            continue
        holds = ""
        if entry.table is not None:  # its name could not be the table's
            shown = json.dumps(entry.table, ensure_ascii=False)  # a NUL or a newline, visible
            holds = say(f" (table {shown})", f" (table {shown})")
        lines.append(f"{entry.name}{holds}{colon}{rows}.")
        grouped: dict[str, list[str]] = {}
        for words in entry.columns:
            grouped.setdefault(words.meaning, []).append(words.column)
        for meaning, columns in grouped.items():
            lines.append(f"  - {meaning}{colon}{', '.join(columns)}")
    if raw_headers:
        first_line = say(
            "La première ligne donne le nom technique de chaque colonne ; la liste ci-dessus "
            "dit ce qu'elles contiennent.",
            "The first line gives each column's technical name; the list above says what they "
            "hold.",
        )
    else:
        first_line = say(
            "Un tableur les ouvre directement. La première ligne nomme chaque colonne en mots, "
            "suivis entre parenthèses de son nom technique.",
            "A spreadsheet opens them as they are. The first line names each column in words, "
            "followed by its technical name in parentheses.",
        )
    lines += [
        "",
        say("Comment lire ces fichiers", "How to read these files"),
        "",
        say(
            "Chaque fichier CSV correspond à une table de nos bases de données : une ligne par "
            "enregistrement, des champs séparés par des virgules, en UTF-8. ",
            "Each CSV file is one table of our databases: one line per record, fields separated "
            "by commas, in UTF-8. ",
        )
        + first_line
        + say(
            " Une case vide signifie qu'aucune valeur n'est enregistrée.",
            " An empty field means that no value is recorded.",
        ),
        "",
        say(
            "Les dates et heures sont écrites selon la norme ISO 8601, avec leur décalage par "
            "rapport au temps universel : 2026-10-31T14:05:00+00:00 est le 31 octobre 2026 à "
            "14 h 05 en temps universel (UTC). Nos bases de données enregistrent les heures en "
            "temps universel : celles qui y sont notées sans fuseau horaire sont écrites avec "
            "+00:00.",
            "Dates and times are written in ISO 8601, with their offset from Coordinated "
            "Universal Time: 2026-10-31T14:05:00+00:00 is 31 October 2026 at 14:05 UTC. Our "
            "databases record times in UTC: those stored without a time zone are written with "
            "+00:00.",
        ),
    ]
    return "\r\n".join(lines) + "\r\n"


class _Say:
    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def __call__(self, fr: str, en: str) -> str:
        return typeset(pick(self.lang, fr, en), self.lang)


def _describe_other(name: str, lang: Lang) -> str:
    if name == "letter.html":
        return typeset(
            pick(
                lang,
                "notre réponse à votre demande, avec pour chaque traitement sa finalité, sa base "
                "légale, ses destinataires et la durée de conservation des données.",
                "our answer to your request, with each processing activity's purpose, legal "
                "basis, recipients and how long the data is kept.",
            ),
            lang,
        )
    return pick(lang, "ce fichier.", "this file.")
