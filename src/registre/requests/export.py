"""The export package of an access (Art. 15) or portability (Art. 20) request: a streamed ZIP.

The ZIP holds ``data.json`` (every table's rows in one JSON document, under the tables' own
names), one CSV per table (named as :func:`registre.requests.legend.file_names` says), and the
letter. Rows are read back by primary key in batches, on one connection per store, and
written straight into the compressed entries. Rows the search kept as a condition (a device's
100,000 points, see :class:`registre.requests.search_results.Bulk`) are read by that condition
in one streamed query (a server-side cursor): neither their contents nor their keys are ever
held, so memory stays bounded whatever their number. A table whose rows fit in one batch is read
once for both its JSON and its CSV (most people have a few rows per table, and round trips
dominate); a larger one is read twice rather than held. Entries carry a fixed timestamp and rows are
sorted by key: the same data gives the same bytes.

An access copy holds every mapped column of the person's rows: their personal data, the dates of
the table's own events (when a point was recorded, an order placed) and the columns declared not
personal, which give them their context. Its CSV headers are in words, in the reader's language,
with the raw column name in parentheses, and a legend file says what each file holds (see
:mod:`registre.requests.legend`). Timestamps carry their offset; those stored without one are
UTC, as the sweeps read them.

Portability exports only the columns of activities whose data the person provided and that
run on consent or a contract (see
:func:`registre.requests.table_activities.portable_columns`), with the date each row was
collected; its headers are the raw column names, stable keys for programs.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from registre.engine.record_keys import key_expression
from registre.owner_only import make_folder, open_private
from registre.register.model import Lang, Register
from registre.requests import table_activities
from registre.requests.find import Finder, Found, Reading, TableRows
from registre.requests.legend import (
    LEGEND_NAMES,
    ColumnWords,
    LegendFile,
    column_words,
    file_names,
    identity_columns,
    legend,
)

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CONSENTS = "consents.json"
"""The package's file of the person's consent records, when they have any."""


@dataclass
class ExportFile:
    path: Path
    sha256: str
    size: int
    rows: int
    tables: dict[str, int]


def export_columns(
    register: Register, finder: Finder, rows: TableRows, portability: bool
) -> list[str]:
    """The columns exported for one table, in table order; empty when none may be."""
    graph = finder.graphs_by_id[rows.store]
    mapping = graph.mapping(rows.table)
    table = finder.tables(graph)[rows.table]
    # an event's column of this table itself; 'account.deleted_at' is another table's
    own_events = {event: path for event, path in mapping.events.items() if "." not in path}
    if portability:
        wanted = set(table_activities.portable_columns(register, mapping))
        if not wanted:
            return []
        wanted |= set(mapping.key_columns())
        # when a point was recorded is part of what the person's use of the device produced
        if "collected" in own_events:
            wanted.add(own_events["collected"])
    else:
        wanted = {*mapping.key_columns(), *mapping.columns, *mapping.not_personal}
        wanted |= identity_columns(mapping)
        wanted |= {ref.column for ref in mapping.references.values()}
        wanted |= set(own_events.values())
    return [column.name for column in table.columns if column.name in wanted]


def write_export(
    path: Path,
    register: Register,
    finder: Finder,
    found: Found,
    *,
    portability: bool,
    header: dict[str, Any],
    letter_html: str | None = None,
    reading: Reading | None = None,
    lang: Lang | None = None,
    for_controller: bool = False,
    consents: list[dict[str, Any]] | None = None,
) -> ExportFile:
    """Write the ZIP package at ``path`` and return its digest and counts.

    With ``reading``, rows are read on its connections (those the search used). ``lang`` is
    the reader's (the register's first language by default); ``for_controller`` marks a
    package sent to the controller of the data, whose legend does not address the person.
    """
    make_folder(path.parent)
    lang = lang or register.policy.languages[0]
    plan = []
    multi_store = len({rows.store for rows in found}) > 1
    for rows in sorted(found, key=lambda r: (r.store, r.table)):
        if not rows.count:
            continue
        columns = export_columns(register, finder, rows, portability)
        if columns:
            name = f"{rows.store}.{rows.table}" if multi_store else rows.table
            plan.append((name, rows, columns))
    # a table's name is the database's: its file's is made safe (no ../, no NUL), and unique
    csv_names = {name: f"{safe}.csv" for name, safe in file_names(n for n, _, _ in plan).items()}
    files = {(rows.store, rows.table): csv_names[name] for name, rows, _ in plan}
    described = {
        name: _column_words(register, finder, rows, columns, lang, files)
        for name, rows, columns in plan
    }
    counts: dict[str, int] = {}
    with (
        open_private(path) as handle,
        _Reader(finder, reading) as reader,
        zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        with archive.open(_entry("data.json"), "w", force_zip64=True) as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
            out.write('{"request": ' + json.dumps(header, sort_keys=True, ensure_ascii=False))
            out.write(', "tables": {')
            for index, (name, rows, columns) in enumerate(plan):
                out.write(("" if index == 0 else ", ") + json.dumps(name) + ": ")
                out.write('{"columns": ' + json.dumps(columns) + ', "shared_rows": ')
                out.write(json.dumps(sorted((_plain(k) for k in rows.shared), key=repr)))
                out.write(', "rows": [')
                count = 0
                for row in reader.read(rows, columns):
                    out.write(
                        ("\n" if count == 0 else ",\n")
                        + json.dumps(
                            dict(zip(columns, map(_plain, row), strict=True)), ensure_ascii=False
                        )
                    )
                    count += 1
                out.write("]}")
                counts[name] = count
            out.write("}}\n")
            out.flush()
            out.detach()
        for name, rows, columns in plan:
            with archive.open(_entry(csv_names[name]), "w", force_zip64=True) as raw:
                # with a BOM, a spreadsheet reads an access copy's accents right (as the ROPA's)
                encoding = "utf-8" if portability else "utf-8-sig"
                out = io.TextIOWrapper(raw, encoding=encoding, newline="")
                writer = csv.writer(out, lineterminator="\r\n")
                # portability's headers are keys for programs; an access copy's are for people
                writer.writerow(columns if portability else [w.header for w in described[name]])
                for row in reader.read(rows, columns):
                    writer.writerow(["" if v is None else _plain(v) for v in row])
                out.flush()
                out.detach()
        if letter_html is not None:
            archive.writestr(_entry("letter.html"), letter_html.encode("utf-8"))
        if consents:  # the person's consent history (registre.consent), ISO/IEC TS 27560 shape
            text = json.dumps(consents, indent=2, ensure_ascii=False)
            archive.writestr(_entry(CONSENTS), text.encode("utf-8"))
        entries = [LegendFile("data.json", sum(counts.values()))]
        entries += [
            LegendFile(
                csv_names[n], counts[n], described[n], None if csv_names[n] == f"{n}.csv" else n
            )
            for n, _, _ in plan
        ]
        if letter_html is not None:
            entries.append(LegendFile("letter.html"))
        if consents:
            entries.append(LegendFile(CONSENTS, len(consents)))
        entries.append(LegendFile(LEGEND_NAMES[lang]))
        text = legend(
            register, lang, entries, for_controller=for_controller, raw_headers=portability
        )
        archive.writestr(_entry(LEGEND_NAMES[lang]), text.encode("utf-8"))
    digest = hashlib.sha256()
    with path.open("rb") as written:
        for block in iter(lambda: written.read(1 << 20), b""):
            digest.update(block)
    return ExportFile(path, digest.hexdigest(), path.stat().st_size, sum(counts.values()), counts)


def _column_words(
    register: Register,
    finder: Finder,
    rows: TableRows,
    columns: list[str],
    lang: Lang,
    files: dict[tuple[str, str], str],
) -> list[ColumnWords]:
    """The words of each exported column; references name the CSV of their table, if any.

    Remembered with the finder's statements: the same desk answers many requests.
    """
    in_store = {t: f for (store, t), f in files.items() if store == rows.store}
    key = (rows.store, rows.table, "words", tuple(columns), lang, tuple(sorted(in_store.items())))
    words: list[ColumnWords] | None = finder.statements.get(key)
    if words is None:
        graph = finder.graphs_by_id[rows.store]
        mapping = graph.mapping(rows.table)
        table = finder.tables(graph)[rows.table]
        words = [column_words(register, mapping, table, c, lang, in_store) for c in columns]
        finder.statements[key] = words
    return words


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


class _Reader:
    """Reads the exported rows back, one connection per store for the whole export."""

    def __init__(self, finder: Finder, reading: Reading | None) -> None:
        self.finder = finder
        self.stack = ExitStack()
        self.reading = reading or self.stack.enter_context(finder.reading())
        # (store, table) -> the rows of a table read in one batch, kept for its second pass
        self.small: dict[tuple[str, str], list[tuple[Any, ...]]] = {}

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stack.close()

    def read(self, rows: TableRows, columns: list[str]) -> Iterator[tuple[Any, ...]]:
        """The rows' exported columns, by key order, one batch of keys per query."""
        kept = self.small.pop((rows.store, rows.table), None)
        if kept is not None:
            yield from kept
            return
        graph = self.finder.graphs_by_id[rows.store]
        table = self.finder.tables(graph)[rows.table]
        key_columns = [table.c[c] for c in graph.mapping(rows.table).key_columns()]
        pk = key_expression(key_columns)
        if rows.bulk is not None:
            yield from self.read_bulk(rows, table, key_columns, columns)
            return
        try:
            keys = sorted(rows.rows)
        except TypeError:  # parts of a key of several columns that are NULL
            keys = sorted(rows.rows, key=repr)
        cache_key = (rows.store, rows.table, "export", tuple(columns))
        query = self.finder.statements.get(cache_key)
        if query is None:
            selected = [table.c[c] for c in columns]
            query = (
                sa.select(*selected)
                .where(pk.in_(sa.bindparam("keys", expanding=True)))
                .order_by(*key_columns)
            )
            self.finder.statements[cache_key] = query
        connection = self.reading.connection(rows.store)
        batch = self.finder.batch
        for start in range(0, len(keys), batch):
            chunk = {"keys": keys[start : start + batch]}
            result = [tuple(row) for row in connection.execute(query, chunk)]
            if len(keys) <= batch:
                self.small[(rows.store, rows.table)] = result
            yield from result

    def read_bulk(
        self, rows: TableRows, table: sa.Table, key_columns: list[Any], columns: list[str]
    ) -> Iterator[tuple[Any, ...]]:
        """The rows of a :class:`Bulk`, by key order, in one query; streamed when large."""
        assert rows.bulk is not None
        where = self.finder.bulk_condition(rows.store, rows.table, rows.bulk)
        query = sa.select(*[table.c[c] for c in columns]).where(where).order_by(*key_columns)
        connection = self.reading.connection(rows.store)
        batch = self.finder.batch
        if rows.bulk.count <= batch:
            result = [tuple(row) for row in connection.execute(query)]
            self.small[(rows.store, rows.table)] = result
            yield from result
            return
        # per statement: the connection goes on serving the other tables' reads
        streamed = query.execution_options(stream_results=True, yield_per=batch)
        for part in connection.execute(streamed).partitions(batch):
            yield from (tuple(row) for row in part)


