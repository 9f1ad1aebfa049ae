"""Every example register is valid, and the published JSON Schema accepts it.

Parametrized over ``examples/*/register.yaml``: a new example is covered without editing this
file. The schema is what editors validate against (``# yaml-language-server: $schema=...``), so
it must accept what ``registre check`` accepts, and reject a misspelt key as the loader does.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from registre.register.loader import load_register
from registre.register.schema import register_json_schema

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*/register.yaml"))
IDS = [path.parent.name for path in EXAMPLES]

# The seeds each example comes from; an example for a new seed is added here too.
SEED_EXAMPLES = {
    "scheduling-assistant",
    "meeting-assistant",
    "booking-platform",
    "device-management",
    "print-association",
}


def as_json(path: Path) -> Any:
    """The YAML file as the JSON an editor's validator sees (dates become strings)."""
    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))

    def default(value: object) -> str:
        if isinstance(value, dt.date):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    return json.loads(json.dumps(data, default=default))


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = register_json_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


# Examples written to be copied, not from a seed: compliant, so their lint says nothing at all.
CLEAN_EXAMPLES = {"online-shop"}


def test_every_seed_has_its_example() -> None:
    assert set(IDS) >= SEED_EXAMPLES | CLEAN_EXAMPLES


@pytest.mark.parametrize("name", sorted(CLEAN_EXAMPLES))
def test_an_example_to_copy_has_no_finding_and_matches_its_database(
    name: str, registre_cli: str, tmp_path: Path
) -> None:
    register = str(EXAMPLES_DIR / name / "register.yaml")
    url = f"sqlite:///{tmp_path / 'app.db'}"
    lint = subprocess.run(
        [registre_cli, "lint", register, "--fail-on", "info"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (lint.returncode, lint.stdout) == (0, "no findings\n")
    demo = [registre_cli, "demo-data", str(EXAMPLES_DIR / name), "--url", url, "--subjects", "50"]
    subprocess.run(demo, capture_output=True, timeout=120, check=True)
    store = next(iter(load_register(EXAMPLES_DIR / name / "register.yaml").stores.values()))
    check = subprocess.run(
        [registre_cli, "check", register, "--connect"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, store.url_env: url},
    )
    assert (check.returncode, check.stderr) == (0, "")
    assert "the database matches the mapping" in check.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_example_loads(path: Path) -> None:
    register = load_register(path)
    assert register.activities
    assert all(activity.retention for activity in register.activities.values())


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_example_passes_check(path: Path, registre_cli: str) -> None:
    result = subprocess.run(
        [registre_cli, "check", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"{path}: OK")


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_schema_accepts_example(path: Path, validator: jsonschema.protocols.Validator) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(as_json(path))
    ]
    assert errors == []


@pytest.mark.parametrize(
    ("mistake", "where"),
    [
        (lambda d: d["policy"].__setitem__("verison", "1"), "policy"),
        (
            lambda d: next(iter(d["activities"].values())).__setitem__("legal_basis", "contrat"),
            "activities",
        ),
        (lambda d: d.pop("organization"), ""),
    ],
    ids=["misspelt key", "bad enum value", "missing section"],
)
def test_schema_rejects_what_check_rejects(
    mistake: Any, where: str, validator: jsonschema.protocols.Validator
) -> None:
    data = as_json(EXAMPLES_DIR / "device-management" / "register.yaml")
    mistake(data)
    errors = list(validator.iter_errors(data))
    assert errors
    assert any("/".join(map(str, e.absolute_path)).startswith(where) for e in errors)


def test_schema_command_prints_the_schema(registre_cli: str) -> None:
    result = subprocess.run(
        [registre_cli, "schema"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema == json.loads(json.dumps(register_json_schema()))
    assert {
        "organization",
        "policy",
        "subjects",
        "activities",
        "processors",
        "recipients",
        "events",
        "data_categories",
        "cookies",
        "rights",
        "breaches",
        "security",
        "stores",
    } <= set(schema["properties"])
    assert set(schema["required"]) == {"organization", "policy", "subjects", "activities"}
