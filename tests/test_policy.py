"""The generated privacy policy: what every example's policy says, and how it is written.

Golden files in ``tests/golden/<example>/`` are the policies as a DPO would publish them; run
with ``REGISTRE_UPDATE_GOLDEN=1`` to rewrite them after a deliberate change, then read the diff.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from _support import check_golden
from registre import RegistreError
from registre.cli import app
from registre.documents import DocumentError, render_policy
from registre.register.loader import load_register
from registre.register.model import Register

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = sorted(ROOT.glob("examples/*/register.yaml"))


def policies() -> list[Any]:
    params = []
    for example in EXAMPLES:
        for lang in load_register(example).policy.languages:
            for fmt in ("md", "html"):
                params.append(
                    pytest.param(example, lang, fmt, id=f"{example.parent.name}-{lang}-{fmt}")
                )
    return params


@pytest.mark.parametrize(("example", "lang", "fmt"), policies())
def test_policy_matches_golden(example: Path, lang: str, fmt: str) -> None:
    text = render_policy(load_register(example), lang, fmt)  # type: ignore[arg-type]
    check_golden(GOLDEN / example.parent.name / f"policy.{lang}.{fmt}", text.encode("utf-8"))


@pytest.mark.parametrize(("example", "lang", "fmt"), policies())
def test_same_register_gives_the_same_bytes(example: Path, lang: str, fmt: str) -> None:
    first = render_policy(load_register(example), lang, fmt)  # type: ignore[arg-type]
    second = render_policy(load_register(example), lang, fmt)  # type: ignore[arg-type]
    assert first == second


# -- no register ids or YAML keys ------------------------------------------------------------


def _ids(register: Register) -> set[str]:
    ids = set(register.subjects) | set(register.data_categories) | set(register.events)
    ids |= set(register.processors) | set(register.recipients) | set(register.activities)
    ids |= set(register.cookies) | set(register.stores)
    ids |= {rule_id for _, rule_id, _ in register.rules()}
    ids |= {c for a in register.activities.values() for c in a.data}
    ids |= {clock.event for _, _, rule in register.rules() for clock in rule.after}
    return ids


def _keys(model: Any) -> set[str]:
    """Every YAML key of the register format that a person could mistake for prose."""
    from registre.register import reference_doc

    return {name for cls in reference_doc._models() for name in cls.model_fields if "_" in name}


@pytest.mark.parametrize(("example", "lang", "fmt"), policies())
def test_no_id_or_yaml_key_appears(example: Path, lang: str, fmt: str) -> None:
    register = load_register(example)
    text = render_policy(register, lang, fmt)  # type: ignore[arg-type]
    # Ids made of several words (account_deleted, payment-methods) cannot be prose.
    compound = {i for i in _ids(register) if "_" in i or "-" in i} | _keys(register)
    found = sorted(i for i in compound if re.search(rf"(?<![\w/.-]){re.escape(i)}(?![\w-])", text))
    assert found == []


def renamed(register: Register) -> tuple[Register, set[str]]:
    """The same register with every id it declares renamed to an unmistakable token."""
    data = register.model_dump(mode="json", exclude={"stores"})
    tokens: dict[tuple[str, str], str] = {}

    def new(kind: str, old: str) -> str:
        return tokens.setdefault((kind, old), f"zq{len(tokens)}x")

    kinds = {
        "subjects": "subject",
        "data_categories": "data",
        "events": "event",
        "processors": "recipient",
        "recipients": "recipient",
        "cookies": "cookie",
        "activities": "activity",
    }
    for section, kind in kinds.items():
        data[section] = {new(kind, k): v for k, v in data[section].items()}

    def ref(kind: str, old: str) -> str:
        # Built-in categories and events keep their ids: the taxonomy names them.
        return tokens.get((kind, old), old)

    for activity in data["activities"].values():
        activity["subjects"] = [ref("subject", s) for s in activity["subjects"]]
        activity["data"] = [ref("data", c) for c in activity["data"]]
        activity["data_by_subject"] = {
            ref("subject", subject): [ref("data", c) for c in categories]
            for subject, categories in activity["data_by_subject"].items()
        }
        activity["recipients"] = [ref("recipient", r) for r in activity["recipients"]]
        rules = {}
        for rule_id, rule in activity["retention"].items():
            rule["data"] = [ref("data", c) for c in rule["data"]]
            rule["after"] = [
                {**clock, "event": ref("event", clock["event"])} for clock in rule["after"]
            ]
            rules[new("rule", rule_id)] = rule
        activity["retention"] = rules
    return Register.model_validate(data), set(tokens.values())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.parent.name)
def test_no_declared_id_reaches_any_document(example: Path) -> None:
    from registre.documents import ropa_csv

    register, tokens = renamed(load_register(example))
    outputs = [
        render_policy(register, lang, fmt)
        for lang in register.policy.languages
        for fmt in ("md", "html")
    ]
    outputs += [
        content.decode("utf-8-sig")
        for lang in register.policy.languages
        for content in ropa_csv(register, lang).values()
    ]
    leaked = sorted({token for token in tokens for text in outputs if token in text})
    assert leaked == []


# -- HTML --------------------------------------------------------------------------------------


class Outline(HTMLParser):
    """Collects what an accessibility checker looks at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.headings: list[tuple[int, str]] = []
        self.tables = 0
        self.captions = 0
        self.th_without_scope = 0
        self.external: list[str] = []
        self._heading: int | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading, self._text = int(tag[1]), ""
        if tag == "table":
            self.tables += 1
        if tag == "caption":
            self.captions += 1
        if tag == "th" and attributes.get("scope") not in ("col", "row"):
            self.th_without_scope += 1
        if tag in ("script", "img", "link", "iframe") or "src" in attributes:
            self.external.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._heading is not None and tag == f"h{self._heading}":
            self.headings.append((self._heading, self._text.strip()))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._text += data


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    parser.close()
    return parser


