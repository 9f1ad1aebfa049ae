"""What a job does, written once for every backend, and the runner that claims and runs it.

Each task is idempotent: run twice, or run again after its worker died half-way, it ends in the
same state as one uninterrupted run.

- ``request.execute``: carries out a verified request (an erasure resumes where it stopped: see
  :meth:`~registre.requests.RequestDesk.execute`), then queues the letter's mail, once;
- ``sweep``: sweeps one store at the job's instant (``at``); a sweep run again deletes what the
  first left, and the library finishes a run a killed sweep left open;
- ``mail.code``, ``mail.letter``, ``mail.digest``: send one mail (a mail server that is down
  is a passing fault: the job is tried again later);
- ``mail.forward``: the letter forwarding a request to one of its controllers, sent to the
  contact the register names for that controller's requests, with a one-time link to the
  controller's data when the request was an access (one job per controller, queued once);
- ``mail.breach``: sends one letter or notice of a breach, each attempt recorded in the breach
  (see :mod:`registre.breaches.mailing`);
- ``exports.purge``: deletes the export packages past their retention;
- ``reminders``: the DPO's digest of late requests and those due soon.

A passing fault (:class:`Unavailable`, a database that does not answer) puts the job back in
the queue for a later attempt; any other :class:`RegistreError` fails it at once, with its
message. A bug fails it too, after its attempts, with its traceback in the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from registre._exceptions import RegistreError, StateError, StoreError
from registre.service.errors import Unavailable
from registre.service.jobs import downloads, mails
from registre.service.jobs.queue import SECRET_ARGUMENTS, Job
from registre.state.db import read_connection, utcnow

if TYPE_CHECKING:
    from registre.service.runtime import Service

log = logging.getLogger("registre.jobs")

Outcome = tuple[dict[str, Any], dict[str, Any] | None]
"""A task's result, and the arguments to keep in place of the given ones (None: keep them)."""

PASSING = (Unavailable, StateError, StoreError)
"""Faults that pass: the job is tried again later."""


def execute_request(service: Service, job: Job) -> Outcome:
    from registre.requests import store
    from registre.requests.lifecycle import RequestState

    request_id = job.arguments["request_id"]
    request = store.get(service.state.engine, request_id)
    if request.state not in (RequestState.done, RequestState.refused):
        request = service.desk_for_actor(job.created_by).execute(request_id)
    result: dict[str, Any] = {"request_id": request.id, "state": request.state.value}
    closed = (RequestState.done, RequestState.forwarded)
    if request.state in closed and request.identity.get("email"):
        letter = service.jobs.submit(
            "mail.letter",
            {"request_id": request.id},
            actor=job.created_by,
            key=f"mail.letter:{request.id}",
        )
        result["mail_job"] = letter.id
    forwards = queue_forward_mails(service, request, job.created_by)
    if forwards:
        result["forward_mail_jobs"] = forwards
    return result, None


