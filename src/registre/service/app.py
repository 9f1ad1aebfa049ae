"""The FastAPI application of ``registre serve``.

::

    from registre.service import create_app, load_settings

    app = create_app(load_settings(register="examples/online-shop"))

:func:`create_app` opens the service at once (register, state, stores: see
:mod:`registre.service.runtime`), so a wrong setting is raised here, before a server listens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from registre import __version__
from registre.service import errors, web
from registre.service.routes import (
    access,
    audit,
    breaches,
    consent,
    enforcement,
    health,
    holds,
    jobs,
    public,
    register,
    request_files,
    requests,
    sweep_runs,
)
from registre.service.runtime import Service, open_service
from registre.service.settings import ServiceSettings

ROUTERS = [
    health.router,
    public.router,
    requests.router,
    holds.router,
    enforcement.router,
    audit.router,
    register.router,
    access.router,
    jobs.router,
    request_files.router,
    sweep_runs.router,
    breaches.router,
]


def create_app(settings: ServiceSettings | Service) -> FastAPI:
    """The application over an opened service; given settings, it opens the service first."""
    running = settings if isinstance(settings, Service) else open_service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        running.jobs.start()  # the worker threads (in-process), the schedules, lost jobs
        yield
        running.close()

    app = FastAPI(
        title="registre",
        version=__version__,
        summary="A GDPR register of processing activities, enforced: the service's JSON API.",
        lifespan=lifespan,
    )
    app.state.service = running
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    consent.install(app)  # the cookie banner's choices (issue 16 §4), open to other origins
    web.install(app, running)  # the privacy center and the console (issue 15)
    return app