@pytest.mark.parametrize(
    ("example", "lang", "fmt"), [p for p in policies() if p.values[2] == "html"]
)
def test_html_is_standalone_and_accessible(example: Path, lang: str, fmt: str) -> None:
    html = render_policy(load_register(example), lang, "html")  # type: ignore[arg-type]
    page = outline(html)
    assert page.lang == lang
    assert [level for level, _ in page.headings].count(1) == 1
    levels = [level for level, _ in page.headings]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in pairwise(levels)), levels
    assert page.tables == page.captions
    assert page.th_without_scope == 0
    assert page.external == []
    assert "@media print" in html
    assert "url(" not in html and "@import" not in html


FR_HEADINGS = [
    "Qui sommes-nous\u202f?",
    "Les données que nous collectons",
    "Pourquoi nous utilisons vos données",
    "Combien de temps nous conservons vos données",
    "Destinataires de vos données",
    "Transferts hors de l’Espace économique européen",
    "Sécurité de vos données",
    "Cookies et traceurs",
    "Vos droits",
    "Retrait de votre consentement",
    "Modifications de cette politique",
]


def test_device_management_policy_has_the_expected_sections() -> None:
    register = load_register(ROOT / "examples/device-management/register.yaml")
    page = outline(render_policy(register, "fr", "html"))
    sections = [text for level, text in page.headings if level == 2]
    assert sections == ["Sommaire", *FR_HEADINGS]
    assert page.headings[0] == (1, "Politique de confidentialité de Parcmobile SAS")


def test_html_and_markdown_escape_the_register_text() -> None:
    register = load_register(ROOT / "examples/device-management/register.yaml")
    data = register.model_dump(mode="json")
    data["activities"]["invoicing"]["name"] = {
        "fr": "<script>alert(1)</script> *gras* | x",
        "en": "<b>bold</b>",
    }
    hostile = Register.model_validate(data)
    html = render_policy(hostile, "fr", "html")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    markdown = render_policy(hostile, "fr", "md")
    assert r"\<script\>alert(1)\</script\> \*gras\* \| x" in markdown


# -- French and English as people write them ---------------------------------------------------