def forwarded_part(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a request's result says of its forward: the whole result when it was forwarded
    whole, its ``forwarded`` part when we answered the rest; None when nothing was forwarded."""
    result = result or {}
    part = result.get("forwarded")
    if isinstance(part, dict) and part.get("forward_letters"):
        return part
    return result if result.get("forward_letters") else None


def queue_forward_mails(service: Service, request: Any, actor: str) -> list[str]:
    """Queue the mail of each controller's letter, once per request and controller."""
    part = forwarded_part(request.result)
    if part is None:
        return []
    return [
        service.jobs.submit(
            "mail.forward",
            {"request_id": request.id, "controller": number},
            actor=actor,
            key=f"mail.forward:{request.id}:{number}",
        ).id
        for number in range(len(part["forward_letters"]))
    ]


def controller_contact(service: Service, entry: dict[str, Any]) -> str | None:
    """Where the controller of ``entry`` (one of ``forward.json``'s controllers) takes people's
    requests: the register's ``contact`` of its activity, else its ``contact_column``; never an
    address guessed among the client's row (see the letter's own addressing)."""
    from types import SimpleNamespace
    from typing import cast

    from registre.requests.controllers import Controller
    from registre.requests.find import Found
    from registre.requests.letters.controller import request_contact

    # the contact is read from the tables the controller's rows are in: their names suffice
    tables = [
        SimpleNamespace(store=store_id, table=table)
        for store_id, counts in (entry.get("rows") or {}).items()
        for table in counts
    ]
    controller = Controller(entry.get("store"), entry.get("tenant"), found=cast(Found, tables))
    return request_contact(service.register, service.desk.finder, controller)


def send_forward(service: Service, job: Job) -> Outcome:
    """One controller's forwarding letter, to its request contact; its data behind a link."""
    import json

    from registre.requests import store
    from registre.requests.store import export_table

    request = store.get(service.state.engine, job.arguments["request_id"])
    number = int(job.arguments["controller"])
    part = forwarded_part(request.result)
    if part is None:
        return {"sent": False, "why": "the request was not forwarded"}, None
    letter = Path(part["forward_letters"][number])
    summary = json.loads(Path(part["forward_summary"]).read_text(encoding="utf-8"))
    entry = summary["controllers"][number]
    name = entry.get("name") or (part.get("controllers") or [None] * (number + 1))[number]
    to = controller_contact(service, entry)
    if not to or "@" not in to:
        # nowhere to mail it: a RegistreError fails the job at once, for an operator to see
        raise RegistreError(
            f"the letter forwarding request {request.id} to {name or 'its controller'} was not "
            "mailed: the register names no email address for this controller's requests"
            + (f" ({to})" if to else ""),
            hint="send the letter (GET /api/v1/requests/ID/letters) and its data by hand, or "
            "set the activity's controller.contact or contact_column in the register",
        )
    lang = service.register.policy.languages[0] if service.register.policy.languages else "en"
    # the packages are named as the letters are numbered: forward-data.zip, or -1, -2... each
    suffix = "" if len(part["forward_letters"]) == 1 else f"-{number + 1}"
    data = next(
        (d for d in part.get("forward_data") or [] if Path(d).name == f"forward-data{suffix}.zip"),
        None,
    )
    link = expires = None
    if data:
        with read_connection(service.state.engine) as connection:
            until = connection.execute(
                sa.select(export_table.c.expires_at).where(
                    export_table.c.request_id == request.id,
                    export_table.c.path == data,
                    export_table.c.deleted_at.is_(None),
                )
            ).scalar()
        until = until or utcnow() + timedelta(days=7)
        token = downloads.create(service.state.engine, request.id, data, until)
        link = service.settings.public_url.rstrip("/") + downloads.ROUTE + token
        expires = until.astimezone(service.desk.tz).date()
    mail = mails.forward_mail(
        to,
        request.id,
        letter.read_text(encoding="utf-8"),
        service.register.organization.name,
        lang,
        link,
        expires,
    )
    service.mailer.send(mail)
    return {"sent_to": to, "controller": name, "download_link": bool(link)}, None


def sweep(service: Service, job: Job) -> Outcome:
    from registre.retention import sweep as run_sweep

    store_id = job.arguments["store"]
    at = datetime.fromisoformat(job.arguments["at"])
    report = run_sweep(
        service.register,
        service.state,
        at=at,
        stores=[store_id],
        url=service.settings.store_urls.get(store_id),
        batch_size=int(job.arguments.get("batch_size", 5_000)),
        actor=job.created_by,
    )
    failed = [rule.rule for rule in report.failed]
    result = {
        "run_id": report.run_id,
        "due": report.due,
        "changed": report.changed,
        "failed": failed,
        "resumed": list(report.resumed),
    }
    if failed:
        raise RegistreError(
            f"the sweep of {store_id} failed for rule(s) {', '.join(failed)}",
            hint=f"`registre audit log` shows run {report.run_id}; fix it and sweep again",
        )
    return result, None


def send_code(service: Service, job: Job) -> Outcome:
    args = job.arguments
    mail = mails.code_mail(
        args["to"],
        args["request_id"],
        args["code"],
        service.settings.code_minutes,
        service.register.organization.name,
        args["lang"],
    )
    service.mailer.send(mail)
    kept = {k: v for k, v in args.items() if k not in SECRET_ARGUMENTS}
    return {"sent_to": args["to"]}, kept


def send_letter(service: Service, job: Job) -> Outcome:
    from registre.requests import store
    from registre.requests.store import export_table

    request = store.get(service.state.engine, job.arguments["request_id"])
    to = request.identity.get("email")
    if job.arguments.get("letter") == "extension":  # the deadline extended, with its reason
        written = service.desk.out_dir / request.id / f"extension-{request.lang}.html"
        if not to or not written.exists():
            return {"sent": False, "why": "no email address or no extension letter"}, None
        service.mailer.send(
            mails.extension_mail(
                to,
                request.id,
                written.read_text(encoding="utf-8"),
                service.register.organization.name,
                request.lang,
            )
        )
        return {"sent_to": to, "letter": "extension"}, None
    letter = (request.result or {}).get("letter")
    if not to or not letter:
        return {"sent": False, "why": "no email address or no letter"}, None
    html = Path(letter).read_text(encoding="utf-8")
    link = expires = None
    export = (request.result or {}).get("export")
    if export:
        with read_connection(service.state.engine) as connection:
            until = connection.execute(
                sa.select(export_table.c.expires_at).where(
                    export_table.c.request_id == request.id, export_table.c.deleted_at.is_(None)
                )
            ).scalar()
        until = until or utcnow() + timedelta(days=7)
        token = downloads.create(service.state.engine, request.id, export, until)
        link = service.settings.public_url.rstrip("/") + downloads.ROUTE + token
        expires = until.astimezone(service.desk.tz).date()
    mail = mails.letter_mail(
        to, request.id, html, service.register.organization.name, request.lang, link, expires
    )
    service.mailer.send(mail)
    return {"sent_to": to, "download_link": bool(link)}, None


def purge_exports(service: Service, job: Job) -> Outcome:
    desk = service.desk_for_actor(job.created_by)
    return desk.purge_exports().as_json(), None


def reminders(service: Service, job: Job) -> Outcome:
    """The DPO's digest; nothing to send when no DPO address is set."""
    to = service.settings.dpo_email
    if not to:
        return {"sent": False, "why": "no dpo_email is set"}, None
    days = service.settings.digest_days
    today = service.desk.today()
    late, soon = [], []
    for item in service.desk.list():
        if item.status == "closed":
            continue
        shown = {
            "id": item.request.id,
            "kind": item.request.kind.value,
            "state": item.request.state.value,
            "due": item.request.due.isoformat(),
        }
        if item.status == "late":
            late.append(shown)
        elif item.request.due <= today + timedelta(days=days):
            soon.append(shown)
    lang = service.register.policy.languages[0] if service.register.policy.languages else "en"
    mail = mails.digest_mail(to, service.register.organization.name, lang, late, soon, days)
    service.mailer.send(mail)
    return {"sent_to": to, "late": len(late), "due_soon": len(soon)}, None


def send_breach_mail(service: Service, job: Job) -> Outcome:
    """A breach's letter to a person or notice to a client (:mod:`registre.breaches.mailing`);
    each attempt is recorded in the breach and the audit trail."""
    from registre.breaches.mailing import deliver
    from registre.breaches.store import BreachRegister
    from registre.service.mail import Mail

    def send(to: str, subject: str, text: str, html: str) -> None:
        service.mailer.send(Mail(to=to, subject=subject, text=text, html=html))

    book = BreachRegister(service.state.engine, service.state.audit, actor=job.created_by)
    return deliver(book, job, send, now=utcnow(), passing=PASSING)


TASKS: dict[str, Callable[[Service, Job], Outcome]] = {
    "request.execute": execute_request,
    "sweep": sweep,
    "mail.code": send_code,
    "mail.letter": send_letter,
    "mail.forward": send_forward,
    "exports.purge": purge_exports,
    "reminders": reminders,
    "mail.breach": send_breach_mail,
}


def run(service: Service, job_id: str, worker: str) -> str | None:
    """Claim the job and run it; its new state, or None when it was not to be run here."""
    queue = service.jobs.queue
    job = queue.claim(job_id, worker)
    if job is None:
        return None
    task = TASKS.get(job.kind)
    stop = threading.Event()
    keeper = threading.Thread(
        target=_keep_lease, args=(service, job.id, worker, stop), daemon=True, name="lease"
    )
    keeper.start()
    try:
        if task is None:
            return queue.fail(job, worker, f"no task is named {job.kind}", retry=False)
        result, kept = task(service, job)
    except PASSING as error:
        state = queue.fail(job, worker, _said(error), retry=True)
        log.warning("job %s (%s) attempt %d: %s", job.id, job.kind, job.attempts, _said(error))
        return state
    except RegistreError as error:
        return queue.fail(job, worker, _said(error), retry=False)
    except Exception as error:  # a bug: logged with its traceback, tried again
        log.exception("job %s (%s) failed", job.id, job.kind)
        return queue.fail(job, worker, f"internal error: {type(error).__name__}", retry=True)
    finally:
        stop.set()
    queue.finish(job, worker, result, kept)
    return "done"


def _said(error: RegistreError) -> str:
    return f"{error.message} ({error.hint})" if error.hint else error.message


def _keep_lease(service: Service, job_id: str, worker: str, stop: threading.Event) -> None:
    every = max(service.jobs.queue.lease.total_seconds() / 3, 0.2)
    while not stop.wait(every):
        try:
            if not service.jobs.queue.renew(job_id, worker):
                return
        except RegistreError:
            continue  # the state database blinked: try again at the next beat
