"""Data-subject requests: access, portability, erasure, rectification, restriction, objection.

The desk (:class:`RequestDesk`) opens requests, tracks their Art. 12(3) deadline, and
executes them across every mapped table; :func:`is_restricted` and :func:`has_objected` are
what a host application asks before using a person's data.
"""

from registre.requests.find import Finder, Found
from registre.requests.identity import build_identity
from registre.requests.lifecycle import RequestKind, RequestState, deadline
from registre.requests.restrict import has_objected, is_restricted
from registre.requests.service import RequestDesk
from registre.requests.store import SubjectRequest

__all__ = [
    "Finder",
    "Found",
    "RequestDesk",
    "RequestKind",
    "RequestState",
    "SubjectRequest",
    "build_identity",
    "deadline",
    "has_objected",
    "is_restricted",
]
