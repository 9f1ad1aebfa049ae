"""A breach's letters and notices sent by mail, as jobs of the service, each delivery tracked.

:func:`queue` (``registre breach send``, ``POST /api/v1/breaches/ID/send``) writes, in one
transaction with the breach, one job of kind :data:`KIND` per letter to a person (Art. 34) and
per notice to a client (Art. 33(2)), and a :class:`~.model.Delivery` for each in the breach.
The service's workers (``registre serve``'s threads, or ``registre worker``) send them through
its mail server (:func:`deliver`), recording each attempt in the breach and in the audit trail:

- sent: the delivery says ``sent`` and when;
- the mail server is down or refuses for now: the job is tried again later (the queue's
  backoff), the delivery says ``retrying`` with the server's answer; out of attempts, it says
  ``failed``, and :func:`retry` queues the failed ones again;
- no address (a person without an email, a client whose row holds no contact): ``no_address``,
  no job.

The breach keeps no address, only each delivery's number, kind, client and job; the job holds
the address and the text until it is sent, and drops both then. The audit trail names
deliveries by number and job, never by address. A client's notice goes to the contact its row
of the tenants table holds in ``stores.*.tenants.contact_column`` (else in a processor
activity's ``controller.contact_column``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from registre._exceptions import BreachError, RegistreError
from registre.breaches import counting, letters, risk
from registre.breaches.model import Breach, Delivery
from registre.breaches.store import MAILED, SENDING, BreachRegister
from registre.engine.record_keys import typed_value
from registre.register.model import Register
from registre.register.taxonomy import Role
from registre.requests.controllers import NAME_COLUMNS

if TYPE_CHECKING:
    from registre.service.jobs.queue import Job, JobQueue

KIND = "mail.breach"
"""The kind of the jobs that mail a breach's letters and notices."""

_SUBJECTS = {
    "person": {
        "fr": "Violation de vos données personnelles — {org}",
        "en": "A breach of your personal data — {org}",
    },
    "client": {
        "fr": "Notification d'une violation de données personnelles ({id}) — {org}",
        "en": "Notification of a personal data breach ({id}) — {org}",
    },
}


def queue(
    book: BreachRegister,
    register: Register,
    breach_id: str,
    engines: Mapping[str, Engine],
    jobs: JobQueue,
    *,
    now: datetime,
    lang: str | None = None,
) -> list[Delivery]:
    """Queue what is owed by mail: a letter to each person of a high-risk breach, a notice to
    each client when we are the processor; the new deliveries. Sent once: a breach whose
    letters are queued already is refused (:func:`retry` sends the failed ones again).

    ``lang`` (fr or en) writes every letter in that language instead of each person's.
    """
    if lang is not None and lang not in letters.LANGS:
        raise BreachError(f"{lang!r} is not a language of the letters", hint="use fr or en")
    breach = book.get(breach_id)
    if breach.deliveries:
        raise BreachError(
            f"the letters of breach {breach.id} are queued already "
            f"({len(breach.deliveries)} of them)",
            hint=f"`registre breach show {breach.id}` shows where each stands; "
            f"`registre breach send {breach.id} --retry` sends the failed ones again",
        )
    if breach.scope is None:
        raise BreachError(
            f"breach {breach.id} has no scope, so nobody is known to be affected",
            hint=f"state it first: registre breach update {breach.id} --scope TABLE",
        )
    due = risk.owed(breach.assessment, processor=breach.processor)
    outgoing: list[tuple[str, str | None, str, str | None, str, str]] = []
    """(to, client, lang, address, subject, text) of each letter and notice."""
    org = register.organization.name
    if due.people:
        affected = counting.count(register, breach.scope, engines)
        persons = counting.people_to_inform(register, affected, engines)
        for person in persons:
            shown = replace(person, lang=lang) if lang else person
            letter = letters.person_letter(breach, register, shown)
            subject = _SUBJECTS["person"][letter.lang].format(org=org)
            text = letter.text.split("\n", 2)[2]  # the letter's own subject line is the mail's
            address = person.identities.get("email")
            outgoing.append(("person", person.client, letter.lang, address, subject, text))
    if due.controller:
        notice_lang = lang or register.policy.languages[0]
        contacts = client_contacts(register, breach, engines)
        names = client_names(register, breach, engines)
        for client in letters.clients(breach):
            subject = _SUBJECTS["client"][notice_lang].format(id=breach.id, org=org)
            text = letters.client_notice(breach, register, client, notice_lang, names.get(client))
            outgoing.append(("client", client, notice_lang, contacts.get(client), subject, text))
    if not outgoing:
        return []

    def apply(connection: Connection, breach: Breach) -> dict[str, Any]:
        if breach.deliveries:  # queued meanwhile by someone else
            raise BreachError(
                f"the letters of breach {breach.id} are queued already",
                hint=f"`registre breach show {breach.id}` shows where each stands",
            )
        created: list[tuple[str, str]] = []
        for number, (to, client, in_lang, address, subject, text) in enumerate(outgoing, start=1):
            job_id = None
            if address:
                job, _ = jobs.add_in(
                    connection,
                    KIND,
                    {
                        "breach": breach.id,
                        "delivery": number,
                        "to": address,
                        "subject": subject,
                        "text": text,
                        "lang": in_lang,
                    },
                    actor=book.actor,
                    key=f"{KIND}:{breach.id}:{number}",
                )
                job_id = job.id
                created.append((job.id, to))
            breach.deliveries.append(
                Delivery(
                    number=number,
                    to=to,
                    client=client,
                    lang=in_lang,
                    job=job_id,
                    state="queued" if job_id else "no_address",
                    queued_at=now,
                )
            )
        _undispatched(connection, [job_id for job_id, _ in created])
        return _counted(breach.deliveries)

    return book.change_with(breach_id, SENDING, apply).deliveries


