"""The running service: the register, the state, the stores and the request desk, opened once.

:func:`open_service` is the start-up check: it loads the register, opens (and migrates) the
state database, connects to every store and builds the request desk, so that a wrong setting
stops ``registre serve`` before it listens, with the library's own message. Each API call then
borrows what it needs; a call made on someone's behalf works on a copy of the desk that
records that person or token as the actor.
"""

from __future__ import annotations

import copy
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from registre._exceptions import RegistreError
from registre.durations import Duration
from registre.register.model import Register
from registre.requests import RequestDesk
from registre.service.access import Access, Principal
from registre.service.codes import OneTimeCodes
from registre.service.errors import SettingsError
from registre.service.jobs.backends import Jobs
from registre.service.mail import Mailer
from registre.service.settings import ServiceSettings
from registre.state import EngineState, locate_state, open_state


@dataclass
class Service:
    settings: ServiceSettings
    register: Register
    state: EngineState
    engines: dict[str, Engine]
    desk: RequestDesk
    access: Access
    codes: OneTimeCodes
    mailer: Mailer
    started_in: float = 0.0
    notes: list[str] = field(default_factory=list)
    """What works less well with these settings, for the operator starting the service."""
    jobs: Jobs = field(init=False)
    """The job queue and its backend (in-process threads or Celery)."""

    def desk_for(self, who: Principal) -> RequestDesk:
        """The desk, acting for ``who``: same finder (its reflected tables), another actor."""
        desk = copy.copy(self.desk)
        desk.actor = who.actor
        return desk

    def desk_for_actor(self, actor: str) -> RequestDesk:
        """The desk acting for ``actor`` as the audit trail names it (a job runs for its asker)."""
        desk = copy.copy(self.desk)
        desk.actor = actor
        return desk

    def close(self) -> None:
        self.jobs.stop()
        self.state.close()
        for engine in self.engines.values():
            engine.dispose()


def open_service(settings: ServiceSettings) -> Service:
    """Open everything the service works with; the library's errors say what is wrong."""
    from registre.register.loader import load_register
    from registre.stores.connect import connect

    began = time.perf_counter()
    register = load_register(settings.register)
    unknown = sorted(set(settings.store_urls) - set(register.stores))
    if unknown:
        raise SettingsError(
            f"store_urls names {', '.join(unknown)}, which the register does not declare",
            hint=f"the register's stores: {', '.join(sorted(register.stores)) or 'none'}",
        )
    location = locate_state(settings.state_url, register_path=settings.register, register=register)
    engines: dict[str, Engine] = {}
    state = None
    try:
        for store_id in register.stores:
            engines[store_id] = connect(register, store_id, settings.store_urls.get(store_id))
        state = open_state(location)
        notes = []
        if settings.secret_key is None:
            secret = secrets.token_bytes(32)
            notes.append(
                "no secret_key is set: one-time codes sent before a restart will not work after "
                "it (set REGISTRE_SECRET_KEY)"
            )
        else:
            secret = settings.secret_key.get_secret_value().encode()
        if not settings.mail_enabled:
            notes.append(
                "no mail server is set: people cannot file requests through the API "
                "(set REGISTRE_SMTP_HOST and REGISTRE_MAIL_FROM)"
            )
        desk = RequestDesk(
            register,
            state,
            engines,
            out_dir=settings.letters_folder(),
            export_retention=Duration.parse(settings.export_retention),
            actor="registre-serve",
        )
        # the finder reflects each store's tables once, on first use, and keeps them; its cache
        # is not guarded, so fill it now, before the API's and the jobs' threads share it (two
        # threads reflecting at once left a request's query with two Table objects for one
        # table: "table name specified more than once", seen by the load benchmark)
        for graph in desk.finder.graphs_by_id.values():
            try:
                desk.finder.tables(graph)
            except RegistreError as error:  # a request says it again, with its context
                notes.append(f"store {graph.store_id}: {error.message}")
    except BaseException:
        if state is not None:
            state.close()
        for engine in engines.values():
            engine.dispose()
        raise
    service = Service(
        settings=settings,
        register=register,
        state=state,
        engines=engines,
        desk=desk,
        access=Access(state),
        codes=OneTimeCodes(state.engine, secret, settings),
        mailer=Mailer(settings),
        notes=notes,
    )
    service.jobs = Jobs(service)
    service.started_in = time.perf_counter() - began
    return service


def ready(service: Service) -> dict[str, Any]:
    """What ``/ready`` reports; raises the library's StateError when the state is unreachable."""
    head = service.state.audit.head()
    return {
        "ready": True,
        "register": {
            "version": service.register.policy.version,
            "stores": sorted(service.register.stores),
        },
        "state": {"url": service.state.url, "audit_entries": head[0] if head else 0},
        "jobs_backend": service.settings.jobs_backend,
        "mail": service.mailer.enabled,
    }
