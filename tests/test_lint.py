"""The lint: each weakness a DPO would flag has its code, and a clean register has none."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from registre.lint import RULES, Severity, lint
from registre.register.loader import load_register
from registre.register.model import Register
from registre.register.references import check_references

ROOT = Path(__file__).resolve().parent.parent
REGISTRE = str(Path(sys.executable).parent / "registre")


def t(fr: str, en: str | None = None) -> dict[str, str]:
    return {"fr": fr, "en": en or fr}


USUAL_RIGHTS = ["access", "rectification", "erasure", "restriction", "objection", "portability"]


def minimal_register() -> dict[str, Any]:
    """A small valid register on which the lint finds nothing."""
    return {
        "registre": 1,
        "organization": {
            "name": "Exemple SAS",
            "address": {"street": "1 rue de la Paix", "postal_code": "75002", "city": "Paris"},
            "dpo": {"name": "Claire Moreau", "email": "dpo@exemple.fr"},
            "contact": {"email": "rgpd@exemple.fr"},
            "supervisory_authority": "cnil",
        },
        "policy": {"version": "1.0", "date": "2026-01-01"},
        "rights": {"offered": [*USUAL_RIGHTS, "post_mortem"]},
        "subjects": {"customer": {"name": t("Clients", "Customers")}},
        "activities": {
            "orders": {
                "name": t("Commandes", "Orders"),
                "purpose": t("Traiter les commandes.", "Process orders."),
                "legal_basis": "contract",
                "subjects": ["customer"],
                "data": ["identity", "contact"],
                "retention": {"r1": {"after": "3 years after contract_ended"}},
            }
        },
        "security": [t("Les données sont chiffrées.", "Data is encrypted.")],
    }


def apply(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted ``path``; ``None`` removes the key."""
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value


def build(edits: list[tuple[str, Any]]) -> Register:
    data = copy.deepcopy(minimal_register())
    for path, value in edits:
        apply(data, path, value)
    register = Register.model_validate(data)
    assert list(check_references(register)) == [], "the test register itself is invalid"
    return register


ORDERS = "activities.orders"
SUPPORT = {
    "name": t("Assistance", "Support"),
    "purpose": t("Répondre aux questions.", "Answer questions."),
    "legal_basis": "contract",
    "subjects": ["customer"],
    "data": ["contact"],
    "retention": {"r2": {"after": "1 year after collected"}},
}
ORDERS_STORE = (
    "stores",
    {
        "shop": {
            "url_env": "SHOP_URL",
            "tables": {
                "orders": {
                    "subject": "customer",
                    "identity": {"email": "email"},
                    "columns": {"email": "contact"},
                    "rules": ["r1"],
                }
            },
        }
    },
)
CONSENT_RIGHTS = [
    (
        "rights.offered",
        [
            "access",
            "rectification",
            "erasure",
            "restriction",
            "portability",
            "objection",
            "withdraw_consent",
            "post_mortem",
        ],
    ),
    ("rights.consent_withdrawal", t("Lien de désinscription.", "Unsubscribe link.")),
]
ALL_RIGHTS = [
    (
        "rights.offered",
        [
            "access",
            "rectification",
            "erasure",
            "restriction",
            "portability",
            "objection",
            "withdraw_consent",
            "automated_decision",
            "post_mortem",
        ],
    )
]
DECISION = {
    "description": t("Tri des demandes.", "Sorting requests."),
    "logic": t("Un modèle classe les e-mails.", "A model classifies emails."),
    "significance": t("Une demande mal classée attend.", "A misfiled request waits."),
    "safeguards": t("Un agent revoit tout tri contesté.", "Staff review any contested sorting."),
}
LI = [
    (f"{ORDERS}.legal_basis", "legitimate_interests"),
    (f"{ORDERS}.legitimate_interest", t("Prospecter.", "Prospecting.")),
]


