"""The diff: each edit of a register gives the change a DPO expects, rights-affecting or not."""

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

from registre.diff import ChangeKind, diff_registers, must_bump, render_text
from registre.register.model import Register
from registre.register.references import check_references

REGISTRE = str(Path(sys.executable).parent / "registre")

# Ids chosen so that a raw id leaking into a description is easy to spot.
IDS = (
    "act_orders",
    "act_news",
    "subj_customer",
    "subj_prospect",
    "proc_acme",
    "proc_mailer",
    "rule_main",
    "cat_loyalty",
    "ck_audience",
)


def t(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


def base() -> dict[str, Any]:
    return {
        "registre": 1,
        "organization": {
            "name": "Exemple SAS",
            "address": {"street": "1 rue de la Paix", "postal_code": "75002", "city": "Paris"},
            "dpo": {"email": "dpo@exemple.fr"},
            "contact": {"email": "rgpd@exemple.fr"},
        },
        "policy": {"version": "1.0", "date": "2026-01-01", "notify_changes_by_email": True},
        "subjects": {
            "subj_customer": {"name": t("Clients", "Customers")},
            "subj_prospect": {"name": t("Prospects", "Prospects")},
        },
        "data_categories": {"cat_loyalty": {"name": t("Points de fidélité", "Loyalty points")}},
        "processors": {
            "proc_acme": {
                "name": "Acme SAS",
                "service": t("Hébergement", "Hosting"),
                "country": "FR",
            },
            "proc_mailer": {
                "name": "Mailer Inc",
                "service": t("Envoi d'e-mails", "Emailing"),
                "country": "US",
                "transfer": {"safeguard": "scc"},
            },
        },
        "activities": {
            "act_orders": {
                "name": t("Commandes", "Orders"),
                "purpose": t("Traiter les commandes.", "Process orders."),
                "legal_basis": "contract",
                "subjects": ["subj_customer"],
                "data": ["identity", "contact", "cat_loyalty"],
                "recipients": ["proc_acme"],
                "retention": {
                    "rule_main": {
                        "after": ["3 years after contract_ended", "1 year after last_activity"]
                    }
                },
            },
            "act_news": {
                "name": t("Lettre d'information", "Newsletter"),
                "purpose": t("Envoyer nos actualités.", "Send our news."),
                "legal_basis": "consent",
                "subjects": ["subj_customer"],
                "data": ["contact"],
                "recipients": ["proc_mailer"],
                "retention": {"r2": {"after": "3 years after last_activity"}},
            },
        },
        "cookies": {
            "ck_audience": {
                "name": "_pk_id",
                "provider": "Matomo",
                "category": "statistics",
                "purpose": t("Mesurer l'audience.", "Measure the audience."),
                "lifetime": "13 months",
            },
        },
    }


def build(edits: list[tuple[str, Any]]) -> Register:
    data = copy.deepcopy(base())
    for path, value in edits:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    register = Register.model_validate(data)
    assert list(check_references(register)) == [], "the test register itself is invalid"
    return register


ORDERS = "activities.act_orders"
RULE = f"{ORDERS}.retention.rule_main"
ALL_RIGHTS = ["access", "rectification", "erasure", "restriction", "objection", "portability"]
NEW_ACTIVITY = {
    "name": t("Jeux concours", "Contests"),
    "purpose": t("Organiser des jeux.", "Run contests."),
    "legal_basis": "consent",
    "subjects": ["subj_customer"],
    "data": ["contact"],
    "retention": {"r3": {"after": "1 year after collected"}},
}
R = True  # affects people's rights
E = False  # editorial

CASES: list[tuple[str, list[tuple[str, Any]], list[tuple[str, bool]]]] = [
    ("nothing", [], []),
    ("only the version and date", [("policy.version", "1.1"), ("policy.date", "2026-06-01")], []),
    ("new activity", [("activities.act_contest", NEW_ACTIVITY)], [("activity_added", R)]),
    (
        "activity discontinued",
        [("activities.act_news", None), ("processors.proc_mailer", None)],
        [("activity_removed", E), ("recipient_removed", E)],
    ),
    (
        "new purpose",
        [
            (
                f"{ORDERS}.purpose",
                t("Traiter et analyser les commandes.", "Process and analyse orders."),
            )
        ],
        [("purpose_changed", R)],
    ),
    ("renamed activity", [(f"{ORDERS}.name", t("Achats", "Purchases"))], [("text_changed", E)]),
    (
        "other legal basis",
        [
            (f"{ORDERS}.legal_basis", "legitimate_interests"),
            (f"{ORDERS}.legitimate_interest", t("Vendre.", "Selling.")),
        ],
        [("legal_basis_changed", R)],
    ),
    (
        "now a processor",
        [
            (f"{ORDERS}.role", "processor"),
            (f"{ORDERS}.controller", {"kind": t("le client", "the client")}),
        ],
        [("role_changed", R)],
    ),
    (
        "more people",
        [(f"{ORDERS}.subjects", ["subj_customer", "subj_prospect"])],
        [("subjects_added", R)],
    ),
    (
        "fewer people",
        [(f"{ORDERS}.subjects", ["subj_prospect"])],
        [("subjects_added", R), ("subjects_removed", E)],
    ),
    (
        "new data category",
        [(f"{ORDERS}.data", ["identity", "contact", "cat_loyalty", "payment"])],
        [("data_added", R)],
    ),
    ("data category dropped", [(f"{ORDERS}.data", ["identity", "contact"])], [("data_removed", E)]),
    (
        "period lengthened",
        [(f"{RULE}.after", ["5 years after contract_ended", "1 year after last_activity"])],
        [("retention_longer", R)],
    ),
    (
        "period shortened",
        [(f"{RULE}.after", ["2 years after contract_ended", "1 year after last_activity"])],
        [("retention_shorter", E)],
    ),
    (
        "a minimum period added",
        [(f"{RULE}.at_least", "2 years after contract_ended")],
        [("retention_longer", R)],
    ),
    (
        "deletion in stages added",
        [
            (
                f"{RULE}.stages",
                [{"stage": "trash", "after": "30 days"}, {"stage": "live", "after": "1 day"}],
            )
        ],
        [("retention_longer", R)],
    ),
    ("kept indefinitely", [(RULE, {"indefinite": True})], [("retention_longer", R)]),
    (
        "one of two clocks dropped",
        [(f"{RULE}.after", "3 years after contract_ended")],
        [("retention_longer", R)],
    ),
    (
        "a clock added",
        [
            (
                f"{RULE}.after",
                [
                    "3 years after contract_ended",
                    "1 year after last_activity",
                    "immediately after account_deleted",
                ],
            )
        ],
        [("retention_shorter", E)],
    ),
    (
        "clock moved to another event",
        [(f"{RULE}.after", ["3 years after account_deleted", "1 year after last_activity"])],
        [("retention_longer", R)],
    ),
    (
        "same periods in other units",
        [(f"{RULE}.after", ["36 months after contract_ended", "12 months after last_activity"])],
        [("retention_reworded", E)],
    ),
    (
        "anonymized instead of deleted",
        [(f"{RULE}.action", "anonymize")],
        [("retention_reworded", E)],
    ),
    (
        "a vague promise replaced by a period",
        [(f"{RULE}", {"statement": t("Tant que nécessaire.", "As long as needed.")})],
        None,
    ),
    (
        "a count cap added",
        [(f"{RULE}.keep_last", {"count": 10, "per": t("par client", "per customer")})],
        [("retention_shorter", E)],
    ),
    (
        "rule renamed, same limit",
        [
            (
                f"{ORDERS}.retention",
                {
                    "rule_renamed": {
                        "after": ["3 years after contract_ended", "1 year after last_activity"]
                    }
                },
            )
        ],
        [],
    ),
    (
        "a category split into its own rule, kept longer",
        [
            (f"{RULE}.data", ["identity", "contact"]),
            (
                f"{ORDERS}.retention.rule_points",
                {"data": ["cat_loyalty"], "after": "5 years after contract_ended"},
            ),
        ],
        [("retention_longer", R)],
    ),
    (
        "new processor in France",
        [
            (
                "processors.proc_new",
                {"name": "Nouvelle SAS", "service": t("Support", "Support"), "country": "FR"},
            ),
            (f"{ORDERS}.recipients", ["proc_acme", "proc_new"]),
        ],
        [("recipient_added", R)],
    ),
    (
        "new processor in the US",
        [
            (
                "processors.proc_new",
                {
                    "name": "Cloud Inc",
                    "service": t("Analyse", "Analytics"),
                    "country": "US",
                    "transfer": {"safeguard": "dpf"},
                },
            ),
            (f"{ORDERS}.recipients", ["proc_acme", "proc_new"]),
        ],
        [("recipient_added", R), ("transfer_added", R)],
    ),
    (
        "existing processor gets more data",
        [(f"{ORDERS}.recipients", ["proc_acme", "proc_mailer"])],
        [("sharing_added", R)],
    ),
    ("data no longer shared", [(f"{ORDERS}.recipients", [])], [("sharing_removed", E)]),
    (
        "processor moves to the US",
        [
            ("processors.proc_acme.country", "US"),
            ("processors.proc_acme.transfer", {"safeguard": "scc"}),
        ],
        [("transfer_added", R)],
    ),
    (
        "processor moves from the US to India",
        [("processors.proc_mailer.country", "IN")],
        [("transfer_added", R)],
    ),
    (
        "weaker safeguard",
        [("processors.proc_mailer.transfer.safeguard", "derogation")],
        [("transfer_weakened", R)],
    ),
    (
        "stronger safeguard",
        [("processors.proc_mailer.transfer.safeguard", "dpf")],
        [("transfer_changed", E)],
    ),
    (
        "right taken away",
        [("rights.offered", [r for r in ALL_RIGHTS if r != "portability"])],
        [("right_removed", R)],
    ),
    ("right added", [("rights.offered", [*ALL_RIGHTS, "post_mortem"])], [("right_added", E)]),
    ("slower answers", [("rights.response_deadline", "2 months")], [("deadline_longer", R)]),
    ("faster answers", [("rights.response_deadline", "15 days")], [("deadline_shorter", E)]),
    (
        "new cookie needing consent",
        [
            (
                "cookies.ck_ads",
                {
                    "name": "_ads",
                    "provider": "Ads",
                    "category": "marketing",
                    "purpose": t("Publicité.", "Advertising."),
                    "lifetime": "6 months",
                },
            )
        ],
        [("cookie_added", R)],
    ),
    (
        "new essential cookie",
        [
            (
                "cookies.ck_session",
                {
                    "name": "sid",
                    "provider": "Exemple",
                    "category": "essential",
                    "purpose": t("Session.", "Session."),
                    "lifetime": "1 day",
                },
            )
        ],
        [("cookie_added", E)],
    ),
    (
        "cookie lives longer",
        [("cookies.ck_audience.lifetime", "24 months")],
        [("cookie_changed", R)],
    ),
    (
        "cookie no longer asks consent",
        [("cookies.ck_audience.consent_required", False)],
        [("cookie_changed", R)],
    ),
    (
        "cookie lives shorter",
        [("cookies.ck_audience.lifetime", "6 months")],
        [("cookie_changed", E)],
    ),
    ("cookie removed", [("cookies", {})], [("cookie_removed", E)]),
    (
        "breach notified later",
        [("breaches.authority_notification_hours", 96)],
        [("breach_commitment_weakened", R)],
    ),
    ("other controller", [("organization.name", "Rachat SAS")], [("controller_changed", R)]),
    (
        "new DPO address",
        [("organization.dpo.email", "delegue@exemple.fr")],
        [("contact_changed", E)],
    ),
    ("hosted in the US", [("organization.hosting", ["US"])], [("transfer_added", R)]),
    (
        "automated decisions start",
        [
            (
                f"{ORDERS}.automated_decision",
                {"description": t("Détection de fraude.", "Fraud detection.")},
            )
        ],
        [("automated_decision_added", R)],
    ),
    (
        "data category reworded",
        [
            (
                "data_categories.cat_loyalty.name",
                t("Points de fidélité et niveau", "Loyalty points and tier"),
            )
        ],
        [("text_changed", E)],
    ),
    (
        "security reworded",
        [("security", [t("Chiffrement.", "Encryption.")])],
        [("text_changed", E)],
    ),
]


def _case(name: str) -> tuple[list[tuple[str, Any]], list[tuple[str, bool]] | None]:
    found = next(c for c in CASES if c[0] == name)
    return found[1], found[2]


@pytest.mark.parametrize(
    ("edits", "expected"),
    [(e, x) for _, e, x in CASES if x is not None],
    ids=[n for n, _, x in CASES if x is not None],
)
def test_change_kinds(edits: list[tuple[str, Any]], expected: list[tuple[str, bool]]) -> None:
    changes = diff_registers(build([]), build(edits))
    assert [(c.kind.value, c.affects_rights) for c in changes] == expected


def test_a_vague_promise_made_precise_is_not_a_longer_retention() -> None:
    edits, _ = _case("a vague promise replaced by a period")
    vague, precise = build(edits), build([])
    [change] = diff_registers(vague, precise)
    assert (change.kind, change.affects_rights) == (ChangeKind.retention_shorter, False)
    [change] = diff_registers(precise, vague)
    assert (change.kind, change.affects_rights) == (ChangeKind.retention_longer, True)


def test_every_kind_has_a_case() -> None:
    seen = {kind for _, _, expected in CASES if expected for kind, _ in expected}
    seen.add("retention_shorter")  # the vague-promise case, checked in its own test
    assert seen == {k.value for k in ChangeKind}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_descriptions_use_names_not_ids(lang: str) -> None:
    for name, edits, _ in CASES:
        for change in diff_registers(build([]), build(edits)) + diff_registers(
            build(edits), build([])
        ):
            text = change.describe(lang)  # type: ignore[arg-type]
            assert text, name
            leaked = [i for i in IDS if i in text]
            assert leaked == [], (name, text)


def test_french_descriptions_follow_french_typography() -> None:
    for name, edits, _ in CASES:
        for change in diff_registers(build([]), build(edits)):
            text = change.fr
            assert "'" not in text, (name, text)
            assert not re.search(r"[^\u00a0\u202f][:;!?](\s|$)", text), (name, text)
            assert not re.search(r"«[^\u00a0]|[^\u00a0]»", text), (name, text)


def test_report_for_a_dpo() -> None:
    old = build([])
    new = build(
        [
            ("policy.version", "1.1"),
            ("policy.date", "2026-07-01"),
            (f"{ORDERS}.data", ["identity", "contact", "cat_loyalty", "payment"]),
            (f"{ORDERS}.name", t("Achats", "Purchases")),
        ]
    )
    changes = diff_registers(old, new)
    assert render_text(changes, old, new, "en") == (
        "Exemple SAS — privacy policy 1.0 (January 1, 2026) → 1.1 (July 1, 2026)\n"
        "\n"
        "1 change affects people’s rights: tell the people concerned before they take effect.\n"
        "The policy promises to tell them by email.\n"
        "  - “Purchases” now also collects “Payment details”.\n"
        "\n"
        "1 editorial change:\n"
        "  - The processing activity “Orders” is renamed “Purchases”.\n"
    )
    nb = "\u00a0"
    assert render_text(changes, old, new, "fr") == (
        f"Exemple SAS — politique de confidentialité 1.0 (1er{nb}janvier{nb}2026) → 1.1 "
        f"(1er{nb}juillet{nb}2026)\n"
        "\n"
        f"1 changement touche aux droits des personnes{nb}: informez les personnes concernées "
        "avant leur entrée en vigueur.\n"
        "La politique promet de les en informer par e-mail.\n"
        f"  - Le traitement «{nb}Achats{nb}» collecte aussi{nb}: «{nb}Moyens de paiement{nb}».\n"
        "\n"
        f"1 changement rédactionnel{nb}:\n"
        f"  - Le traitement «{nb}Commandes{nb}» s’appelle désormais «{nb}Achats{nb}».\n"
    )


LONGER_DEADLINE = ("rights.response_deadline", "2 months")
RENAMED = (f"{ORDERS}.name", t("Achats", "Purchases"))


@pytest.mark.parametrize(
    ("edits", "bump", "en", "fr"),
    [
        (
            [LONGER_DEADLINE],
            ["version", "date"],
            "Before publishing, give the policy a new version and date: 1.0 and January 1, 2026 "
            "are those of the previous policy (policy.version, policy.date).",
            "Avant publication, donnez à la politique une nouvelle version et une nouvelle "
            "date\u00a0: 1.0 et 1er\u00a0janvier\u00a02026 sont celles de la politique "
            "précédente (policy.version, policy.date).",
        ),
        (
            [LONGER_DEADLINE, ("policy.version", "1.1")],
            ["date"],
            "Before publishing, give the policy a new date: January 1, 2026 is that of the "
            "previous policy (policy.date).",
            "Avant publication, donnez à la politique une nouvelle date\u00a0: "
            "1er\u00a0janvier\u00a02026 est celle de la politique précédente (policy.date).",
        ),
        (
            [LONGER_DEADLINE, ("policy.date", "2026-07-01")],
            ["version"],
            "Before publishing, give the policy a new version: 1.0 is that of the previous "
            "policy (policy.version).",
            "Avant publication, donnez à la politique une nouvelle version\u00a0: 1.0 est celle "
            "de la politique précédente (policy.version).",
        ),
        ([LONGER_DEADLINE, ("policy.version", "1.1"), ("policy.date", "2026-07-01")], [], "", ""),
        ([RENAMED], [], "", ""),  # editorial: the same version may be corrected in place
    ],
    ids=["neither bumped", "date not bumped", "version not bumped", "both bumped", "editorial"],
)
def test_rights_change_asks_for_a_new_version_and_date(
    edits: list[tuple[str, Any]], bump: list[str], en: str, fr: str
) -> None:
    old, new = build([]), build(edits)
    changes = diff_registers(old, new)
    assert must_bump(old, new, changes) == bump
    for lang, notice in (("en", en), ("fr", fr)):
        report = render_text(changes, old, new, lang)
        if notice:
            assert notice in report.splitlines(), report
        else:
            assert "Before publishing" not in report and "Avant publication" not in report


def test_no_change_report() -> None:
    register = build([])
    assert render_text([], register, register, "en").endswith("\nNo change.\n")
    assert render_text([], register, register, "fr").endswith("\nAucun changement.\n")


# -- the command ------------------------------------------------------------------------------


def write(path: Path, edits: list[tuple[str, Any]]) -> Path:
    register = build(edits)
    with path.open("w", encoding="utf-8") as stream:
        YAML().dump(register.model_dump(mode="json", exclude_defaults=True), stream)
    return path


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [REGISTRE, *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False
    )


PEOPLE = [(f"{ORDERS}.subjects", ["subj_customer", "subj_prospect"])]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"subj_prospect": ["contact"]}, {"subj_prospect": ["contact", "identity"]}, "data_added"),
        ({"subj_prospect": ["contact"]}, None, "data_added"),  # now about all of the data
        (
            {"subj_prospect": ["contact", "identity"]},
            {"subj_prospect": ["contact"]},
            "data_removed",
        ),
        (None, {"subj_customer": ["identity", "cat_loyalty"]}, "data_removed"),
    ],
)
def test_data_about_one_category_of_people(
    before: dict[str, list[str]] | None, after: dict[str, list[str]] | None, expected: str
) -> None:
    old = build([*PEOPLE, (f"{ORDERS}.data_by_subject", before)])
    new = build([*PEOPLE, (f"{ORDERS}.data_by_subject", after)])
    [change] = diff_registers(old, new)
    assert change.kind == expected
    assert change.affects_rights is (expected == "data_added")
    assert change.location[:3] == ("activities", "act_orders", "data_by_subject")
    for text in (change.fr, change.en):
        assert not any(raw in text for raw in IDS), text
    if expected == "data_added" and after is None:
        assert change.fr == (
            "Le traitement «\u00a0Commandes\u00a0» collecte aussi\u00a0: «\u00a0Identité (nom, "
            "prénom, civilité)\u00a0» et «\u00a0Points de fidélité\u00a0», pour la catégorie de "
            "personnes «\u00a0Prospects\u00a0»."
        )
        assert change.en == (
            "“Orders” now also collects “Identity (name, first name, title)” and “Loyalty points” "
            "about “Prospects”."
        )
    assert diff_registers(new, new) == []


