"""Retention sweeps from Python: what is due (:func:`plan`), and doing it (:func:`sweep`).

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
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from registre._exceptions import RegistreError, StoreError

if TYPE_CHECKING:
    from registre.engine.plan import Hold
    from registre.engine.sweep import ItemCount, StorePlan
    from registre.register.model import Register
    from registre.state import EngineState


@dataclass(frozen=True)
class PlannedRule:
    """One retention rule on one table of a store: the rows it makes due, and those it keeps."""

    store: str
    activity: str
    rule: str
    table: str
    action: str
    """``delete`` or ``anonymize``."""
    fields: tuple[str, ...]
    """The columns an anonymization rewrites; empty for a delete (the whole row)."""
    due: int
    """Rows the sweep changes when it reaches this rule."""
    held: int
    """Rows due but kept: under a legal hold, or of a person who restricted processing."""
    restricted: int
    """Of the held rows, those kept for a restriction of processing (Art. 18)."""
    blocked: int
    """Rows due but still referenced by rows of another table that the register keeps."""
    statements: tuple[str, ...] = ()
    """The equivalent set-based SQL, values inlined (``plan(..., statements=True)`` only)."""


@dataclass(frozen=True)
class PlannedStore:
    """The plan of one store (one database)."""

    store: str
    dialect: str
    database: str
    """The database, without credentials: ``postgresql://host:5432/app``, a SQLite file path."""
    rules: tuple[PlannedRule, ...]
    """In the order a sweep takes them: children before the tables they reference."""


@dataclass(frozen=True)
class Plan:
    """What each retention rule makes due at an instant, without changing anything."""

    at: datetime
    timezone: str
    stores: tuple[PlannedStore, ...]

    @property
    def rules(self) -> tuple[PlannedRule, ...]:
        return tuple(rule for store in self.stores for rule in store.rules)

    @property
    def due(self) -> int:
        """Rows due, all rules together (a row two rules change counts twice)."""
        return sum(rule.due for rule in self.rules)