def processor(country: str, safeguard: str | None = None, **extra: Any) -> dict[str, Any]:
    found = {
        "name": "Acme Inc",
        "service": t("Hébergement", "Hosting"),
        "country": country,
        "dpa": "https://acme.example/dpa",
        **extra,
    }
    if safeguard is not None:
        found["transfer"] = {"safeguard": safeguard}
    return found


def with_processor(proc: dict[str, Any]) -> list[tuple[str, Any]]:
    return [("processors", {"acme": proc}), (f"{ORDERS}.recipients", ["acme"])]


def with_recipient(country: str, safeguard: str) -> list[tuple[str, Any]]:
    recipient = {
        "name": t("Un partenaire", "A partner"),
        "kind": "partner",
        "country": country,
        "transfer": {"safeguard": safeguard},
    }
    return [("recipients", {"partner": recipient}), (f"{ORDERS}.recipients", ["partner"])]


def kept(category: str, after: str | list[str], **rule: Any) -> list[tuple[str, Any]]:
    return [
        (f"{ORDERS}.data", ["identity", category]),
        (f"{ORDERS}.retention", {"r1": {"after": after, **rule}}),
    ]


def cookie(category: str, lifetime: str = "6 months", **extra: Any) -> list[tuple[str, Any]]:
    return [
        (
            "cookies",
            {
                "c": {
                    "name": "_c",
                    "provider": "Exemple",
                    "category": category,
                    "purpose": t("Un usage.", "A use."),
                    "lifetime": lifetime,
                    **extra,
                }
            },
        ),
        ("rights.cookie_settings", "https://exemple.fr/cookies"),
    ]


EMPLOYEES = ("subjects.staff", {"name": t("Salariés", "Employees")})
REASON = {"reason": t("Preuve de la prestation.", "Proof of service.")}
REFERENCE = {"reference": t("Code de commerce", "Commercial Code")}
NEWSLETTER = [
    (f"{ORDERS}.name", t("Lettre d'information", "Newsletter")),
    (f"{ORDERS}.purpose", t("Envoyer nos actualités.", "Send our news.")),
]
AS_PROCESSOR = [
    (f"{ORDERS}.role", "processor"),
    (f"{ORDERS}.controller", {"kind": t("le client", "the client")}),
    ("breaches.notify_clients", True),
]