def retry(book: BreachRegister, breach_id: str, jobs: JobQueue, *, now: datetime) -> list[Delivery]:
    """Queue again the letters and notices whose sending failed; those queued again."""
    from registre.service.jobs.queue import job_table

    def apply(connection: Connection, breach: Breach) -> dict[str, Any]:
        again: list[int] = []
        for i, delivery in enumerate(breach.deliveries):
            if delivery.state != "failed" or delivery.job is None:
                continue
            arguments = connection.execute(
                sa.select(job_table.c.arguments).where(job_table.c.id == delivery.job)
            ).scalar()
            if arguments is None:
                continue  # its job was purged: nothing left to send it with
            job, _ = jobs.add_in(
                connection,
                KIND,
                json.loads(arguments),
                actor=book.actor,
                key=f"{KIND}:{breach.id}:{delivery.number}",
            )
            breach.deliveries[i] = replace(delivery, job=job.id, state="queued", queued_at=now)
            again.append(delivery.number)
            _undispatched(connection, [job.id])
        if not again:
            raise BreachError(
                f"no letter of breach {breach.id} failed to be sent",
                hint=f"`registre breach show {breach.id}` shows where each stands",
            )
        return {"retried": again, **_counted(breach.deliveries)}

    breach = book.change_with(breach_id, SENDING, apply)
    return [d for d in breach.deliveries if d.state == "queued"]


def _undispatched(connection: Connection, job_ids: list[str]) -> None:
    """Queued from outside the service: no worker was told, so the service's keeper hands
    them on at its next round (it hands on the jobs never dispatched)."""
    from registre.service.jobs.queue import job_table

    if job_ids:
        connection.execute(
            job_table.update().where(job_table.c.id.in_(job_ids)).values(dispatched_at=None)
        )


def _counted(deliveries: list[Delivery]) -> dict[str, Any]:
    """How many to people and to clients, by state: never to whom."""
    found: dict[str, Any] = {"people": 0, "clients": 0, "states": {}}
    for d in deliveries:
        found["people" if d.to == "person" else "clients"] += 1
        found["states"][d.state] = found["states"].get(d.state, 0) + 1
    return found


def client_contacts(
    register: Register, breach: Breach, engines: Mapping[str, Engine]
) -> dict[str, str]:
    """Each client's contact for breaches, read from its row of the tenants table: the
    column ``tenants.contact_column`` names, else a processor activity's
    ``controller.contact_column``. Clients without one are left out."""
    wanted = letters.clients(breach)
    fallback = next(
        (
            a.controller.contact_column
            for a in register.activities.values()
            if a.role == Role.processor and a.controller and a.controller.contact_column
        ),
        None,
    )
    found: dict[str, str] = {}
    for store_id, store in register.stores.items():
        tenants = store.tenants
        column = (tenants.contact_column or fallback) if tenants else None
        if tenants is None or column is None or store_id not in engines or not wanted:
            continue
        engine = engines[store_id]
        table = sa.Table(tenants.table, sa.MetaData(), autoload_with=engine)
        if column not in table.c:
            raise BreachError(
                f"the tenants table {tenants.table!r} of store {store_id!r} has no column "
                f"{column!r} for the clients' contact",
                hint="check stores.*.tenants.contact_column against the database "
                "(`registre check --connect`)",
            )
        key = table.c[tenants.key]
        typed = {
            value: client
            for client in wanted
            if (value := typed_value(key, client)) is not None and client not in found
        }
        if not typed:
            continue
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(key, table.c[column]).where(key.in_(list(typed)))
            ).all()
        for value, contact in rows:
            client = typed.get(value)
            if client is not None and contact is not None and str(contact).strip():
                found[client] = str(contact).strip()
    return found


