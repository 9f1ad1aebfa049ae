"""The ``registre request`` commands: data-subject requests and the host application's
questions about them.

Each group of commands is in its own module; they are imported here in the order
``registre request --help`` lists them:

* :mod:`registre.cli.request_handling`: open, verify, execute, extend, refuse, forward,
  instruct, lift;
* :mod:`registre.cli.request_checks`: is-restricted, has-objected;
* :mod:`registre.cli.request_records`: list, show, purge-exports.

What they share (the group, the desk, the identity options) is in
:mod:`registre.cli.request_desk`.
"""

from __future__ import annotations

# isort: off
from registre.cli import request_handling, request_checks, request_records
# isort: on

__all__ = ["request_checks", "request_handling", "request_records"]