CASES: list[tuple[str, list[tuple[str, Any]], set[str]]] = [
    ("clean", [], set()),
    # retention
    ("no retention at all", [(f"{ORDERS}.retention", {})], {"RET001"}),
    ("a category left uncovered", [(f"{ORDERS}.retention.r1.data", ["identity"])], {"RET002"}),
    (
        "a rule without data covers every category",
        [
            (f"{ORDERS}.retention.r1.data", ["identity"]),
            (f"{ORDERS}.retention.r2", {"after": "1 year after contract_ended"}),
        ],
        set(),
    ),
    (
        "as long as needed",
        [
            (
                f"{ORDERS}.retention.r1",
                {"statement": t("Aussi longtemps que nécessaire.", "As needed.")},
            )
        ],
        {"RET003"},
    ),
    ("location 6 months", kept("location", "6 months after collected"), {"RET004"}),
    ("location 2 months", kept("location", "2 months after collected"), set()),
    ("location 60 days", kept("location", "60 days after collected"), set()),
    ("location, reason given", kept("location", "6 months after collected", **REASON), set()),
    (
        "location, only a count cap",
        [
            (f"{ORDERS}.data", ["location"]),
            (f"{ORDERS}.retention.r1", {"keep_last": {"count": 50, "per": t("par appareil")}}),
        ],
        {"RET004"},
    ),
    (
        "location, clock on another event",
        kept("location", "1 month after contract_ended"),
        {"RET004"},
    ),
    (
        "declared gps category",
        [
            ("data_categories", {"gps_points": {"name": t("Points GPS", "GPS points")}}),
            *kept("gps_points", "1 year after collected"),
        ],
        {"RET004"},
    ),
    ("applications 3 years", kept("application", "3 years after last_activity"), {"RET005"}),
    ("applications 2 years", kept("application", "2 years after last_activity"), set()),
    ("logs 2 years", kept("connection_logs", "2 years after collected"), {"RET006"}),
    ("logs 1 year", kept("connection_logs", "12 months after collected"), set()),
    (
        "logs 2 years with a reference",
        kept("connection_logs", "2 years after collected", **REFERENCE),
        set(),
    ),
    ("20 years", [(f"{ORDERS}.retention.r1.after", "20 years after contract_ended")], {"RET007"}),
    (
        "20 years with a reference",
        [(f"{ORDERS}.retention.r1", {"after": "20 years after contract_ended", **REFERENCE})],
        set(),
    ),
    ("10 years", [(f"{ORDERS}.retention.r1.after", "10 years after contract_ended")], set()),
    ("kept indefinitely", [(f"{ORDERS}.retention.r1", {"indefinite": True})], {"RET008"}),
    (
        "kept indefinitely with a reference",
        [(f"{ORDERS}.retention.r1", {"indefinite": True, **REFERENCE})],
        {"RET009"},
    ),
    # organization
    (
        "public body without a DPO",
        [("organization.public_body", True), ("organization.dpo", None)],
        {"CTC004"},
    ),
    ("public body with a DPO", [("organization.public_body", True)], set()),
    (
        "established in the US, no representative",
        [("organization.address.country", "US")],
        {"CTC005"},
    ),
    (
        "established in the US, a representative",
        [
            ("organization.address.country", "US"),
            ("organization.eu_representative", {"name": "Rep SARL", "email": "rep@exemple.fr"}),
        ],
        set(),
    ),
    ("NIR for orders", [(f"{ORDERS}.data", ["identity", "nir"])], {"SPC002"}),
    (
        "NIR for payroll",
        [(f"{ORDERS}.data", ["identity", "nir"]), (f"{ORDERS}.legal_basis", "legal_obligation")],
        set(),
    ),
    # commitments
    (
        "promise not to collect what an activity collects",
        [("commitments", [{"kind": "not_collected", "data": ["contact"]}])],
        {"CMT001"},
    ),
    (
        "promise not to collect what no activity collects",
        [("commitments", [{"kind": "not_collected", "data": ["location"]}])],
        set(),
    ),
    (
        "promise that data stays on the device, a column holds it",
        [ORDERS_STORE, ("commitments", [{"kind": "processed_locally", "data": ["contact"]}])],
        {"CMT002"},
    ),
    (
        "promise of one use, two activities",
        [
            ("activities.support", {**SUPPORT}),
            (
                "commitments",
                [
                    {
                        "kind": "used_only_for",
                        "data": ["contact"],
                        "purpose": t("vos commandes", "your orders"),
                    }
                ],
            ),
        ],
        {"CMT003"},
    ),
    ("promise not to sell", [("commitments", [{"kind": "not_sold"}])], set()),
    # transfers
    ("US processor without safeguard", with_processor(processor("US")), {"TRF001"}),
    ("US processor, safeguard none", with_processor(processor("US", "none")), {"TRF001"}),
    (
        "US processor under the Privacy Shield",
        with_processor(processor("US", "privacy_shield")),
        {"TRF002"},
    ),
    (
        "Irish processor still citing the Privacy Shield",
        with_processor(processor("IE", "privacy_shield")),
        {"TRF002"},
    ),
    ("US processor on a derogation", with_processor(processor("US", "derogation")), {"TRF003"}),
    ("US partner on a derogation", with_recipient("US", "derogation"), {"TRF004"}),
    ("adequacy claimed for the US", with_processor(processor("US", "adequacy")), {"TRF005"}),
    ("adequacy claimed for India", with_processor(processor("IN", "adequacy")), {"TRF005"}),
    ("adequacy for Japan", with_processor(processor("JP", "adequacy")), set()),
    ("dpf claimed for the UK", with_processor(processor("GB", "dpf")), {"TRF006"}),
    ("dpf for the US", with_processor(processor("US", "dpf")), set()),
    ("scc for China", with_processor(processor("CN", "scc")), set()),
    ("French processor", with_processor(processor("FR")), set()),
    ("hosted in the US, no processor there", [("organization.hosting", ["US"])], {"TRF007"}),
    (
        "hosted in the US by a declared processor",
        [("organization.hosting", ["US"]), *with_processor(processor("US", "scc"))],
        set(),
    ),
    # consent
    (
        "consent, nothing to withdraw it",
        [(f"{ORDERS}.legal_basis", "consent")],
        {"CNS001", "CNS002"},
    ),
    (
        "consent with channel and right",
        [(f"{ORDERS}.legal_basis", "consent"), *CONSENT_RIGHTS],
        set(),
    ),
    (
        "consent-based data in a store, nothing erases it on withdrawal",
        [(f"{ORDERS}.legal_basis", "consent"), *CONSENT_RIGHTS, ORDERS_STORE],
        {"CNS005"},
    ),
    (
        "consent-based data in a store, erased on withdrawal",
        [
            (f"{ORDERS}.legal_basis", "consent"),
            *CONSENT_RIGHTS,
            ORDERS_STORE,
            (
                f"{ORDERS}.retention.r1.after",
                ["3 years after contract_ended", "immediately after consent_withdrawn"],
            ),
        ],
        set(),
    ),
    (
        "consent or legitimate interests",
        [*LI, (f"{ORDERS}.legal_basis", ["consent", "legitimate_interests"]), *CONSENT_RIGHTS],
        {"CNS003"},
    ),
    (
        "employees' consent",
        [
            EMPLOYEES,
            (f"{ORDERS}.subjects", ["staff"]),
            (f"{ORDERS}.legal_basis", "consent"),
            *CONSENT_RIGHTS,
        ],
        {"CNS004"},
    ),
    (
        "employees' consent, as processor: the controller's choice",
        [
            EMPLOYEES,
            (f"{ORDERS}.subjects", ["staff"]),
            (f"{ORDERS}.legal_basis", "consent"),
            *AS_PROCESSOR,
        ],
        set(),
    ),
    # special categories
    ("health without condition", [(f"{ORDERS}.data", ["identity", "health"])], {"SPC001"}),
    (
        "health with condition",
        [
            (f"{ORDERS}.data", ["identity", "health"]),
            (f"{ORDERS}.special_condition", "health_care"),
        ],
        set(),
    ),
    # automated decisions
    (
        "decision without logic",
        [(f"{ORDERS}.automated_decision", {**DECISION, "logic": None}), *ALL_RIGHTS],
        {"ADM001"},
    ),
    (
        "decision without human intervention",
        [(f"{ORDERS}.automated_decision", DECISION)],
        {"ADM002"},
    ),
    (
        "decision without human intervention, as processor",
        [*AS_PROCESSOR, (f"{ORDERS}.automated_decision", DECISION)],
        {"ADM002"},
    ),
    (
        "decision on legitimate interests",
        [*LI, (f"{ORDERS}.automated_decision", DECISION), *ALL_RIGHTS],
        {"ADM003"},
    ),
    (
        "decision on health data",
        [
            (f"{ORDERS}.data", ["identity", "health"]),
            (f"{ORDERS}.special_condition", "health_care"),
            (f"{ORDERS}.automated_decision", DECISION),
            *ALL_RIGHTS,
        ],
        {"ADM004"},
    ),
    (
        "decision on health data with explicit consent",
        [
            (f"{ORDERS}.data", ["identity", "health"]),
            (f"{ORDERS}.special_condition", "explicit_consent"),
            (f"{ORDERS}.automated_decision", DECISION),
            *ALL_RIGHTS,
        ],
        set(),
    ),
    # cookies
    ("cookie of 25 months", cookie("statistics", "25 months"), {"CKE001"}),
    ("cookie of 13 months", cookie("statistics", "13 months"), set()),
    ("cookie of 390 days", cookie("statistics", "390 days"), set()),
    ("marketing cookie without consent", cookie("marketing", consent_required=False), {"CKE002"}),
    ("audience cookie without consent", cookie("statistics", consent_required=False), {"CKE003"}),
    (
        "exempt audience cookie, 13 months",
        cookie("statistics", "13 months", cnil_exempt=True),
        set(),
    ),
    (
        "exempt audience cookie, 2 years",
        cookie("statistics", "2 years", cnil_exempt=True),
        {"CKE001", "CKE004"},
    ),
    ("essential cookie without consent", cookie("essential", consent_required=False), set()),
    # contacts
    ("DPO without contact details", [("organization.dpo", {"name": "Claire Moreau"})], {"CTC001"}),
    ("no DPO, nothing sensitive", [("organization.dpo", None)], {"CTC003"}),
    (
        "no DPO with health data",
        [
            ("organization.dpo", None),
            (f"{ORDERS}.data", ["identity", "health"]),
            (f"{ORDERS}.special_condition", "health_care"),
        ],
        {"CTC002"},
    ),
    (
        "no DPO with location data",
        [("organization.dpo", None), *kept("location", "2 months after collected")],
        {"CTC002"},
    ),
    # rights
    (
        "restriction left out",
        [
            (
                "rights.offered",
                ["access", "rectification", "erasure", "portability", "objection", "post_mortem"],
            )
        ],
        {"RGT001"},
    ),
    (
        "portability left out on a contract",
        [
            (
                "rights.offered",
                ["access", "rectification", "erasure", "restriction", "objection", "post_mortem"],
            )
        ],
        {"RGT002"},
    ),
    (
        "portability left out, acting as processor",
        [
            *AS_PROCESSOR,
            (
                "rights.offered",
                ["access", "rectification", "erasure", "restriction", "objection", "post_mortem"],
            ),
        ],
        set(),
    ),
    (
        "objection left out on legitimate interests",
        [
            *LI,
            (
                "rights.offered",
                ["access", "rectification", "erasure", "restriction", "post_mortem"],
            ),
        ],
        {"RGT003"},
    ),
    (
        "objection left out on a newsletter",
        [
            *LI,
            *NEWSLETTER,
            (
                "rights.offered",
                ["access", "rectification", "erasure", "restriction", "post_mortem"],
            ),
        ],
        {"RGT004"},
    ),
    ("answers within 45 days", [("rights.response_deadline", "45 days")], {"RGT005"}),
    ("answers within 30 days", [("rights.response_deadline", "30 days")], set()),
    ("answers within 2 months", [("rights.response_deadline", "2 months")], {"RGT005"}),
    ("extension of 3 months", [("rights.extension", "3 months")], {"RGT006"}),
    # breaches
    ("breach notified in 96 hours", [("breaches.authority_notification_hours", 96)], {"BRH001"}),
    (
        "people never told of breaches",
        [("breaches.notify_subjects_when_high_risk", False)],
        {"BRH002"},
    ),
    (
        "processor not telling clients",
        [*AS_PROCESSOR, ("breaches.notify_clients", False)],
        {"BRH003"},
    ),
    ("controller only, clients not told", [("breaches.notify_clients", False)], set()),
    (
        "processor, no commitment to tell clients stated",
        [*AS_PROCESSOR[:2]],
        {"BRH004"},
    ),
    (
        "processor, a breaches section without the commitment",
        [*AS_PROCESSOR[:2], ("breaches.authority_notification_hours", 48)],
        {"BRH004"},
    ),
    (
        "processor promising clients 96 hours",
        [*AS_PROCESSOR, ("breaches.controller_notification_hours", 96)],
        {"BRH005"},
    ),
    (
        "processor, the delay to clients states the commitment",
        [*AS_PROCESSOR[:2], ("breaches.controller_notification_hours", 24)],
        set(),
    ),
    # processors
    (
        "processor activity without controller",
        [(f"{ORDERS}.role", "processor"), ("breaches.notify_clients", True)],
        {"PRC001"},
    ),
    ("joint controller without the other", [(f"{ORDERS}.role", "joint_controller")], {"PRC001"}),
    ("processor without DPA", with_processor(processor("FR", dpa=None)), {"PRC002"}),
    ("processor used by nothing", [("processors", {"acme": processor("FR")})], {"PRC003"}),
    (
        "recipient used by nothing",
        [("recipients", {"bank": {"name": t("La banque", "The bank"), "kind": "partner"}})],
        {"PRC003"},
    ),
    # security
    ("no security measure", [("security", [])], {"SEC001"}),
    # what the policy must state
    ("legal basis not stated", [(f"{ORDERS}.legal_basis", "not_stated")], {"STM001"}),
    ("processor country not stated", with_processor(processor("not_stated")), {"STM002"}),
    ("cookie lifetime not stated", cookie("essential", "not_stated"), {"STM003"}),
    ("no supervisory authority", [("organization.supervisory_authority", None)], {"STM004"}),
    ("no rights listed", [("rights.offered", None)], {"STM005"}),
    (
        "data promised to stay in France, processor in Germany",
        [("organization.data_stays_in", "FR"), *with_processor(processor("DE"))],
        {"STM006"},
    ),
    (
        "data promised to stay in the EEA, processor in Germany",
        [("organization.data_stays_in", "EEA"), *with_processor(processor("DE"))],
        set(),
    ),
    (
        "decision without consequences or safeguards",
        [(f"{ORDERS}.automated_decision", {**DECISION, "safeguards": None}), *ALL_RIGHTS],
        {"STM007"},
    ),
    (
        "French policy without post-mortem directives",
        [("rights.offered", USUAL_RIGHTS)],
        {"STM008"},
    ),
    (
        "consent cookie, nowhere to withdraw",
        [*cookie("statistics"), ("rights.cookie_settings", None)],
        {"STM009"},
    ),
]


