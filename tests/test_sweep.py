"""A sweep of the device-management example does what the register says, no more, no less.

The expected result is computed here, independently of the engine's SQL: plain Python over
every row, with :func:`registre.durations.is_due` for the clocks, following references and
tenants through dictionaries, applying holds, dependants and count caps by hand. Only the
order of the work (children first) is taken from the plan, because it is documented there.
Then the real sweep runs through the command line, and every table must equal the expected
tables row for row; the summary must agree rule by rule; a second look finds nothing due and a
second sweep changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from _support import RunCli
from registre import load_register
from registre.demo.loader import load_app, load_demo_data
from registre.durations import Duration, is_due
from registre.engine.plan import plan_store
from registre.engine.work_items import PersonHold, RecordHold
from registre.register.model import Register
from registre.state import open_state
from registre.stores.throwaway import scratch_database

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "device-management"
REGISTER = EXAMPLE / "register.yaml"
AT = "2026-11-01"
SUBJECTS = 300
SERVERS = {"postgresql": "REGISTRE_TEST_POSTGRES_URL", "mariadb": "REGISTRE_TEST_MARIADB_URL"}

Rows = dict[str, dict[Any, dict[str, Any]]]


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where scratch databases are created, per dialect."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'unused.sqlite'}"
    found = os.environ.get(SERVERS[request.param], "")
    if not found:
        pytest.skip(f"{SERVERS[request.param]} is not set")
    return found


@contextmanager
def loaded(server: str, example: Path, subjects: int = SUBJECTS) -> Iterator[str]:
    """A database of its own holding an example's generated rows."""
    with scratch_database(server, prefix="registre_sweep") as url:
        engine = sa.create_engine(url)
        load_demo_data(load_app(example), engine, subjects=subjects, seed=7)
        engine.dispose()
        yield url


@pytest.fixture
def example_db(server: str) -> Iterator[str]:
    with loaded(server, EXAMPLE) as url:
        yield url


