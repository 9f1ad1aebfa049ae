"""`registre check` on broken registers: every problem, where it is, what to do about it.

Each case edits a valid minimal register (``BASE``, whose line numbers are given in the
comment beside it) and lists the problems expected, exactly: line, column, a fragment of the
message and a fragment of the hint. A DPO reads these messages; they name keys as written in
the file and say what is accepted.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from registre._exceptions import RegisterError
from registre.register.loader import load_register

BASE = """\
registre: 1
organization:
  name: Exemple SAS
  registration: {kind: siren, number: "842619371"}
  address: {street: 1 rue de la Paix, postal_code: "75002", city: Paris}
  contact: {email: rgpd@exemple.fr}
policy:
  version: "1"
  date: 2026-01-01
  timezone: Europe/Paris
subjects:
  client:
    name: {fr: Clients, en: Clients}
events:
  closed:
    name: {fr: la clôture du compte, en: the closing of the account}
processors:
  host:
    name: Hébergeur SAS
    service: {fr: Hébergement, en: Hosting}
    country: FR
activities:
  service:
    name: {fr: Service, en: Service}
    purpose: {fr: Fournir le service., en: Provide the service.}
    legal_basis: contract
    subjects: [client]
    data: [identity, contact]
    recipients: [host]
    retention:
      accounts:
        data: [identity]
        after: 6 months after closed
      contacts:
        data: [contact]
        after: 1 year after closed
"""
# Line numbers of BASE: 3 organization.name, 4 registration, 9 date, 10 timezone,
# 13 subjects.client.name, 20 processors.host.service, 23 activities.service,
# 24 name, 25 purpose, 26 legal_basis, 27 subjects, 28 data, 29 recipients,
# 31 rule accounts, 32 its data, 33 its clock, 34 rule contacts, 36 its clock.

STORES = """\
stores:
  app:
    url_env: APP_DATABASE_URL
    tables:
      clients:
        subject: client
        columns: {name: identity}
        rules: [acounts]
