"""registre: a GDPR register of processing activities, enforced.

The public Python API. Everything else in the package is an implementation detail that may
change between versions.
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
from registre.durations import Duration
from registre.register.loader import load_register
from registre.register.model import ProcessingActivity, Register, RetentionRule

__version__ = "0.1.0"

__all__ = [
    "AuditError",
    "Duration",
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
    "__version__",
    "load_register",
]
