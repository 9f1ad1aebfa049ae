"""The Celery application: one task, ``registre.job``, that runs a job of the state database.

Messages carry only a job id. Tasks are acknowledged late (after the job ran) and rejected back
to the broker when their worker is lost; either way the job is claimed in the state database
first, so a message delivered twice runs its job once. ``registre worker`` opens the service
(register, state, stores, mail) once per process and runs Celery's threads pool over it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from celery import Celery

if TYPE_CHECKING:
    from registre.service.runtime import Service
    from registre.service.settings import ServiceSettings

TASK_NAME = "registre.job"

_service: Service | None = None
"""The service this worker process opened (``registre worker``)."""


def make_app(settings: ServiceSettings) -> Celery:
    app = Celery("registre", broker=settings.jobs_broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.jobs_queue,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": settings.jobs_visibility_timeout},
        worker_hijack_root_logger=False,
    )

    @app.task(name=TASK_NAME, acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
    def run_job(job_id: str) -> Any:
        from registre.service.jobs import backends, tasks

        if _service is None:  # sent to a process that is not a registre worker
            raise RuntimeError("registre.job runs in `registre worker` only")
        return tasks.run(_service, job_id, backends.worker_name())

    return app


def serve(service: Service, concurrency: int, name: str | None = None) -> None:
    """Run a Celery worker over ``service`` until it is stopped (SIGTERM, Ctrl-C)."""
    global _service
    _service = service
    from registre.service.jobs.backends import CeleryBackend

    backend = service.jobs.backend
    assert isinstance(backend, CeleryBackend)
    service.jobs.start()  # the keeper: schedules, lost jobs
    argv = [
        "worker",
        "--pool=threads",
        f"--concurrency={concurrency}",
        f"--queues={service.settings.jobs_queue}",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
    ]
    if name:
        argv.append(f"--hostname={name}")
    try:
        backend.app.worker_main(argv)
    finally:
        service.jobs.stop()
