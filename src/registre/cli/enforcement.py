"""Commands: plan, sweep."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from registre.cli.application import Interrupted, app, err, out, resume_command
from registre.cli.options import StateUrl, Url, parse_instant
from registre.cli.plan_stages import stage_rows

if TYPE_CHECKING:  # the register's Pydantic models take 0.15 s to build
    from registre.register.model import Register
    from registre.retention_report import Plan, PlannedRule, PlannedStore, SweepReport

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
    return parse_instant(text, tz) or datetime.now(tz)


def _store_ids(register: Register, url: str | None) -> None:
    if not register.stores:
        raise UsageError("the register maps no database: add a 'stores:' section")
    if url and len(register.stores) > 1:
        raise UsageError(
            f"--url names one database, and the register has "
            f"{len(register.stores)} stores; set each store's url_env instead"
        )


def _load(path: Path, url: str | None, at_text: str | None) -> tuple[Register, datetime]:
    from registre.register.loader import load_register

    register = load_register(path)
    moment = _instant(at_text, register)
    _store_ids(register, url)
    return register, moment


def _local(at: datetime, register: Register) -> str:
    return at.astimezone(ZoneInfo(register.policy.timezone)).strftime("%Y-%m-%d %H:%M")


def _plan_table(register: Register, at: datetime, store: PlannedStore) -> Table:
    table = Table(
        title=f"Store {store.store} ({store.dialect}) at {_local(at, register)} "
        f"{register.policy.timezone}",
        title_justify="left",
    )
    # names and numbers are folded, never cut, on a narrow terminal
    for name in ("Rule", "Table", "Action", "Fields"):
        table.add_column(name, overflow="fold")
    for name in ("Due", "Held back", "Blocked"):
        table.add_column(name, justify="right", overflow="fold")
    for rule in store.rules:
        table.add_row(
            rule.rule,
            rule.table,
            rule.action,
            ", ".join(rule.fields) or "whole row",
            f"{rule.due:,}",
            f"{rule.held:,}" + (f" ({rule.restricted:,} restricted)" if rule.restricted else ""),
            f"{rule.blocked:,}",
        )
        # a deletion in stages: one line per stage (trash, live, backups), when each ends
        for label, what, ends in stage_rows(register, rule.activity, rule.rule, at):
            table.add_row(label, rule.table, what, ends, "", "", "")
    return table


def _notes(rules: Sequence[PlannedRule]) -> None:
    if any(r.blocked for r in rules):
        err.print(
            "Blocked rows are still referenced by rows of another table that the register "
            "keeps; they wait until those go. (Rows whose dependants the same sweep deletes "
            "are counted as due: tables are swept children first.)"
        )
    if any(r.held > r.restricted for r in rules):
        err.print("Held-back rows are under a legal hold (`registre hold list`).")
    if any(r.restricted for r in rules):
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
    from registre.retention import plan as make_plan
    from registre.state import existing_state, locate_state
    from registre.state.location import earlier_default

    register, moment = _load(register_path, url, at)
    location = locate_state(state_url, register_path=register_path, register=register)
    state = existing_state(location)  # a plan is a dry run: it creates no state database
    if state is None and (earlier := earlier_default(location)) is not None:
        err.print(
            f"[yellow]warning:[/yellow] no state at {escape(str(location.sqlite_file()))} "
            f"(found {escape(location.origin)}); the legal holds in {escape(str(earlier))}, "
            "left by an earlier registre, are not applied: move that file there"
        )
    with state if state is not None else nullcontext():
        planned = make_plan(register, state, at=moment, url=url, statements=sql)
    if as_json:
        document = {
            "at": moment.astimezone(ZoneInfo("UTC")).isoformat(),
            "timezone": register.policy.timezone,
            "stores": [
                {
                    "store": store.store,
                    "dialect": store.dialect,
                    "items": [_plan_entry(rule, sql) for rule in store.rules],
                }
                for store in planned.stores
            ],
        }
        print(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True))
        return
    for store in planned.stores:
        out.print(_plan_table(register, moment, store))
        if sql:
            for rule in store.rules:
                out.print(f"\n-- {rule.rule} on {rule.table}")
                for text in rule.statements:
                    out.print(escape(text) + ";")
        _notes(store.rules)


def _plan_entry(rule: PlannedRule, sql: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "activity": rule.activity,
        "rule": rule.rule,
        "table": rule.table,
        "action": rule.action,
        "fields": list(rule.fields),
        "due": rule.due,
        "held": rule.held,
        "held_reasons": {"legal_hold": rule.held - rule.restricted, "restriction": rule.restricted},
        "blocked": rule.blocked,
    }
    if sql:
        entry["sql"] = list(rule.statements)
    return entry


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
    fail_fast: Annotated[
        bool,
        typer.Option(
            "--fail-fast",
            help="Stop at the first rule that fails; without it, the other rules still run.",
        ),
    ] = False,
    state_url: StateUrl = None,
) -> None:
    """Delete and anonymize what the register says is due, in audited, resumable batches.

    Exits 1 when a rule failed: the others ran, and the failures are in the audit trail.
    """
    from registre.retention import sweep as run_sweep
    from registre.retention_report import SweepInterrupted
    from registre.state import locate_state, open_state

    register, moment = _load(register_path, url, at)
    if moment > datetime.now(moment.tzinfo):
        # data due at a later date is not due yet: the register says to keep it until then
        raise UsageError(
            f"--at {at} is in the future: a sweep only deletes what is due now or was due "
            "earlier; use `registre plan --at` to see what will be due",
        )
    location = locate_state(state_url, register_path=register_path, register=register)
    if not url or len(register.stores) == 1:
        # a store that cannot be opened stops the sweep before its state is created
        from registre.stores import connect

        for store_id in register.stores:
            connect(register, store_id, url).dispose()
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task("sweeping", total=None)

    def confirm(planned: Plan) -> bool:
        # counted under the sweep's lock: what the sweep records as due
        for store in planned.stores:
            out.print(_plan_table(register, moment, store))
            _notes(store.rules)
        if planned.due and not yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    "the sweep deletes data and there is no terminal to "
                    "confirm it: run again with --yes"
                )
            typer.confirm(f"Change {planned.due:,} rows as shown above?", abort=True)
        bar.update(task, total=planned.due or None)
        bar.start()
        return True

    def progress(rule: PlannedRule, changed: int) -> None:
        bar.update(task, description=f"{rule.rule} on {rule.table}", advance=changed)

    with open_state(location) as state:
        try:
            report = run_sweep(
                register,
                state,
                at=moment,
                url=url,
                batch_size=batch_size,
                stop_at_first_failure=fail_fast,
                confirm=confirm,
                progress=progress,
            )
        except SweepInterrupted as stop:
            bar.stop()
            raise _interrupted(stop.report) from None
        finally:
            bar.stop()
    for run_id in report.resumed:
        err.print(f"Run #{run_id} was interrupted; this sweep finished its work.")
    _print_summary(report)
    if report.failed:
        _fail(report, fail_fast)


def _print_summary(report: SweepReport) -> None:
    table = Table(title=f"Sweep #{report.run_id} done", title_justify="left")
    columns = ("Rule", "Table", "Action", "Rows changed", "Held back", "Blocked", "Batches")
    for name in (*columns, "Longest batch"):
        # folded, never cut, as in the plan's table
        table.add_column(name, justify="left" if name in columns[:3] else "right", overflow="fold")
    for rule in report.rules:
        held = f"{rule.held:,}"
        if rule.restricted:
            held += f" ({rule.restricted:,} restricted)"
        changed = f"{rule.changed:,}"
        if rule.status != "done":
            changed += " (failed)" if rule.status == "failed" else " (not run)"
        table.add_row(
            rule.rule,
            rule.table,
            rule.action,
            changed,
            held,
            f"{rule.blocked:,}",
            str(rule.batches),
            f"{rule.longest_batch_seconds:.3f} s",
        )
    out.print(table)
    out.print(
        f"{report.changed:,} rows changed; every batch is in the audit trail "
        f"(`registre audit log`)."
    )
    ledger = report.consent_ledger
    if ledger.get("expired") or ledger.get("records"):
        expired, records = ledger.get("expired", 0), ledger.get("records", 0)
        out.print(
            f"Consent ledger: {expired:,} {'expiry' if expired == 1 else 'expiries'} recorded, "
            f"{records:,} {'record' if records == 1 else 'records'} past their retention deleted."
        )


def _fail(report: SweepReport, fail_fast: bool) -> None:
    from registre._exceptions import StoreError

    for rule in report.failed:
        err.print(f"[red]failed:[/red] {escape(rule.error or '')}")
    count = len(report.failed)
    rules = "rule" if count == 1 else "rules"
    if fail_fast and report.not_run:
        what = f"the sweep stopped at the first failure; {len(report.not_run)} rules were not run"
    else:
        what = "the other rules ran"
    raise StoreError(
        f"{count} retention {rules} of {len(report.rules)} failed in sweep #{report.run_id}; "
        f"{what}",
        hint=report.failed[0].hint
        or "fix the cause and run the sweep again: it resumes where it stopped",
    )


def _interrupted(report: SweepReport) -> Interrupted:
    """What Ctrl-C left: the rules done, the rule it stopped in, the rules not run."""
    command = resume_command()
    if report.run_id is None:
        return Interrupted(
            "interrupted before the sweep started: nothing was changed",
            hint=f"to sweep, run the command again: {command}",
        )
    done = [r for r in report.rules if r.status == "done"]
    stopped = [r for r in report.rules if r.status == "not_run" and r.changed]
    left = [r for r in report.rules if r.status == "not_run" and not r.changed]
    parts = [
        f"interrupted: sweep #{report.run_id} changed {report.changed:,} rows "
        f"({len(done)} of {len(report.rules)} rules done)"
    ]
    for rule in stopped:
        parts.append(
            f"stopped in rule '{rule.rule}' on table '{rule.table}' after {rule.changed:,} of "
            f"{rule.due:,} rows"
        )
    if left:
        due = sum(r.due for r in left)
        parts.append(f"{len(left)} rules not run ({due:,} rows due)")
    return Interrupted(
        "; ".join(parts) + ". Committed batches stay committed, and in the audit trail",
        hint=f"to resume, run the command again: {command}",
    )
