"""Signed one-click unsubscribe links (RFC 8058), bound to one person and one activity.

A link is the host's unsubscribe URL with a token: ``?u=<consent id>.<signature>``. The consent
id says whose record to read; the signature is the HMAC-SHA256, under the deployment's key
(``REGISTRE_HMAC_KEY``), of that id, the digest of the person's identity and the activity.
Without the key nobody can make a valid token; a token changed to name another record, another
person or another activity does not verify. Following it records the withdrawal of the
person's consent to that activity, once: a second click finds it withdrawn already.

The mailing tool puts the two headers of RFC 8058 in each message::

    List-Unsubscribe: <https://shop.example/unsubscribe?u=c-3f9a1c2e5d.Zm9v...>
    List-Unsubscribe-Post: List-Unsubscribe=One-Click

and the mailbox provider POSTs ``List-Unsubscribe=One-Click`` to the URL, with no cookie and no
account: the host's endpoint passes the token to :func:`follow_link`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from registre._exceptions import ConsentError
from registre.consent import decisions, ledger
from registre.consent.model import ConsentRecord, Decision, Method
from registre.engine.anonymize import KEY_VARIABLE
from registre.state import EngineState, digests

PARAMETER = "u"
"""The query parameter holding the token."""
ONE_CLICK = "List-Unsubscribe=One-Click"
"""The body of the POST a mailbox provider sends, and the List-Unsubscribe-Post value."""
_CONTEXT = b"registre unsubscribe link v1"


@dataclass(frozen=True)
class UnsubscribeLink:
    """A link and the RFC 8058 header values that carry it."""

    url: str
    token: str
    consent_id: str
    activity: str

    @property
    def headers(self) -> dict[str, str]:
        return {"List-Unsubscribe": f"<{self.url}>", "List-Unsubscribe-Post": ONE_CLICK}

    def as_json(self) -> dict[str, object]:
        return {
            "url": self.url,
            "token": self.token,
            "consent": self.consent_id,
            "activity": self.activity,
            "headers": self.headers,
        }


def _key() -> bytes:
    key = digests.deployment_key()
    if not key:
        raise ConsentError(
            f"unsubscribe links are signed with the deployment's key, and {KEY_VARIABLE} is "
            "not set",
            hint=f"set {KEY_VARIABLE} to the deployment's secret (at least 32 random bytes), "
            "the same for the tool that makes links and the endpoint that follows them",
        )
    return key


def _signature(key: bytes, consent_id: str, person: str, activity: str) -> str:
    message = b"\0".join([_CONTEXT, consent_id.encode(), person.encode(), activity.encode()])
    mac = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def make_link(
    state: EngineState, person: dict[str, str] | str, activity: str, base_url: str
) -> UnsubscribeLink:
    """A link for the person to withdraw their consent to ``activity``.

    The person must have consented: the link is read back through their latest consent record.
    """
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.netloc:
        raise ConsentError(
            f"{base_url!r} is not an https URL",
            hint="give the host's unsubscribe endpoint, such as https://shop.example/unsubscribe "
            "(RFC 8058 asks for https)",
        )
    key = _key()
    history = decisions.consent_history(state, person, activity)
    given = [r for r in history if r.decision is Decision.given]
    if not given:
        raise ConsentError(
            f"there is no consent to {activity} recorded for this person, so there is nothing "
            "to unsubscribe from",
            hint="record their consent first (registre consent record); someone who never "
            "consented must not be written to",
        )
    record = given[-1]
    token = f"{record.id}.{_signature(key, record.id, record.person, activity)}"
    query = urlencode([*parse_qs(parts.query).items(), (PARAMETER, token)], doseq=True)
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    return UnsubscribeLink(url, token, record.id, activity)


def token_of(link_or_token: str) -> str:
    """The token of a link, or the token itself."""
    if "://" in link_or_token:
        values = parse_qs(urlsplit(link_or_token).query).get(PARAMETER)
        return values[0] if values else ""
    return link_or_token.strip()


def follow_link(
    state: EngineState, link_or_token: str, *, actor: str = "unsubscribe-link"
) -> ConsentRecord:
    """Verify a link and record the withdrawal it asks for; return the withdrawal.

    Raises :class:`~registre.ConsentError` for a token that is malformed, forged, or names a
    record that does not exist.
    """
    token = token_of(link_or_token)
    consent_id, _, signature = token.partition(".")
    refused = ConsentError(
        "this unsubscribe link is not valid: it was not made by registre with this "
        "deployment's key, or it was altered",
        hint="ask the person to use the link of a recent message, or record the withdrawal "
        "with `registre consent withdraw`",
    )
    if not consent_id or not signature:
        raise refused
    key = _key()
    found = ledger.records(state, ids=[consent_id])
    if not found:
        raise refused
    record = found[0]
    expected = _signature(key, record.id, record.person, record.purpose)
    if not hmac.compare_digest(expected, signature):
        raise refused
    return decisions.withdraw_consent(
        state,
        record.identity,
        record.purpose,
        method=Method.unsubscribe_link,
        controller=record.controller,
        actor=actor,
    )
