"""Retention sweeps from Python: what is due (:func:`plan`), and doing it (:func:`sweep`).

Their results are in :mod:`registre.retention_report`.

This is the run the ``registre plan`` and ``registre sweep`` commands print, and what a host
application's cron job or worker calls::

    register = registre.load_register("register.yaml")
    with registre.open_state(register="register.yaml") as state:
        report = registre.sweep(register, state)
    if not report.ok:
        ...  # report.failed names each rule that failed, and why

A sweep, in order: it reads the legal holds and restrictions in force from the state, connects
to each store and checks its mapping against the live schema, takes each database's sweep lock
(a second sweep of the same database is refused), counts what is due *under that lock*,
records its run (finishing the runs a killed sweep left running on these databases) and a
``sweep.started`` entry, then sweeps each rule on each table in audited batches
(:mod:`registre.engine.sweep`). A rule that fails (a NOT NULL or CHECK constraint, a trigger
that raises, a lost privilege) gets a ``sweep.rule_failed`` entry and the others still run,
unless ``stop_at_first_failure``. The run ends with ``sweep.finished`` (or ``sweep.failed``
when the sweep itself stopped: Ctrl-C, a lost state database) and its summary.

Nothing here prints: the command line turns the :class:`Plan` and the :class:`SweepReport`
into tables.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from registre._exceptions import RegistreError, StoreError
from registre.retention_report import (
    Plan,
    PlannedRule,
    PlannedStore,
    SweepInterrupted,
    SweepReport,
    SweptRule,
    not_run,
    summary_items,
)

if TYPE_CHECKING:
    from registre.engine.journal import Journal
    from registre.engine.store_plan import ItemCount, StorePlan
    from registre.engine.work_items import Hold, WorkItem
    from registre.register.model import Register
    from registre.state import EngineState


Progress = Callable[[PlannedRule, int], None]
"""Called after each batch with the rule and the rows that batch changed."""
Confirm = Callable[[Plan], bool]
"""Called with what is due, counted under the lock, before the first write; False stops."""


def plan(
    register: Register,
    state: EngineState | None = None,
    *,
    at: datetime | date | None = None,
    stores: Collection[str] | None = None,
    rules: Collection[str] | None = None,
    url: str | None = None,
    statements: bool = False,
) -> Plan:
    """What each retention rule makes due at ``at`` (default: now), changing nothing.

    ``state`` gives the legal holds and restrictions in force (without it, none); ``stores``
    and ``rules`` narrow the plan to those ids; ``url`` replaces the store's ``url_env`` when
    the register maps one store. ``statements`` adds the equivalent SQL to each rule.
    """
    moment = _moment(at, register)
    holds = _holds(state) if state is not None else []
    with _prepared(register, moment, stores, rules, url, holds) as prepared:
        return _plan(register, moment, prepared, statements=statements)


def sweep(
    register: Register,
    state: EngineState,
    *,
    at: datetime | date | None = None,
    stores: Collection[str] | None = None,
    rules: Collection[str] | None = None,
    url: str | None = None,
    batch_size: int = 5_000,
    dry_run: bool = False,
    stop_at_first_failure: bool = False,
    actor: str | None = None,
    confirm: Confirm | None = None,
    progress: Progress | None = None,
) -> SweepReport:
    """Delete and anonymize what is due at ``at`` (default: now), in audited, resumable batches.

    ``batch_size`` is the first batch's size and the smallest any batch shrinks to (batches
    grow while their write takes under 0.15 s). ``dry_run`` counts under the same conditions
    and changes nothing, recording nothing. ``confirm`` sees the counts before the first
    write; returning False stops there (nothing recorded). A rule that fails is reported in
    the :class:`SweepReport` and the others still run, unless ``stop_at_first_failure``.

    Raises :class:`StoreError` when a database cannot be reached or is being swept by another
    process, :class:`MappingError` when the mapping does not match it, and
    :class:`SweepInterrupted` on Ctrl-C. ``at`` may not be later than now: data due at a later
    date is not due yet.
    """
    from registre.engine.sweep import require_keys
    from registre.engine.sweep_lock import exclusive

    started = time.perf_counter()
    moment = _moment(at, register)
    if moment > datetime.now(moment.tzinfo):
        raise RegistreError(
            f"a sweep at {moment.isoformat()} is in the future: a sweep only deletes what is "
            "due now or was due earlier",
            hint="plan at that date to see what will be due then",
        )
    if batch_size < 1:
        raise RegistreError(f"a batch of {batch_size} rows: batches hold at least one row")
    try:
        holds = _holds(state)
        with (
            _prepared(register, moment, stores, rules, url, holds) as prepared,
            ExitStack() as locks,
        ):
            for sp in prepared:
                require_keys(sp)
            if not dry_run:
                for sp in prepared:
                    locks.enter_context(exclusive(sp))
            # counted under the lock: a sweep waiting for another one counts what that left
            counts = {sp.store: sp.counts() for sp in prepared}
            planned = _plan(register, moment, prepared, counts=counts)
            if dry_run or (confirm is not None and not confirm(planned)):
                return _report(planned, None, dry_run, started, prepared)
            run = _Run(register, state, moment, prepared, planned, batch_size, actor, started)
            return run.sweep(stop_at_first_failure, progress)
    except KeyboardInterrupt as error:
        if isinstance(error, SweepInterrupted):
            raise
        # before the run started: nothing was changed, nothing recorded
        report = SweepReport(None, moment, dry_run, (), time.perf_counter() - started)
        raise SweepInterrupted(report) from error


class _Run:
    """One recorded sweep run: its run record, its audit entries, its rules one by one."""

    def __init__(
        self,
        register: Register,
        state: EngineState,
        at: datetime,
        prepared: list[StorePlan],
        planned: Plan,
        batch_size: int,
        actor: str | None,
        started: float,
    ) -> None:
        from registre.state import register_digest

        self.register = register
        self.state = state
        self.at = at
        self.prepared = prepared
        self.planned = planned
        self.batch_size = batch_size
        self.actor = actor or _actor()
        self.started = started
        # a run still marked running on one of these databases is dead: alive, it would hold
        # the lock we now hold (runs on other databases are none of this sweep's)
        targets = sorted({sp.target for sp in prepared})
        # every entry names the database it is about, without credentials
        self.databases = {sp.store: sp.target for sp in prepared}
        interrupted = state.runs.running("sweep", targets=targets)
        self.run = state.runs.start(
            "sweep",
            register_version=register.policy.version,
            register_digest=register_digest(register),
            at=at,
            options={
                "batch_size": batch_size,
                "stores": [sp.store for sp in prepared],
                "targets": targets,
            },
        )
        self.resumed = tuple(dead.id for dead in interrupted)
        for dead in interrupted:
            state.runs.finish(
                dead.id, status="failed", summary={"interrupted": True, "resumed_by": self.run.id}
            )
        state.audit.append(
            "sweep.started",
            actor=self.actor,
            run_id=self.run.id,
            details={
                "at": at.isoformat(),
                "batch_size": batch_size,
                "due": planned.due,
                "resumes": interrupted[0].id if interrupted else None,
                "databases": self.databases,
            },
        )
        self.results: dict[tuple[str, str], SweptRule] = {}
        self.ledger: dict[str, int] = {}

    def sweep(self, stop_at_first_failure: bool, progress: Progress | None) -> SweepReport:
        from registre.engine.journal import Journal

        journal = Journal(self.state, self.run.id, self.actor)
        try:
            for sp, planned_store in zip(self.prepared, self.planned.stores, strict=True):
                for item, rule in zip(sp.plan.items, planned_store.rules, strict=True):
                    if stop_at_first_failure and any(
                        r.status == "failed" for r in self.results.values()
                    ):
                        break
                    self.results[sp.store, item.key] = self._sweep_rule(
                        sp, item, rule, journal, progress
                    )
            # the consent ledger's own retention (rights.consent_records_kept)
            from registre.consent.keeping import sweep_ledger

            self.ledger = sweep_ledger(
                self.register, self.state, self.at, actor=self.actor, run_id=self.run.id
            ).as_json()
        except BaseException as error:
            journal.flush()
            interrupted = isinstance(error, KeyboardInterrupt)
            report = self._report()
            failure = {
                "error": "interrupted (Ctrl-C)"
                if interrupted
                else (str(error) or type(error).__name__),
                "databases": self.databases,
                "items": summary_items(report),
                "changed": report.changed,
            }
            if interrupted:
                failure["interrupted"] = True
            self.state.audit.append(
                "sweep.failed", details=failure, actor=self.actor, run_id=self.run.id
            )
            self.state.runs.finish(self.run.id, status="failed", summary=failure)
            if interrupted and not isinstance(error, SweepInterrupted):
                raise SweepInterrupted(report) from error
            raise
        report = self._report()
        # held and blocked per item only: a row two rules would change counts for both
        summary: dict[str, Any] = {
            "changed": report.changed,
            "items": summary_items(report),
            "databases": self.databases,
        }
        if any(self.ledger.values()):
            summary["consent_ledger"] = self.ledger
        if report.failed:
            summary["failed"] = len(report.failed)
        self.state.audit.append(
            "sweep.finished", details=summary, actor=self.actor, run_id=self.run.id
        )
        self.state.runs.finish(
            self.run.id, status="failed" if report.failed else "done", summary=summary
        )
        return report

    def _sweep_rule(
        self,
        sp: StorePlan,
        item: WorkItem,
        rule: PlannedRule,
        journal: Journal,
        progress: Progress | None,
    ) -> SweptRule:
        from registre.engine.sweep import sweep_item

        key = f"{sp.store}/{item.key}"
        done = [0]

        def checkpoint(changed: int) -> None:
            done[0] += changed
            journal.checkpoint(key, done[0])
            if progress is not None:
                progress(rule, changed)

        began = time.perf_counter()
        try:
            result = sweep_item(
                sp,
                item,
                batch_size=self.batch_size,
                audit=_naming(journal.announce, sp.target),
                record=_naming(journal.record, sp.target),
                progress=checkpoint,
            )
        except StoreError as error:
            # this rule's failure: committed batches stay, the other rules still run
            journal.record(
                "sweep.rule_failed",
                {
                    "store": sp.store,
                    "rule": item.rule,
                    "table": item.table,
                    "changed": done[0],
                    "error": error.message,
                    "database": sp.target,
                },
            )
            journal.flush()
            return replace(
                not_run(rule),
                status="failed",
                changed=done[0],
                seconds=time.perf_counter() - began,
                error=error.message,
                hint=error.hint,
            )
        except BaseException:
            self.results[sp.store, item.key] = replace(
                not_run(rule), changed=done[0], seconds=time.perf_counter() - began
            )
            raise
        journal.flush()
        return replace(
            not_run(rule),
            status="done",
            changed=result.changed,
            unlinked=result.unlinked,
            batches=result.batches,
            longest_batch_seconds=round(result.longest_batch, 3),
            seconds=time.perf_counter() - began,
        )

    def _report(self) -> SweepReport:
        rules = tuple(
            self.results.get((rule.store, f"{rule.rule}/{rule.table}"), not_run(rule))
            for rule in self.planned.rules
        )
        return SweepReport(
            self.run.id,
            self.at,
            False,
            rules,
            time.perf_counter() - self.started,
            self.databases,
            self.resumed,
            dict(self.ledger),
        )


def _report(
    planned: Plan, run_id: int | None, dry_run: bool, started: float, prepared: list[StorePlan]
) -> SweepReport:
    return SweepReport(
        run_id,
        planned.at,
        dry_run,
        tuple(not_run(rule) for rule in planned.rules),
        time.perf_counter() - started,
        {sp.store: sp.target for sp in prepared},
    )


def _plan(
    register: Register,
    at: datetime,
    prepared: list[StorePlan],
    *,
    counts: Mapping[str, list[ItemCount]] | None = None,
    statements: bool = False,
) -> Plan:
    stores = []
    for sp in prepared:
        found = counts[sp.store] if counts is not None else sp.counts()
        rules = tuple(
            PlannedRule(
                store=sp.store,
                activity=c.item.activity,
                rule=c.item.rule,
                table=c.item.table,
                action=c.item.action.value,
                fields=tuple(c.item.fields),
                due=c.due,
                held=c.held,
                restricted=c.restricted,
                blocked=c.blocked,
                statements=tuple(sp.statements(c.item)) if statements else (),
            )
            for c in found
        )
        stores.append(PlannedStore(sp.store, sp.dialect, sp.target, rules))
    return Plan(at, register.policy.timezone, tuple(stores))


@contextmanager
def _prepared(
    register: Register,
    at: datetime,
    stores: Collection[str] | None,
    rules: Collection[str] | None,
    url: str | None,
    holds: list[Hold],
) -> Iterator[list[StorePlan]]:
    """Each store connected, its mapping checked and its plan made; disposed of on exit."""
    from registre.engine.store_plan import prepare

    store_ids = _store_ids(register, stores, url)
    if rules is not None:
        known = {rule_id for _, rule_id, _ in register.rules()}
        unknown = sorted(set(rules) - known)
        if unknown:
            raise RegistreError(
                f"no retention rule {', '.join(repr(r) for r in unknown)} in the register",
                hint=f"the rules are: {', '.join(sorted(known))}",
            )
    prepared: list[StorePlan] = []
    try:
        for store_id in store_ids:
            sp = prepare(register, store_id, at, url=url, holds=holds)
            prepared.append(sp)
            if rules is not None:
                kept = tuple(i for i in sp.plan.items if i.rule in rules)
                sp.plan = replace(sp.plan, items=kept)
        yield prepared
    finally:
        for sp in prepared:
            sp.engine.dispose()


def _store_ids(register: Register, stores: Collection[str] | None, url: str | None) -> list[str]:
    if not register.stores:
        raise RegistreError(
            "the register maps no database", hint="add a 'stores:' section to the register"
        )
    if stores is None:
        chosen = list(register.stores)
    else:
        unknown = sorted(set(stores) - set(register.stores))
        if unknown:
            raise RegistreError(
                f"no store {', '.join(repr(s) for s in unknown)} in the register",
                hint=f"the stores are: {', '.join(register.stores)}",
            )
        chosen = [s for s in register.stores if s in stores]
    if url and len(chosen) > 1:
        raise RegistreError(
            f"one URL for {len(chosen)} stores",
            hint="set each store's url_env instead, or name one store",
        )
    return chosen


def _holds(state: EngineState) -> list[Hold]:
    from registre.engine.store_plan import holds_from_state, restrictions_from_state

    return holds_from_state(state.holds.active()) + restrictions_from_state(state)


def _moment(at: datetime | date | None, register: Register) -> datetime:
    tz = ZoneInfo(register.policy.timezone)
    if at is None:
        return datetime.now(tz)
    if not isinstance(at, datetime):  # a day: its start, in the policy's time zone
        return datetime(at.year, at.month, at.day, tzinfo=tz)
    return at if at.tzinfo else at.replace(tzinfo=tz)


def _naming(
    audit: Callable[[str, dict[str, Any]], None], database: str
) -> Callable[[str, dict[str, Any]], None]:
    """``audit`` with the store's database, credentials left out, added to every entry."""

    def named(action: str, details: dict[str, Any]) -> None:
        audit(action, {**details, "database": database})

    return named


def _actor() -> str:
    try:
        return f"sweep:{getpass.getuser()}"
    except (OSError, KeyError):
        return "sweep"
