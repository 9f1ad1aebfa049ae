"""Commands: plan, sweep."""

from __future__ import annotations

import getpass
import json
import sys
from contextlib import ExitStack
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from registre.cli import app, err, out
from registre.cli.options import StateUrl, Url

if TYPE_CHECKING:  # the register's Pydantic models take 0.15 s to build
    from registre.register.model import Register

try:  # recent typer releases vendor click instead of depending on it
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover
    from click import UsageError  # type: ignore[assignment,no-redef,unused-ignore]

RegisterArg = Annotated[
    Path, typer.Argument(help="A register.yaml, or a folder of YAML files.", show_default=False)
]
At = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="The instant to plan for: YYYY-MM-DD (start of that day) or "
        "YYYY-MM-DDTHH:MM, in the policy's time zone [default: now].",
        show_default=False,
    ),
]


def _instant(text: str | None, register: Register) -> datetime:
    tz = ZoneInfo(register.policy.timezone)
    if text is None:
        return datetime.now(tz)
    try:
        if len(text.strip()) == 10:
            return datetime.combine(date.fromisoformat(text.strip()), time(0), tzinfo=tz)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date; write 2026-11-01 or 2026-11-01T08:30", param_hint="--at"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _store_ids(register: Register, url: str | None) -> list[str]:
    if not register.stores:
        raise UsageError("the register maps no database: add a 'stores:' section")
    if url and len(register.stores) > 1:
        raise UsageError(
            f"--url names one database, and the register has "
            f"{len(register.stores)} stores; set each store's url_env instead"
        )
    return list(register.stores)


def _prepare(
    path: Path, url: str | None, at_text: str | None, state_url: str | None
) -> tuple[Register, datetime, list[Any]]:
    from registre.engine.sweep import holds_from_state, prepare, restrictions_from_state
    from registre.register.loader import load_register
    from registre.state import existing_state, locate_state
    from registre.state.location import earlier_default

    register = load_register(path)
    at = _instant(at_text, register)
    stores = _store_ids(register, url)
    holds: list[Any] = []
    location = locate_state(state_url, register_path=path, register=register)
    state = existing_state(location)  # a plan is a dry run: it creates no state database
    if state is not None:
        with state:
            holds = holds_from_state(state.holds.active()) + restrictions_from_state(state)
    elif (earlier := earlier_default(location)) is not None:
        err.print(
            f"[yellow]warning:[/yellow] no state at {escape(str(location.sqlite_file()))} "
            f"(found {escape(location.origin)}); the legal holds in {escape(str(earlier))}, "
            "left by an earlier registre, are not applied: move that file there"
        )
    plans = []
    try:
        for store_id in stores:
            plans.append(prepare(register, store_id, at, url=url, holds=holds))
    except BaseException:
        for sp in plans:
            sp.engine.dispose()
        raise
    return register, at, plans


def _local(at: datetime, register: Register) -> str:
    return at.astimezone(ZoneInfo(register.policy.timezone)).strftime("%Y-%m-%d %H:%M")


def _plan_table(register: Register, at: datetime, sp: Any, counts: list[Any]) -> Table:
    table = Table(
        title=f"Store {sp.store} ({sp.dialect}) at {_local(at, register)} "
        f"{register.policy.timezone}",
        title_justify="left",
    )
    # names and numbers are folded, never cut, on a narrow terminal
    for name in ("Rule", "Table", "Action", "Fields"):
        table.add_column(name, overflow="fold")
    for name in ("Due", "Held back", "Blocked"):
        table.add_column(name, justify="right", overflow="fold")
    for found in counts:
        item = found.item
        table.add_row(
            item.rule,
            item.table,
            item.action.value,
            ", ".join(item.fields) or "whole row",
            f"{found.due:,}",
            f"{found.held:,}" + (f" ({found.restricted:,} restricted)" if found.restricted else ""),
            f"{found.blocked:,}",
        )
    return table


def _notes(counts: list[Any]) -> None:
    if any(c.blocked for c in counts):
        err.print(
            "Blocked rows are still referenced by rows of another table that the register "
            "keeps; they wait until those go. (Rows whose dependants the same sweep deletes "
            "are counted as due: tables are swept children first.)"
        )
    if any(c.held > c.restricted for c in counts):
        err.print("Held-back rows are under a legal hold (`registre hold list`).")
    if any(c.restricted for c in counts):
        err.print(
            "Restricted rows belong to people who asked for the restriction of processing "
            "(Art. 18): they are kept until the restriction is lifted."
        )