@pytest.mark.parametrize(
    ("edits", "expected"), [(e, x) for _, e, x in CASES], ids=[name for name, _, _ in CASES]
)
def test_finding_codes(edits: list[tuple[str, Any]], expected: set[str]) -> None:
    assert {f.code for f in lint(build(edits))} == expected


def test_every_code_has_a_case() -> None:
    covered = set().union(*(expected for _, _, expected in CASES))
    assert covered == set(RULES)


def test_a_finding_says_where_what_and_why() -> None:
    register = build(
        [(f"{ORDERS}.retention.r1", {"statement": t("Tant que nécessaire.", "As long as needed.")})]
    )
    [found] = lint(register)
    assert found.location == ("activities", "orders", "retention", "r1", "statement")
    assert found.severity is Severity.error
    assert "“Orders”" in found.message and "“As long as needed”" in found.message
    assert found.reference.startswith("GDPR Art. 13(2)(a)")


@pytest.mark.parametrize(
    ("bases", "said"),
    [
        (["consent", "contract"], "relies on consent and a contract at once:"),
        (
            ["consent", "legitimate_interests", "legal_obligation"],
            "relies on consent, legitimate interests and a legal obligation at once:",
        ),
        (["public_task", "consent"], "relies on consent and a task in the public interest at"),
    ],
)
def test_consent_with_other_bases_names_them_in_a_sentence(bases: list[str], said: str) -> None:
    edits = [*LI, (f"{ORDERS}.legal_basis", bases), *CONSENT_RIGHTS]
    [found] = [f for f in lint(build(edits)) if f.code == "CNS003"]
    assert said in found.message


