"""Create an example application's schema and stream its generated rows into a database.

An example folder holds ``register.yaml`` and ``app.py``. The app module defines ``metadata``
(SQLAlchemy Core), ``ANCHOR`` (the date its data is built around) and
``generate(subjects, seed)``, which yields ``(subjects in batch, {table: [row tuples]})`` with
parents before children. It may also define ``PROFILES``: named variants of the data, each a
description and the keyword arguments it passes to ``generate`` (device-management's ``lean``
profile makes 10 rows per person instead of 41). Nothing is held beyond one batch: PostgreSQL
gets ``COPY``, the other databases ``executemany`` in one transaction per batch.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, inspect, text

from registre._exceptions import StoreError

Row = tuple[Any, ...]
Batch = dict[str, list[Row]]
Progress = Callable[[int, dict[str, int]], None]


@dataclass(frozen=True)
class DemoApp:
    """An example application: its folder, schema, anchor date, generator and its profiles."""

    folder: Path
    metadata: MetaData
    anchor: datetime
    generate: Callable[..., Iterator[tuple[int, Batch]]]
    store_id: str | None
    profiles: Mapping[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def profile(self, name: str | None) -> dict[str, Any]:
        """The keyword arguments of profile ``name`` (none for the default data)."""
        if name is None:
            return {}
        if name not in self.profiles:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise StoreError(
                f"{self.folder.name} has no data profile {name!r} (its profiles: {known})",
                hint="leave out --profile for the default data, or pick one of its profiles",
            )
        return dict(self.profiles[name][1])


@dataclass
class LoadReport:
    """What was loaded: rows per table, in insertion order, and the time it took."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def load_app(folder: str | Path) -> DemoApp:
    """Import an example's ``app.py``; StoreError when the folder has none or it is incomplete."""
    root = Path(folder)
    path = root / "app.py"
    if not path.is_file():
        raise StoreError(
            f"{root} has no app.py",
            hint="give an example folder such as examples/device-management",
        )
    name = "registre_example_" + "".join(ch if ch.isalnum() else "_" for ch in root.resolve().name)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    missing = [attr for attr in ("metadata", "ANCHOR", "generate") if not hasattr(module, attr)]
    if missing:
        raise StoreError(
            f"{path} does not define {', '.join(missing)}",
            hint="an example app defines metadata, ANCHOR and generate(subjects, seed)",
        )
    return DemoApp(
        root,
        module.metadata,
        module.ANCHOR,
        module.generate,
        getattr(module, "STORE_ID", None),
        getattr(module, "PROFILES", {}),
    )


def create_schema(app: DemoApp, engine: Engine, *, drop: bool = False) -> None:
    """Create the app's tables; refuse if any exists already, unless ``drop``."""
    existing = set(inspect(engine).get_table_names())
    clash = sorted(existing & set(app.metadata.tables))
    if clash and not drop:
        raise StoreError(
            f"the database already has the tables {', '.join(clash)}; nothing was changed",
            hint="use another database, or pass --drop to drop and recreate these tables",
        )
    if clash:
        app.metadata.drop_all(engine)
    app.metadata.create_all(engine)


def load_demo_data(
    app: DemoApp,
    engine: Engine,
    *,
    subjects: int,
    seed: int = 0,
    drop: bool = False,
    profile: str | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Create the schema and load ``subjects`` subjects' generated rows; return the counts.

    ``profile`` names one of the app's data profiles (StoreError if it has no such profile).
    """
    started = time.perf_counter()
    options = app.profile(profile)
    create_schema(app, engine, drop=drop)
    report = LoadReport(rows={table.name: 0 for table in app.metadata.sorted_tables})
    insert = _copy_batch if engine.dialect.name == "postgresql" else _insert_batch
    for done, batch in app.generate(subjects, seed, **options):
        with engine.begin() as conn:
            for name, rows in batch.items():
                if rows:
                    insert(conn, app.metadata.tables[name], rows)
                    report.rows[name] += len(rows)
        if progress is not None:
            progress(done, {name: len(rows) for name, rows in batch.items()})
    if engine.dialect.name == "postgresql":
        _reset_sequences(app, engine)
    report.seconds = time.perf_counter() - started
    return report


def _copy_batch(conn: Connection, table: Table, rows: list[Row]) -> None:
    driver = conn.connection.driver_connection
    assert driver is not None  # None only once the connection is closed
    columns = ", ".join(f'"{column.name}"' for column in table.columns)
    with (
        driver.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _insert_batch(conn: Connection, table: Table, rows: list[Row]) -> None:
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in table.columns)}) "
        f"VALUES ({', '.join(marker for _ in table.columns)})"
    )
    if dialect.name == "sqlite":
        rows = [_sqlite_row(row) for row in rows]
    conn.exec_driver_sql(sql, rows)


def _sqlite_row(row: Row) -> Row:
    # the format SQLAlchemy's SQLite DateTime reads back; sqlite3's own adapter is deprecated
    return tuple(
        value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value
        for value in row
    )


def _reset_sequences(app: DemoApp, engine: Engine) -> None:
    # ids were given explicitly; the serial sequences must continue after them
    with engine.begin() as conn:
        for table in app.metadata.sorted_tables:
            for column in table.primary_key.columns:
                sequence = f"pg_get_serial_sequence('\"{table.name}\"', '{column.name}')"
                highest = f'SELECT MAX("{column.name}") FROM "{table.name}"'
                conn.execute(
                    text(f"SELECT setval({sequence}, COALESCE(({highest}), 0) + 1, false)")
                )
