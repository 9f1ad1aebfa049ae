"""Sending mail: a small adapter over SMTP (:mod:`smtplib`), the seam the tests cross.

Tests start a real SMTP server (aiosmtpd) and read what it received; nothing is mocked.
Messages are plain text with an HTML alternative, in the recipient's language.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from registre.service.errors import Unavailable
from registre.service.settings import ServiceSettings

TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None


class Mailer:
    """Sends mail through the SMTP server the settings name."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings

    @property
    def enabled(self) -> bool:
        return self.settings.mail_enabled

    def message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.mail_from or ""
        message["To"] = mail.to
        message["Subject"] = mail.subject
        sender_domain = (self.settings.mail_from or "@registre").rpartition("@")[2] or None
        message["Message-ID"] = make_msgid(domain=sender_domain)
        message.set_content(mail.text)
        if mail.html:
            message.add_alternative(mail.html, subtype="html")
        return message

    def send(self, mail: Mail) -> None:
        """Send ``mail``; :class:`Unavailable` when the server cannot be reached or refuses."""
        settings = self.settings
        if not settings.smtp_host:
            raise Unavailable(
                "this service sends no mail: no mail server is configured",
                hint="set REGISTRE_SMTP_HOST and REGISTRE_MAIL_FROM (docs/service.md)",
            )
        message = self.message(mail)
        try:
            smtp: smtplib.SMTP
            if settings.smtp_security == "tls":
                smtp = smtplib.SMTP_SSL(
                    settings.smtp_host,
                    settings.smtp_port,
                    timeout=TIMEOUT_SECONDS,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
            with smtp:
                if settings.smtp_security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if settings.smtp_username and settings.smtp_password:
                    smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise Unavailable(
                f"the mail server {settings.smtp_host}:{settings.smtp_port} did not take the "
                f"message: {error}",
                hint="check the smtp_* settings and that the server is up; ask again later",
            ) from None