def test_a_statement_repeated_under_several_rules_is_quoted_once() -> None:
    vague = {"statement": t("Tant que nécessaire.", "As long as needed.")}
    legal = {"statement": t("Durée légale.", "The legal period.")}
    second = {
        "name": t("Factures", "Invoices"),
        "purpose": t("Facturer.", "Invoice."),
        "legal_basis": "legal_obligation",
        "subjects": ["customer"],
        "data": ["identity"],
        "retention": {"r2": vague, "r3": legal, "r4": legal},
    }
    register = build([(f"{ORDERS}.retention.r1", vague), ("activities.invoices", second)])
    messages = {f.location[-2]: f.message for f in lint(register) if f.code == "RET003"}
    assert set(messages) == {"r1", "r2", "r3", "r4"}
    assert "“As long as needed”" in messages["r1"]
    assert "“The legal period”" in messages["r3"]
    assert messages["r2"] == (
        "The retention of “Invoices” is stated only in the same words as that of “Orders”, "
        "which is not a period: give it clocks too."
    )
    assert messages["r4"] == (
        "The retention of “Invoices” is stated only in the same words as another of its "
        "rules, which is not a period: give it clocks too."
    )


def test_findings_are_sorted_by_location_then_code() -> None:
    register = build(
        [
            (f"{ORDERS}.legal_basis", "consent"),
            ("security", []),
            ("rights.response_deadline", "45 days"),
            ("breaches.authority_notification_hours", 96),
        ]
    )
    findings = lint(register)
    assert [f.code for f in findings] == ["BRH001", "CNS001", "CNS002", "RGT005", "SEC001"]
    assert findings == lint(register)