@app.command()
def plan(
    register_path: RegisterArg,
    url: Url = None,
    at: At = None,
    as_json: Annotated[bool, typer.Option("--json", help="Stable JSON for scripts.")] = False,
    sql: Annotated[bool, typer.Option("--sql", help="Show the SQL statements.")] = False,
    state_url: StateUrl = None,
) -> None:
    """Show the rows each retention rule makes due, without changing anything."""
    register, moment, plans = _prepare(register_path, url, at, state_url)
    document: dict[str, Any] = {
        "at": moment.astimezone(ZoneInfo("UTC")).isoformat(),
        "timezone": register.policy.timezone,
        "stores": [],
    }
    try:
        for sp in plans:
            counts = sp.counts()
            items = []
            for found in counts:
                entry: dict[str, Any] = {
                    "activity": found.item.activity,
                    "rule": found.item.rule,
                    "table": found.item.table,
                    "action": found.item.action.value,
                    "fields": list(found.item.fields),
                    "due": found.due,
                    "held": found.held,
                    "held_reasons": {
                        "legal_hold": found.held - found.restricted,
                        "restriction": found.restricted,
                    },
                    "blocked": found.blocked,
                }
                if sql:
                    entry["sql"] = sp.statements(found.item)
                items.append(entry)
            document["stores"].append({"store": sp.store, "dialect": sp.dialect, "items": items})
            if not as_json:
                out.print(_plan_table(register, moment, sp, counts))
                if sql:
                    for found in counts:
                        out.print(f"\n-- {found.item.rule} on {found.item.table}")
                        for text in sp.statements(found.item):
                            out.print(escape(text) + ";")
                _notes(counts)
    finally:
        for sp in plans:
            sp.engine.dispose()
    if as_json:
        print(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True))


