"""The sweep's plan: what each retention rule makes due, held back or blocked; nothing changes."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends

from registre.service.access import Principal
from registre.service.auth import READERS, requires, service
from registre.service.runtime import Service

router = APIRouter(prefix="/api/v1", tags=["sweeps"])


@router.get("/plan")
def plan(
    at: date | datetime | None = None,
    running: Service = Depends(service),
    who: Principal = Depends(requires(*READERS)),
) -> dict[str, Any]:
    """The plan of every store at ``at`` (a day or an instant, in the policy's time zone; now by
    default), as ``registre plan --json`` prints it."""
    from registre.engine.store_plan import holds_from_state, prepare, restrictions_from_state

    register = running.register
    tz = ZoneInfo(register.policy.timezone)
    if at is None:
        moment = datetime.now(tz)
    elif isinstance(at, datetime):
        moment = at if at.tzinfo else at.replace(tzinfo=tz)
    else:
        moment = datetime.combine(at, time(0), tzinfo=tz)
    state = running.state
    holds = holds_from_state(state.holds.active()) + restrictions_from_state(state)
    stores = []
    for store_id in register.stores:
        sp = prepare(
            register, store_id, moment, url=running.settings.store_urls.get(store_id), holds=holds
        )
        try:
            items = [
                {
                    "activity": found.item.activity,
                    "rule": found.item.rule,
                    "table": found.item.table,
                    "action": found.item.action.value,
                    "fields": list(found.item.fields),
                    "due": found.due,
                    "held": found.held,
                    "held_reasons": {
                        "legal_hold": found.held - found.restricted,
                        "restriction": found.restricted,
                    },
                    "blocked": found.blocked,
                }
                for found in sp.counts()
            ]
            stores.append({"store": sp.store, "dialect": sp.dialect, "items": items})
        finally:
            sp.engine.dispose()
    return {
        "at": moment.astimezone(ZoneInfo("UTC")).isoformat(),
        "timezone": register.policy.timezone,
        "stores": stores,
    }