# -- documentation ----------------------------------------------------------------------------


def test_every_code_is_documented() -> None:
    docs = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^### ([A-Z]{3}\d{3})\b", docs, re.MULTILINE))
    assert documented == set(RULES)
    for code, rule in RULES.items():
        section = docs.split(f"### {code}", 1)[1].split("\n### ", 1)[0]
        assert rule.severity.value in section, code


def test_the_lint_emits_only_catalogued_codes() -> None:
    source = "".join(
        p.read_text(encoding="utf-8")
        for p in (ROOT / "src" / "registre" / "lint").glob("*.py")
        if p.name != "catalogue.py"
    )
    emitted = set(re.findall(r'finding\(\s*"([A-Z]{3}\d{3})"', source))
    assert emitted == set(RULES)


# -- the bundled examples ---------------------------------------------------------------------

EXAMPLES = ROOT / "examples"


def test_device_management_has_no_error() -> None:
    register = load_register(EXAMPLES / "device-management" / "register.yaml")
    errors = [f for f in lint(register) if f.severity is Severity.error]
    assert errors == []


SEED_WEAKNESSES = [
    ("scheduling-assistant", "RGT001"),  # seed 000: only access, rectification and erasure
    ("scheduling-assistant", "STM001"),  # ... and no legal basis stated at all
    ("scheduling-assistant", "STM004"),  # ... nor an authority to complain to
    ("meeting-assistant", "STM007"),  # seed 001: AI decisions, no consequences or safeguards
    ("booking-platform", "STM008"),  # seed 002: no post-mortem directives
    ("meeting-assistant", "RET003"),  # seed 001: "la durée de rétention... est définie afin de..."
    ("meeting-assistant", "TRF001"),  # ... "transférées dans des pays hors Union Européenne"
    ("meeting-assistant", "ADM002"),  # ... AI decisions, no human intervention offered
    ("booking-platform", "RGT001"),  # seed 002: no restriction right
    ("print-association", "TRF002"),  # seed 004: Gmail and Dropbox "agréés Privacy Shield"
    ("print-association", "CNS003"),  # ... "le consentement ... ou notre intérêt légitime"
    ("meeting-assistant", "BRH004"),  # seed 001: processor for its clients, no breach promise
]