_AS_IS = frozenset((str, int, float, bool, type(None)))


def _plain(value: Any) -> Any:
    """A JSON-ready value: dates in ISO 8601, decimals as text, bytes in hex.

    A timestamp carries its offset: one stored without a time zone is UTC, as sweeps read it.
    """
    if type(value) in _AS_IS:  # most values: one test instead of five
        return value
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, UUID):  # a UUID key, as the database writes it
        return str(value)
    if isinstance(value, tuple):  # a key of several columns
        return [_plain(part) for part in value]
    return value


# -- purging packages past their retention ------------------------------------------------------

COMPANIONS = ("*.html", "forward.json")
"""Files beside a package in its request's folder that are deleted with it: the letters (the
person's answer, also inside the package; the forward letter and ``forward.json``, which name
the person and the client). Past the export's retention the audit trail keeps what was sent
(the package's sha256 and the files' paths), not copies of personal data."""


@dataclass
class Located:
    """Where a recorded package is on disk now, if anywhere."""

    path: Path | None
    """The package, when it exists."""
    folder: Path | None
    """Its request's folder, when registre can tell where it is."""


def locate(recorded: str, request_id: str, out_dir: Path) -> Located:
    """Find a recorded package; a relative path (recorded by earlier versions) is tried two ways.

    Relative paths were relative to the folder ``request execute`` ran in: they are tried from
    the current folder, then as ``OUT/REQUEST/NAME`` under the desk's ``out_dir``.
    """
    path = Path(recorded)
    if path.is_absolute():
        return Located(path if path.is_file() else None, path.parent)
    for candidate in (path.absolute(), out_dir / request_id / path.name):
        if candidate.is_file():
            return Located(candidate, candidate.parent)
    return Located(None, None)


def companions(folder: Path | None, request_id: str) -> list[Path]:
    """The files deleted with a package: its request folder's letters and forward summary.

    Only in a folder named after the request, so that no other file is ever touched.
    """
    if folder is None or folder.name != request_id or not folder.is_dir():
        return []
    files = {p for pattern in COMPANIONS for p in folder.glob(pattern) if p.is_file()}
    return sorted(files)


def remove(paths: list[Path]) -> None:
    """Delete the files, then their folder if nothing else is left in it."""
    folders = {p.parent for p in paths}
    for path in paths:
        path.unlink(missing_ok=True)
    for folder in folders:
        with contextlib.suppress(OSError):  # not empty, or already gone: leave it
            folder.rmdir()
