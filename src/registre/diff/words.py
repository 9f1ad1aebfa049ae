"""The words of the diff: GDPR vocabulary and a register's names, in French and English."""

from __future__ import annotations

from registre.durations import Duration
from registre.register.model import Clock, Lang, Register, RetentionRule, Text

# -- words ----------------------------------------------------------------------------------------

NBSP, NNBSP = "\u00a0", "\u202f"

BASES = {
    "consent": ("consentement", "consent"),
    "contract": ("exécution d’un contrat", "performance of a contract"),
    "legal_obligation": ("obligation légale", "legal obligation"),
    "vital_interests": ("intérêts vitaux", "vital interests"),
    "public_task": ("mission d’intérêt public", "public task"),
    "legitimate_interests": ("intérêt légitime", "legitimate interests"),
}
RIGHTS = {
    "access": ("droit d’accès", "right of access"),
    "rectification": ("droit de rectification", "right to rectification"),
    "erasure": ("droit à l’effacement", "right to erasure"),
    "restriction": ("droit à la limitation du traitement", "right to restriction of processing"),
    "portability": ("droit à la portabilité", "right to data portability"),
    "objection": ("droit d’opposition", "right to object"),
    "withdraw_consent": ("droit de retirer son consentement", "right to withdraw consent"),
    "automated_decision": (
        "droit de ne pas faire l’objet d’une décision automatisée",
        "right not to be subject to an automated decision",
    ),
    "post_mortem": (
        "droit de définir des directives post mortem",
        "right to give instructions for after death",
    ),
    "information": ("droit d’être informé", "right to be informed"),
    "notification": (
        "droit à la notification des destinataires",
        "right to have recipients notified",
    ),
}
SAFEGUARDS = {
    "adequacy": ("décision d’adéquation", "adequacy decision"),
    "scc": ("clauses contractuelles types", "standard contractual clauses"),
    "bcr": ("règles d’entreprise contraignantes", "binding corporate rules"),
    "dpf": ("EU-US Data Privacy Framework", "EU-US Data Privacy Framework"),
    "derogation": ("dérogation de l’article 49", "Art. 49 derogation"),
    "privacy_shield": ("Privacy Shield (invalidé)", "Privacy Shield (invalidated)"),
    "none": ("aucune garantie", "no safeguard"),
}
# Higher is stronger; a drop in rank is a weaker safeguard.
STRENGTH = {
    "adequacy": 4,
    "dpf": 4,
    "bcr": 3,
    "scc": 3,
    "derogation": 2,
    "privacy_shield": 1,
    "none": 0,
}
ROLES = {
    "controller": ("responsable du traitement", "controller"),
    "processor": ("sous-traitant", "processor"),
    "joint_controller": ("responsable conjoint", "joint controller"),
}
UNITS = {
    "days": ("jour", "jours"),
    "weeks": ("semaine", "semaines"),
    "months": ("mois", "mois"),
    "years": ("an", "ans"),
}


def quote(value: str, lang: Lang) -> str:
    return f"«{NBSP}{value}{NBSP}»" if lang == "fr" else f"“{value}”"


def say(value: Text | None, lang: Lang) -> str:
    """A register text in ``lang``, in the other language when it is missing there."""
    if value is None:
        return ""
    other: Lang = "en" if lang == "fr" else "fr"
    # registers are typed with straight apostrophes; the reports use the typographic one
    return str(getattr(value, lang) or getattr(value, other) or "").replace("'", "’")


def duration(value: Duration, lang: Lang) -> str:
    if lang == "en":
        return str(value)
    if value.is_zero:
        return "immédiatement"
    singular, plural = UNITS[value.unit]
    return f"{value.amount}{NBSP}{singular if value.amount == 1 else plural}"


def join(items: list[str], lang: Lang) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + (" et " if lang == "fr" else " and ") + items[-1]


def country(code: str, lang: Lang) -> str:
    from babel import Locale

    return str(Locale(lang).territories.get(code, code))


class Words:
    """Names of a register's things in a language."""

    def __init__(self, register: Register, lang: Lang) -> None:
        self.register, self.lang = register, lang

    def activity(self, activity_id: str) -> str:
        return quote(say(self.register.activities[activity_id].name, self.lang), self.lang)

    def categories(self, ids: list[str]) -> str:
        names = [say(self.register.data_category(c).name, self.lang) for c in ids]
        return join([quote(n, self.lang) for n in names], self.lang)

    def subjects(self, ids: list[str]) -> str:
        names = [say(self.register.subjects[s].name, self.lang) for s in ids]
        return join([quote(n, self.lang) for n in names], self.lang)

    def recipient(self, recipient_id: str) -> str:
        register = self.register
        if recipient_id in register.processors:
            return register.processors[recipient_id].name
        return say(register.recipients[recipient_id].name, self.lang)

    def clock(self, clock: Clock) -> str:
        event = say(self.register.event(clock.event).name, self.lang)
        after = "après" if self.lang == "fr" else "after"
        return f"{duration(clock.period, self.lang)} {after} {event}"

    def rule(self, rule: RetentionRule) -> str:
        fr = self.lang == "fr"
        if rule.indefinite:
            return "sans limitation de durée" if fr else "indefinitely"
        parts = [self.clock(c) for c in rule.after]
        if not parts and rule.keep_last is None:
            return quote(say(rule.statement, self.lang), self.lang)
        if len(parts) <= 1:
            limit = "".join(parts)
        else:
            limit = (
                " ou ".join(parts) + ", au premier terme échu"
                if fr
                else ", or ".join(parts) + ", whichever comes first"
            )
        if rule.keep_last is not None:
            count, per = rule.keep_last.count, say(rule.keep_last.per, self.lang)
            cap = (
                f"seuls les {count} derniers sont gardés {per}"
                if fr
                else f"only the last {count} are kept {per}"
            )
            limit = f"{limit}, {cap}" if limit else cap
        if rule.action == "anonymize":
            limit += ", puis anonymisées" if fr else ", then anonymized"
        return limit

    def rules(self, rules: list[RetentionRule]) -> str:
        if not rules:
            return "aucune durée" if self.lang == "fr" else "no period"
        separator = f"{NNBSP}; " if self.lang == "fr" else "; "
        return separator.join(self.rule(r) for r in rules)
