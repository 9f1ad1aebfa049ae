"""The draft of the notification to the CNIL, in French, with the fields its form asks.

The CNIL's online form (« Notifier une violation de données personnelles ») asks: who
notifies, whether the notification is initial, complete or complementary (Art. 33(4)), when
the breach was discovered, its nature and circumstances, the categories and approximate number
of people and of records, the likely consequences, the measures taken or proposed, whether
people are told, the DPO's contact, and for a late notification the reasons for the delay.
The draft fills in what the register of breaches knows and says what is still unknown; the DPO
copies it into the form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from registre.breaches import words
from registre.breaches.clocks import clock
from registre.breaches.model import Breach, Risk
from registre.breaches.risk import owed
from registre.register.model import Register

UNKNOWN = "inconnu à ce jour"


def draft(breach: Breach, register: Register, now: datetime) -> dict[str, Any]:
    """The draft as JSON (French text), the fields in the form's order."""
    org = register.organization
    counts = breach.counts or {}
    assessment = breach.assessment
    authority = clock(breach, register, "authority")
    due = authority.due if authority else None
    late = authority is not None and authority.late(now)
    unknown = [p.unknown for p in breach.phases if p.unknown]
    complete = bool(counts) and assessment is not None and not (unknown and unknown[-1])
    dpo = org.dpo
    return {
        "type": "complète" if complete else "initiale (informations communiquées par phases)",
        "organisme": {
            "nom": org.name,
            "siren": org.registration.number if org.registration else None,
            "adresse": f"{org.address.street}, {org.address.postal_code} {org.address.city}",
        },
        "contact_dpo": {
            "nom": dpo.name if dpo else None,
            "email": (dpo.email if dpo else None) or org.contact.email,
            "telephone": (dpo.phone if dpo else None) or org.phone,
        },
        "violation": {
            "reference_interne": breach.id,
            "prise_de_connaissance": words.moment(breach.aware_at, register, "fr"),
            "echeance_72_heures": words.moment(due, register, "fr") if due else None,
            "nature": [words.NATURES[n.value]["fr"] for n in breach.nature],
            "origine": breach.source or UNKNOWN,
            "systemes": list(breach.systems),
            "circonstances": [
                {"le": words.moment(p.at, register, "fr"), "faits": p.text} for p in breach.phases
            ],
        },
        "personnes_concernees": {
            "categories": {
                words.subject_name(register, s, "fr"): n
                for s, n in counts.get("people", {}).items()
            },
            "nombre_approximatif": sum(counts.get("people", {}).values()) if counts else None,
        },
        "enregistrements_concernes": {
            "categories": {
                words.category_name(register, c, "fr"): n
                for c, n in counts.get("records", {}).items()
            },
            "nombre_approximatif": sum(counts.get("rows", {}).values()) if counts else None,
        },
        "consequences_probables": (assessment.consequences if assessment else "") or UNKNOWN,
        "mesures_prises_ou_envisagees": (assessment.measures if assessment else "") or UNKNOWN,
        "evaluation_du_risque": {
            "niveau": _risk(assessment.risk) if assessment else "non encore évalué",
            "motifs": assessment.reasons if assessment else "",
        },
        "information_des_personnes": _people(breach),
        "justification_du_retard": _delay(breach) if late else None,
        "reste_inconnu": unknown[-1] if unknown else "",
    }


def _risk(risk: Risk) -> str:
    return {
        Risk.unlikely: "risque improbable pour les droits et libertés des personnes",
        Risk.risk: "risque pour les droits et libertés des personnes",
        Risk.high: "risque élevé pour les droits et libertés des personnes",
    }[risk]


def _people(breach: Breach) -> str:
    assessment = breach.assessment
    told = breach.notified("people")
    if told is not None:
        return f"informées le {told.at:%d/%m/%Y}"
    if assessment is not None and assessment.people_not_told_reason:
        return f"non informées (article 34(3))\u00a0: {assessment.people_not_told_reason}"
    if owed(assessment, processor=breach.processor).people:
        return "à informer dans les meilleurs délais (article 34)"
    return "non informées\u00a0: le risque n'est pas élevé (article 34(1))"


def _delay(breach: Breach) -> str:
    done = breach.notified("authority")
    return done.delay_reason if done and done.delay_reason else "à compléter avant l'envoi"


def markdown(data: dict[str, Any]) -> str:
    """The draft as Markdown, each of the form's fields under its heading."""
    org, dpo, v = data["organisme"], data["contact_dpo"], data["violation"]
    people, records = data["personnes_concernees"], data["enregistrements_concernes"]
    lines = [
        f"# Notification d'une violation de données personnelles — {v['reference_interne']}",
        "",
        "Brouillon à reporter dans le formulaire de la CNIL (notifications.cnil.fr).",
        "",
        f"**Type de notification\u00a0:** {data['type']}",
        "",
        "## Organisme",
        "",
        f"- Nom\u00a0: {org['nom']}",
        f"- SIREN\u00a0: {org['siren'] or 'non renseigné'}",
        f"- Adresse\u00a0: {org['adresse']}",
        f"- Contact (DPO)\u00a0: {', '.join(x for x in dpo.values() if x) or 'non renseigné'}",
        "",
        "## La violation",
        "",
        f"- Prise de connaissance\u00a0: {v['prise_de_connaissance']}",
        f"- Échéance de notification (72 heures)\u00a0: {v['echeance_72_heures'] or '—'}",
        f"- Nature\u00a0: {'; '.join(v['nature'])}",
        f"- Origine\u00a0: {v['origine']}",
        f"- Systèmes concernés\u00a0: {', '.join(v['systemes']) or 'non précisés'}",
        "",
        "### Circonstances",
        "",
        *[f"- {c['le']}\u00a0: {c['faits']}" for c in v["circonstances"]],
        "",
        "## Personnes et données concernées",
        "",
        f"- Nombre approximatif de personnes\u00a0: {_count(people['nombre_approximatif'])}",
        *[f"  - {name}\u00a0: {_count(n)}" for name, n in people["categories"].items()],
        f"- Nombre approximatif d'enregistrements\u00a0: {_count(records['nombre_approximatif'])}",
        *[f"  - {name}\u00a0: {_count(n)}" for name, n in records["categories"].items()],
        "",
        "## Conséquences probables",
        "",
        data["consequences_probables"],
        "",
        "## Mesures prises ou envisagées",
        "",
        data["mesures_prises_ou_envisagees"],
        "",
        "## Évaluation du risque",
        "",
        f"{data['evaluation_du_risque']['niveau']}"
        + (
            f"\u00a0: {data['evaluation_du_risque']['motifs']}"
            if data["evaluation_du_risque"]["motifs"]
            else ""
        ),
        "",
        "## Information des personnes",
        "",
        data["information_des_personnes"],
        "",
    ]
    if data["justification_du_retard"]:
        lines += ["## Justification du retard", "", data["justification_du_retard"], ""]
    if data["reste_inconnu"]:
        lines += ["## Ce qui reste inconnu", "", data["reste_inconnu"], ""]
    return "\n".join(lines)


def _count(value: int | None) -> str:
    return words.number(value, "fr") if value is not None else UNKNOWN
