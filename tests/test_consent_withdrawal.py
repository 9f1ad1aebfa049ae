"""End to end on the online-shop example, on SQLite, PostgreSQL and MariaDB stores: Camille
subscribes to the newsletter with proof, unsubscribes with one click, her subscription is
erased by the erasure machinery (and nothing else of hers or anyone's), she gets the letter in
French, and her Art. 15 copy holds her consent history.

The meeting assistant's newsletter is tested the same way in test_consent_meeting_assistant.py;
the device-management example's only consent-based activity (geolocation) is one we carry out
for the client company, so its withdrawal goes to that client (the last test here).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from registre.consent import (
    consent_history,
    enforce_withdrawal,
    follow_link,
    has_consent,
    make_link,
    record_consent,
    withdraw_consent,
)
from registre.requests import RequestDesk
from registre.state import open_state
from test_online_shop import CAMILLE, shop_database, shop_register
from test_requests_fixtures import (  # noqa: F401  (fixtures are used by name)
    ANCHOR,
    fresh_server,
)

NOTICE = "Recevez chaque mois nos nouveautés. Désinscription en un clic dans chaque lettre."


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRE_HMAC_KEY", "consent-e2e-key-0123456789abcdef0123")


def _subscribed(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT lower(email), id FROM newsletter")).all()
    return {email: id_ for email, id_ in rows}


def _everything_but_newsletter(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("customers", "addresses", "orders", "logins", "support_requests")
        }


def test_a_newsletter_unsubscribe_erases_the_subscription_with_the_letter(
    fresh_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    register = shop_register()
    with shop_database(fresh_server) as engine:
        if CAMILLE not in _subscribed(engine):
            with engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "INSERT INTO newsletter (id, email, subscribed_at) "
                        "VALUES (999999, 'Camille.Martin@Example.fr', '2026-05-01 09:30:00')"
                    )
                )
        before = _subscribed(engine)
        others = _everything_but_newsletter(engine)
        with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
            record_consent(
                state,
                CAMILLE,
                "newsletter",
                method="form",
                register=register,
                notice_version=register.policy.version,
                notice_text=NOTICE,
            )
            assert has_consent(state, CAMILLE, "newsletter")
            link = make_link(state, CAMILLE, "newsletter", "https://lumen.example/unsubscribe")
            withdrawal = follow_link(state, link.url)
            assert not has_consent(state, CAMILLE, "newsletter")

            desk = RequestDesk(
                register, state, {"shop": engine}, out_dir=tmp_path / "out", now=ANCHOR
            )
            done = enforce_withdrawal(desk, withdrawal, lang="fr")
            assert done.erased and done.request is not None
            assert done.request.options["activities"] == ["newsletter"]
            after = _subscribed(engine)
            assert CAMILLE not in after
            assert after == {e: i for e, i in before.items() if e != CAMILLE}
            assert _everything_but_newsletter(engine) == others  # nothing else of anyone's
            assert done.letter is not None
            letter = done.letter.read_text()
            assert "Retrait de votre consentement" in letter
            assert "Lettre d'information" in letter or "Lettre d&#x27;information" in letter
            assert "effacées (1 enregistrement)" in letter

            # run again (a retry after a crash): the same request, nothing erased twice
            again = enforce_withdrawal(desk, withdrawal, lang="en")
            assert again.request is not None and again.request.id == done.request.id
            assert "Withdrawal of your consent" in (again.letter or Path()).read_text()
            steps = [
                e
                for e in state.audit.entries(action_prefix="request.erasure.")
                if e.request_id == done.request.id
            ]
            assert steps  # planned and carried out through the erasure machinery
            assert state.audit.verify() == []

            # Art. 15: her copy holds her consent history, in the ISO/IEC TS 27560 shape
            access = desk.open("access", CAMILLE)
            desk.verify(access.id, method="reply from the account's address")
            answered = desk.execute(access.id)
            with zipfile.ZipFile(answered.result["export"]) as package:
                consents = json.loads(package.read("consents.json"))
            assert [c["dpv:hasConsentStatus"] for c in consents] == [
                "dpv:ConsentGiven",
                "dpv:ConsentWithdrawn",
            ]
            assert consents[1]["dpv:hasIndicationMethod"].startswith("one-click unsubscribe")
            assert len(consent_history(state, CAMILLE)) == 2


def test_a_withdrawal_of_geolocation_goes_to_the_client_who_controls_it(tmp_path: Path) -> None:
    """Device-management (seed 003): its only activity on consent, the geolocation a device's
    user switches on, is carried out for the client company. A withdrawal recorded by the host
    (the user turned location off) opens the erasure, which goes to that client: nothing is
    erased by us before the client decides, and the letter says who decides."""
    from registre.demo import load_app, load_demo_data
    from registre.register.loader import load_register
    from registre.requests.lifecycle import RequestState

    example = Path(__file__).resolve().parent.parent / "examples" / "device-management"
    register = load_register(example / "register.yaml")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'console.sqlite'}")
    load_demo_data(load_app(example), engine, subjects=5, seed=0)
    query = (
        "SELECT u.email, a.company_name FROM directory_users u JOIN devices d ON d.user_id = u.id "
        "JOIN accounts a ON a.id = d.account_id "
        "WHERE EXISTS (SELECT 1 FROM geolocation_points g WHERE g.device_id = d.id)"
    )
    with engine.connect() as connection:
        email, client = connection.execute(sa.text(query)).first()  # type: ignore[misc]
        points = connection.execute(sa.text("SELECT count(*) FROM geolocation_points")).scalar()
    with open_state(f"sqlite:///{tmp_path / 'state.db'}") as state:
        record_consent(state, email, "geolocation", method="api", register=register)
        withdrawal = withdraw_consent(state, email, "geolocation", method="api", register=register)
        desk = RequestDesk(
            register, state, {"console": engine}, out_dir=tmp_path / "out", now=ANCHOR
        )
        done = enforce_withdrawal(desk, withdrawal, lang="fr")
        assert (done.erased, done.reason) == (False, "forwarded")
        assert done.request is not None and done.request.state is RequestState.forwarded
        assert client in done.controllers
        with engine.connect() as connection:
            assert (
                connection.execute(sa.text("SELECT count(*) FROM geolocation_points")).scalar()
                == points
            )
        letter = (done.letter or Path()).read_text()
        assert f"pour le compte de {client}" in letter.replace("&#x27;", "'")
        assert "effacées" not in letter and "ne détenions plus" not in letter
        assert list((tmp_path / "out" / done.request.id).glob("forward-*.html"))
