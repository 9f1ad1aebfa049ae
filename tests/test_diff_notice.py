"""`registre diff --notice`: the notice to people of a new version of the policy (issue 12 §6).

Built on test_diff's small register; golden files in ``tests/golden/notice/``
(``REGISTRE_UPDATE_GOLDEN=1`` rewrites them after a deliberate change).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from _support import check_golden as golden
from registre._exceptions import RegistreError
from registre.cli import app
from registre.diff import diff_registers, render_notice
from test_diff import NEW_ACTIVITY, ORDERS, base, build, t

GOLDEN = Path(__file__).resolve().parent / "golden" / "notice"
URL = "https://exemple.fr/confidentialite"

CLIENT_SERVICE = {
    "name": t("Hébergement des fichiers clients", "Hosting of client files"),
    "purpose": t("Héberger les fichiers de nos clients.", "Host our clients' files."),
    "role": "processor",
    "controller": {"kind": t("l’entreprise cliente", "the client company")},
    "legal_basis": "contract",
    "subjects": ["subj_prospect"],
    "data": ["contact"],
    "retention": {"r4": {"after": "1 year after collected"}},
}


def check_golden(name: str, content: str) -> None:
    golden(GOLDEN / name, content)


def versions() -> tuple[object, object]:
    old = build([("activities.act_clients", CLIENT_SERVICE)])
    new = build(
        [
            ("activities.act_clients", {**CLIENT_SERVICE, "data": ["contact", "identity"]}),
            ("policy.version", "1.1"),
            ("policy.date", "2026-07-01"),
            (f"{ORDERS}.data", ["identity", "contact", "cat_loyalty", "payment"]),
            ("activities.act_contests", NEW_ACTIVITY),
            ("rights.response_deadline", "2 months"),
            (f"{ORDERS}.name", t("Achats", "Purchases")),  # editorial: not in the notice
        ]
    )
    return old, new


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_notice_says_when_who_what_and_where(lang: str) -> None:
    old, new = versions()
    text = render_notice(diff_registers(old, new), old, new, lang, URL)  # type: ignore[arg-type]
    check_golden(f"notice.{lang}.md", text)
    assert URL in text
    assert ("1er\u00a0juillet\u00a02026" if lang == "fr" else "July 1, 2026") in text
    assert ("### Clients" if lang == "fr" else "### Customers") in text
    assert "Achats" not in text.split("##")[0]  # the renaming is editorial
    people, clients = text.split("## Pour nos clients" if lang == "fr" else "## For our clients")
    assert ("article 28" if lang == "fr" else "Article 28") in clients
    assert ("Hébergement des fichiers" if lang == "fr" else "Hosting of client files") in clients
    assert ("Hébergement des fichiers" if lang == "fr" else "Hosting of client files") not in people


def test_notice_without_a_link_is_refused() -> None:
    old, new = versions()
    with pytest.raises(RegistreError, match="link to the new policy") as caught:
        render_notice(diff_registers(old, new), old, new, "en")  # type: ignore[arg-type]
    assert caught.value.hint == "give its address with --policy-url URL"


def test_diff_notice_command(tmp_path: Path) -> None:
    from ruamel.yaml import YAML

    import registre.cli.lint  # noqa: F401  (registers the command)

    yaml = YAML()
    old_data, new_data = base(), base()
    new_data["policy"] = {**new_data["policy"], "version": "1.1", "date": "2026-07-01"}
    new_data["activities"]["act_contests"] = NEW_ACTIVITY
    for name, data in (("old.yaml", old_data), ("new.yaml", new_data)):
        with (tmp_path / name).open("w", encoding="utf-8") as handle:
            yaml.dump(data, handle)
    result = CliRunner().invoke(
        app,
        [
            "diff",
            str(tmp_path / "old.yaml"),
            str(tmp_path / "new.yaml"),
            "--notice",
            "--lang",
            "en",
            "--policy-url",
            URL,
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Changes to our privacy policy\n")
    assert "“Contests”" in result.output and URL in result.output