@pytest.mark.parametrize(("example", "lang", "fmt"), [p for p in policies() if p.values[1] == "fr"])
def test_french_typography(example: Path, lang: str, fmt: str) -> None:
    text = render_policy(load_register(example), "fr", fmt)  # type: ignore[arg-type]
    prose = re.sub(r"<style>.*?</style>|<[^>]+>|https?://\S+", " ", text, flags=re.S)
    assert not re.search(r"[ \u00a0][;:!?](\s|$)", prose), "ordinary space before ; : ! ?"
    assert not re.search(r"\w[;!?](\s|$)", prose), "no space before ; ! ?"
    assert not re.search(r"«(?!\u00a0)|(?<!\u00a0)»", prose), "« » without no-break spaces"
    assert "'" not in prose
    assert not re.search(r"\d[ \u00a0]?%", prose), "« 20 % » takes a narrow no-break space"
    assert not re.search(r"\b1 (ans|mois|jours)\b|\b[2-9]\d* (an|jour)\b", prose)


def test_unpublished_language_is_a_registre_error() -> None:
    register = load_register(ROOT / "examples/device-management/register.yaml")
    data = register.model_dump(mode="json")
    data["policy"]["languages"] = ["fr"]
    french_only = Register.model_validate(data)
    with pytest.raises(DocumentError, match="not published in 'en'") as caught:
        render_policy(french_only, "en", "md")
    assert isinstance(caught.value, RegistreError)
    assert "policy.languages" in caught.value.hint