"""

# (edits to BASE, [(line, column, message fragment, hint fragment), ...] in file order)
CASES = {
    "misspelt required key, one problem with the key it stands for": (
        [("    purpose: {", "    purpse: {")],
        [(25, 5, "unknown key 'purpse' in activities.service", "did you mean 'purpose'?")],
    ),
    "misspelt legal basis key": (
        [("legal_basis: contract", "legal_bassis: contract")],
        [(26, 5, "unknown key 'legal_bassis'", "did you mean 'legal_basis'?")],
    ),
    "misspelt required section": (
        [("subjects:\n  client:", "subjets:\n  client:")],
        [(11, 1, "unknown section 'subjets'", "did you mean 'subjects'?")],
    ),
    "missing required key, described in one line": (
        [("    legal_basis: contract\n", "")],
        [
            (
                23,
                3,
                "activities.service is missing the required key 'legal_basis'",
                "'legal_basis' holds: Art. 6(1) basis, or a list of them: consent, contract, "
                "legal_obligation, vital_interests, public_task, legitimate_interests.",
            )
        ],
    ),
    "unknown key next to a missing one it does not stand for": (
        [("    purpose: {", "    notes: {")],
        [
            (23, 3, "missing the required key 'purpose'", "Its purpose, in a sentence."),
            (25, 5, "unknown key 'notes' in activities.service", "valid keys here"),
        ],
    ),
    "unknown section": (
        [("processors:", "processeurs:")],
        [
            (17, 1, "unknown section 'processeurs'", "did you mean 'processors'?"),
            (
                29,
                18,
                "names the recipient 'host', which is not declared",
                "declare it under 'processors' or 'recipients:'",
            ),
        ],
    ),
    "duration in French": (
        [("after: 6 months after closed", "after: 6 mois after closed")],
        [
            (
                33,
                16,
                "retention.accounts.after: '6 mois' is not a duration",
                "write it as '15 days', '2 weeks', '6 months'",
            )
        ],
    ),
    "duration without a unit": (
        [("after: 6 months after closed", "after: 6 after closed")],
        [(33, 16, "retention.accounts.after: '6' is not a duration", "'P6M'")],
    ),
    "duration given as a bare number": (
        [
            (
                "  timezone: Europe/Paris\n",
                "  timezone: Europe/Paris\nrights:\n  response_deadline: 30\n",
            )
        ],
        [(12, 22, "rights.response_deadline: 30 has no unit", "write it as '15 days'")],
    ),
    "clock without its event": (
        [("after: 1 year after closed", "after: 1 year")],
        [
            (
                36,
                16,
                "retention.contacts.after: '1 year' is not a retention clock",
                "'<period> after <event id>'",
            )
        ],
    ),
    "bad enum value written without brackets": (
        [("legal_basis: contract", "legal_basis: contrat")],
        [
            (
                26,
                18,
                "activities.service.legal_basis: 'contrat' is not one of consent, contract,",
                "did you mean 'contract'?",
            )
        ],
    ),
    "bad enum value in a list": (
        [("legal_basis: contract", "legal_basis: [contract, legitimate_interest]")],
        [
            (
                26,
                29,
                "activities.service.legal_basis[1]: 'legitimate_interest' is not one of",
                "did you mean 'legitimate_interests'?",
            )
        ],
    ),
    "undeclared subject category": (
        [("subjects: [client]", "subjects: [clients]")],
        [
            (
                27,
                16,
                "activity 'service' names the data subject category 'clients', which is not "
                "declared",
                "did you mean 'client'? declare it under 'subjects:'",
            )
        ],
    ),
    "undeclared data category": (
        [("data: [identity, contact]", "data: [identity, contact, adresse]")],
        [
            (
                28,
                31,
                "names the data category 'adresse', which is not declared",
                "declare it under 'data_categories:'; declared (built-in ones included)",
            )
        ],
    ),
    "undeclared processor": (
        [("recipients: [host]", "recipients: [hosting]")],
        [(29, 18, "names the recipient 'hosting', which is not declared", "did you mean 'host'?")],
    ),
    "undeclared event": (
        [("after: 1 year after closed", "after: 1 year after closd")],
        [
            (
                36,
                16,
                "rule 'contacts' starts its clock at the event 'closd', which is not declared",
                "did you mean 'closed'? declare it under 'events:'",
            )
        ],
    ),
    "undeclared rule in a store mapping": (
        [("", STORES)],
        [
            (
                44,
                17,
                "table 'clients' applies the retention rule 'acounts', which no activity declares",
                "declared rules: accounts, contacts",
            )
        ],
    ),
    "rule covering a category its activity does not collect": (
        [("        data: [identity]", "        data: [billing]")],
        [
            (
                32,
                16,
                "rule 'accounts' covers 'billing', which activity 'service' does not collect",
                "the activity's 'data'",
            )
        ],
    ),
    "rule id used by two activities": (
        [
            (
                "      contacts:\n        data: [contact]\n        after: 1 year after closed\n",
                "  other:\n    name: {fr: Autre, en: Other}\n"
                "    purpose: {fr: Autre., en: Other.}\n"
                "    legal_basis: contract\n    subjects: [client]\n    data: [contact]\n"
                "    retention:\n      accounts:\n        after: 1 year after closed\n",
            )
        ],
        [
            (
                41,
                7,
                "retention rule id 'accounts' is already used by activity 'service'",
                "must be unique",
            )
        ],
    ),
    "missing English text": (
        [("name: {fr: Service, en: Service}", "name: {fr: Service}")],
        [(24, 5, "activities.service.name has no English text ('en')", "add 'en: ...'")],
    ),
    "missing French text": (
        [("service: {fr: Hébergement, en: Hosting}", "service: {en: Hosting}")],
        [(20, 5, "processors.host.service has no French text ('fr')", "add 'fr: ...'")],
    ),
    "text written in one language only": (
        [("name: {fr: Clients, en: Clients}", "name: Clients")],
        [
            (
                13,
                11,
                "subjects.client.name: expected a text in each language, found 'Clients'",
                "{fr: ..., en: ...}",
            )
        ],
    ),
    "invalid SIREN": (
        [('"842619371"', '"842619372"')],
        [
            (
                4,
                39,
                "organization.registration.number: '842619372' is not a valid SIREN number",
                "9 digits",
            )
        ],
    ),
    "bad time zone": (
        [("timezone: Europe/Paris", "timezone: Europe/Pari")],
        [
            (
                10,
                13,
                "policy.timezone: 'Europe/Pari' is not an IANA time zone",
                "such as Europe/Paris",
            )
        ],
    ),
    "number where a text is expected": (
        [('version: "1"', "version: 4.2")],
        [
            (
                8,
                12,
                "policy.version: expected a text, found 4.2",
                'write it between quotes, such as "4.2"',
            )
        ],
    ),
    "badly written date": (
        [("date: 2026-01-01", "date: 1er janvier 2026")],
        [(9, 9, "policy.date: expected a date, found '1er janvier 2026'", "YYYY-MM-DD")],
    ),
    "date with a month that does not exist": (
        [("date: 2026-01-01", "date: 2026-13-01")],
        [
            (
                9,
                9,
                "policy.date: '2026-13-01' is not a date that exists: there is no month 13",
                "YYYY-MM-DD",
            )
        ],
    ),
    "date with a day that does not exist": (
        [("date: 2026-01-01", "date: 2026-02-30")],
        [
            (
                9,
                9,
                "policy.date: '2026-02-30' is not a date that exists: February 2026 has 28 days",
                "YYYY-MM-DD",
            )
        ],
    ),
    "impossible date reported with the other problems": (
        [
            ("date: 2026-01-01", "date: 2026-04-31"),
            ("legal_basis: contract", "legal_basis: contrat"),
        ],
        [
            (9, 9, "'2026-04-31' is not a date that exists: April 2026 has 30 days", "YYYY-MM-DD"),
            (26, 18, "'contrat' is not one of", "did you mean 'contract'?"),
        ],
    ),
    "time that does not exist": (
        [("date: 2026-01-01", "date: 2026-01-01 25:00:00")],
        [(9, 9, "is not a date and time that exists: hour must be in 0..23", "YYYY-MM-DD")],
    ),
    "date given as a number": (
        [("date: 2026-01-01", "date: 20260101")],
        [(9, 9, "policy.date: expected a date, found 20260101", "YYYY-MM-DD")],
    ),
    "number too long to read": (
        [("registre: 1", "registre: " + "9" * 5000)],
        [(1, 11, "cannot be read as a whole number: it has 5000 digits", "between quotes")],
    ),
    "value tagged as a number that is not one": (
        [('version: "1"', "version: !!int un")],
        [(8, 12, "policy.version: 'un' cannot be read as a whole number", "between quotes")],
    ),
    "format version that is not 1": (
        [("registre: 1", "registre: 2")],
        [(1, 11, "registre: must be 1, found 2", "write 'registre: 1'")],
    ),
    "control character": (
        [("name: Exemple SAS", "name: Exemple\x07SAS")],
        [(3, 16, "the control character U+0007, which YAML does not allow", "delete it")],
    ),
    "lists nested too deep": (
        [("", "notes: " + "[" * 500 + "]" * 500 + "\n")],
        [(37, 107, "nested more than 100 levels deep", "never closed")],
    ),
    "second YAML document": (
        [("", "---\nnotes: x\n")],
        [(37, 1, "this '---' starts a second one", "remove the '---' line")],
    ),
    "problem in a mapping merged in with '<<'": (
        [
            (
                "  client:\n    name: {fr: Clients, en: Clients}\n",
                "  client: &person\n    name: {fr: Clients, en: Clients}\n"
                "  prospect:\n    <<: *person\n    nom: Prospects\n",
            )
        ],
        [(16, 5, "unknown key 'nom' in subjects.prospect", "valid keys here: description, name")],
    ),
    "id that is not an id": (
        [("      contacts:\n", "      Contacts:\n")],
        [(34, 7, "'Contacts' is not a valid id in activities.service.retention", "lower case")],
    ),
    "missing section": (
        [("subjects:\n  client:\n    name: {fr: Clients, en: Clients}\n", "")],
        [(1, 1, "the register has no 'subjects' section", "Categories of people")],
    ),
    "model errors and undeclared ids reported together": (
        [
            ("legal_basis: contract", "legal_basis: contrat"),
            ("subjects: [client]", "subjects: [clients]"),
            ("after: 1 year after closed", "after: 1 year after closd"),
        ],
        [
            (26, 18, "'contrat' is not one of", "did you mean 'contract'?"),
            (27, 16, "'clients', which is not declared", "did you mean 'client'?"),
            (36, 16, "the event 'closd', which is not declared", "did you mean 'closed'?"),
        ],
    ),
    "YAML syntax error": (
        [("name: {fr: Service, en: Service}", "name: {fr: Service: offert, en: Service}")],
        [
            (
                24,
                23,
                "YAML syntax error: expected ',' or '}', but got ':'",
                "quote a text that contains ':'",
            )
        ],
    ),
    "tab in the indentation": (
        [("    legal_basis: contract", "\tlegal_basis: contract")],
        [
            (
                26,
                1,
                "YAML syntax error: found character '\\t' that cannot start any token",
                "replace the tab by spaces",
            )
        ],
    ),
    "key written twice": (
        [("    legal_basis: contract\n", "    legal_basis: contract\n    legal_basis: consent\n")],
        [(27, 5, "the key 'legal_basis' is written twice in the same mapping", "keep one of them")],
    ),
    "a local tag": (
        [("    legal_basis: contract", "    legal_basis: !basis contract")],
        [(26, 18, "the tag !basis means nothing to registre", "a register takes no YAML tags")],
    ),
    # -- reproducers of the fault-and-abuse probe (issue 11): each raised a traceback --------
    "a standard YAML type a register never holds": (
        [("    legal_basis: contract", "    legal_basis: !!set contract")],
        [(26, 18, "the tag !!set means nothing to registre", "a register takes no YAML tags")],
    ),
    "a mapping among the languages": (
        [("  timezone: Europe/Paris\n", "  timezone: Europe/Paris\n  languages: [fr, {x: 1}]\n")],
        [(11, 19, "policy.languages[1]: a mapping is not one of fr, en", "one of the values")],
    ),
    "a mapping among a table's rule ids": (
        [("", STORES.replace("rules: [acounts]", "rules: [{account-data: 1}]"))],
        [
            (
                41,
                7,
                "stores.app.tables.clients: 'rules' is a list of rule ids, and one of its items "
                "is a mapping",
                "write rules: [rule-id, ...]",
            )
        ],
    ),
    "a retention of 10^40 months": (
        [("after: 6 months after closed", f"after: {10**40} months after closed")],
        [(33, 16, f"'{10**40} months' is longer than 200 years", "at most '200 years'")],
    ),
    "a retention of 3000 years": (
        [("after: 1 year after closed", "after: [3000 years after closed, 1 year after closed]")],
        [(36, 17, "after[0]: '3000 years' is longer than 200 years", "check for a typo")],
    ),
    "a cookie lifetime of 10^40 months": (
        [
            (
                "",
                "cookies:\n  audience:\n    name: _id\n    provider: Exemple\n"
                "    category: statistics\n    purpose: {fr: Mesurer., en: Measure.}\n"
                f"    lifetime: P{10**40}M\n",
            )
        ],
        [(43, 15, f"cookies.audience.lifetime: 'P{10**40}M' is longer than 200 years", "typo")],
    ),
    "hours to notify a breach of 10^45 (found by the fuzz campaign)": (
        [("", f"breaches:\n  authority_notification_hours: {10**45}\n")],
        [(38, 33, f"authority_notification_hours: {10**45} is too large", "at most 8760")],
    ),
    "a security measure without its English text (found by the fuzz campaign)": (
        [("", "security:\n  - {fr: Chiffrement des sauvegardes., heading: backup}\n")],
        [(38, 5, "security.0 has no English text ('en')", "add 'en: ...' to this text")],
    ),
    "an alias used inside what it names": (
        [("    data: [identity, contact]", "    data: &data [identity, *data]")],
        [(28, 11, "the alias *data is used inside the list or mapping it names", "write the")],
    ),
    "unclosed quote": (
        [('version: "1"', 'version: "1')],
        [
            (
                37,
                1,
                "YAML syntax error: found unexpected end of stream (while scanning a quoted "
                "scalar that starts at line 8, column 12)",
                "not closed",
            )
        ],
    ),
}


def edited(edits: list[tuple[str, str]]) -> str:
    text = BASE
    for old, new in edits:
        if old == "":
            text += new
            continue
        assert text.count(old) == 1, f"the edit {old!r} must match BASE exactly once"
        text = text.replace(old, new)
    return text


def problems_of(path: Path) -> list[tuple[int, int, str, str]]:
    with pytest.raises(RegisterError) as caught:
        load_register(path)
    assert {p.file for p in caught.value.problems} == {str(path)}
    return [(p.line, p.column, p.message, p.hint) for p in caught.value.problems]


def test_base_register_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(BASE, encoding="utf-8")
    register = load_register(path)
    assert list(register.activities["service"].retention) == ["accounts", "contacts"]


@pytest.mark.parametrize(("edits", "expected"), CASES.values(), ids=CASES.keys())
def test_problem_is_reported_where_it_is_written(
    tmp_path: Path, edits: list[tuple[str, str]], expected: list[tuple[int, int, str, str]]
) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(edited(edits), encoding="utf-8")
    found = problems_of(path)
    assert [(line, col) for line, col, _, _ in found] == [
        (line, col) for line, col, _, _ in expected
    ]
    for (_, _, message, hint), (_, _, message_part, hint_part) in zip(found, expected, strict=True):
        assert message_part in message
        assert hint_part in hint


def test_scalar_written_value_is_not_located_as_a_list_item(tmp_path: Path) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(
        edited(
            [
                ("legal_basis: contract", "legal_basis: contrat"),
                ("after: 6 months after closed", "after: 6 mois after closed"),
            ]
        )
    )
    messages = [message for _, _, message, _ in problems_of(path)]
    assert not any("[0]" in message or ".period" in message for message in messages), messages


# -- a register split over several files --------------------------------------------------------

PROCESSORS = """\
processors:
  host:
    name: Hébergeur SAS
    service: {fr: Hébergement, en: Hosting}
    country: FR
