"""The lint: what a seasoned DPO would flag in a register that loads.

:func:`lint` runs every check on a valid :class:`~registre.register.model.Register` and returns
its findings sorted by location then code. Each finding has a stable code listed in
:data:`RULES` and documented in ``docs/lint.md``. The lint does no I/O: the CLI locates the
findings in the YAML files.
"""

from __future__ import annotations

from registre.lint.accountability import (
    check_breaches,
    check_contacts,
    check_national_ids,
    check_processors,
    check_representative,
    check_security,
    check_special_categories,
)
from registre.lint.catalogue import RULES, Rule, Severity
from registre.lint.commitments import check_commitments
from registre.lint.consent import check_withdrawal_rules
from registre.lint.cookies import check_cookies
from registre.lint.finding import Finding, Loc
from registre.lint.retention import check_retention
from registre.lint.rights import check_automated_decisions, check_consent, check_rights
from registre.lint.statements import check_statements
from registre.lint.transfers import check_transfers
from registre.register.model import Register

CHECKS = (
    check_retention,
    check_transfers,
    check_consent,
    check_withdrawal_rules,
    check_special_categories,
    check_cookies,
    check_contacts,
    check_national_ids,
    check_representative,
    check_rights,
    check_automated_decisions,
    check_breaches,
    check_processors,
    check_security,
    check_statements,
    check_commitments,
)

__all__ = ["RULES", "Finding", "Loc", "Rule", "Severity", "lint"]


def lint(register: Register) -> list[Finding]:
    """Every finding on ``register``, sorted by location, then code, then message."""
    findings = [found for check in CHECKS for found in check(register)]
    return sorted(findings, key=Finding.sort_key)
