"""What changed between two versions of a register, and whether people must be told.

:func:`diff_registers` compares two valid registers and returns :class:`Change` items in register
order. A change ``affects_rights`` when it widens what is done with people's data (a new
purpose, activity, data category, recipient or transfer, a longer retention, a weaker safeguard,
a changed legal basis, a right taken away): those call for telling the people concerned before
they take effect (seed 001 promises an email). The others are editorial. When a change cannot
be proved narrower (a retention rule whose clocks start at other events), it counts as widening:
a DPO reviews a false alarm in a minute, a missed notice is a breach of the promise.

Each change carries its description in French and English, written with the register's own
names, never its ids. The ``stores`` section (the mapping to databases) is not compared: it does
not change what people are told.

A change to people's rights is published as a new, dated version of the policy: people tell
versions apart by ``policy.version`` and ``policy.date``. :func:`must_bump` names those of the
two that still hold the previous policy's value, so the report can say to bump them first.
:func:`render_notice` writes the notice to the people themselves (``registre diff --notice``).
"""

from registre.diff.activities import ActivityDiffer
from registre.diff.change import Change, ChangeKind
from registre.diff.notice import render_notice
from registre.diff.report import must_bump, render_text
from registre.diff.sections import SectionDiffer
from registre.register.model import Register

__all__ = [
    "Change",
    "ChangeKind",
    "diff_registers",
    "must_bump",
    "render_notice",
    "render_text",
    "rights_changes",
]


class _Differ(ActivityDiffer, SectionDiffer):
    def run(self) -> list[Change]:
        self.organization()
        self.activities()
        self.flows("processors")
        self.flows("recipients")
        self.rights()
        self.cookies()
        self.breaches()
        self.texts()
        return self.changes


def diff_registers(old: Register, new: Register) -> list[Change]:
    """The changes from ``old`` to ``new``, in register order."""
    return _Differ(old, new).run()


def rights_changes(changes: list[Change]) -> list[Change]:
    return [c for c in changes if c.affects_rights]
