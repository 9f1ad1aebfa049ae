"""A register written back as YAML reads as the same register; a duration as the same duration.

``registre`` rewrites registers (migrations, editors, the API store them as JSON): what it
writes must load to exactly what it read, whatever short form the author used.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from registre.durations import Duration
from registre.register.loader import load_register
from registre.register.model import Clock, Register

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*/register.yaml"))


def dump_yaml(data: Any) -> str:
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, out)
    return out.getvalue()


def reload(register: Register, folder: Path) -> Register:
    path = folder / "written.yaml"
    path.write_text(dump_yaml(register.model_dump(mode="json")), encoding="utf-8")
    return load_register(path)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.parent.name for p in EXAMPLES])
def test_example_written_back_loads_to_the_same_register(path: Path, tmp_path: Path) -> None:
    register = load_register(path)
    again = reload(register, tmp_path)
    assert again == register
    assert again.model_dump(mode="json") == register.model_dump(mode="json")


def test_a_changed_register_does_not_compare_equal(tmp_path: Path) -> None:
    register = load_register(EXAMPLES[0])
    data = register.model_dump(mode="json")
    data["policy"]["version"] += "-changed"
    assert Register.model_validate(data) != register


# -- generated variations -------------------------------------------------------------------------

UNITS = ["days", "weeks", "months", "years"]
EVENTS = ["closed", "account_deleted", "last_activity", "contract_ended"]

durations = st.builds(Duration, st.integers(min_value=0, max_value=200), st.sampled_from(UNITS))


@st.composite
def period_texts(draw: st.DrawFn) -> tuple[str, Duration]:
    """A period as an author may write it, and the duration it means."""
    amount = draw(st.integers(min_value=0, max_value=120))
    unit = draw(st.sampled_from(UNITS))
    expected = Duration(amount, unit)  # type: ignore[arg-type]
    forms = [
        f"{amount} {unit}",
        f"{amount}{unit[0]}",
        f"P{amount}{unit[0].upper()}",
        f"{amount} {unit.upper()}",
    ]
    if amount == 1:
        forms.append(f"1 {unit[:-1]}")
    if amount == 0:
        forms.append("immediately")
    return draw(st.sampled_from(forms)), expected


@st.composite
def rules(draw: st.DrawFn) -> dict[str, Any]:
    clocks = draw(
        st.lists(st.tuples(period_texts(), st.sampled_from(EVENTS)), min_size=1, max_size=3)
    )
    after: Any = [f"{text} after {event}" for (text, _), event in clocks]
    if len(after) == 1 and draw(st.booleans()):
        after = after[0]  # one clock, written without brackets
    rule: dict[str, Any] = {"after": after}
    if draw(st.booleans()):
        rule["keep_last"] = {
            "count": draw(st.integers(1, 500)),
            "per": {"fr": "par appareil", "en": "per device"},
        }
    if draw(st.booleans()):
        rule["client_agreed"] = True
    rule["action"] = draw(st.sampled_from(["delete", "anonymize"]))
    return rule


def register_text(rule_list: list[dict[str, Any]], timezone: str, lifetime: str) -> str:
    data = {
        "registre": 1,
        "organization": {
            "name": "Exemple SAS",
            "address": {"street": "1 rue de la Paix", "postal_code": "75002", "city": "Paris"},
            "contact": {"email": "rgpd@exemple.fr"},
            "hosting": ["FR"],
        },
        "policy": {"version": "1", "date": "2026-01-01", "timezone": timezone},
        "subjects": {"client": {"name": {"fr": "Clients", "en": "Clients"}}},
        "events": {"closed": {"name": {"fr": "la clôture", "en": "the closing"}}},
        "activities": {
            "service": {
                "name": {"fr": "Service", "en": "Service"},
                "purpose": {"fr": "Fournir le service.", "en": "Provide the service."},
                "legal_basis": "contract",
                "subjects": ["client"],
                "data": ["identity"],
                "sources": ["data_subject"],
                "retention": {f"rule-{n}": rule for n, rule in enumerate(rule_list)},
            }
        },
        "cookies": {
            "session": {
                "name": "sid",
                "provider": "Exemple",
                "category": "essential",
                "purpose": {"fr": "Session.", "en": "Session."},
                "lifetime": lifetime,
            },
        },
    }
    return dump_yaml(data)


@settings(max_examples=60, deadline=None)
@given(
    rule_list=st.lists(rules(), min_size=1, max_size=3),
    timezone=st.sampled_from(["Europe/Paris", "UTC", "America/Montreal", "Pacific/Noumea"]),
    # a cookie living 'immediately' is refused by the model (it is never kept)
    lifetime=period_texts().filter(lambda text: not text[1].is_zero),
)
def test_generated_register_round_trips(
    rule_list: list[dict[str, Any]], timezone: str, lifetime: tuple[str, Duration]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "register.yaml"
        path.write_text(register_text(rule_list, timezone, lifetime[0]), encoding="utf-8")
        register = load_register(path)
        assert reload(register, Path(folder)) == register
    assert register.cookies["session"].lifetime == lifetime[1]
    assert len(register.rules()) == len(rule_list)


@given(period_texts(), st.sampled_from(EVENTS))
def test_clock_text_reads_as_its_period_and_event(
    written: tuple[str, Duration], event: str
) -> None:
    text, expected = written
    clock = Clock.model_validate(f"{text} after {event}")
    assert (clock.period, clock.event) == (expected, event)
    assert Clock.model_validate(str(clock)) == clock


@given(durations)
def test_duration_text_round_trips(duration: Duration) -> None:
    assert Duration.parse(str(duration)) == duration
    assert Duration.parse(duration.iso()) == duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("immediately", Duration(0, "days")),
        ("0 months", Duration(0, "days")),
        ("1 month", Duration(1, "months")),
        ("P6M", Duration(6, "months")),
        ("10 years", Duration(10, "years")),
        ("2 weeks", Duration(2, "weeks")),
    ],
)
def test_duration_is_written_as_it_reads(text: str, expected: Duration) -> None:
    parsed = Duration.parse(text)
    assert parsed == expected
    assert Duration.parse(str(parsed)) == parsed