@pytest.mark.parametrize(("example", "code"), SEED_WEAKNESSES)
def test_seed_weaknesses_are_found(example: str, code: str) -> None:
    path = EXAMPLES / example / "register.yaml"
    if not path.exists():
        pytest.skip(f"{path.relative_to(ROOT)} is not written yet")
    assert code in {f.code for f in lint(load_register(path))}


# -- the command ------------------------------------------------------------------------------


def write(tmp_path: Path, edits: list[tuple[str, Any]]) -> Path:
    data = copy.deepcopy(minimal_register())
    for path, value in edits:
        apply(data, path, value)
    target = tmp_path / "register.yaml"
    with target.open("w", encoding="utf-8") as stream:
        YAML().dump(data, stream)
    return target


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [REGISTRE, *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False
    )


VAGUE = [(f"{ORDERS}.retention.r1", {"statement": t("Tant que nécessaire.", "As needed.")})]
WARNING_ONLY = [("security", [])]


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_text_output_points_at_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, VAGUE)
    result = run("lint", "register.yaml", cwd=tmp_path)
    assert result.returncode == 1
    first, summary = result.stdout.splitlines()
    line = line_of(path, "statement:")
    assert re.fullmatch(
        rf"register\.yaml:{line}:\d+: RET003 error: .+ \(GDPR Art\. 13\(2\)\(a\).*\)", first
    ), first
    assert summary == "1 finding: 1 error"