@app.command()
def sweep(
    register_path: RegisterArg,
    url: Url = None,
    at: At = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            min=1,
            max=30_000,
            help="Rows in the first batch, and the fewest in any (one short transaction each); "
            "batches grow while their write takes under 0.15 s, up to 100,000 rows "
            "(a million for plain deletes on integer keys).",
        ),
    ] = 5_000,
    state_url: StateUrl = None,
) -> None:
    """Delete and anonymize what the register says is due, in audited, resumable batches."""
    from registre.engine.journal import Journal
    from registre.engine.sweep import exclusive, require_keys, sweep_item
    from registre.state import locate_state, open_state, register_digest

    register, moment, plans = _prepare(register_path, url, at, state_url)
    location = locate_state(state_url, register_path=register_path, register=register)
    try:
        if moment > datetime.now(moment.tzinfo):
            # data due at a later date is not due yet: the register says to keep it until then
            raise UsageError(
                f"--at {at} is in the future: a sweep only deletes what is due now or was due "
                "earlier; use `registre plan --at` to see what will be due",
            )
        for sp in plans:
            require_keys(sp)
        counts = {sp.store: sp.counts() for sp in plans}
        for sp in plans:
            out.print(_plan_table(register, moment, sp, counts[sp.store]))
            _notes(counts[sp.store])
        total = sum(c.due for found in counts.values() for c in found)
        if total and not yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    "the sweep deletes data and there is no terminal to "
                    "confirm it: run again with --yes"
                )
            typer.confirm(f"Change {total:,} rows as shown above?", abort=True)
        with ExitStack() as locks, open_state(location) as state:
            for sp in plans:
                locks.enter_context(exclusive(sp))
            actor = _actor()
            # a run still marked running on one of these databases is dead: alive, it would
            # hold the lock we now hold (runs on other databases are none of this sweep's)
            targets = sorted({sp.target for sp in plans})
            # every entry names the database it is about, without credentials
            databases = {sp.store: sp.target for sp in plans}
            interrupted = state.runs.running("sweep", targets=targets)
            run = state.runs.start(
                "sweep",
                register_version=register.policy.version,
                register_digest=register_digest(register),
                at=moment,
                options={
                    "batch_size": batch_size,
                    "stores": [sp.store for sp in plans],
                    "targets": targets,
                },
            )
            for dead in interrupted:
                err.print(f"Run #{dead.id} was interrupted; this sweep finishes its work.")
                state.runs.finish(
                    dead.id, status="failed", summary={"interrupted": True, "resumed_by": run.id}
                )
            state.audit.append(
                "sweep.started",
                actor=actor,
                run_id=run.id,
                details={
                    "at": moment.isoformat(),
                    "batch_size": batch_size,
                    "due": total,
                    "resumes": interrupted[0].id if interrupted else None,
                    "databases": databases,
                },
            )

            journal = Journal(state, run.id, actor)
            results = []
            try:
                with Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=err,
                    transient=True,
                ) as bar:
                    task = bar.add_task("sweeping", total=total or None)
                    for sp in plans:
                        for item in sp.plan.items:
                            bar.update(task, description=f"{item.rule} on {item.table}")
                            key = f"{sp.store}/{item.key}"
                            done = [0]

                            def checkpoint(
                                changed: int, key: str = key, done: list[int] = done
                            ) -> None:
                                done[0] += changed
                                journal.checkpoint(key, done[0])
                                bar.advance(task, changed)

                            result = sweep_item(
                                sp,
                                item,
                                batch_size=batch_size,
                                audit=_naming(journal.announce, sp.target),
                                record=_naming(journal.record, sp.target),
                                progress=checkpoint,
                            )
                            journal.flush()
                            results.append((sp.store, result))
            except BaseException as error:
                journal.flush()
                failure = {"error": str(error) or type(error).__name__, "databases": databases}
                state.audit.append("sweep.failed", details=failure, actor=actor, run_id=run.id)
                state.runs.finish(run.id, status="failed", summary=failure)
                raise
            # what each item left, as counted before the sweep (the counts shown above)
            skipped = {(s, c.item.key): c for s, found in counts.items() for c in found}
            items = [
                {
                    "store": s,
                    "rule": r.item.rule,
                    "table": r.item.table,
                    "action": r.item.action.value,
                    "changed": r.changed,
                    "held": skipped[s, r.item.key].held,
                    "restricted": skipped[s, r.item.key].restricted,
                    "blocked": skipped[s, r.item.key].blocked,
                    "unlinked": r.unlinked,
                    "batches": r.batches,
                    "longest_batch_seconds": round(r.longest_batch, 3),
                }
                for s, r in results
            ]
            # held and blocked per item only: a row two rules would change counts for both
            summary: dict[str, Any] = {
                "changed": sum(i["changed"] for i in items),
                "items": items,
                "databases": databases,
            }
            state.audit.append("sweep.finished", details=summary, actor=actor, run_id=run.id)
            state.runs.finish(run.id, status="done", summary=summary)
    finally:
        for sp in plans:
            sp.engine.dispose()
    _print_summary(summary, run.id)


def _naming(audit: Any, database: str) -> Any:
    """``audit`` with the store's database, credentials left out, added to every entry."""

    def named(action: str, details: dict[str, Any]) -> None:
        audit(action, {**details, "database": database})

    return named


def _print_summary(summary: dict[str, Any], run_id: int) -> None:
    table = Table(title=f"Sweep #{run_id} done", title_justify="left")
    columns = ("Rule", "Table", "Action", "Rows changed", "Held back", "Blocked", "Batches")
    for name in (*columns, "Longest batch"):
        # folded, never cut, as in the plan's table
        table.add_column(name, justify="left" if name in columns[:3] else "right", overflow="fold")
    for entry in summary["items"]:
        held = f"{entry['held']:,}"
        if entry["restricted"]:
            held += f" ({entry['restricted']:,} restricted)"
        table.add_row(
            entry["rule"],
            entry["table"],
            entry["action"],
            f"{entry['changed']:,}",
            held,
            f"{entry['blocked']:,}",
            str(entry["batches"]),
            f"{entry['longest_batch_seconds']:.3f} s",
        )
    out.print(table)
    out.print(
        f"{summary['changed']:,} rows changed; every batch is in the audit trail "
        f"(`registre audit log`)."
    )


def _actor() -> str:
    try:
        return f"sweep:{getpass.getuser()}"
    except (OSError, KeyError):
        return "sweep"
