"""The console's register of breaches (issue 17): the list late first with the time left on each
clock, a breach's page (facts, phases, risk, scope and counts, notifications, the CNIL draft,
the letters), and the actions the role allows: operators and the DPO record, auditors read.

Each page calls the API's route functions (:mod:`registre.service.routes.breaches`) with the
signed-in user, so every change is the API's, audited as ``user:NAME``. The words of a breach
(nature, risk, clocks, counts) are in the page's language; the CNIL draft is in French, as the
CNIL's form is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from registre.breaches import words
from registre.register.model import Register
from registre.service.access import Principal
from registre.service.auth import READERS, WORKERS
from registre.service.routes import breaches
from registre.service.web.forms import first
from registre.service.web.guard import guarded, posted
from registre.service.web.rendering import lang_of, page, running
from registre.service.web.translations import word

NATURES = ("confidentiality", "integrity", "availability")
RISKS = ("unlikely", "risk", "high")
RECIPIENTS = ("authority", "controller", "people")
ACTIONS = ("update", "assess", "scope", "notify", "letters", "send", "close")


def left_text(seconds: int, lang: str) -> str:
    """'41 h 12 min left' / 'late by 3 h 05 min', in whole minutes, in ``lang``."""
    minutes = abs(seconds) // 60
    hours, minutes = divmod(minutes, 60)
    span = f"{hours}\u00a0h\u00a0{minutes:02d}\u00a0min"
    return word(lang, "time_left" if seconds >= 0 else "late_by", span=span)


def clock_words(clock: dict[str, Any], closed: bool, lang: str) -> str:
    """Where one clock stands, in words."""
    if not clock["owed"]:
        return word(lang, "clock_not_owed")
    if clock["done_at"]:
        return word(lang, "clock_done_late" if clock["late"] else "clock_done")
    if closed:
        return word(lang, "breach_closed")
    if clock["seconds_left"] is None:
        return word(lang, "clock_undated")
    return left_text(int(clock["seconds_left"]), lang)


def _moment(value: str | None, register: Register, lang: str) -> str:
    return words.moment(datetime.fromisoformat(value), register, lang) if value else ""


def listed_line(item: dict[str, Any], register: Register, lang: str) -> dict[str, Any]:
    """One line of the list, in the page's language."""
    if item["closed"]:
        clock = word(lang, "breach_closed")
    elif item["seconds_left"] is not None:
        clock = left_text(int(item["seconds_left"]), lang)
    else:
        clock = word(lang, "no_clock_running")
    return {
        **item,
        "aware": _moment(item["aware_at"], register, lang),
        "risk_words": word(lang, f"risk_{item['risk']}") if item["risk"] else None,
        "clock_words": clock,
        "people_words": words.number(item["people"], lang) if item["people"] is not None else "—",
    }


def shown(found: dict[str, Any], register: Register, lang: str) -> dict[str, Any]:
    """A breach's page, in the page's language: clocks, nature, counts by name."""
    counts = found.get("counts")
    return {
        **listed_line(found, register, lang),
        "natures": [words.NATURES[n][lang] for n in found["nature"]],
        "clocks": [
            {
                **c,
                "who": word(lang, f"to_{c['to']}"),
                "due_words": _moment(c["due"], register, lang)
                if c["due"]
                else word(lang, "clock_undated"),
                "state_words": clock_words(c, found["closed"], lang),
            }
            for c in found["clocks"]
        ],
        "owed_words": [word(lang, f"owed_{name}") for name, due in found["owed"].items() if due],
        "phases": [{**p, "when": _moment(p["at"], register, lang)} for p in found["phases"]],
        "people_by": [
            (words.subject_name(register, s, lang), words.number(n, lang))
            for s, n in (counts or {}).get("people", {}).items()
        ],
        "records_by": [
            (words.category_name(register, c, lang), words.number(n, lang))
            for c, n in (counts or {}).get("records", {}).items()
        ],
        "tenants_count": len((counts or {}).get("tenants", {})),
        "counted_at": _moment(counts.get("counted_at"), register, lang) if counts else "",
        "notifications": [
            {**n, "who": word(lang, f"to_{n['to']}"), "when": _moment(n["at"], register, lang)}
            for n in found["notifications"]
        ],
        "mail": [
            (
                word(lang, f"mail_to_{to}"),
                [
                    (word(lang, f"mail_{state}"), words.number(n, lang))
                    for state, n in states.items()
                ],
            )
            for to, states in sorted(found.get("mail", {}).items())
        ],
        "mail_failed": any(d["state"] == "failed" for d in found.get("deliveries", [])),
        "mail_queued": bool(found.get("deliveries")),
    }