"""


def split_register(folder: Path) -> None:
    main, _, rest = BASE.partition("processors:\n")
    _, _, activities = rest.partition("activities:\n")
    folder.mkdir()
    (folder / "main.yaml").write_text(main + "activities:\n" + activities, encoding="utf-8")
    (folder / "processors.yaml").write_text(PROCESSORS, encoding="utf-8")


def test_folder_register_merges_its_files(tmp_path: Path) -> None:
    split_register(tmp_path / "reg")
    assert list(load_register(tmp_path / "reg").processors) == ["host"]


def test_duplicate_id_across_files_points_at_both(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    split_register(folder)
    (folder / "zz-more.yaml").write_text(PROCESSORS.replace("Hébergeur SAS", "Autre SAS"))
    with pytest.raises(RegisterError) as caught:
        load_register(folder)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column) == (str(folder / "zz-more.yaml"), 2, 3)
    assert problem.message == (
        f"'host' is declared twice in 'processors': here and in {folder / 'processors.yaml'}:2"
    )
    assert "unique across the files" in problem.hint


def test_single_section_written_in_two_files(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    split_register(folder)
    (folder / "zz-policy.yaml").write_text('policy:\n  version: "2"\n  date: 2026-02-01\n')
    with pytest.raises(RegisterError) as caught:
        load_register(folder)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column) == (str(folder / "zz-policy.yaml"), 1, 1)
    assert problem.message == f"section 'policy' is also written in {folder / 'main.yaml'}:7"


def test_problem_in_a_later_file_keeps_that_file_position(tmp_path: Path) -> None:
    folder = tmp_path / "reg"
    split_register(folder)
    (folder / "processors.yaml").write_text(PROCESSORS.replace("country: FR", "country: France"))
    with pytest.raises(RegisterError) as caught:
        load_register(folder)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.column) == (str(folder / "processors.yaml"), 5, 14)
    assert "not an ISO 3166 two-letter country code" in problem.message


# -- through the command line --------------------------------------------------------------------


def run_check(registre_cli: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [registre_cli, "check", path.name],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=path.parent,
        check=False,
    )


def test_cli_reports_every_problem_at_once_and_writes_nothing(
    tmp_path: Path, registre_cli: str
) -> None:
    path = tmp_path / "register.yaml"
    text = edited(
        [
            ("legal_basis: contract", "legal_basis: contrat"),
            ("subjects: [client]", "subjects: [clients]"),
            ('"842619371"', '"842619372"'),
            ("name: {fr: Service, en: Service}", "name: {fr: Service}"),
        ]
    )
    path.write_text(text, encoding="utf-8")
    before = sorted(tmp_path.rglob("*"))

    result = run_check(registre_cli, path)

    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert [line.split(": ", 1)[0] for line in lines if not line.startswith(" ")][:-1] == [
        "register.yaml:4:39",
        "register.yaml:24:5",
        "register.yaml:26:18",
        "register.yaml:27:16",
    ]
    assert "    hint: did you mean 'contract'?" in lines
    assert lines[-1] == "the register has 4 problems; nothing was written."
    assert sorted(tmp_path.rglob("*")) == before
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.yaml", None, "missing.yaml:1:1: no such file or folder"),
        ("register.yaml", "registre: 1\norganization: [\n", "register.yaml:3:1: YAML syntax error"),
        ("register.yaml", "- a\n- b\n", "register.yaml:1:1: a register file must be a mapping"),
        ("register.yaml", "registre\n", "register.yaml:1:1: a register file must be a mapping"),
        ("register.yaml", b"name: \xff\xfe\n", "register.yaml:1:1: the file is not UTF-8 text"),
        ("register.yaml", bytes(range(256)), "register.yaml:1:1: the file is not UTF-8 text"),
        ("reg", {}, "reg:1:1: the folder holds no .yaml or .yml file"),
        ("reg", {"notes.txt": "x"}, "reg:1:1: the folder holds no .yaml or .yml file"),
        (
            "reg",
            {"main.yaml": BASE.replace("2026-01-01", "2026-02-29")},
            "reg/main.yaml:9:9: policy.date: '2026-02-29' is not a date that exists",
        ),
        (
            "register.yaml",
            "a:\n" + "".join("  " * depth + "b:\n" for depth in range(1, 600)),
            "register.yaml:101:201: lists and mappings are nested more than 100 levels deep",
        ),
        (
            "register.yaml",
            # the "billion laughs": 9 lines standing for 10**9 values
            "laughs:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
            + "".join(f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]\n" for n in range(1, 9)),
            "register.yaml:2:7: the file's aliases (*name) expand to more than 200,000 values",
        ),
        (
            "register.yaml",
            # the same with a key written twice: ruamel's own message formatted the expanded
            # value (issue 11: 200 s and 12 GB)
            "laughs:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
            + "".join(f"  l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]\n" for n in range(1, 9))
            + "  l8: *l8\n",
            "register.yaml:2:7: the file's aliases (*name) expand to more than 200,000 values",
        ),
        (
            "register.yaml",
            "a: " + "x" * 1_000_000 + "\n",
            "register.yaml:1:1: the file is larger than 1,000,000 bytes",
        ),
        (
            "reg",
            {"a.yaml": "a: " + "x" * 600_000 + "\n", "b.yaml": "b: " + "x" * 600_000 + "\n"},
            "reg/b.yaml:1:1: with this file the register's files add up to more than 1,000,000",
        ),
    ],
    ids=[
        "no such file",
        "syntax error",
        "not a mapping",
        "a single word",
        "not UTF-8",
        "binary",
        "empty folder",
        "folder without YAML",
        "impossible date in a folder register",
        "indentation too deep",
        "aliases that expand to a billion values",
        "a key written twice among aliases that expand to a billion values",
        "a file over 1 MB",
        "a folder over 1 MB",
    ],
)
def test_cli_unreadable_register(
    tmp_path: Path,
    registre_cli: str,
    name: str,
    content: str | bytes | dict[str, str] | None,
    expected: str,
) -> None:
    path = tmp_path / name
    if isinstance(content, dict):
        path.mkdir()
        for file, text in content.items():
            (path / file).write_text(text, encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")

    result = run_check(registre_cli, path)

    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(expected), result.stderr


def test_cli_valid_register(tmp_path: Path, registre_cli: str) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(BASE, encoding="utf-8")
    result = run_check(registre_cli, path)
    assert (result.returncode, result.stderr) == (0, "")
    assert "OK" in result.stdout


def test_cli_lists_the_first_hundred_problems_and_counts_the_rest(
    tmp_path: Path, registre_cli: str
) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(BASE + "".join(f"extra_{n}: x\n" for n in range(300)), encoding="utf-8")

    result = run_check(registre_cli, path)

    assert result.returncode == 1
    located = [line for line in result.stderr.splitlines() if line.startswith("register.yaml:")]
    assert len(located) == 101
    assert located[-1] == "register.yaml:137:1: and 200 more problems from here on, not listed"
    assert result.stderr.endswith("the register has 300 problems; nothing was written.\n")


@pytest.mark.parametrize(
    "period", ["3000 years", f"{10**40} months"], ids=["3000 years", "10^40 months"]
)
@pytest.mark.parametrize(
    "command",
    [["policy"], ["ropa", "-o", "out"], ["plan", "--url", "sqlite://", "--at", "2026-11-01"]],
    ids=["policy", "ropa", "plan"],
)
def test_a_period_past_200_years_stops_every_command_at_the_register(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    period: str,
    command: list[str],
) -> None:
    """It passed check, then policy and ropa raised InvalidOperation and plan 'year -974'."""
    import sys

    from registre.cli import main

    path = tmp_path / "register.yaml"
    path.write_text(
        edited([("after: 6 months after closed", f"after: {period} after closed")]),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["registre", command[0], str(path), *command[1:]])
    with pytest.raises(SystemExit) as exited:
        main()
    printed = capsys.readouterr()
    assert exited.value.code == 1
    assert f"register.yaml:33:16: activities.service.retention.accounts.after: '{period}' is " in (
        printed.err
    )
    assert "longer than 200 years" in printed.err
    assert "Traceback" not in printed.err + printed.out