def client_names(
    register: Register, breach: Breach, engines: Mapping[str, Engine]
) -> dict[str, str]:
    """Each client's name, read from its row of the tenants table the way the Art. 30 record
    and a forwarded request name a controller (``company_name``, ``legal_name``, ``name``...,
    else the first column with 'name'). Clients without one are left out (named by key)."""
    wanted = letters.clients(breach)
    found: dict[str, str] = {}
    for store_id, store in register.stores.items():
        tenants = store.tenants
        if tenants is None or store_id not in engines or not wanted:
            continue
        engine = engines[store_id]
        table = sa.Table(tenants.table, sa.MetaData(), autoload_with=engine)
        named = [c for c in NAME_COLUMNS if c in table.c]
        named += [c.name for c in table.c if "name" in c.name.lower() and c.name not in named]
        key = table.c[tenants.key]
        typed = {
            value: client
            for client in wanted
            if (value := typed_value(key, client)) is not None and client not in found
        }
        if not named or not typed:
            continue
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(key, *(table.c[c] for c in named)).where(key.in_(list(typed)))
            ).all()
        for value, *names in rows:
            client = typed.get(value)
            name = next((str(n).strip() for n in names if n is not None and str(n).strip()), "")
            if client is not None and name:
                found[client] = name
    return found


# -- sending (in the service's worker) -----------------------------------------------------------


def html(text: str, lang: str) -> str:
    """The HTML part of a letter or notice written in the letters' light Markdown: headings,
    lists, bold, paragraphs."""
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        if all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        elif len(lines) == 1 and (heading := re.match(r"^(#{1,3}) (.*)$", lines[0])):
            level = len(heading.group(1))
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        else:
            blocks.append("<p>" + "<br>".join(_inline(line) for line in lines) + "</p>")
    return f'<html lang="{lang}"><body>{"".join(blocks)}</body></html>'


def _inline(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escape(text))


def plain(text: str) -> str:
    """The plain-text part: the same words, without the Markdown's bold marks."""
    return text.replace("**", "")


def deliver(
    book: BreachRegister, job: Job, send: Any, *, now: datetime, passing: tuple[type, ...]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Send one letter or notice (``send(to, subject, text, html)``) and record the attempt in
    the breach and the audit trail; the job's result, and its arguments to keep (the text and
    the address are dropped once sent). A ``passing`` fault (or a bug) is recorded as
    ``retrying`` (``failed`` on the last attempt) and raised again for the queue to try later;
    any other refusal (a :class:`RegistreError` that does not pass) as ``failed``.
    """
    args = job.arguments
    number = int(args["delivery"])
    try:
        send(args["to"], args["subject"], plain(args["text"]), html(args["text"], args["lang"]))
    except Exception as error:
        # as the queue decides: a passing fault or a bug is tried again until the last
        # attempt; any other refusal is final
        final = isinstance(error, RegistreError) and not isinstance(error, passing)
        last = job.attempts >= job.max_attempts or final
        said = getattr(error, "message", None) or type(error).__name__
        _record(book, args["breach"], number, job, "failed" if last else "retrying", said, now)
        raise
    _record(book, args["breach"], number, job, "sent", "", now)
    # once sent, the job keeps neither the text nor the address: the state holds no list of
    # the people told (docs/breaches.md, "Who is affected")
    kept = {k: v for k, v in args.items() if k not in ("text", "to")}
    return {"breach": args["breach"], "delivery": number, "sent": True}, kept


def _record(
    book: BreachRegister,
    breach_id: str,
    number: int,
    job: Job,
    state: str,
    error: str,
    now: datetime,
) -> None:
    def apply(breach: Breach) -> dict[str, Any]:
        for i, delivery in enumerate(breach.deliveries):
            if delivery.number == number and delivery.job == job.id:
                breach.deliveries[i] = replace(
                    delivery,
                    state=state,
                    attempts=delivery.attempts + 1,
                    error=error,
                    sent_at=now if state == "sent" else None,
                )
                return {
                    "delivery": number,
                    "to": delivery.to,
                    "client": delivery.client,
                    "job": job.id,
                    "attempt": job.attempts,
                    "state": state,
                    "error": error,
                }
        raise BreachError(
            f"breach {breach_id} has no delivery {number} by job {job.id}",
            hint="the job was queued again since: this attempt is not recorded",
        )

    book.change(breach_id, MAILED, apply)