@pytest.mark.parametrize(
    ("edits", "flag", "code"),
    [
        ([("rights.response_deadline", "2 months")], False, 0),
        ([("rights.response_deadline", "2 months")], True, 1),
        ([(f"{ORDERS}.name", t("Achats", "Purchases"))], True, 0),
        ([], True, 0),
    ],
)
def test_diff_exit_code(
    tmp_path: Path, edits: list[tuple[str, Any]], flag: bool, code: int
) -> None:
    write(tmp_path / "old.yaml", [])
    write(tmp_path / "new.yaml", edits)
    args = ["diff", "old.yaml", "new.yaml"] + (["--fail-on-rights-change"] if flag else [])
    assert run(*args, cwd=tmp_path).returncode == code


def test_diff_json_and_language(tmp_path: Path) -> None:
    write(tmp_path / "old.yaml", [])
    write(tmp_path / "new.yaml", [("rights.response_deadline", "2 months")])
    result = run("diff", "old.yaml", "new.yaml", "--format", "json", "--lang", "en", cwd=tmp_path)
    assert json.loads(result.stdout) == {
        "old": {"version": "1.0", "date": "2026-01-01"},
        "new": {"version": "1.0", "date": "2026-01-01"},
        "must_bump": ["version", "date"],
        "changes": [
            {
                "kind": "deadline_longer",
                "affects_rights": True,
                "location": ["rights", "response_deadline"],
                "description": "Time to answer requests: 2 months (formerly 1 month).",
            }
        ],
    }
    french = run("diff", "old.yaml", "new.yaml", cwd=tmp_path)  # the policy's first language
    assert "Délai de réponse aux demandes\u00a0: 2\u00a0mois" in french.stdout


def test_diff_of_a_register_that_does_not_load(tmp_path: Path) -> None:
    write(tmp_path / "old.yaml", [])
    (tmp_path / "new.yaml").write_text("organization: [\n", encoding="utf-8")
    result = run("diff", "old.yaml", "new.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert "new.yaml:" in result.stderr and "Traceback" not in result.stderr


def test_diff_reports_the_problems_of_both_versions(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text("registre: 1\npolicy: {date: 2026-02-30}\n")
    (tmp_path / "new.yaml").write_text("organization: [\n", encoding="utf-8")
    result = run("diff", "old.yaml", "new.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "new.yaml:2:1: YAML syntax error" in result.stderr
    assert "old.yaml:2:16: policy.date: '2026-02-30' is not a date that exists" in result.stderr
