"""The settings of ``registre serve``, in one place.

Read, from the strongest to the weakest: the command line's options, the ``REGISTRE_*``
environment variables (``REGISTRE_REGISTER``, ``REGISTRE_STATE_URL``, ``REGISTRE_SMTP_HOST``...),
then a TOML settings file (``--settings FILE`` or ``REGISTRE_SETTINGS``), then the defaults.
Every setting is documented in ``docs/service.md``, which a test keeps in step with this model.
Wrong settings stop the service before it listens, with every problem named at once.
"""

from __future__ import annotations

import os
import tomllib
import warnings
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from registre.service.errors import SettingsError

SETTINGS_VARIABLE = "REGISTRE_SETTINGS"
_FILE: ContextVar[Path | None] = ContextVar("registre_settings_file", default=None)


# BaseSettings is an ABC, and pydantic warns that a field "register" shadows ABCMeta.register;
# nobody registers virtual subclasses of the settings, and REGISTRE_REGISTER is the CLI's name.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message='Field name "register"', category=UserWarning)

    class ServiceSettings(BaseSettings):
        """Everything ``registre serve`` needs to know; see ``docs/service.md``."""

        model_config = SettingsConfigDict(env_prefix="REGISTRE_", extra="forbid")

        register: Path = Field(description="The register.yaml, or a folder of YAML files.")
        state_url: str | None = Field(
            None,
            description="SQLAlchemy URL of the state database [default: found from the register, "
            "as the CLI finds it].",
        )
        store_urls: dict[str, str] = Field(
            default_factory=dict,
            description="Database URL of each store, by store id [default: each store's url_env].",
        )
        out_dir: Path | None = Field(
            None,
            description="Folder of letters and export packages [default: registre-requests beside "
            "the register].",
        )
        host: str = Field("127.0.0.1", description="Address to listen on.")
        port: int = Field(8000, ge=1, le=65535, description="Port to listen on.")
        secret_key: SecretStr | None = Field(
            None,
            description="At least 32 characters; keys the one-time codes [default: a random key "
            "per start, so codes sent before a restart stop working].",
        )
        smtp_host: str | None = Field(None, description="Mail server [default: no mail is sent].")
        smtp_port: int = Field(25, ge=1, le=65535, description="Mail server port.")
        smtp_security: Literal["none", "starttls", "tls"] = Field(
            "none", description="none, starttls or tls (implicit TLS, usually port 465)."
        )
        smtp_username: str | None = Field(None, description="Mail server login.")
        smtp_password: SecretStr | None = Field(None, description="Mail server password.")
        mail_from: str | None = Field(
            None, description="Sender of the mail, such as privacy@example.fr."
        )
        jobs_backend: Literal["in-process", "celery"] = Field(
            "in-process",
            description="in-process (a thread pool inside registre serve) or celery (registre "
            "worker processes behind jobs_broker_url).",
        )
        jobs_broker_url: str | None = Field(
            None,
            description="Celery's broker, such as redis://127.0.0.1:6379/0 or "
            "amqp://user:password@host:5672//; required with the celery backend.",
        )
        jobs_queue: str = Field("registre", description="Celery queue the jobs are sent to.")
        jobs_threads: int = Field(
            2, ge=1, le=64, description="Threads running jobs in registre serve (in-process)."
        )
        jobs_attempts: int = Field(
            8, ge=1, le=100, description="Attempts of a job before it is failed."
        )
        jobs_retry_seconds: float = Field(
            30.0, gt=0, description="Wait before the 2nd attempt; doubled each time, 1 h at most."
        )
        jobs_lease_seconds: float = Field(
            60.0,
            gt=0,
            description="A running job whose worker stops renewing it for this long is run again.",
        )
        jobs_poll_seconds: float = Field(
            5.0, gt=0, description="How often schedules and lost jobs are looked at."
        )
        jobs_redispatch_seconds: float = Field(
            60.0, gt=0, description="A queued job no worker took for this long is sent again."
        )
        jobs_visibility_timeout: int = Field(
            3600,
            ge=1,
            description="Redis broker: seconds before a message a dead worker held is delivered "
            "again.",
        )
        public_url: str = Field(
            "http://127.0.0.1:8000",
            description="The service's address as people reach it, for the download links mailed.",
        )
        dpo_email: str | None = Field(
            None, description="Address of the DPO's daily digest [default: no digest]."
        )
        digest_days: int = Field(
            7, ge=1, le=60, description="The digest lists the requests due within this many days."
        )
        digest_at: str | None = Field(
            "08:00", description="Local time of the DPO's digest (HH:MM, the policy's time zone)."
        )
        purge_at: str | None = Field(
            "04:00", description="Local time of the daily purge of expired exports (HH:MM)."
        )
        sweep_schedule: dict[str, str] = Field(
            default_factory=dict,
            description="Local time of each store's daily sweep, by store id, such as "
            '{"shop": "03:00"} [default: no scheduled sweep].',
        )
        code_minutes: int = Field(
            15, ge=1, le=1440, description="Minutes a one-time code stays valid."
        )
        code_attempts: int = Field(
            5, ge=1, le=20, description="Wrong codes a request takes before its code is burnt."
        )
        code_sends: int = Field(3, ge=1, le=10, description="Codes sent at most for one request.")
        source_attempts: int = Field(
            20,
            ge=1,
            le=10_000,
            description="Wrong codes one source address may enter in an hour, over all requests.",
        )
        filings_per_address: int = Field(
            5,
            ge=1,
            le=10_000,
            description="Requests filed by the public for one email address in an hour.",
        )
        filings_per_source: int = Field(
            20,
            ge=1,
            le=100_000,
            description="Requests filed by the public from one source address in an hour.",
        )
        sign_in_attempts: int = Field(
            10,
            ge=1,
            le=10_000,
            description="Failed console sign-ins for one account name in an hour.",
        )
        sign_in_source_attempts: int = Field(
            30,
            ge=1,
            le=100_000,
            description="Failed console sign-ins from one source address in an hour.",
        )
        export_retention: str = Field(
            "30 days", description="How long an export package is kept, such as 30 days."
        )

        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, _TomlFile(settings_cls))

        @field_validator("secret_key")
        @classmethod
        def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
            if value is not None and len(value.get_secret_value()) < 32:
                raise ValueError(
                    "must be at least 32 characters; make one with "
                    "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
            return value

        @field_validator("export_retention")
        @classmethod
        def _duration(cls, value: str) -> str:
            from registre.durations import Duration

            if Duration.parse(value).is_zero:
                raise ValueError("an export must be kept long enough to send it")
            return value

        @field_validator("digest_at", "purge_at")
        @classmethod
        def _time_of_day(cls, value: str | None) -> str | None:
            from registre.service.jobs.schedules import parse_time

            if value is not None:
                parse_time(value)
            return value

        @field_validator("sweep_schedule")
        @classmethod
        def _times_of_day(cls, value: dict[str, str]) -> dict[str, str]:
            from registre.service.jobs.schedules import parse_time

            for at in value.values():
                parse_time(at)
            return value

        @model_validator(mode="after")
        def _mail_complete(self) -> ServiceSettings:
            if self.smtp_host and not self.mail_from:
                raise ValueError("smtp_host is set without mail_from: say who the mail is from")
            if bool(self.smtp_username) != bool(self.smtp_password):
                raise ValueError("smtp_username and smtp_password go together")
            if self.jobs_backend == "celery" and not self.jobs_broker_url:
                raise ValueError(
                    "jobs_backend is celery without jobs_broker_url: name the Redis or RabbitMQ "
                    "broker, such as redis://127.0.0.1:6379/0"
                )
            return self

        @property
        def mail_enabled(self) -> bool:
            return bool(self.smtp_host)

        def letters_folder(self) -> Path:
            if self.out_dir is not None:
                return self.out_dir
            base = self.register if self.register.is_dir() else self.register.parent
            return base / "registre-requests"


class _TomlFile(PydanticBaseSettingsSource):
    """The settings file: TOML with the settings' names as keys, at the top level."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is read at once in __call__

    def __call__(self) -> dict[str, Any]:
        path = _FILE.get()
        if path is None:
            return {}
        try:
            with path.open("rb") as file:
                return tomllib.load(file)
        except OSError as error:
            raise SettingsError(
                f"cannot read the settings file {path}: {error.strerror}",
                hint=f"check the path given with --settings or {SETTINGS_VARIABLE}",
            ) from None
        except tomllib.TOMLDecodeError as error:
            raise SettingsError(
                f"{path}: not valid TOML: {error}",
                hint='write one setting a line, such as register = "register.yaml"',
            ) from None


def load_settings(file: Path | None = None, **given: Any) -> ServiceSettings:
    """The settings from ``given`` (the command line's), the environment and ``file``.

    Raises :class:`SettingsError` naming every setting that is wrong, and where it came from.
    """
    if file is None and os.environ.get(SETTINGS_VARIABLE):
        file = Path(os.environ[SETTINGS_VARIABLE])
    token = _FILE.set(file)
    try:
        return ServiceSettings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as error:
        raise _explain(error, file) from None
    finally:
        _FILE.reset(token)


def _explain(error: ValidationError, file: Path | None) -> SettingsError:
    problems = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required"
        elif item["type"] == "extra_forbidden":
            message = "is not a setting of registre serve"
        where = f"{name} (REGISTRE_{name.upper()})" if name else "the settings"
        problems.append(f"{where}: {message}" if name else message)
    sources = "the command line, the REGISTRE_* environment variables" + (
        f" and {file}" if file else ""
    )
    count = len(problems)
    return SettingsError(
        f"registre serve cannot start: {count} setting{'s are' if count > 1 else ' is'} "
        f"wrong: " + "; ".join(problems),
        hint=f"settings are read from {sources}; docs/service.md lists them all",
    )
