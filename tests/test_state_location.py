"""One state, found the same way from anywhere: from ``--state-url``, ``REGISTRE_STATE_URL``,
the register's ``state:`` setting, or beside the register; never the current directory.

A legal hold placed from one directory was once ignored by a sweep started from another: the
sweep created a fresh ``./registre-state.sqlite`` and deleted the held person's row. These
tests run the real commands (``registre.cli.main``) from different directories, without
``REGISTRE_STATE_URL``, and check where the state is, that reading commands never create one,
and that every audit entry of a sweep or a request names its database without credentials.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from registre._exceptions import RegisterError, StateError
from registre.register.loader import load_register
from registre.state import existing_state, locate_state, open_state
from registre.stores.database_name import database_name
from registre.stores.throwaway import scratch_database
from test_requests_fixtures import BACKENDS, DM, first_value, load_dm, server_url

Cli = Callable[..., tuple[int, str, str]]
AT = "2026-11-01"
STATE = "registre-state.sqlite"


@pytest.fixture(autouse=True)
def _no_state_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """The situation of the cron job: no state URL in the environment, no register either."""
    for variable in ("REGISTRE_STATE_URL", "REGISTRE_REGISTER", "PARCMOBILE_DATABASE_URL"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def privacy(tmp_path: Path) -> Path:
    """A folder holding a copy of the device-management register, and nothing else."""
    folder = tmp_path / "privacy"
    folder.mkdir()
    shutil.copy(DM / "register.yaml", folder / "register.yaml")
    return folder


@pytest.fixture
def places(tmp_path: Path) -> tuple[Path, Path]:
    """Two working directories, such as a DPO's and the cron job's $HOME."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    return a, b


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The device-management example's database, on each backend, with its login in the URL."""
    with scratch_database(server_url(request.param), "registre_loc") as url:
        load_dm(url)
        yield url


def _setting(register: Path, text: str) -> None:
    with register.open("a", encoding="utf-8") as file:
        file.write(f"\nstate:\n{text}\n")


def _held_holder(url: str) -> str:
    """The email of an account holder whose row a sweep at AT deletes (account long gone)."""
    return str(
        first_value(
            url,
            "SELECT h.email FROM account_holders h JOIN accounts a ON a.id = h.account_id "
            "WHERE a.deleted_at < '2026-04-01' ORDER BY h.email",
        )
    )


def _holders(url: str, emails: list[str]) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                sa.text("SELECT email FROM account_holders WHERE email IN :emails").bindparams(
                    sa.bindparam("emails", expanding=True)
                ),
                {"emails": emails},
            )
            return {row[0] for row in found}
    finally:
        engine.dispose()


def _gone_holders(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                sa.text(
                    "SELECT h.email FROM account_holders h JOIN accounts a "
                    "ON a.id = h.account_id WHERE a.deleted_at < '2026-04-01'"
                )
            )
            return [row[0] for row in found]
    finally:
        engine.dispose()


# --- a hold placed from one directory, a sweep from another --------------------------------


