"""The service's jobs: a queue in the state database, tasks, backends, schedules, mail.

See :mod:`registre.service.jobs.backends` for the seam (:class:`~.backends.Jobs`) and
``docs/service.md`` ("Jobs") for how they run.
"""