@dataclass(frozen=True)
class SweptRule:
    """What a sweep did with one retention rule on one table."""

    store: str
    rule: str
    table: str
    action: str
    status: Literal["done", "failed", "not_run"]
    """``not_run``: the sweep stopped before this rule (a failure with
    ``stop_at_first_failure``, a dry run, a declined confirmation, Ctrl-C)."""
    due: int
    """Rows due when the sweep counted them, under its lock."""
    changed: int
    """Rows deleted or anonymized (batches committed before a failure included)."""
    held: int
    restricted: int
    blocked: int
    unlinked: int = 0
    """Rows kept whose reference to a deleted row was set to NULL (``on_delete: unlink``)."""
    batches: int = 0
    longest_batch_seconds: float = 0.0
    """How long the longest write transaction held its locks."""
    seconds: float = 0.0
    error: str | None = None
    hint: str = ""

    @property
    def deleted(self) -> int:
        return self.changed if self.action == "delete" else 0

    @property
    def anonymized(self) -> int:
        return self.changed if self.action == "anonymize" else 0

    @property
    def kept(self) -> int:
        """Rows due but kept: held back or blocked."""
        return self.held + self.blocked


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did, rule by rule; ``ok`` when no rule failed."""

    run_id: int | None
    """The run in the state (``registre audit log``); None for a dry run or a declined one."""
    at: datetime
    dry_run: bool
    rules: tuple[SweptRule, ...]
    seconds: float
    databases: Mapping[str, str] = field(default_factory=dict)
    """Each store's database, without credentials."""
    resumed: tuple[int, ...] = ()
    """Runs a killed sweep left running on these databases, whose work this one finished."""

    @property
    def changed(self) -> int:
        return sum(rule.changed for rule in self.rules)

    @property
    def due(self) -> int:
        return sum(rule.due for rule in self.rules)

    @property
    def failed(self) -> tuple[SweptRule, ...]:
        return tuple(rule for rule in self.rules if rule.status == "failed")

    @property
    def not_run(self) -> tuple[SweptRule, ...]:
        return tuple(rule for rule in self.rules if rule.status == "not_run")

    @property
    def ok(self) -> bool:
        return not self.failed


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep; :attr:`report` says what it had done (committed batches stay).

    A :class:`KeyboardInterrupt`, so code that lets Ctrl-C through still does. The run is
    recorded as failed, with ``interrupted``; the next sweep of the same databases resumes it.
    """

    def __init__(self, report: SweepReport) -> None:
        super().__init__("the sweep was interrupted")
        self.report = report


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
    from registre.engine.sweep import exclusive, require_keys

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
        except BaseException as error:
            journal.flush()
            interrupted = isinstance(error, KeyboardInterrupt)
            report = self._report()
            failure = {
                "error": "interrupted (Ctrl-C)"
                if interrupted
                else (str(error) or type(error).__name__),
                "databases": self.databases,
                "items": _summary_items(report),
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
            "items": _summary_items(report),
            "databases": self.databases,
        }
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
        item: Any,
        rule: PlannedRule,
        journal: Any,
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
                _not_run(rule),
                status="failed",
                changed=done[0],
                seconds=time.perf_counter() - began,
                error=error.message,
                hint=error.hint,
            )
        except BaseException:
            self.results[sp.store, item.key] = replace(
                _not_run(rule), changed=done[0], seconds=time.perf_counter() - began
            )
            raise
        journal.flush()
        return replace(
            _not_run(rule),
            status="done",
            changed=result.changed,
            unlinked=result.unlinked,
            batches=result.batches,
            longest_batch_seconds=round(result.longest_batch, 3),
            seconds=time.perf_counter() - began,
        )

    def _report(self) -> SweepReport:
        rules = tuple(
            self.results.get((rule.store, f"{rule.rule}/{rule.table}"), _not_run(rule))
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
        )


def _not_run(rule: PlannedRule) -> SweptRule:
    return SweptRule(
        store=rule.store,
        rule=rule.rule,
        table=rule.table,
        action=rule.action,
        status="not_run",
        due=rule.due,
        changed=0,
        held=rule.held,
        restricted=rule.restricted,
        blocked=rule.blocked,
    )


def _summary_items(report: SweepReport) -> list[dict[str, Any]]:
    """The rules as the run's summary and the ``sweep.finished`` entry hold them."""
    items = []
    for rule in report.rules:
        entry: dict[str, Any] = {
            "store": rule.store,
            "rule": rule.rule,
            "table": rule.table,
            "action": rule.action,
            "changed": rule.changed,
            "held": rule.held,
            "restricted": rule.restricted,
            "blocked": rule.blocked,
            "unlinked": rule.unlinked,
            "batches": rule.batches,
            "longest_batch_seconds": rule.longest_batch_seconds,
        }
        if rule.status != "done":
            entry["status"] = rule.status
        if rule.error is not None:
            entry["error"] = rule.error
        items.append(entry)
    return items


def _report(
    planned: Plan, run_id: int | None, dry_run: bool, started: float, prepared: list[StorePlan]
) -> SweepReport:
    return SweepReport(
        run_id,
        planned.at,
        dry_run,
        tuple(_not_run(rule) for rule in planned.rules),
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
    from registre.engine.sweep import prepare

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
    from registre.engine.sweep import holds_from_state, restrictions_from_state

    return holds_from_state(state.holds.active()) + restrictions_from_state(state)


def _moment(at: datetime | date | None, register: Register) -> datetime:
    tz = ZoneInfo(register.policy.timezone)
    if at is None:
        return datetime.now(tz)
    if not isinstance(at, datetime):  # a day: its start, in the policy's time zone
        return datetime(at.year, at.month, at.day, tzinfo=tz)
    return at if at.tzinfo else at.replace(tzinfo=tz)


def _naming(audit: Callable[[str, dict[str, Any]], None], database: str) -> Any:
    """``audit`` with the store's database, credentials left out, added to every entry."""

    def named(action: str, details: dict[str, Any]) -> None:
        audit(action, {**details, "database": database})

    return named


def _actor() -> str:
    try:
        return f"sweep:{getpass.getuser()}"
    except (OSError, KeyError):
        return "sweep"