def test_a_hold_placed_from_one_directory_is_respected_by_a_sweep_from_another(
    store_url: str,
    privacy: Path,
    places: tuple[Path, Path],
    run_cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    register = privacy / "register.yaml"
    email = _held_holder(store_url)
    others = [e for e in _gone_holders(store_url) if e != email]
    assert others, "the example has other holders whose rows the sweep deletes"

    monkeypatch.chdir(places[0])
    code, out, err = run_cli(
        "hold", "add", "--reason", "litigation", "--email", email,
        "--register", str(register), "--url", store_url,
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("legal hold 1 placed on email ")

    monkeypatch.chdir(places[1])
    code, _out, err = run_cli("sweep", str(register), "--url", store_url, "--at", AT, "--yes")
    assert code == 0, err

    # the held row survived; the others the same rule made due did not
    assert _holders(store_url, [email]) == {email}
    assert _holders(store_url, others) == set()
    # one state, beside the register; nothing in either working directory
    assert sorted(p.name for p in privacy.iterdir()) == ["register.yaml", STATE]
    assert list(places[0].iterdir()) == list(places[1].iterdir()) == []
    code, out, err = run_cli("hold", "list", "--register", str(register), "--json")
    assert code == 0, err
    assert [hold["id"] for hold in json.loads(out)] == [1]


def test_the_state_is_beside_a_register_file_and_inside_a_register_folder(
    privacy: Path, places: tuple[Path, Path], run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(places[0])
    file = privacy / "register.yaml"
    code, out, err = run_cli(
        "request", "open", "access", "--email", "a@b.fr", "--register", str(file)
    )
    assert code == 0, err
    assert (privacy / STATE).is_file()

    folder = privacy.parent / "register-folder"
    folder.mkdir()
    shutil.copy(file, folder / "register.yaml")
    monkeypatch.setenv("REGISTRE_REGISTER", str(folder))
    code, out, err = run_cli("request", "open", "access", "--email", "c@d.fr", "--json")
    assert code == 0, err
    assert (folder / STATE).is_file()
    code, out, err = run_cli("request", "list", "--json")  # the folder's state: one request
    assert code == 0, err
    assert [request["identity"] for request in json.loads(out)] == [{"email": "c@d.fr"}]
    assert list(places[0].iterdir()) == []


# --- which setting wins -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "environment", "option", "expected"),
    [
        (None, None, None, "privacy/registre-state.sqlite"),
        ("  path: kept/state.sqlite", None, None, "privacy/kept/state.sqlite"),
        ("  path: ../shared.sqlite", None, None, "shared.sqlite"),
        ("  url_env: PRIVACY_STATE_URL", None, None, "from-register-variable.sqlite"),
        ("  path: kept/state.sqlite", "env.sqlite", None, "env.sqlite"),
        ("  path: kept/state.sqlite", "env.sqlite", "option.sqlite", "option.sqlite"),
        ("  url_env: PRIVACY_STATE_URL", "env.sqlite", None, "env.sqlite"),
        (None, None, "option.sqlite", "option.sqlite"),
    ],
    ids=[
        "beside",
        "register path",
        "register path upwards",
        "register url_env",
        "environment over register",
        "option over environment",
        "environment over url_env",
        "option over default",
    ],
)
def test_the_option_then_the_environment_then_the_register_name_the_state(
    privacy: Path,
    places: tuple[Path, Path],
    run_cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    setting: str | None,
    environment: str | None,
    option: str | None,
    expected: str,
) -> None:
    root = privacy.parent
    (privacy / "kept").mkdir()
    if setting:
        _setting(privacy / "register.yaml", setting)
    monkeypatch.setenv("PRIVACY_STATE_URL", f"sqlite:///{root / 'from-register-variable.sqlite'}")
    if environment:
        monkeypatch.setenv("REGISTRE_STATE_URL", f"sqlite:///{root / environment}")
    extra = ["--state-url", f"sqlite:///{root / option}"] if option else []
    monkeypatch.chdir(places[0])

    register = str(privacy / "register.yaml")
    code, _out, err = run_cli(
        "request", "open", "access", "--email", "a@b.fr", "--register", register, *extra
    )
    assert code == 0, err

    written = sorted(str(p.relative_to(root)) for p in root.rglob("*.sqlite") if p.stat().st_size)
    assert written == [expected]
    # the reading commands find the same state, from another directory
    monkeypatch.chdir(places[1])
    code, out, err = run_cli("audit", "verify", "--register", register, *extra)
    assert (code, err) == (0, "")
    assert out.startswith("audit trail intact: 1 entries")


@pytest.mark.parametrize(
    "command",
    [
        ["request", "open", "access", "--email", "a@b.fr"],
        ["plan", "--at", AT],
        ["sweep", "--at", AT, "--yes"],
        # before the store is asked whether the hold protects anything (no such file here)
        ["hold", "add", "--reason", "r", "--email", "a@b.fr", "--url", "sqlite:///none.db"],
        ["audit", "verify"],
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_a_register_whose_state_variable_is_unset_refuses_and_creates_nothing(
    privacy: Path,
    places: tuple[Path, Path],
    run_cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    _setting(privacy / "register.yaml", "  url_env: PRIVACY_STATE_URL")
    monkeypatch.delenv("PRIVACY_STATE_URL", raising=False)
    monkeypatch.chdir(places[0])
    register = str(privacy / "register.yaml")
    if command[0] in ("plan", "sweep"):
        command = [command[0], register, "--url", "sqlite:///none.db", *command[1:]]
    else:
        command = [*command, "--register", register]
    code, _out, err = run_cli(*command)
    assert code == 1
    assert "keeps its state in the database named by PRIVACY_STATE_URL, and that " in err
    assert "hint: export PRIVACY_STATE_URL=" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in privacy.iterdir()) == ["register.yaml"]
    assert list(places[0].iterdir()) == []


@pytest.mark.parametrize("given", ["option", "environment", "register url_env"])
def test_a_state_url_relative_to_the_current_directory_is_refused(
    privacy: Path,
    places: tuple[Path, Path],
    run_cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    given: str,
) -> None:
    """``sqlite:///state.sqlite`` in a crontab would be one state per directory."""
    monkeypatch.chdir(places[0])
    relative = "sqlite:///state.sqlite"
    extra = ["--state-url", relative] if given == "option" else []
    if given == "environment":
        monkeypatch.setenv("REGISTRE_STATE_URL", relative)
    if given == "register url_env":
        _setting(privacy / "register.yaml", "  url_env: PRIVACY_STATE_URL")
        monkeypatch.setenv("PRIVACY_STATE_URL", relative)
    register = str(privacy / "register.yaml")
    for command in (["request", "open", "access", "--email", "a@b.fr"], ["hold", "list"]):
        code, _out, err = run_cli(*command, "--register", register, *extra)
        assert code == 1
        assert "names the SQLite file 'state.sqlite' relative to the current directory" in err
        assert f"hint: write its absolute path (sqlite:///{places[0] / 'state.sqlite'})" in err
    assert list(places[0].iterdir()) == []
    assert sorted(p.name for p in privacy.iterdir()) == ["register.yaml"]


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////srv/privacy/state.sqlite",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file:state?mode=memory&uri=true",
        "postgresql+psycopg://postgres@127.0.0.1:5432/state",
    ],
)
def test_absolute_in_memory_and_server_urls_are_taken_as_given(url: str) -> None:
    assert locate_state(url).url == url


def test_a_state_with_both_a_path_and_a_variable_is_a_register_error(privacy: Path) -> None:
    _setting(privacy / "register.yaml", "  path: s.sqlite\n  url_env: PRIVACY_STATE_URL")
    with pytest.raises(RegisterError) as raised:
        load_register(privacy / "register.yaml")
    assert [p.message for p in raised.value.problems] == [
        "state: give either a 'path' or a 'url_env', not both"
    ]


# --- reading commands never create a state -------------------------------------------------

READING = [
    ["audit", "verify"],
    ["audit", "log"],
    ["hold", "list"],
    ["hold", "release", "1", "--reason", "settled"],
    ["request", "list"],
    ["request", "show", "R-1"],
]


@pytest.mark.parametrize("command", READING, ids=" ".join)
def test_a_reading_command_with_no_state_says_where_it_looked_and_creates_nothing(
    privacy: Path,
    places: tuple[Path, Path],
    run_cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:
    monkeypatch.chdir(places[0])
    code, out, err = run_cli(*command, "--register", str(privacy / "register.yaml"))
    assert code == 1
    assert f"no audit trail at {privacy / STATE} (found beside the register " in err
    assert "Traceback" not in err and "intact" not in out
    assert sorted(p.name for p in privacy.iterdir()) == ["register.yaml"]
    assert list(places[0].iterdir()) == []


@pytest.mark.parametrize(
    "command", [*READING[:4], ["hold", "add", "--reason", "r", "--email", "a@b.fr"]], ids=" ".join
)
def test_a_command_told_neither_a_state_nor_a_register_refuses(
    places: tuple[Path, Path], run_cli: Cli, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(places[0])
    code, _out, err = run_cli(*command)
    assert code in (1, 2)
    assert "--register" in err and "REGISTRE_REGISTER" in err
    assert "Traceback" not in err
    assert list(places[0].iterdir()) == []


def test_without_anything_to_find_it_by_the_library_refuses_too(
    places: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(places[0])
    with pytest.raises(StateError, match=r"^which state database\? ") as raised:
        open_state()
    assert "--state-url" in raised.value.hint and "REGISTRE_REGISTER" in raised.value.hint
    with pytest.raises(StateError, match=r"^which state database\? "):
        existing_state()
    assert list(places[0].iterdir()) == []


def test_the_library_finds_the_state_from_the_register_as_the_commands_do(
    privacy: Path, places: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(places[0])
    with open_state(register=privacy / "register.yaml") as state:
        state.holds.place(reason="litigation", identity={"email": "a@b.fr"})
    assert (privacy / STATE).is_file()
    monkeypatch.chdir(places[1])
    found = existing_state(register=str(privacy / "register.yaml"))
    assert found is not None
    with found:
        assert [h.reason for h in found.holds.active()] == ["litigation"]
    assert list(places[0].iterdir()) == list(places[1].iterdir()) == []


# --- a state an earlier registre left in the working directory -----------------------------


def test_a_state_left_in_the_working_directory_is_moved_not_forked(
    privacy: Path, places: tuple[Path, Path], run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = places[0]
    monkeypatch.chdir(here)
    with open_state(f"sqlite:///{here / STATE}") as earlier:  # as an earlier registre did
        earlier.holds.place(reason="litigation", identity={"email": "a@b.fr"})
    register = str(privacy / "register.yaml")

    code, _out, err = run_cli(
        "request", "open", "access", "--email", "c@d.fr", "--register", register
    )
    assert code == 1
    assert f"an earlier registre kept its state in this directory, at {here / STATE}" in err
    assert f"mv {here / STATE} {privacy / STATE}" in err
    assert sorted(p.name for p in privacy.iterdir()) == ["register.yaml"]
    code, _out, err = run_cli("hold", "list", "--register", register)
    assert code == 1 and f"an earlier registre kept its state at {here / STATE}" in err

    (here / STATE).rename(privacy / STATE)
    code, out, err = run_cli("hold", "list", "--register", register, "--json")
    assert code == 0, err
    assert [hold["id"] for hold in json.loads(out)] == [1]


# --- audit entries name the database, never its login ------------------------------------


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("postgresql+psycopg://bob:s3cret@DB.internal/crm", "postgresql://db.internal:5432/crm"),
        ("postgresql+psycopg://postgres@127.0.0.1:5433/x", "postgresql://127.0.0.1:5433/x"),
        ("mysql+pymysql://root:pw@127.0.0.1/app?charset=utf8mb4", "mysql://127.0.0.1:3306/app"),
        ("mariadb+pymysql://u@h:3307/app", "mariadb://h:3307/app"),
        ("sqlite:///app.sqlite", "sqlite:///{cwd}/app.sqlite"),
        ("sqlite:////srv/app.sqlite", "sqlite:////srv/app.sqlite"),
        ("sqlite://", "sqlite://"),
        ("sqlite:///:memory:", "sqlite://"),
    ],
)
def test_a_database_is_named_by_backend_host_port_and_name_never_its_login(
    url: str, name: str, places: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(places[0])
    assert database_name(sa.make_url(url)) == name.format(cwd=places[0].resolve())


def _database(url: str) -> str:
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return f"sqlite:///{Path(str(parsed.database)).resolve()}"
    port = parsed.port or {"postgresql": 5432}.get(backend, 3306)
    return f"{backend}://{parsed.host}:{port}/{parsed.database}"


def _entries(state_file: Path) -> list[Any]:
    with open_state(f"sqlite:///{state_file}", create=False) as state:
        assert state.audit.verify() == []
        return list(state.audit.entries())


def test_sweep_and_request_entries_name_the_database_without_credentials(
    store_url: str,
    privacy: Path,
    places: tuple[Path, Path],
    run_cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    register = str(privacy / "register.yaml")
    monkeypatch.chdir(places[0])
    parsed = sa.make_url(store_url)
    credentials = [f"{parsed.username}@"] if parsed.username else []

    code, _out, err = run_cli("sweep", register, "--url", store_url, "--at", AT, "--yes")
    assert code == 0, err
    email = str(first_value(store_url, "SELECT email FROM account_holders ORDER BY id"))
    opened = []
    for kind in ("access", "erasure"):
        code, out, err = run_cli(
            "request", "open", kind, "--email", email, "--register", register, "--json",
            "--at", AT,
        )  # fmt: skip
        assert code == 0, err
        opened.append(json.loads(out)["id"])
        for step in (
            ["verify", opened[-1], "--method", "reply from the account's address"],
            ["execute", opened[-1], "--url", store_url, "--yes"],
        ):
            code, out, err = run_cli("request", *step, "--register", register, "--at", AT)
            assert code == 0, err

    entries = _entries(privacy / STATE)
    database = _database(store_url)
    sweep = [e for e in entries if e.action.startswith("sweep.")]
    assert {e.action for e in sweep} >= {"sweep.started", "sweep.delete", "sweep.finished"}
    for entry in sweep:
        named = entry.details.get("database") or entry.details["databases"]["console"]
        assert named == database, entry.action
    touched = [e for e in entries if e.action.startswith(("request.execute", "request.erasure."))]
    assert {e.action for e in touched} >= {
        "request.execute",
        "request.erasure.planned",
        "request.erasure.delete",
    }
    for entry in touched:
        named = entry.details.get("database") or entry.details["databases"]["console"]
        assert named == database, entry.action
    written = json.dumps([e.as_json() for e in entries])
    assert credentials == [] or not any(c in written for c in credentials)
    assert str(parsed.host or "") in written


def test_a_sweep_beside_a_state_left_in_the_working_directory_refuses_before_any_write(
    privacy: Path, places: tuple[Path, Path], run_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upgrade's fork: the holds are in ./registre-state.sqlite, the register has none."""
    here = places[0]
    monkeypatch.chdir(here)
    register = str(privacy / "register.yaml")
    with scratch_database(server_url("sqlite"), "registre_loc") as url:
        load_dm(url)
        email = _held_holder(url)
        with open_state(f"sqlite:///{here / STATE}") as earlier:
            earlier.holds.place(reason="litigation", identity={"email": email})
        due = _gone_holders(url)

        code, _out, err = run_cli("plan", register, "--url", url, "--at", AT)
        assert code == 0, err
        assert f"the legal holds in {here / STATE}, left by an earlier registre, are not " in err
        code, _out, err = run_cli("sweep", register, "--url", url, "--at", AT, "--yes")
        assert code == 1
        assert f"mv {here / STATE} {privacy / STATE}" in err and "Traceback" not in err
        assert sorted(_holders(url, due)) == sorted(due)  # nothing deleted, held or not
    assert sorted(p.name for p in privacy.iterdir()) == ["register.yaml"]
