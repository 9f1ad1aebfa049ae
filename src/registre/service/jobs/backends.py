"""Where jobs run: in-process (a thread pool inside ``registre serve``) or Celery workers.

:class:`Jobs` is the seam the API and the tasks use: :meth:`Jobs.submit` writes the job to the
state database, then hands its id to the backend. Both backends share the same task code
(:mod:`registre.service.jobs.tasks`) and the same *keeper*, a thread that every few seconds

- fires the schedules whose occurrence has come (one process fires it: see
  :mod:`registre.service.jobs.schedules`);
- hands on the jobs nobody carries: a retry whose time has come, a job whose worker died
  (its lease ran out), a job whose message a broker lost.

So the state database is the source of truth; a broker message is only a way to wake a worker,
and a job delivered twice runs once (:meth:`JobQueue.claim`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from registre._exceptions import RegistreError
from registre.service.jobs import schedules, tasks
from registre.service.jobs.queue import Job, JobQueue
from registre.state.db import utcnow

if TYPE_CHECKING:
    from registre.service.runtime import Service
    from registre.service.settings import ServiceSettings

log = logging.getLogger("registre.jobs")


class Backend(Protocol):
    name: str

    def dispatch(self, job_id: str, kind: str | None = None) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


MAIL_THREADS = 2
"""Threads of the in-process mail lane at least; as many as ``jobs_threads`` when more."""


def is_mail(kind: str | None) -> bool:
    return kind is not None and kind.startswith("mail.")


class InProcess:
    """Pools of threads in this process; nothing else to run.

    Two lanes: mail jobs (``mail.*``: a code, a letter) run on threads of their own, so that a
    person's code is never queued behind a sweep of an hour or a row of requests executing;
    the other jobs share ``jobs_threads`` threads. The mail lane has as many (two at least):
    each executed request sends a letter, so mail keeps pace with the work.
    """

    name = "in-process"

    def __init__(self, service: Service, threads: int, mail_threads: int | None = None) -> None:
        self.service = service
        self.threads = threads
        self.mail_threads = mail_threads or max(MAIL_THREADS, threads)
        self.pool: ThreadPoolExecutor | None = None
        self.mail_pool: ThreadPoolExecutor | None = None
        self.running: set[str] = set()
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            if self.pool is None:
                self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="registre-job")
            if self.mail_pool is None:
                self.mail_pool = ThreadPoolExecutor(
                    self.mail_threads, thread_name_prefix="registre-mail"
                )

    def stop(self) -> None:
        with self.lock:
            pools = (self.pool, self.mail_pool)
            self.pool = self.mail_pool = None
        for pool in pools:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def dispatch(self, job_id: str, kind: str | None = None) -> None:
        with self.lock:
            pool = self.mail_pool if is_mail(kind) else self.pool
            if job_id in self.running or pool is None:
                return  # not started, or stopping: the keeper of the next start hands it on
            self.running.add(job_id)
            try:
                pool.submit(self._run, job_id)
            except RuntimeError:  # shut down meanwhile
                self.running.discard(job_id)

    def _run(self, job_id: str) -> None:
        try:
            tasks.run(self.service, job_id, worker_name())
        except Exception:  # the job stays in the queue; the keeper hands it on again
            log.exception("job %s could not be run", job_id)
        finally:
            with self.lock:
                self.running.discard(job_id)


class CeleryBackend:
    """Celery workers (``registre worker``) behind Redis or RabbitMQ."""

    name = "celery"

    def __init__(self, settings: ServiceSettings) -> None:
        from registre.service.jobs.celery_app import make_app

        self.app = make_app(settings)
        self.queue = settings.jobs_queue

    def start(self) -> None:
        pass

    def stop(self) -> None:
        """Close the connections to the broker this process opened to send jobs."""
        self.app.close()

    def dispatch(self, job_id: str, kind: str | None = None) -> None:
        from registre.service.jobs.celery_app import TASK_NAME

        try:
            self.app.send_task(TASK_NAME, args=[job_id], queue=self.queue)
        except Exception as error:  # kombu's errors: the keeper sends it again later
            log.warning("job %s not sent to the broker (sent again later): %s", job_id, error)


class Jobs:
    """The jobs of a running service: queue them, run them, fire the schedules."""

    def __init__(self, service: Service, backend: Backend | None = None) -> None:
        settings = service.settings
        self.service = service
        self.settings = settings
        self.queue = JobQueue(
            service.state.engine,
            max_attempts=settings.jobs_attempts,
            retry_seconds=settings.jobs_retry_seconds,
            lease_seconds=settings.jobs_lease_seconds,
        )
        if backend is None:
            backend = (
                CeleryBackend(settings)
                if settings.jobs_backend == "celery"
                else InProcess(service, settings.jobs_threads)
            )
        self.backend = backend
        self.schedules = schedule_list(service)
        self.tz = ZoneInfo(service.register.policy.timezone)
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None

    def submit(
        self, kind: str, arguments: dict[str, Any], *, actor: str, key: str | None = None
    ) -> Job:
        """Queue a job and hand it to the backend; the job as queued (or the one of ``key``)."""
        job, new = self.queue.add(kind, arguments, actor=actor, key=key)
        if new:
            self.backend.dispatch(job.id, job.kind)
        return job

    def submit_in(
        self, connection: Any, kind: str, arguments: dict[str, Any], *, actor: str
    ) -> tuple[Job, bool]:
        """Queue inside the caller's transaction; call :meth:`dispatch` once it commits."""
        return self.queue.add_in(connection, kind, arguments, actor=actor)

    def dispatch(self, job: Job) -> None:
        self.backend.dispatch(job.id, job.kind)

    # -- the keeper ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the backend and the keeper thread (schedules, lost jobs)."""
        self.backend.start()
        if self._keeper is None:
            self._stop.clear()
            self._keeper = threading.Thread(target=self._keep, daemon=True, name="jobs-keeper")
            self._keeper.start()

    def stop(self) -> None:
        self._stop.set()
        if self._keeper is not None:
            self._keeper.join(timeout=10)
            self._keeper = None
        self.backend.stop()

    def tick(self) -> None:
        """One round of the keeper: fire what is due, hand on what nobody carries."""
        for job in schedules.fire_due(
            self.service.state.engine, self.queue, self.schedules, self.tz, utcnow()
        ):
            log.info("schedule fired: job %s (%s)", job.id, job.kind)
            self.backend.dispatch(job.id, job.kind)
        for job_id, kind in self.queue.to_dispatch(self.settings.jobs_redispatch_seconds):
            self.backend.dispatch(job_id, kind)

    def _keep(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except RegistreError as error:  # the state database blinked: next round
                log.warning("jobs keeper: %s", error.message)
            except Exception:
                log.exception("jobs keeper")
            self._stop.wait(self.settings.jobs_poll_seconds)


def schedule_list(service: Service) -> list[schedules.Schedule]:
    """The schedules the settings state: a sweep per store, the purge, the digest."""
    settings = service.settings
    found = [
        schedules.Schedule(f"sweep:{store}", schedules.parse_time(at), "sweep", {"store": store})
        for store, at in sorted(settings.sweep_schedule.items())
    ]
    if settings.purge_at:
        found.append(
            schedules.Schedule(
                "exports.purge", schedules.parse_time(settings.purge_at), "exports.purge"
            )
        )
    if settings.digest_at and settings.dpo_email:
        found.append(
            schedules.Schedule("reminders", schedules.parse_time(settings.digest_at), "reminders")
        )
    return found


__all__ = ["Backend", "CeleryBackend", "InProcess", "Jobs"]