@pytest.fixture
def run_cli(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RunCli:
    """conftest's ``run_cli`` with a state database of the test's own."""
    monkeypatch.setenv("REGISTRE_STATE_URL", f"sqlite:///{tmp_path / 'state.sqlite'}")
    return run_cli


def read_all(url: str) -> Rows:
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        rows = {
            name: {row.id: dict(row._mapping) for row in connection.execute(sa.select(table))}
            for name, table in metadata.tables.items()
        }
    engine.dispose()
    return rows


def pages_of(url: str) -> dict[str, dict[Any, int]]:
    """On PostgreSQL, the page each row is stored in (page spans name pages, not keys)."""
    engine = sa.create_engine(url)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        return {}
    names = sa.inspect(engine).get_table_names()
    with engine.connect() as connection:
        pages = {
            name: {
                key: int(page)
                for key, page in connection.execute(
                    sa.text(f"SELECT id, (ctid::text::point)[0] FROM {name}")
                )
            }
            for name in names
        }
    engine.dispose()
    return pages


def checksums(rows: Rows) -> dict[str, dict[Any, str]]:
    """Per-row sha256 of every value's repr: any changed byte changes it."""
    return {
        table: {
            key: hashlib.sha256(repr(sorted(row.items())).encode()).hexdigest()
            for key, row in content.items()
        }
        for table, content in rows.items()
    }


class Oracle:
    """What the register makes due, computed in Python over all rows."""

    def __init__(
        self,
        register: Register,
        store_id: str,
        rows: Rows,
        at: datetime,
        holds: list[Any],
        lengths: dict[tuple[str, str], int | None],
    ) -> None:
        self.register = register
        self.store = register.stores[store_id]
        self.rows = rows
        self.at = at
        self.tz = ZoneInfo(register.policy.timezone)
        self.holds = holds
        self.lengths = lengths

    def _follow(self, table: str, row: dict[str, Any] | None, dotted: str) -> Any:
        *refs, column = dotted.split(".")
        for name in refs:
            if row is None:
                return None
            ref = self.store.tables[table].references[name]
            target = ref.target or self.store.tables[ref.table].primary_key
            row = next(
                (
                    r
                    for r in self.rows[ref.table].values()
                    if r[target] == row[ref.column] and row[ref.column] is not None
                ),
                None,
            )
            table = ref.table
        return None if row is None else row[column]

    def _tenant_row(self, table: str, row: dict[str, Any]) -> dict[str, Any] | None:
        tenants = self.store.tenants
        mapping = self.store.tables[table]
        if tenants is None or mapping.tenant is None:
            return None
        key = self._follow(table, row, mapping.tenant)
        return self.rows[tenants.table].get(key) if key is not None else None

    def _event(self, table: str, row: dict[str, Any], event: str) -> datetime | None:
        mapping = self.store.tables[table]
        if event in mapping.events:
            return self._follow(table, row, mapping.events[event])
        tenant = self._tenant_row(table, row)
        assert event == "contract_ended" and self.store.tenants is not None
        return tenant and tenant[self.store.tenants.contract_ended]

    def clock_due(self, table: str, row: dict[str, Any], rule_id: str) -> bool:
        _, rule = self.register.rule(rule_id)
        months = None
        if rule.client_agreed and self.store.tenants and self.store.tenants.retention_months:
            tenant = self._tenant_row(table, row)
            months = tenant and tenant[self.store.tenants.retention_months]
        for clock in rule.after:
            moment = self._event(table, row, clock.event)
            period = Duration(months, "months") if months is not None else clock.period
            if moment is not None and is_due(moment, period, self.at, self.tz):
                return True
        return False

    def cap_due(self, table: str, rule_id: str) -> set[Any]:
        _, rule = self.register.rule(rule_id)
        if rule.keep_last is None:
            return set()
        binding = self.store.tables[table].rules[rule_id]
        groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for row in self.rows[table].values():
            groups[row[binding.per]].append(row)
        due = set()
        for members in groups.values():
            members.sort(
                key=lambda r: (r[binding.order_by] is not None, r[binding.order_by], r["id"]),
                reverse=True,
            )
            due |= {r["id"] for r in members[rule.keep_last.count :]}
        return due

    def held(self, table: str, row: dict[str, Any]) -> bool:
        mapping = self.store.tables[table]
        for hold in self.holds:
            if isinstance(hold, RecordHold) and (hold.table, hold.key) == (table, str(row["id"])):
                return True
            if isinstance(hold, PersonHold):
                for kind, value in hold.identity:
                    for column in mapping.identity.get(kind, []):
                        found = row.get(column)
                        if found is not None and str(found).lower() == value.lower():
                            return True
        for ref in mapping.references.values():
            target = ref.target or self.store.tables[ref.table].primary_key
            parent = next(
                (
                    r
                    for r in self.rows[ref.table].values()
                    if row[ref.column] is not None and r[target] == row[ref.column]
                ),
                None,
            )
            if parent is not None and self.held(ref.table, parent):
                return True
        return False

    def referenced(self, table: str, row: dict[str, Any]) -> bool:
        """Still referenced by a dependant that keeps it: any through 'block', a held one
        through 'unlink' (a hold forbids touching the row)."""
        for child, mapping in self.store.tables.items():
            for ref in mapping.references.values():
                target = ref.target or self.store.tables[table].primary_key
                if ref.table == table and any(
                    r[ref.column] == row[target]
                    and (ref.on_delete == "block" or self.held(child, r))
                    for r in self.rows[child].values()
                ):
                    return True
        return False

    def unlink(self, table: str, deleted: list[dict[str, Any]]) -> None:
        """Set to NULL the 'unlink' references of kept rows to the ``deleted`` rows."""
        for child, mapping in self.store.tables.items():
            for ref in mapping.references.values():
                if ref.table != table or ref.on_delete != "unlink":
                    continue
                target = ref.target or self.store.tables[table].primary_key
                gone = {r[target] for r in deleted}
                for r in self.rows[child].values():
                    if r[ref.column] is not None and r[ref.column] in gone:
                        r[ref.column] = None

    def anonymized(self, table: str, row: dict[str, Any], methods: dict[str, str]) -> bool:
        return all(
            row[c] is None or (m == "redact" and row[c] == self._redacted(table, c))
            for c, m in methods.items()
        )

    def _redacted(self, table: str, column: str) -> str:
        return "[redacted]"[: self.lengths[(table, column)] or None]

    def sweep(self, order: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Apply every (rule, table) in order to ``rows``; return the rows changed by each."""
        changed = {}
        for rule_id, table in order:
            _, rule = self.register.rule(rule_id)
            content = self.rows[table]
            capped = self.cap_due(table, rule_id)
            due = {
                k
                for k, r in content.items()
                if (self.clock_due(table, r, rule_id) or k in capped) and not self.held(table, r)
            }
            if rule.action.value == "delete":
                due = {k for k in due if not self.referenced(table, content[k])}
                self.unlink(table, [content[k] for k in due])
                for key in due:
                    del content[key]
            else:
                methods = self.store.tables[table].rules[rule_id].anonymize
                due = {k for k in due if not self.anonymized(table, content[k], methods)}
                for key in due:
                    for column, method in methods.items():
                        assert method in ("null", "redact"), "extend the oracle for " + method
                        content[key][column] = (
                            None
                            if method == "null" or content[key][column] is None
                            else self._redacted(table, column)
                        )
            changed[(rule_id, table)] = len(due)
        return changed


def _lengths(url: str) -> dict[tuple[str, str], int | None]:
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    engine.dispose()
    return {
        (t.name, c.name): getattr(c.type, "length", None)
        for t in metadata.tables.values()
        for c in t.columns
    }


def _holds(rows: Rows) -> list[dict[str, Any]]:
    """Holds on rows that are due: a web visit, a located device, a deleted account's holder."""
    old_visit = min(rows["web_history"].values(), key=lambda r: r["visited_at"])
    located = {r["device_id"] for r in rows["geolocation_points"].values()}
    device = min(k for k, r in rows["devices"].items() if k in located and r["reset_at"])
    deleted = {k for k, r in rows["accounts"].items() if r["deleted_at"]}
    holder = min(
        (r for r in rows["account_holders"].values() if r["account_id"] in deleted),
        key=lambda r: r["id"],
    )
    return [
        {"store": "console", "table": "web_history", "key": str(old_visit["id"])},
        {"store": "console", "table": "devices", "key": str(device)},
        {"identity": {"email": holder["email"].upper()}},
    ]


# (example, checks that its data exercises: (rule, table) pairs with rows to change)
EXAMPLES = [
    (
        "device-management",
        [
            ("web-history", "web_history"),
            ("geolocation-points", "geolocation_points"),
            ("invoices", "invoices"),
            ("invoice-personal-data", "invoices"),
            ("devices-reset", "devices"),
            ("devices", "devices"),
            ("directory-users-deleted", "directory_users"),
            ("directory-users", "directory_users"),
            ("manager-logs", "managers"),
            ("billing-contact", "accounts"),
        ],
    ),
    ("booking-platform", [("booking-data", "appointments"), ("booking-data", "clients")]),
    (
        "print-association",
        [("client-datasets", "dataset_records"), ("client-accounting", "client_invoices")],
    ),
]


@pytest.mark.parametrize(("example", "exercised"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_the_sweep_does_exactly_what_is_due_rule_by_rule(
    example: str, exercised: list[tuple[str, str]], server: str, run_cli: Any
) -> None:
    folder = ROOT / "examples" / example
    with loaded(server, folder) as url:
        _sweep_and_compare(
            folder / "register.yaml",
            url,
            run_cli,
            exercised,
            with_holds=example == "device-management",
        )


def _sweep_and_compare(
    path: Path, example_db: str, run_cli: Any, exercised: list[tuple[str, str]], with_holds: bool
) -> None:
    register = load_register(path)
    (store,) = register.stores
    before = read_all(example_db)
    pages = pages_of(example_db)
    with open_state() as state:
        for hold in _holds(before) if with_holds else []:
            state.holds.place(reason="litigation", **hold)
        planner_holds = [
            PersonHold(tuple(sorted(h.identity.items())))
            if h.identity
            else RecordHold(h.store, h.table, h.key)
            for h in state.holds.active()
        ]
    at = datetime.fromisoformat(AT).replace(tzinfo=ZoneInfo(register.policy.timezone))
    order = [(i.rule, i.table) for i in plan_store(register, store, at).items]
    expected = {t: {k: dict(r) for k, r in c.items()} for t, c in before.items()}
    oracle = Oracle(register, store, expected, at, planner_holds, _lengths(example_db))
    changed = oracle.sweep(order)
    assert [pair for pair in exercised if not changed[pair]] == []

    # the plan shown before the sweep: what each rule will change when the sweep reaches it
    code, out, err = run_cli("plan", str(path), "--url", example_db, "--at", AT, "--json")
    assert code == 0, err
    shown = json.loads(out)["stores"][0]["items"]
    planned = {(i["rule"], i["table"]): i["due"] for i in shown}
    skipped = {(i["rule"], i["table"]): (i["held"], i["blocked"]) for i in shown}

    code, out, err = run_cli(
        "sweep", str(path), "--url", example_db, "--at", AT, "--yes", "--batch-size", "400"
    )
    assert code == 0, err
    assert "Held back" in out and "Blocked" in out  # in the final table too
    after = read_all(example_db)
    assert checksums(after) == checksums(expected)
    with open_state() as state:
        (run,) = state.runs.list()
        assert run.status == "done"
        done = {(i["rule"], i["table"]): i["changed"] for i in run.summary["items"]}
        # what the sweep left, recorded with what it did
        assert {
            (i["rule"], i["table"]): (i["held"], i["blocked"]) for i in run.summary["items"]
        } == skipped
        (finished,) = state.audit.entries(action_prefix="sweep.finished")
        assert finished.details == run.summary
        checkpoints = run.progress
        entries = list(state.audit.entries(action_prefix="sweep."))
    # a batch's count is in its entry (ranges chosen by reading them) or, for spans, in
    # the ``sweep.deleted`` entry committed after the write, right after the span's announcement
    batches = [
        e
        for e in entries
        if e.action in ("sweep.delete", "sweep.anonymize", "sweep.deleted") and "count" in e.details
    ]
    announced = [e for e in entries if e.action in ("sweep.delete", "sweep.deleted")]
    for before_write, entry in pairwise(announced):
        if entry.action == "sweep.deleted":
            assert before_write.action == "sweep.delete"
            assert before_write.details["range"] == entry.details["range"]
            assert "count" not in before_write.details
    # docs/enforcement.md says what each of them holds
    documented = re.findall(r"`(sweep\.[a-z_]+)`", (ROOT / "docs" / "enforcement.md").read_text())
    assert {e.action for e in entries} <= set(documented)
    if with_holds:  # device-management: web history is a plain age rule on integer keys
        assert any(
            e.action == "sweep.deleted" and e.details["table"] == "web_history" for e in entries
        )
    assert done == changed
    assert planned == done
    assert sum(planned.values()) == run.summary["changed"]
    assert checkpoints == {f"{store}/{r}/{t}": n for (r, t), n in changed.items() if n}
    assert sum(e.details["count"] for e in batches) == sum(changed.values())
    _check_batch_digests(register, store, before, after, batches, pages)

    code, out, err = run_cli("plan", str(path), "--url", example_db, "--at", AT, "--json")
    items = json.loads(out)["stores"][0]["items"]
    assert code == 0 and [i["due"] for i in items] == [0] * len(items)
    assert sum(i["held"] for i in items) > 0 or not with_holds
    code, out, err = run_cli("sweep", str(path), "--url", example_db, "--at", AT, "--yes")
    assert code == 0, err
    assert checksums(read_all(example_db)) == checksums(after)


def _check_batch_digests(
    register: Register,
    store: str,
    before: Rows,
    after: Rows,
    batches: list[Any],
    pages: dict[str, dict[Any, int]],
) -> None:
    """Each delete batch's entry names exactly the rows gone from its range, by their digest.

    Key and page spans carry no digest: their ``sweep.deleted`` entry gives the count of the
    rows gone (``pages``: where each row was stored before the sweep, on PostgreSQL).
    Checked on tables that one rule alone deletes from, where the rows gone are that rule's.
    """
    tables = register.stores[store].tables
    checked = 0
    for entry in batches:
        details = entry.details
        table = details["table"]
        if details["action"] != "delete" or len(tables[table].rules) != 1:
            continue
        column, low, high = (details["range"][k] for k in ("column", "after", "to"))
        if column == "ctid":  # a page span, on PostgreSQL: the rows stored in pages [low, high)
            first, end = (int(tid.strip("()").split(",")[0]) for tid in (low, high))
            gone = sorted(
                key
                for key, page in pages[table].items()
                if key not in after[table] and first <= page < end
            )
            assert details["count"] == len(gone), details
            checked += 1
            continue
        convert = type(next(iter(before[table].values()))[column])
        (binding,) = tables[table].rules.values()
        # a count cap sweeps the rows of no group by key first, then groups by range
        ungrouped = binding.per if binding.per and column != binding.per else None
        gone = sorted(
            key
            for key, row in before[table].items()
            if key not in after[table]
            and (ungrouped is None or row[ungrouped] is None)
            and row[column] is not None
            and (low is None or row[column] > convert(low))
            and row[column] <= convert(high)
        )
        if "keys_md5" not in details:  # a key span: its count, recorded after the write
            assert details["count"] == len(gone), details
            checked += 1
            continue
        digest = hashlib.md5(",".join(str(k) for k in gone).encode()).hexdigest()
        assert (details["count"], details["keys_md5"]) == (len(gone), digest), details
        checked += 1
    assert checked


@pytest.mark.parametrize("key", ["", "a long secret"], ids=["sha256", "hmac"])
def test_a_person_hold_names_the_person_in_the_trail_only_by_a_digest(
    server: str, run_cli: Any, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    """Key spans record their statement's parameters: a held person's address as a digest."""
    monkeypatch.setenv("REGISTRE_HMAC_KEY", key)
    with loaded(server, EXAMPLE, subjects=60) as url:
        rows = read_all(url)
        deleted = {k for k, r in rows["accounts"].items() if r["deleted_at"]}
        email = min(
            r["email"] for r in rows["account_holders"].values() if r["account_id"] in deleted
        ).lower()
        with open_state() as state:
            state.holds.place(reason="litigation", identity={"email": email.upper()})
        code, _out, err = run_cli("sweep", str(REGISTER), "--url", url, "--at", AT, "--yes")
        assert code == 0, err
        with open_state() as state:
            entries = list(state.audit.entries())
    announced = [
        e.details["parameters"]
        for e in entries
        if e.action == "sweep.delete" and e.details["table"] == "account_holders"
    ]
    assert announced, "account holders are deleted by key spans"
    if key:
        digest = "hmac-sha256:" + hmac.new(key.encode(), email.encode(), "sha256").hexdigest()
    else:
        digest = "sha256:" + hashlib.sha256(email.encode()).hexdigest()
    for parameters in announced:
        people = {v for n, v in parameters.items() if n.startswith("held_person_")}
        assert people == {digest}  # on the holder's row and on their account's address
        assert any(str(v).startswith("2026-04-30") for v in parameters.values())  # the cutoff
    assert all(email not in json.dumps(e.details).lower() for e in entries)


def test_a_mapping_that_does_not_match_is_refused_before_any_write(
    example_db: str, run_cli: Any
) -> None:
    engine = sa.create_engine(example_db)
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE web_history RENAME COLUMN visited_at TO seen"))
    engine.dispose()
    before = checksums(read_all(example_db))
    code, _out, err = run_cli("sweep", str(REGISTER), "--url", example_db, "--at", AT, "--yes")
    assert code == 1
    assert "the mapping does not match the database" in err and "visited_at" in err
    assert "Traceback" not in err
    assert checksums(read_all(example_db)) == before


UNREACHABLE = [
    ("postgresql+psycopg://registre@127.0.0.1:9/nowhere", "cannot be reached"),
    ("mysql+pymysql://registre@127.0.0.1:9/nowhere", "cannot be reached"),
    ("sqlite:////nonexistent/folder/app.db", "cannot be opened"),
]


@pytest.mark.parametrize(("url", "message"), UNREACHABLE, ids=["postgresql", "mariadb", "sqlite"])
@pytest.mark.parametrize("command", ["plan", "sweep"])
def test_an_unreachable_database_is_a_clear_message(
    command: str, url: str, message: str, run_cli: Any
) -> None:
    code, _out, err = run_cli(
        command, str(REGISTER), "--url", url, "--yes" if command == "sweep" else "--json"
    )
    assert code == 1
    assert message in err and "Traceback" not in err


def test_without_a_terminal_the_sweep_asks_for_yes(run_cli: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    engine = sa.create_engine(url)
    load_demo_data(load_app(EXAMPLE), engine, subjects=30, seed=1)
    engine.dispose()
    before = checksums(read_all(url))
    code, _out, err = run_cli("sweep", str(REGISTER), "--url", url, "--at", AT)
    assert code == 2 and "--yes" in err
    assert checksums(read_all(url)) == before


def test_a_second_sweep_of_the_same_database_is_refused(
    server: str, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    from registre.engine import sweep_lock as sweep

    monkeypatch.setattr(sweep, "LOCK_WAIT_SECONDS", 0.3)
    with loaded(server, EXAMPLE, subjects=30) as url:
        before = checksums(read_all(url))
        holder = sa.create_engine(url)
        with holder.connect() as other:  # another sweep, as the database sees it
            if holder.dialect.name == "sqlite":  # SQLite has no lock: a file beside it
                lock = open(f"{holder.url.database}{sweep.LOCK_FILE_SUFFIX}", "a")  # noqa: SIM115
                fcntl.flock(lock, fcntl.LOCK_EX)
            elif holder.dialect.name == "postgresql":
                other.execute(sa.select(sa.func.pg_advisory_lock(sweep._PG_LOCK)))
            else:
                name = f"{sweep.LOCK_NAME}:{holder.url.database}"
                other.execute(sa.select(sa.func.get_lock(name, 0)))
            code, _out, err = run_cli("sweep", str(REGISTER), "--url", url, "--at", AT, "--yes")
            if holder.dialect.name == "sqlite":
                lock.close()  # as a killed sweep's process would
        holder.dispose()
        assert code == 1 and "another registre sweep is running" in err
        assert checksums(read_all(url)) == before
        code, _out, err = run_cli("sweep", str(REGISTER), "--url", url, "--at", AT, "--yes")
        assert code == 0, err


def test_a_sweep_of_one_database_leaves_a_running_sweep_of_another_alone(
    server: str, run_cli: Any
) -> None:
    """One state database, two application databases: only a dead run of its own is resumed."""
    from registre.engine.store_plan import prepare
    from registre.engine.sweep_lock import exclusive
    from registre.state import register_digest

    register = load_register(REGISTER)
    at = datetime.fromisoformat(AT).replace(tzinfo=ZoneInfo(register.policy.timezone))
    with loaded(server, EXAMPLE, subjects=30) as first, loaded(server, EXAMPLE, subjects=30) as b:
        running, dead = (
            prepare(register, "console", at, url=first),
            prepare(register, "console", at, url=b),
        )
        try:
            with open_state() as state:
                started = {
                    sp.target: state.runs.start(
                        "sweep",
                        register_version=register.policy.version,
                        register_digest=register_digest(register),
                        at=at,
                        options={"stores": ["console"], "targets": [sp.target]},
                    ).id
                    for sp in (dead, running)  # the live one is the latest
                }
            assert running.target != dead.target
            with exclusive(running):  # a sweep of the first database is at work
                code, _out, err = run_cli("sweep", str(REGISTER), "--url", b, "--at", AT, "--yes")
                assert code == 0, err
                assert err.count("was interrupted") == 1
                assert f"Run #{started[dead.target]} was interrupted" in err
                with open_state() as state:
                    alive = state.runs.get(started[running.target])
                    assert alive is not None and alive.status == "running"
                    # and it can finish as it would have
                    state.runs.finish(alive.id, status="done", summary={})
                    resumed = state.runs.get(started[dead.target])
                    assert resumed is not None and resumed.status == "failed"
                    assert resumed.summary is not None and resumed.summary["interrupted"]
        finally:
            running.engine.dispose()
            dead.engine.dispose()


@pytest.mark.parametrize("columns", [None, "60"], ids=["a pipe", "a narrow terminal"])
def test_tables_cut_no_name_short(columns: str | None, registre_cli: str, tmp_path: Path) -> None:
    """Written to a pipe or a log, the plan's and the sweep's tables keep every name whole;
    narrower than their content, they fold names over lines, never cut them."""
    import subprocess

    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    engine = sa.create_engine(url)
    load_demo_data(load_app(EXAMPLE), engine, subjects=30, seed=1)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    env["REGISTRE_STATE_URL"] = f"sqlite:///{tmp_path / 'state.sqlite'}"
    if columns:
        env["COLUMNS"] = columns
    register = load_register(REGISTER)
    at = datetime.fromisoformat(AT).replace(tzinfo=ZoneInfo(register.policy.timezone))
    items = plan_store(register, "console", at).items
    names = {i.rule for i in items} | {i.table for i in items}
    for command in (["plan"], ["sweep", "--yes"]):
        shown = subprocess.run(
            [registre_cli, *command, str(REGISTER), "--url", url, "--at", AT],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "…" not in shown
        if not columns:
            cells = {cell.strip() for line in shown.splitlines() for cell in line.split("│")}
            assert names <= cells, command


def test_a_sweep_cannot_run_ahead_of_time(run_cli: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    engine = sa.create_engine(url)
    load_demo_data(load_app(EXAMPLE), engine, subjects=30, seed=1)
    engine.dispose()
    before = checksums(read_all(url))
    code, _out, err = run_cli("sweep", str(REGISTER), "--url", url, "--at", "2999-01-01", "--yes")
    assert code == 2 and "in the future" in err
    assert checksums(read_all(url)) == before
    code, out, _err = run_cli("plan", str(REGISTER), "--url", url, "--at", "2999-01-01", "--json")
    assert code == 0 and sum(i["due"] for i in json.loads(out)["stores"][0]["items"]) > 0