def test_policy_command_writes_what_the_library_renders(tmp_path: Path) -> None:
    import registre.cli.documents  # noqa: F401  (registers the commands)

    example = ROOT / "examples/device-management/register.yaml"
    target = tmp_path / "politique.html"
    result = CliRunner().invoke(
        app, ["policy", str(example), "--lang", "fr", "--format", "html", "--output", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == render_policy(load_register(example), "fr", "html")
    result = CliRunner().invoke(app, ["policy", str(example), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.stdout == render_policy(load_register(example), "en", "md")


# -- consent -----------------------------------------------------------------------------------


def section(markdown: str, title: str) -> str:
    """The text of the level-2 section ``title`` of a Markdown policy."""
    start = markdown.index(f"## {title}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else None]


ANY_TIME = "Vous pouvez retirer votre consentement à tout moment."
LAWFUL = "Le retrait de votre consentement ne remet pas en cause la licéité du traitement"


@pytest.mark.parametrize(
    ("text", "any_time", "lawful"),
    [
        pytest.param(None, True, True, id="no text of its own: both facts"),
        pytest.param("Lien de désinscription.", True, True, id="only how: both facts"),
        pytest.param(
            "Vous pouvez retirer votre consentement à tout moment depuis votre compte.",
            False,
            True,
            id="says 'at any time': not twice",
        ),
        pytest.param(
            "Vous pouvez retirer votre consentement à tout moment depuis votre compte. Le retrait "
            "ne remet pas en cause la licéité du traitement effectué avant lui.",
            False,
            False,
            id="says both: ours left out",
        ),
        pytest.param(
            "Vous pouvez désactiver la localisation à tout moment.",
            True,
            True,
            id="'at any time' about something else: ours kept",
        ),
    ],
)
def test_consent_withdrawal_says_each_fact_once(
    text: str | None, any_time: bool, lawful: bool
) -> None:
    register = load_register(ROOT / "examples/device-management/register.yaml")
    data = register.model_dump(mode="json")
    data["rights"]["consent_withdrawal"] = None if text is None else {"fr": text, "en": text}
    consent = section(
        render_policy(Register.model_validate(data), "fr", "md"), "Retrait de votre consentement"
    )
    assert (ANY_TIME in consent) is any_time
    assert (LAWFUL in consent) is lawful
    if text is not None:
        assert consent.count(text) == 1


def test_consent_lists_only_the_activities_we_are_controller_of() -> None:
    register = load_register(ROOT / "examples/device-management/register.yaml")
    data = register.model_dump(mode="json")
    data["activities"]["service_accounts"]["legal_basis"] = ["consent"]
    assert data["activities"]["geolocation"]["role"] == "processor"
    assert "consent" in data["activities"]["geolocation"]["legal_basis"]
    consent = section(
        render_policy(Register.model_validate(data), "fr", "md"), "Retrait de votre consentement"
    )
    assert "«\u00a0Gestion des comptes clients\u00a0»" in consent
    assert "Géolocalisation" not in consent


# -- who we are --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "form", "fr", "en"),
    [
        ("Créneo SAS", {"fr": "SAS", "en": "SAS"}, "Créneo SAS", "Créneo SAS"),
        ("Créneo sas", {"fr": "SAS", "en": "SAS"}, "Créneo sas", "Créneo sas"),
        ("Parcmobile", {"fr": "SAS", "en": "SAS"}, "Parcmobile (SAS)", "Parcmobile (SAS)"),
        ("Basas", {"fr": "SAS", "en": "SAS"}, "Basas (SAS)", "Basas (SAS)"),
        (
            "Rendivo SAS",
            {"fr": "SAS au capital de 20 000 euros", "en": "company with a capital of EUR 20,000"},
            "Rendivo SAS (SAS au capital de 20\u202f000 euros)",
            "Rendivo SAS (company with a capital of EUR 20,000)",
        ),
        ("Imprim Solidaire", None, "Imprim Solidaire", "Imprim Solidaire"),
    ],
)
def test_legal_form_in_each_language_and_never_twice(
    name: str, form: dict[str, str] | None, fr: str, en: str
) -> None:
    register = load_register(ROOT / "examples/device-management/register.yaml")
    data = register.model_dump(mode="json")
    data["organization"]["name"] = name
    data["organization"]["legal_form"] = form
    changed = Register.model_validate(data)
    assert f"- Dénomination\u202f: {fr}\n" in render_policy(changed, "fr", "md")
    assert f"- Name: {en}\n" in render_policy(changed, "en", "md")


def test_no_cookie_section_is_made_up_from_silence() -> None:
    # An empty `cookies` may mean none or not stated (see sections_rights.cookies).
    register = load_register(ROOT / "examples/scheduling-assistant/register.yaml")
    assert register.cookies == {}
    for lang in ("fr", "en"):
        text = render_policy(register, lang, "md").lower()  # type: ignore[arg-type]
        assert "cookie" not in text


# -- what we collect ---------------------------------------------------------------------------


def test_each_group_of_people_is_shown_only_its_own_data() -> None:
    register = load_register(ROOT / "examples/scheduling-assistant/register.yaml")
    collected = section(render_policy(register, "fr", "md"), "Les données que nous collectons")
    users, attendees = collected.split("### Participants aux événements des agendas connectés")
    assert "jeton d’accès" in users
    assert "jeton d’accès" not in attendees
    assert "événements de l’agenda" in attendees


def test_without_data_by_subject_everyone_is_shown_all_the_data() -> None:
    register = load_register(ROOT / "examples/scheduling-assistant/register.yaml")
    data = register.model_dump(mode="json")
    del data["activities"]["scheduling"]["data_by_subject"]
    everyone = Register.model_validate(data)
    collected = section(render_policy(everyone, "fr", "md"), "Les données que nous collectons")
    assert collected.count("jeton d’accès") == 2


@pytest.mark.parametrize(
    ("data_by_subject", "message"),
    [
        ({"stranger": ["calendar_events"]}, "'stranger', which is not in this activity's subjects"),
        ({"attendee": ["location"]}, "'location', not in this activity's data"),
        ({"attendee": []}, "gives 'attendee' no data category"),
    ],
)
def test_data_by_subject_stays_within_the_activity(
    data_by_subject: dict[str, list[str]], message: str
) -> None:
    from pydantic import ValidationError

    register = load_register(ROOT / "examples/scheduling-assistant/register.yaml")
    data = register.model_dump(mode="json")
    data["activities"]["scheduling"]["data_by_subject"] = data_by_subject
    with pytest.raises(ValidationError, match=re.escape(message)):
        Register.model_validate(data)
