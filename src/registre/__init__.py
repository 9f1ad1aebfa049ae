"""registre: a GDPR register of processing activities, enforced.

The public Python API. Everything else in the package is an implementation detail that may
change between versions::

    register = registre.load_register("register.yaml")
    findings = registre.lint(register)
    html = registre.render_policy(register, "fr", "html")
    state = registre.open_state(register="register.yaml")  # found beside the register
    requests = registre.SubjectRequests(...)  # data-subject requests
"""

from registre._exceptions import (
    AuditError,
    MappingError,
    Problem,
    RegisterError,
    RegistreError,
    RequestError,
    StateError,
    StoreError,
)
from registre.diff import Change, diff_registers
from registre.documents import describe_retention, render_policy, write_ropa
from registre.durations import Duration
from registre.lint import Finding, lint
from registre.register.loader import load_register
from registre.register.model import ProcessingActivity, Register, RetentionRule
from registre.requests import SubjectRequests, has_objected, is_restricted
from registre.state import EngineState, open_state
from registre.stores import check_mapping, connect

__version__ = "0.1.0"

__all__ = [
    "AuditError",
    "Change",
    "Duration",
    "EngineState",
    "Finding",
    "MappingError",
    "Problem",
    "ProcessingActivity",
    "Register",
    "RegisterError",
    "RegistreError",
    "RequestError",
    "RetentionRule",
    "StateError",
    "StoreError",
    "SubjectRequests",
    "__version__",
    "check_mapping",
    "connect",
    "describe_retention",
    "diff_registers",
    "has_objected",
    "is_restricted",
    "lint",
    "load_register",
    "open_state",
    "render_policy",
    "write_ropa",
]
