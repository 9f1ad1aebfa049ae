"""The privacy center's consent pages: unsubscribing by a signed link, withdrawing a consent.

``/privacy/unsubscribe?u=TOKEN`` is the target of the links ``registre consent link`` makes
(RFC 8058). Opening it changes nothing (mail scanners open links): the page asks to confirm,
and its form, like a mailbox provider's one-click ``POST`` (``List-Unsubscribe=One-Click``,
no cookie), records the withdrawal with :func:`registre.consent.follow_link` and enforces it
with :func:`registre.consent.enforce_withdrawal`: what the consent alone allowed is erased,
through an erasure request whose status link the page then gives. The signed token is the
person's proof, so these posts carry no CSRF token: a forged post could only withdraw a
consent the forger already holds the link to.

``/privacy/withdraw`` is for someone without a link: it lists the activities run on consent
and files, through the usual request form and its one-time code, an erasure limited to the
chosen activity.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from registre._exceptions import ConsentError, RegistreError
from registre.register.taxonomy import LegalBasis
from registre.service.web.rendering import keys, lang_of, page, running, text
from registre.service.web.security import read_form

PARAMETER = "u"

FORWARDED = (
    "Nous réalisons ce traitement pour le compte de {clients}, responsable du traitement : "
    "nous lui avons transmis votre demande d'effacement, et c'est elle qui vous répond.",
    "We carry out this processing on behalf of {clients}, the controller: we have passed on "
    "your erasure request to them, and they will answer you.",
)
"""A withdrawal of an activity we carry out for a client: the erasure went to the client."""
"""The query parameter of the token, as :mod:`registre.consent.links` writes links."""


def consent_activities(request: Request) -> list[dict[str, str]]:
    """The activities a person consented to, whose withdrawal erases what they alone allowed."""
    lang = lang_of(request)
    return [
        {"id": key, "name": text(a.name, lang), "purpose": text(a.purpose, lang)}
        for key, a in running(request).register.activities.items()
        if LegalBasis.consent in a.legal_basis
    ]


def install(app: FastAPI) -> None:
    @app.get("/unsubscribe")
    def unsubscribe_form(request: Request) -> Response:
        token = request.query_params.get(PARAMETER, "")
        if not token:
            return page(request, "error.html", status=404, message_key="unknown_link")
        return page(request, "center_unsubscribe.html", token=token)

    @app.post("/unsubscribe")
    async def unsubscribe(request: Request) -> Response:
        form = await read_form(request)
        token = request.query_params.get(PARAMETER) or (form.get(PARAMETER) or [""])[0]
        if not token:
            return page(request, "error.html", status=404, message_key="unknown_link")
        try:
            done = await run_in_threadpool(_withdraw, request, token)
        except RegistreError as error:
            problem = "bad_link" if isinstance(error, ConsentError) else "withdrawal_failed"
            return page(request, "error.html", status=400, message_key=problem)
        return page(request, "center_unsubscribed.html", **done)

    @app.get("/withdraw")
    def withdraw(request: Request) -> Response:
        return page(request, "center_withdraw.html", activities=consent_activities(request))


def _withdraw(request: Request, token: str) -> dict[str, Any]:
    from registre.consent import enforce_withdrawal, follow_link

    service = running(request)
    lang = lang_of(request)
    withdrawal = follow_link(service.state, token)
    enforcement = enforce_withdrawal(
        service.desk_for_actor("unsubscribe-link"), withdrawal, lang="fr" if lang == "fr" else "en"
    )
    activity = service.register.activities.get(withdrawal.purpose)
    status = None
    if enforcement.request is not None:
        token = keys(request).status_token(enforcement.request.id)
        status = service.settings.public_url.rstrip("/") + "/privacy/status/" + token
    return {
        "activity": text(activity.name, lang) if activity else withdrawal.purpose,
        "when": withdrawal.at.astimezone(service.desk.tz).date().isoformat(),
        "reason": enforcement.reason,
        "outcome": FORWARDED[lang != "fr"].format(
            clients=", ".join(enforcement.controllers)
            or ("le client" if lang == "fr" else "the client")
        )
        if enforcement.reason == "forwarded"
        else None,
        "status_link": status,
    }