@pytest.mark.parametrize(
    ("edits", "fail_on", "code"),
    [
        (WARNING_ONLY, "error", 0),
        (WARNING_ONLY, "warning", 1),
        (WARNING_ONLY, "info", 1),
        (VAGUE, "never", 0),
        (VAGUE, "error", 1),
        ([], "info", 0),
    ],
)
def test_exit_code_follows_fail_on(
    tmp_path: Path, edits: list[tuple[str, Any]], fail_on: str, code: int
) -> None:
    write(tmp_path, edits)
    assert run("lint", "register.yaml", "--fail-on", fail_on, cwd=tmp_path).returncode == code


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    write(tmp_path, [])
    result = run("lint", "register.yaml", "--format", "xml", cwd=tmp_path)
    assert result.returncode == 2
    assert "--format" in result.stderr


def test_a_register_that_does_not_load_prints_its_problems(tmp_path: Path) -> None:
    path = write(tmp_path, [(f"{ORDERS}.legal_basis", "whim")])
    result = run("lint", "register.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert f"register.yaml:{line_of(path, 'legal_basis:')}:" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_json_output(tmp_path: Path) -> None:
    write(tmp_path, [*VAGUE, ("security", [])])
    result = run("lint", "register.yaml", "--format", "json", cwd=tmp_path)
    findings = json.loads(result.stdout)
    places = [(f["file"], f["line"], f["column"]) for f in findings]
    assert places == sorted(places)
    assert {f["code"] for f in findings} == {"RET003", "SEC001"}
    assert set(findings[0]) == {
        "code",
        "severity",
        "title",
        "message",
        "reference",
        "file",
        "line",
        "column",
        "location",
    }


def test_sarif_is_valid_for_code_scanning(tmp_path: Path) -> None:
    path = write(tmp_path, [*VAGUE, ("security", [])])
    result = run("lint", "register.yaml", "--format", "sarif", cwd=tmp_path)
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    [sarif_run] = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "registre"
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(RULES)
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
        assert re.fullmatch(r"[A-Za-z0-9]+", rule["name"]), rule["name"]
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
    results = sarif_run["results"]
    assert {r["ruleId"] for r in results} == {"RET003", "SEC001"}
    for found in results:
        assert rules[found["ruleIndex"]]["id"] == found["ruleId"]
        assert found["level"] in {"error", "warning", "note"}
        assert found["message"]["text"]
        [location] = found["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "register.yaml"
        region = physical["region"]
        assert isinstance(region["startLine"], int) and region["startLine"] >= 1
        assert isinstance(region["startColumn"], int) and region["startColumn"] >= 1
    vague = next(r for r in results if r["ruleId"] == "RET003")
    assert vague["locations"][0]["physicalLocation"]["region"]["startLine"] == line_of(
        path, "statement:"
    )
