"""The audit trail is append-only and tamper-evident: any change made behind registre's back is
reported by ``verify``, at the entry that was changed."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection

import test_state
from registre import AuditError
from registre.state import AuditEntry, EngineState, open_state
from registre.state import audit as audit_module

# The fixtures shared with test_state.py and test_holds.py.
state_url = test_state.state_url
state = test_state.state
with_mariadb = test_state.with_mariadb

GENESIS = "0" * 64
Tamper = Callable[[Connection, list[AuditEntry]], None]


def spec_hash(prev_hash: str, entry: AuditEntry, **changes: object) -> str:
    """The hash as the specification states it, computed independently of registre."""
    fields = {
        "seq": entry.seq,
        "at": entry.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "action": entry.action,
        "actor": entry.actor,
        "run_id": entry.run_id,
        "request_id": entry.request_id,
        "details": entry.details,
        **changes,
    }
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def fill(state: EngineState, count: int = 5) -> list[AuditEntry]:
    return [
        state.audit.append(
            f"test.step{seq}",
            details={"table": "device", "count": seq, "note": "supprimé à l’échéance"},
            run_id=7 if seq % 2 else None,
            request_id="R-1" if seq == 3 else None,
        )
        for seq in range(1, count + 1)
    ]


def sql(connection: Connection, statement: str, **params: object) -> None:
    connection.execute(sa.text(statement), params)


# --- appending ------------------------------------------------------------------------------


@with_mariadb
def test_entries_are_chained_as_specified(state: EngineState) -> None:
    entries = fill(state)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    previous = GENESIS
    for entry in entries:
        assert entry.prev_hash == previous
        assert entry.hash == spec_hash(previous, entry)
        assert entry.at.tzinfo == UTC
        previous = entry.hash
    assert list(state.audit.entries()) == entries
    assert state.audit.head() == (5, entries[-1].hash)
    assert state.audit.verify() == []


def test_an_entry_is_committed_before_append_returns(state_url: str) -> None:
    with open_state(state_url) as writer:
        entry = writer.audit.append("sweep.delete", details={"table": "device", "count": 3})
        # Another process sees it at once: the caller may now perform the action.
        with open_state(state_url) as other:
            assert list(other.audit.entries()) == [entry]


@pytest.mark.parametrize(
    ("since", "prefix", "expected"),
    [
        (0, None, ["sweep.start", "sweep.delete", "hold.placed", "sweep_x.delete", "sweep.end"]),
        (2, None, ["hold.placed", "sweep_x.delete", "sweep.end"]),
        (0, "sweep.", ["sweep.start", "sweep.delete", "sweep.end"]),
        (0, "sweep_", ["sweep_x.delete"]),  # "_" is not a LIKE wildcard here
        (0, "sweep%", []),
        (4, "sweep.", ["sweep.end"]),
        (5, None, []),
    ],
)
def test_entries_since_a_seq_and_by_action_prefix(
    state: EngineState, since: int, prefix: str | None, expected: list[str]
) -> None:
    for action in ["sweep.start", "sweep.delete", "hold.placed", "sweep_x.delete", "sweep.end"]:
        state.audit.append(action, details={})
    found = state.audit.entries(since_seq=since, action_prefix=prefix)
    assert [e.action for e in found] == expected


@pytest.mark.parametrize(
    ("details", "error"),
    [
        ({"ratio": float("nan")}, ValueError),
        ({"when": datetime(2025, 1, 1, tzinfo=UTC)}, TypeError),
    ],
)
def test_details_that_are_not_json_are_refused_and_nothing_is_written(
    state: EngineState, details: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        state.audit.append("test.bad", details=details)
    assert list(state.audit.entries()) == []
    assert state.audit.head() == (0, GENESIS)


@with_mariadb
def test_two_concurrent_writers_get_a_gap_free_sequence(state_url: str) -> None:
    per_writer = 15
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            with open_state(state_url) as mine:
                for n in range(per_writer):
                    mine.audit.append("test.concurrent", details={"n": n}, actor=name)
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    with open_state(state_url):
        pass  # migrate once, so the writers race on appends, not on the schema
    writers = [threading.Thread(target=write, args=(f"writer-{i}",)) for i in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert errors == []
    with open_state(state_url) as state:
        entries = list(state.audit.entries())
        assert [e.seq for e in entries] == list(range(1, 2 * per_writer + 1))
        assert {e.actor for e in entries} == {"writer-0", "writer-1"}
        assert state.audit.verify() == []


def test_entries_are_read_in_pages_and_appending_while_reading_works(
    state: EngineState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_module, "PAGE", 2)
    fill(state, 5)
    seen = []
    for entry in state.audit.entries():
        seen.append(entry.seq)
        if entry.seq <= 5:
            state.audit.append("test.while_reading", details={"after": entry.seq})
    assert seen == list(range(1, 11))
    assert state.audit.verify() == []


def test_verifying_while_another_writer_appends_finds_nothing_wrong(state_url: str) -> None:
    writing = threading.Event()
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with open_state(state_url) as writer:
                while not stop.is_set():
                    writer.audit.append("test.busy", details={})
                    writing.set()
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            writing.set()

    with open_state(state_url) as state:
        fill(state, 3)
        thread = threading.Thread(target=write)
        thread.start()
        try:
            assert writing.wait(timeout=60)
            verdicts = [state.audit.verify() for _ in range(5)]
            before = state.audit.head()
        finally:
            stop.set()
            thread.join()
        assert errors == []
        assert verdicts == [[]] * 5
        assert before is not None and before[0] > 3
        assert state.audit.verify() == []


# --- tampering ------------------------------------------------------------------------------


def change_detail(connection: Connection, entries: list[AuditEntry]) -> None:
    sql(
        connection,
        "UPDATE registre_audit_entry SET details = :d WHERE seq = 3",
        d=json.dumps({**entries[2].details, "count": 0}, sort_keys=True, separators=(",", ":")),
    )


def change_action(connection: Connection, entries: list[AuditEntry]) -> None:
    sql(connection, "UPDATE registre_audit_entry SET action = 'test.nothing' WHERE seq = 2")


def change_time(connection: Connection, entries: list[AuditEntry]) -> None:
    earlier = (entries[3].at - timedelta(days=30)).replace(tzinfo=None)
    sql(connection, "UPDATE registre_audit_entry SET at = :at WHERE seq = 4", at=earlier)


def swap_seq(connection: Connection, entries: list[AuditEntry]) -> None:
    sql(connection, "UPDATE registre_audit_entry SET seq = -1 WHERE seq = 2")
    sql(connection, "UPDATE registre_audit_entry SET seq = 2 WHERE seq = 4")
    sql(connection, "UPDATE registre_audit_entry SET seq = 4 WHERE seq = -1")


def delete_middle(connection: Connection, entries: list[AuditEntry]) -> None:
    sql(connection, "DELETE FROM registre_audit_entry WHERE seq = 3")


def delete_first(connection: Connection, entries: list[AuditEntry]) -> None:
    sql(connection, "DELETE FROM registre_audit_entry WHERE seq = 1")


def delete_last(connection: Connection, entries: list[AuditEntry]) -> None:
    sql(connection, "DELETE FROM registre_audit_entry WHERE seq = 5")


def delete_last_two(connection: Connection, entries: list[AuditEntry]) -> None:
    sql(connection, "DELETE FROM registre_audit_entry WHERE seq >= 4")


def insert_forged(connection: Connection, entries: list[AuditEntry]) -> None:
    # A well-formed entry, correctly chained to the last one; only the head betrays it.
    last = entries[-1]
    at = last.at + timedelta(seconds=1)
    forged = AuditEntry(6, at, "hold.released", "registre", None, None, {"hold_id": 1}, "", "")
    sql(
        connection,
        "INSERT INTO registre_audit_entry (seq, at, action, actor, run_id, request_id, details,"
        " prev_hash, hash) VALUES (6, :at, 'hold.released', 'registre', NULL, NULL,"
        " :details, :prev, :hash)",
        at=at.replace(tzinfo=None),
        details='{"hold_id":1}',
        prev=last.hash,
        hash=spec_hash(last.hash, forged),
    )


def recompute_one_hash(connection: Connection, entries: list[AuditEntry]) -> None:
    # Entry 3 rewritten with a correct hash of its new content, but entry 4 still links to the
    # old one.
    entry = entries[2]
    details = {**entry.details, "count": 999}
    text = json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    sql(
        connection,
        "UPDATE registre_audit_entry SET details = :d, hash = :h WHERE seq = 3",
        d=text,
        h=spec_hash(entry.prev_hash, entry, details=details),
    )


def recompute_the_last_hash(connection: Connection, entries: list[AuditEntry]) -> None:
    entry = entries[-1]
    sql(
        connection,
        "UPDATE registre_audit_entry SET actor = 'someone', hash = :h WHERE seq = 5",
        h=spec_hash(entry.prev_hash, entry, actor="someone"),
    )


def respace_details(connection: Connection, entries: list[AuditEntry]) -> None:
    # Same JSON value, other bytes: registre never writes this spelling.
    sql(
        connection,
        "UPDATE registre_audit_entry SET details = :d WHERE seq = 2",
        d=json.dumps(entries[1].details, sort_keys=True, ensure_ascii=False),
    )


def overwrite_hash(connection: Connection, entries: list[AuditEntry]) -> None:
    sql(connection, "UPDATE registre_audit_entry SET hash = :h WHERE seq = 2", h="f" * 64)


def delete_head(connection: Connection, entries: list[AuditEntry]) -> None:
    sql(connection, "DELETE FROM registre_audit_head")


@with_mariadb
@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (change_detail, [(3, "altered")]),
        (change_action, [(2, "altered")]),
        (change_time, [(4, "altered")]),
        (swap_seq, [(2, "reordered"), (4, "reordered")]),
        (delete_middle, [(3, "removed")]),
        (delete_first, [(1, "removed")]),
        (delete_last, [(5, "removed")]),
        (delete_last_two, [(4, "removed")]),
        (insert_forged, [(6, "inserted")]),
        (recompute_one_hash, [(3, "altered")]),
        (recompute_the_last_hash, [(5, "altered")]),
        (respace_details, [(2, "altered")]),
        (overwrite_hash, [(2, "altered")]),
        (delete_head, [(5, "removed")]),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_tampering_is_reported_at_the_entry_concerned(
    state: EngineState, tamper: Tamper, expected: list[tuple[int, str]]
) -> None:
    entries = fill(state)
    with state.engine.begin() as connection:
        tamper(connection, entries)
    problems = state.audit.verify()
    assert [(p.seq, p.kind) for p in problems] == expected, problems
    assert all(str(p).startswith(f"seq {p.seq}: {p.kind}: ") for p in problems)


def test_appending_after_tampering_keeps_the_damage_visible(state: EngineState) -> None:
    entries = fill(state)
    with state.engine.begin() as connection:
        delete_last(connection, entries)
        change_detail(connection, entries)
    after = state.audit.append("test.after", details={})
    # Chained to the head, i.e. to the removed entry: the gap cannot be papered over.
    assert (after.seq, after.prev_hash) == (6, entries[-1].hash)
    assert [(p.seq, p.kind) for p in state.audit.verify()] == [(3, "altered"), (5, "removed")]


@pytest.mark.parametrize(
    ("tamper", "message"),
    [(insert_forged, "already exists beyond the head"), (delete_head, "head record is missing")],
    ids=["forged entry beyond the head", "head record deleted"],
)
def test_appending_is_refused_when_the_chain_cannot_be_extended_safely(
    state: EngineState, tamper: Tamper, message: str
) -> None:
    entries = fill(state)
    with state.engine.begin() as connection:
        tamper(connection, entries)
    with pytest.raises(AuditError, match=message) as raised:
        state.audit.append("test.after", details={})
    assert "registre audit verify" in raised.value.hint


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    details=st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(max_size=12),
            st.lists(st.integers(), max_size=3),
        ),
        min_size=1,
        max_size=4,
    ),
    position=st.integers(min_value=0),
    byte=st.integers(min_value=0, max_value=255),
)
def test_any_single_byte_change_in_stored_details_is_detected(
    state: EngineState, details: dict[str, object], position: int, byte: int
) -> None:
    entry = state.audit.append("test.fuzz", details=details)
    with state.engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT details FROM registre_audit_entry WHERE seq = :s"), {"s": entry.seq}
        ).scalar_one()
    raw = bytearray(stored.encode("utf-8"))
    position %= len(raw)
    assume(raw[position] != byte)
    raw[position] = byte
    try:
        tampered = raw.decode("utf-8")
    except UnicodeDecodeError:
        assume(False)  # a database text column cannot hold it
        return
    assume("\x00" not in tampered)  # PostgreSQL text refuses NUL
    with state.engine.begin() as connection:
        sql(
            connection,
            "UPDATE registre_audit_entry SET details = :d WHERE seq = :s",
            d=tampered,
            s=entry.seq,
        )
    problems = state.audit.verify()
    with state.engine.begin() as connection:
        sql(
            connection,
            "UPDATE registre_audit_entry SET details = :d WHERE seq = :s",
            d=stored,
            s=entry.seq,
        )
    assert [(p.seq, p.kind) for p in problems] == [(entry.seq, "altered")]


# --- the commands ---------------------------------------------------------------------------


def test_audit_verify_says_intact_with_the_count_and_head(
    state: EngineState, state_url: str, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    entries = fill(state, 3)
    code, out, err = run_cli("audit", "verify", "--state-url", state_url)
    assert (code, err) == (0, "")
    assert out == f"audit trail intact: 3 entries, head {entries[-1].hash}\n"


def test_audit_verify_lists_every_problem_and_fails(
    state: EngineState, state_url: str, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    entries = fill(state)
    with state.engine.begin() as connection:
        change_action(connection, entries)
        delete_last(connection, entries)
    code, out, _ = run_cli("audit", "verify", "--state-url", state_url)
    assert code == 1
    assert out.splitlines() == [
        "seq 2: altered: its content does not match its hash",
        "seq 5: removed: this entry is missing: it was removed at the end",
        "audit trail broken: 2 problems",
    ]


def test_audit_log_as_json_lines(
    state: EngineState, state_url: str, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    entries = fill(state)
    code, out, _ = run_cli(
        "audit", "log", "--since", "2", "--action", "test.step", "--json", "--state-url", state_url
    )
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["seq"] for line in lines] == [3, 4, 5]
    assert lines[0] == entries[2].as_json()
    assert lines[0]["at"].endswith("Z")
    assert lines[0]["details"]["note"] == "supprimé à l’échéance"


def test_audit_log_as_a_table(
    state: EngineState, state_url: str, run_cli: Callable[..., tuple[int, str, str]]
) -> None:
    fill(state, 2)
    code, out, _ = run_cli("audit", "log", "--state-url", state_url)
    assert code == 0
    assert "test.step1" in out and "test.step2" in out
    code, out, _ = run_cli("audit", "log", "--since", "2", "--state-url", state_url)
    assert (code, out) == (0, "no audit entries after seq 2\n")


@pytest.mark.parametrize(
    "command",
    [
        ["audit", "verify"],
        ["audit", "log"],
        ["hold", "list"],
        ["hold", "release", "1", "--reason", "settled"],
    ],
    ids=" ".join,
)
def test_reading_commands_without_a_state_or_a_register_say_so_and_create_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_cli: Callable[..., tuple[int, str, str]],
    command: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REGISTRE_STATE_URL", raising=False)
    monkeypatch.delenv("REGISTRE_REGISTER", raising=False)
    code, out, err = run_cli(*command)
    assert code == 1
    assert "which state database? neither --state-url, nor REGISTRE_STATE_URL, nor a " in err
    assert "REGISTRE_REGISTER" in err
    assert "intact" not in out
    assert list(tmp_path.iterdir()) == []


def rewind_head(connection: Connection, entries: list[AuditEntry]) -> None:
    # remove the last two entries and the head record's trace of them: the chain is intact
    sql(connection, "DELETE FROM registre_audit_entry WHERE seq >= 4")
    sql(
        connection,
        "UPDATE registre_audit_head SET seq = 3, hash = :hash",
        hash=entries[2].hash,
    )


@pytest.mark.parametrize(
    ("kept", "appended", "rewound", "code", "says"),
    [
        ("head", 0, False, 0, "is entry 5; 0 entries appended since"),
        ("head", 2, False, 0, "is entry 5; 2 entries appended since"),
        ("full head", 1, False, 0, "is entry 5; 1 entry appended since"),
        ("head", 0, True, 1, "audit trail rewound: the head you kept, {kept}, is not in the trail"),
        ("head", 2, True, 1, "audit trail rewound"),
        ("genesis", 0, False, 0, "is entry 0; 5 entries appended since"),
    ],
    ids=["unchanged", "grown", "all 64 characters", "tail removed", "tail removed then grown",
         "kept before the first entry"],
)  # fmt: skip
def test_audit_verify_with_the_head_you_kept_detects_a_rewound_trail(
    state: EngineState,
    state_url: str,
    run_cli: Callable[..., tuple[int, str, str]],
    kept: str,
    appended: int,
    rewound: bool,
    code: int,
    says: str,
) -> None:
    entries = fill(state)
    published = {"head": entries[-1].hash[:32], "full head": entries[-1].hash}.get(kept, "0" * 32)
    if rewound:
        with state.engine.begin() as connection:
            rewind_head(connection, entries)
        # without the kept head, nothing shows it
        assert run_cli("audit", "verify", "--state-url", state_url)[0] == 0
    for n in range(appended):
        state.audit.append("test.later", details={"n": n})

    got, out, _ = run_cli(
        "audit", "verify", "--expect-head", published.upper(), "--state-url", state_url
    )

    assert got == code
    assert says.format(kept=published.lower()) in out


@pytest.mark.parametrize("text", ["abc123", "a" * 12, "z" * 32, "0" * 65])
def test_audit_verify_refuses_a_head_that_is_no_hash(
    state: EngineState, state_url: str, run_cli: Callable[..., tuple[int, str, str]], text: str
) -> None:
    code, _, err = run_cli("audit", "verify", "--expect-head", text, "--state-url", state_url)
    assert code == 2
    assert "is not a head hash" in err
