"""registre: a GDPR register of processing activities, enforced.

The public Python API. Everything else in the package is an implementation detail that may
change between versions::

    register = registre.load_register("register.yaml")
    findings = registre.lint(register)
    html = registre.render_policy(register, "fr", "html")
    state = registre.open_state(register="register.yaml")  # found beside the register
    requests = registre.RequestDesk(...)  # data-subject requests
    report = registre.sweep(register, state)  # retention sweep

docs/library.md shows a host application using each of them.
"""

import sys as _sys
import types as _types
import typing as _typing

if _typing.TYPE_CHECKING:
    from registre._exceptions import (
        AuditError,
        DocumentError,
        ErasureStepError,
        MappingError,
        Problem,
        RegisterError,
        RegistreError,
        RequestError,
        StateError,
        StoreError,
    )
    from registre.diff import Change, ChangeKind, diff_registers
    from registre.documents import describe_retention, render_policy, write_ropa
    from registre.durations import Duration
    from registre.lint import Finding, Severity, lint
    from registre.register.loader import load_register
    from registre.register.model import ProcessingActivity, Register, RetentionRule
    from registre.requests import (
        RequestDesk,
        RequestKind,
        RequestState,
        SubjectRequest,
        has_objected,
        is_restricted,
    )
    from registre.retention import plan, sweep
    from registre.retention_report import (
        Plan,
        PlannedRule,
        PlannedStore,
        SweepInterrupted,
        SweepReport,
        SweptRule,
    )
    from registre.state import EngineState, open_state
    from registre.stores import MappingProblem, check_mapping
    from registre.stores.connect import connect

# Imported on first use (PEP 562), not with the package: `registre --help` would otherwise wait
# about 0.6 s for SQLAlchemy, Alembic, Jinja2 and the Pydantic models it never uses. A new
# export goes in the TYPE_CHECKING block above (for type checkers) and here.
_EXPORTS = {
    "AuditError": "registre._exceptions",
    "DocumentError": "registre._exceptions",
    "ErasureStepError": "registre._exceptions",
    "MappingError": "registre._exceptions",
    "Problem": "registre._exceptions",
    "RegisterError": "registre._exceptions",
    "RegistreError": "registre._exceptions",
    "RequestError": "registre._exceptions",
    "StateError": "registre._exceptions",
    "StoreError": "registre._exceptions",
    "Change": "registre.diff",
    "ChangeKind": "registre.diff",
    "diff_registers": "registre.diff",
    "describe_retention": "registre.documents",
    "render_policy": "registre.documents",
    "write_ropa": "registre.documents",
    "Duration": "registre.durations",
    "Finding": "registre.lint",
    "Severity": "registre.lint",
    "lint": "registre.lint",
    "load_register": "registre.register.loader",
    "ProcessingActivity": "registre.register.model",
    "Register": "registre.register.model",
    "RetentionRule": "registre.register.model",
    "RequestKind": "registre.requests",
    "RequestState": "registre.requests",
    "SubjectRequest": "registre.requests",
    "RequestDesk": "registre.requests",
    "has_objected": "registre.requests",
    "is_restricted": "registre.requests",
    "Plan": "registre.retention_report",
    "PlannedRule": "registre.retention_report",
    "PlannedStore": "registre.retention_report",
    "SweepInterrupted": "registre.retention_report",
    "SweepReport": "registre.retention_report",
    "SweptRule": "registre.retention_report",
    "plan": "registre.retention",
    "sweep": "registre.retention",
    "EngineState": "registre.state",
    "open_state": "registre.state",
    "MappingProblem": "registre.stores",
    "check_mapping": "registre.stores",
    "connect": "registre.stores",
}


class _Package(_types.ModuleType):
    def __setattr__(self, name: str, value: _typing.Any) -> None:
        # Importing the submodule registre.lint binds it on the package, which would hide the
        # function registre.lint that it exports.
        if name in _EXPORTS and isinstance(value, _types.ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> _typing.Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'registre' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next look-up is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


__version__ = "0.1.0"

__all__ = [
    "AuditError",
    "Change",
    "ChangeKind",
    "DocumentError",
    "Duration",
    "EngineState",
    "ErasureStepError",
    "Finding",
    "MappingError",
    "MappingProblem",
    "Plan",
    "PlannedRule",
    "PlannedStore",
    "Problem",
    "ProcessingActivity",
    "Register",
    "RegisterError",
    "RegistreError",
    "RequestDesk",
    "RequestError",
    "RequestKind",
    "RequestState",
    "RetentionRule",
    "Severity",
    "StateError",
    "StoreError",
    "SubjectRequest",
    "SweepInterrupted",
    "SweepReport",
    "SweptRule",
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
    "plan",
    "render_policy",
    "sweep",
    "write_ropa",
]