def install(app: FastAPI) -> None:
    """Add the breach pages to the console's application."""

    @app.get("/breaches")
    def breaches_page(request: Request) -> Response:
        def show(who: Principal) -> Response:
            service = running(request)
            lang = _lang(request)
            items = breaches.list_breaches(service, who)
            now = datetime.now().astimezone(_tz(service.register))
            return page(
                request,
                "console_breaches.html",
                who=who,
                items=[listed_line(i, service.register, lang) for i in items],
                may_work=who.role in WORKERS,
                natures=[(n, words.NATURES[n][lang]) for n in NATURES],
                now=now.strftime("%Y-%m-%dT%H:%M"),
            )

        return guarded(request, READERS, show)

    @app.post("/breaches")
    async def open_breach(request: Request) -> Response:
        def work(who: Principal, form: dict[str, list[str]]) -> Response:
            body = breaches.OpenBreach.model_validate(
                {
                    "aware_at": first(form, "aware_at"),
                    "nature": form.get("nature", []),
                    "summary": first(form, "summary").strip(),
                    "systems": [s.strip() for s in first(form, "systems").split(",") if s.strip()],
                    "source": first(form, "source").strip(),
                    "processor": first(form, "processor") == "yes",
                }
            )
            opened = breaches.open_breach(body, running(request), who)
            return RedirectResponse(f"/console/breaches/{opened['id']}?done=open", 303)

        return await posted(request, WORKERS, work)

    @app.get("/breaches/{breach_id}")
    def breach_page(request: Request, breach_id: str) -> Response:
        def show(who: Principal) -> Response:
            service = running(request)
            lang = _lang(request)
            found = breaches.show_breach(breach_id, service, who)
            letters = breaches.list_letters(breach_id, service, who)
            return page(
                request,
                "console_breach.html",
                who=who,
                item=shown(found, service.register, lang),
                letters=letters,
                may_work=who.role in WORKERS and not found["closed"],
                risks=RISKS,
                recipients=[r for r in RECIPIENTS if r != "controller" or found["processor"]],
                stores=sorted(service.register.stores),
                done=request.query_params.get("done"),
            )

        return guarded(request, READERS, show)

    @app.get("/breaches/{breach_id}/cnil")
    def cnil_page(request: Request, breach_id: str) -> Response:
        def show(who: Principal) -> Response:
            # the API's call: reading the draft here is audited as drafted, by this user
            answer = breaches.cnil_draft(breach_id, "markdown", running(request), who)
            return page(
                request,
                "console_breach_text.html",
                who=who,
                breach_id=breach_id,
                heading=word(_lang(request), "cnil_draft"),
                note=word(_lang(request), "cnil_draft_note"),
                body=bytes(answer.body).decode("utf-8"),
                text_lang="fr",
            )

        return guarded(request, READERS, show)

    @app.get("/breaches/{breach_id}/letters/{name}")
    def letter_page(request: Request, breach_id: str, name: str) -> Response:
        def show(who: Principal) -> Response:
            answer = breaches.show_letter(breach_id, name, running(request), who)
            letter_lang = name.rsplit(".", 2)[-2]
            return page(
                request,
                "console_breach_text.html",
                who=who,
                breach_id=breach_id,
                heading=word(
                    _lang(request), "letter_to_client" if "-client-" in name else "letter_to_person"
                )
                + f" · {name}",
                note="",
                body=bytes(answer.body).decode("utf-8"),
                text_lang=letter_lang if letter_lang in ("fr", "en") else "fr",
            )

        return guarded(request, READERS, show)

    @app.post("/breaches/{breach_id}/{action}")
    async def act(request: Request, breach_id: str, action: str) -> Response:
        def work(who: Principal, form: dict[str, list[str]]) -> Response:
            if action not in ACTIONS:
                return page(request, "error.html", status=404, message_key="not_found", who=who)
            service = running(request)
            given = {name: values[0].strip() for name, values in form.items() if values}
            if action == "update":
                body: Any = breaches.Update.model_validate(given)
                breaches.update_breach(breach_id, body, service, who)
            elif action == "assess":
                breaches.assess_breach(
                    breach_id, breaches.Assess.model_validate(given), service, who
                )
            elif action == "scope":
                targets = [t.strip() for t in given.get("targets", "").split(",") if t.strip()]
                body = breaches.ScopeBody.model_validate(
                    {n: given.get(n) or None for n in ("since", "until", "tenant")}
                    | {"targets": targets}
                )
                breaches.scope_breach(breach_id, body, service, who)
            elif action == "notify":
                body = breaches.NotificationBody.model_validate(
                    given | {"at": given.get("at") or None}
                )
                breaches.record_notification(breach_id, body, service, who)
            elif action == "letters":
                body = breaches.LettersBody.model_validate({"lang": given.get("lang") or None})
                breaches.write_letters(breach_id, body, service, who)
            elif action == "send":
                body = breaches.SendBody.model_validate(
                    {"lang": given.get("lang") or None, "retry": given.get("retry") == "1"}
                )
                breaches.send_letters(breach_id, body, service, who)
            else:
                body = breaches.Close.model_validate({"text": given.get("text", "")})
                breaches.close_breach(breach_id, body, service, who)
            return RedirectResponse(f"/console/breaches/{breach_id}?done={action}", 303)

        return await posted(request, WORKERS, work)


def _lang(request: Request) -> str:
    return lang_of(request)


def _tz(register: Register) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(register.policy.timezone)
