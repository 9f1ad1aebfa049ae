"""The register: the organization's record of processing activities, as data.

Everything registre produces (policy text, Art. 30 export, sweeps, request answers) is derived
from one :class:`Register`. Things that other records point at (subjects, data categories,
events, recipients, activities, retention rules, stores, tables) are keyed by a stable id:
ids appear in rules, requests and audit entries, so renaming one is a visible change.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from registre.durations import ACCEPTED_FORMS, Duration
from registre.register.mapping import DataStore
from registre.register.taxonomy import (
    EEA,
    Action,
    CnilCategory,
    CookieCategory,
    LegalBasis,
    RecipientKind,
    Right,
    Role,
    Safeguard,
    SecurityHeading,
    Source,
    SpecialCondition,
)

ID_PATTERN = r"^[a-z][a-z0-9_-]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
Lang = Literal["fr", "en"]
LANGUAGES: tuple[Lang, ...] = ("fr", "en")


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True
    )


class Text(Strict):
    """A sentence in each language of the policy: ``{fr: ..., en: ...}``."""

    fr: str | None = None
    """French text."""
    en: str | None = None
    """English text."""

    def get(self, lang: Lang) -> str:
        value = getattr(self, lang)
        if value is None:
            raise KeyError(lang)
        return str(value)


def _parse_duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"{value} has no unit; write it as {ACCEPTED_FORMS}")
    return Duration.parse(str(value))


DurationField = Annotated[
    Duration,
    BeforeValidator(_parse_duration),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["6 months", "2 years", "immediately"]}),
]


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _check_country(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError(f"{value!r} is not an ISO 3166 two-letter country code, such as FR or US")
    return value


Country = Annotated[str, BeforeValidator(_upper), AfterValidator(_check_country)]


NOT_STATED = "not_stated"
"""What a register writes where the organization's policy is silent: the lint sees the silence."""


def _not_stated_as_none(value: Any) -> Any:
    return None if value == NOT_STATED else value


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str | dict) else value


# -- organization -------------------------------------------------------------------------------


class PostalAddress(Strict):
    street: str
    """Street and number, as written on an envelope."""
    postal_code: str
    """Postal code, as text to keep leading zeros."""
    city: str
    """City."""
    country: Country = "FR"
    """ISO 3166 two-letter country code."""


class Registration(Strict):
    """A company or association number; SIREN and SIRET are checked with python-stdnum."""

    kind: Literal["siren", "siret", "rna", "vat", "other"] = "siren"
    """siren, siret, rna (associations), vat, or other."""
    number: str
    """The number itself; SIREN, SIRET and French VAT numbers are checked."""
    registry: str | None = None
    """The register it is recorded in, such as 'RCS Nantes'."""

    @model_validator(mode="after")
    def _valid_number(self) -> Registration:
        from stdnum.fr import siren, siret, tva

        checks = {"siren": siren, "siret": siret, "vat": tva}
        module = checks.get(self.kind)
        if module is not None and not module.is_valid(self.number):
            raise ValueError(f"{self.number!r} is not a valid {self.kind.upper()} number")
        return self


class Person(Strict):
    name: str | None = None
    """Full name."""
    email: str | None = None
    """Email address."""
    phone: str | None = None
    """Phone number."""
    address: PostalAddress | None = None
    """Postal address."""


class RightsChannels(Strict):
    """Where people exercise their rights; at least one channel is required."""

    email: str | None = None
    """Email address where people exercise their rights."""
    address: PostalAddress | None = None
    """Postal address for written requests."""
    web_form: str | None = None
    """URL of a web form or privacy center."""

    @model_validator(mode="after")
    def _one_channel(self) -> RightsChannels:
        if not (self.email or self.address or self.web_form):
            raise ValueError("give at least one channel: email, address or web_form")
        return self


class Authority(Strict):
    name: Text
    """The authority's name, as it reads in a sentence."""
    website: str | None = None
    """Where to lodge a complaint online."""
    address: PostalAddress | None = None
    """Postal address for complaints."""


CNIL = Authority(
    name=Text(
        fr="la Commission nationale de l'informatique et des libertés (CNIL)",
        en=(
            "the Commission nationale de l'informatique et des libertés (CNIL), "
            "the French data protection authority"
        ),
    ),
    website="https://www.cnil.fr/fr/plaintes",
    address=PostalAddress(
        street="3 place de Fontenoy, TSA 80715",
        postal_code="75334",
        city="Paris Cedex 07",
        country="FR",
    ),
)


class Transfer(Strict):
    safeguard: Safeguard
    """adequacy, scc, bcr, dpf (EU-US Data Privacy Framework), derogation, privacy_shield (invalid
    since 16 July 2020) or none.
    """
    reference: str | None = None
    """The decision, clauses or derogation relied on (e.g. 'Décision 2021/914')."""
    also: list[Safeguard] = Field(default_factory=list)
    """Further safeguards the same transfer relies on, such as [scc] next to dpf."""


class Hosting(Strict):
    country: Country
    """Where the servers are, as an ISO country code."""
    provider: str | None = None
    """The hosting company."""
    transfer: Transfer | None = None
    """Outside the EEA, the safeguard for the transfer (the organization's own processing
    there included)."""


class Organization(Strict):
    name: str
    """Legal name of the organization."""
    name_in_text: Text | None = None
    """The name as it reads inside a sentence, with its article when it takes one:
    {fr: l'Agence nationale des titres sécurisés, en: the French National Agency for Secure
    Documents}; the legal name by default.
    """
    legal_form: Text | None = None
    """The legal form in each language, such as {fr: SAS au capital de 20 000 euros, en: SAS with a
    share capital of EUR 20,000}; the policy leaves it out when the name already ends with it.
    """
    registration: Registration | None = None
    """Company or association registration number."""
    address: PostalAddress
    """Registered office."""
    website: str | None = None
    """The organization's website."""
    representative: str | None = None
    """Legal representative (Art. 30(1)(a))."""
    phone: str | None = None
    """The organization's phone number (Art. 30(1)(a) asks for its contact details)."""
    dpo: Person | None = None
    """The data protection officer, if one is appointed (Art. 37)."""
    public_body: bool = False
    """True for a public authority or body (a ministry, a local authority, a public
    establishment): it must appoint a DPO (Art. 37(1)(a)); the lint checks it."""
    eu_representative: Person | None = None
    """The representative in the Union of an organization established outside it (Art. 27);
    the policy names it."""
    contact: RightsChannels
    """Channels to exercise rights: email, postal address, web form."""
    supervisory_authority: Authority = CNIL
    """The authority people can complain to: 'cnil', or {name, website, address}. The policy
    names it only when the register does (the lint reports a register that does not).
    """
    hosting: list[Hosting] = Field(default_factory=list)
    """Where data is hosted: a list of country codes or {country, provider}."""
    data_stays_in: Literal["EEA"] | Country | None = None
    """A promise that no data leaves a place: 'EEA' (the European Economic Area) or a country
    code such as FR; the policy says it, and the lint reports any processor, recipient or host
    outside it. Left out, the policy says nothing about where data stays.
    """

    @field_validator("supervisory_authority", mode="before")
    @classmethod
    def _authority_short_form(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == "cnil":
            return CNIL
        return value

    @field_validator("hosting", mode="before")
    @classmethod
    def _hosting_short_form(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"country": v} if isinstance(v, str) else v for v in value]
        return value


class Policy(Strict):
    version: str
    """Version of the policy, such as '4.2'."""
    date: dt.date
    """Date this version takes effect (YYYY-MM-DD)."""
    languages: list[Lang] = Field(default_factory=lambda: list(LANGUAGES), min_length=1)
    """Languages the policy is published in; every text must be given in each."""
    timezone: str = "Europe/Paris"
    """IANA time zone in which retention periods and deadlines are counted."""
    changes: Text | None = None
    """How people are told about changes to the policy."""
    scope: Text | None = None
    """What the policy covers, as it reads after 'applies to': {fr: l'application Rendivo et le
    site rendivo.fr, en: the Rendivo app and the rendivo.fr website}."""
    published_at: Text | None = None
    """The URL of the policy in each language, such as {fr: https://example.fr/confidentialite,
    en: https://example.fr/en/privacy}; each version links to the other."""
    notify_changes_by_email: bool = False
    """True when people are emailed about changes that affect their rights."""
    applies_to_data_collected_under: Literal["current", "version_at_collection"] = "current"
    """'current', or 'version_at_collection' when data is processed under the policy in force when
    it was collected.
    """

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone, such as Europe/Paris") from None
        return value


# -- vocabulary ---------------------------------------------------------------------------------


class SubjectCategory(Strict):
    name: Text
    """Name of this category of people."""
    description: Text | None = None
    """Who they are, when the name is not enough."""


class DataCategory(Strict):
    name: Text
    """Name of the category, listing the main fields."""
    description: Text | None = None
    """More detail, when the name is not enough."""
    special: bool = False
    """A special category under Art. 9 GDPR (health, biometrics, ...)."""
    national_id: bool = False
    """A national identification number (Art. 87), such as the French NIR (social security
    number): flagged in the policy like special categories, and its use is checked by the lint
    (in France only for the purposes a decree allows)."""
    cnil_category: CnilCategory | None = None
    """The CNIL register model's category: civil_status, personal_life, professional_life,
    financial, connection, location; built-in categories have theirs.
    """


class Event(Strict):
    """Something that starts a retention clock; ``name`` reads after 'after' in a sentence."""

    name: Text
    """The event in words, with its article: 'la suppression du compte' / 'the deletion of the
    account'.
    """


# -- recipients ---------------------------------------------------------------------------------


class Processor(Strict):
    """A processor (Art. 28) or sub-processor acting on our instructions."""

    name: str
    """Legal name of the processor."""
    service: Text
    """The service it renders."""
    country: Annotated[Country | None, BeforeValidator(_not_stated_as_none)]
    """Where it processes the data (ISO code), or not_stated when the policy does not say;
    outside the EEA makes it a transfer.
    """
    transfer: Transfer | None = None
    """The safeguard for a transfer outside the EEA."""
    dpa: str | None = None
    """Reference or URL of the data processing agreement (Art. 28(3))."""
    retention: Text | None = None
    """How long the processor keeps the data on its side, as it reads after its name and a
    colon: {fr: journaux d'envoi effacés 30 jours après l'envoi, en: sending logs deleted 30
    days after sending}; stated in the policy, not swept (its systems are not ours)."""

    @property
    def outside_eea(self) -> bool:
        return self.country is not None and self.country not in EEA


class Recipient(Strict):
    """A recipient that is not our processor: internal teams, clients, partners, authorities."""

    name: Text
    """Who receives the data, in words."""
    kind: RecipientKind
    """internal, client, partner, supplier, authority, controller, or public (anyone: a
    directory, a public register, a transparency log)."""
    country: Country | None = None
    """Where the recipient is, when it matters for transfers."""
    transfer: Transfer | None = None
    """The safeguard for a transfer outside the EEA."""

    @property
    def outside_eea(self) -> bool:
        return self.country is not None and self.country not in EEA


# -- retention ----------------------------------------------------------------------------------

_CLOCK = re.compile(
    r"^\s*(?P<up_to>up\s+to\s+)?(?P<period>.+?)\s+after\s+(?P<event>[a-z][a-z0-9_-]*)\s*$"
)


class Clock(Strict):
    """A period that starts at an event: '6 months after account_deleted'.

    'up to 6 months after account_deleted' is a hedged period: the policy says « jusqu'à » /
    'up to', as the organization wrote it, and the sweep enforces the period itself.
    """

    period: DurationField
    """How long after the event, such as '6 months' or 'immediately'."""
    event: Id
    """The id of the event that starts the clock."""
    up_to: bool = False
    """True for a hedged period ('up to 6 months'): the policy says so, the sweep uses the
    period."""

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = _CLOCK.match(value)
            if not match:
                raise ValueError(
                    f"{value!r} is not a retention clock; write '<period> after <event id>', "
                    "such as '6 months after account_deleted', 'immediately after "
                    "device_reset' or 'up to 30 days after collected'"
                )
            clock: dict[str, Any] = {"period": match.group("period"), "event": match.group("event")}
            if match.group("up_to"):
                clock["up_to"] = True
            return clock
        return value

    def __str__(self) -> str:
        return f"{'up to ' if self.up_to else ''}{self.period} after {self.event}"


class Stage(Strict):
    """One stage of a deletion in several stages, after the previous one (the clock first)."""

    stage: Literal["trash", "live", "backups"]
    """trash (the person can still restore it), live (deleted from the live systems: what the
    sweep does) or backups (overwritten in the backups: stated, not swept)."""
    after: DurationField
    """How long after the previous stage ends (the rule's clock for the first one)."""


class CountCap(Strict):
    """Keep only the newest ``count`` records for each value of ``per``."""

    count: int = Field(gt=0, le=1_000_000_000)  # a bound databases compare in 64 bits
    """How many records to keep."""
    per: Text
    """What the count is kept for, in words: 'per device'."""
    items: Text | None = None
    """What is counted, as a plural noun: {fr: points de géolocalisation, en: geolocation points}.
    """
    feminine: bool = False
    """True when the French noun of 'items' is feminine (« les 50 dernières positions »)."""


class RetentionRule(Strict):
    """How long some data of an activity is kept, and what happens then.

    ``after`` lists clocks; data is due at the earliest of them. ``client_agreed`` means each
    client may agree another period, ``after`` being the default. ``statement`` records a
    promise that cannot be measured; the lint reports it.
    """

    data: list[Id] = Field(default_factory=list)
    """Data categories this rule covers; empty means every category of the activity."""
    after: Annotated[list[Clock], BeforeValidator(_listify)] = Field(default_factory=list)
    """Clocks such as '6 months after account_deleted'; data is due at the earliest."""
    keep_last: CountCap | None = None
    """Keep only the newest records: {count, per}."""
    at_least: Annotated[list[Clock], BeforeValidator(_listify)] = Field(default_factory=list)
    """Minimum periods such as '2 years after collected': a row is never due before every one
    has passed, even when a clock of 'after' or 'keep_last' makes it due (an event that has
    not happened keeps the row)."""
    stages: list[Stage] = Field(default_factory=list)
    """Deletion in stages, such as [{stage: trash, after: 30 days}, {stage: live, after: 30
    days}, {stage: backups, after: 90 days}], each after the previous one, the first after the
    clocks of 'after': the sweep deletes at the end of the 'live' stage; 'backups' is stated."""
    kept_while: Text | None = None
    """An open-ended hold carved out of the rule, as it reads after 'while': {fr: une enquête
    est en cours, en: an investigation is ongoing}; the mapping's 'kept_while' column says which
    rows it holds, and the sweep keeps them whatever the clocks say."""
    indefinite: bool = False
    """True when the data is kept with no end (an archive, a public register): the policy says
    so and the lint reports it (Art. 5(1)(e)); nothing is swept."""
    client_agreed: bool = False
    """True when each client may agree another period; 'after' is the default."""
    statement: Text | None = None
    """A retention promise that cannot be measured, kept as written; the lint reports it."""
    action: Action = Action.delete
    """delete, or anonymize (the mapping gives a method per column)."""
    reference: Text | None = None
    """The statute, guidance or contract that sets the period."""
    reason: Text | None = None
    """Why this period is needed (required by the CNIL for some data, such as geolocation)."""

    @model_validator(mode="after")
    def _has_a_limit(self) -> RetentionRule:
        if self.indefinite:
            if self.after or self.keep_last is not None or self.at_least or self.stages:
                raise ValueError(
                    "'indefinite: true' says the data is kept with no end: remove 'after', "
                    "'keep_last', 'at_least' and 'stages', or remove 'indefinite'"
                )
            return self
        if not self.after and self.keep_last is None and self.statement is None:
            raise ValueError(
                "a retention rule needs 'after' (such as '6 months after account_deleted'), "
                "'keep_last', 'indefinite: true', or a 'statement' for a promise that cannot "
                "be measured"
            )
        if self.client_agreed and not self.after:
            raise ValueError("'client_agreed' needs a default period in 'after'")
        if self.at_least and not (self.after or self.keep_last is not None):
            raise ValueError(
                "'at_least' keeps data that another limit would delete: give that limit in "
                "'after' or 'keep_last' too"
            )
        if self.stages:
            names = [s.stage for s in self.stages]
            order = ["trash", "live", "backups"]
            if "live" not in names:
                raise ValueError(
                    "'stages' needs a 'live' stage, when the data leaves the live systems: "
                    "that is what the sweep enforces"
                )
            if len(set(names)) != len(names) or names != sorted(names, key=order.index):
                raise ValueError(
                    "'stages' lists each stage once, in the order trash, live, backups"
                )
            if not self.after or self.keep_last is not None or self.client_agreed:
                raise ValueError(
                    "'stages' follow the clocks of 'after': give 'after' (the first stage "
                    "starts there), without 'keep_last' or 'client_agreed'"
                )
            if self.action != Action.delete:
                raise ValueError("'stages' describe a deletion: use them with action 'delete'")
        return self

    def swept_after(self) -> list[Duration]:
        """The stage delays the sweep adds to every clock: those up to the 'live' stage."""
        delays: list[Duration] = []
        for stage in self.stages:
            delays.append(stage.after)
            if stage.stage == "live":
                break
        return delays

    @property
    def measurable(self) -> bool:
        return bool(self.after) or self.keep_last is not None


# -- activities ---------------------------------------------------------------------------------


class ControllerRef(Strict):
    """Who the controller is when we act as processor or joint controller."""

    kind: Text
    """In words: 'the professional who uses the platform', 'the client company'."""
    name: str | None = None
    """The controller's name, when it is a single known organization."""
    contact: str | None = None
    """Where this controller takes requests from people about its data (an email, a form):
    a forwarded request is addressed there, not to a billing mailbox.
    """
    contact_column: str | None = None
    """For a multi-client service: the column of the store's tenants table that holds each
    client's contact for requests, such as dpo_email; a forwarded request is addressed there.
    """


class AutomatedDecision(Strict):
    """Automated decision-making, including profiling (Art. 22)."""

    description: Text
    """What is decided automatically."""
    logic: Text | None = None
    """The logic involved (Art. 13(2)(f))."""
    significance: Text | None = None
    """Its significance and consequences for the person."""
    safeguards: Text | None = None
    """The safeguards of Art. 22(3): how to obtain human intervention, express one's point of
    view and contest the decision."""


class Requirement(Strict):
    """Whether providing the data is required, and what happens if it is not (Art. 13(2)(e))."""

    kind: Literal["statutory", "contractual", "contract_prerequisite", "optional"]
    """statutory, contractual, contract_prerequisite or optional."""
    consequence: Text
    """What happens if the data is not provided."""


class SourceEntry(Strict):
    kind: Source
    """data_subject, client, public_sources, third_party or automatic."""
    detail: Text | None = None
    """Where exactly the data comes from."""


class ProcessingActivity(Strict):
    name: Text
    """Name of the processing activity."""
    purpose: Text
    """Its purpose, in a sentence."""
    role: Role = Role.controller
    """Our role: controller, processor or joint_controller."""
    controller: ControllerRef | None = None
    """The controller, when we act as processor or joint controller."""
    legal_basis: Annotated[list[LegalBasis], BeforeValidator(_listify)] = Field(min_length=1)
    """Art. 6(1) basis, or a list of them: consent, contract, legal_obligation, vital_interests,
    public_task, legitimate_interests.
    """
    legitimate_interest: Text | None = None
    """The interest pursued, required with legitimate_interests."""
    legal_basis_law: Text | None = None
    """The law behind a legal_obligation or public_task basis (Art. 6(3)), such as {fr: Code
    du travail, article L. 3243-4, en: French Labour Code, Article L. 3243-4}."""
    special_condition: SpecialCondition | None = None
    """The Art. 9(2) condition, required for special categories of data."""
    subjects: list[Id] = Field(min_length=1)
    """Ids of the categories of people concerned."""
    data: list[Id] = Field(min_length=1)
    """Ids of the data categories processed."""
    data_by_subject: dict[Id, list[Id]] = Field(default_factory=dict)
    """Which of 'data' concern each category of people, by subject id, when not all of them do,
    such as {attendee: [calendar_events]}; a category of people left out is concerned by all.
    """
    sources: list[SourceEntry] = Field(
        default_factory=lambda: [SourceEntry(kind=Source.data_subject)]
    )
    """Where the data comes from; the person by default."""
    recipients: list[Id] = Field(default_factory=list)
    """Ids of the processors and recipients that receive the data."""
    automated_decision: AutomatedDecision | None = None
    """Automated decision-making, including profiling (Art. 22)."""
    direct_marketing: bool = False
    """True for direct marketing (newsletters, prospecting): an objection stops it at once (Art.
    21(3)).
    """
    requirement: Requirement | None = None
    """Whether providing the data is required (Art. 13(2)(e))."""
    retention: dict[Id, RetentionRule] = Field(default_factory=dict)
    """Retention rules, by rule id."""
    created: dt.date | None = None
    """When this activity was first recorded (YYYY-MM-DD), for the Art. 30 record."""
    updated: dt.date | None = None
    """When its record last changed (YYYY-MM-DD), for the Art. 30 record."""

    @field_validator("sources", mode="before")
    @classmethod
    def _source_short_form(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"kind": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _data_by_subject_within(self) -> ProcessingActivity:
        for subject, categories in self.data_by_subject.items():
            if subject not in self.subjects:
                raise ValueError(
                    f"data_by_subject names {subject!r}, which is not in this activity's "
                    "subjects: add it there, or remove it here"
                )
            if not categories:
                raise ValueError(
                    f"data_by_subject gives {subject!r} no data category: list at least one, "
                    "or remove it to mean all of 'data'"
                )
            outside = [c for c in categories if c not in self.data]
            if outside:
                raise ValueError(
                    f"data_by_subject gives {subject!r} {', '.join(map(repr, outside))}, not in "
                    "this activity's data: add it there, or remove it here"
                )
        return self

    def data_of(self, subject_id: str) -> list[str]:
        """The data categories of this activity that concern one category of people."""
        given = self.data_by_subject.get(subject_id)
        return list(self.data) if given is None else [c for c in self.data if c in given]

    @model_validator(mode="after")
    def _interest_stated(self) -> ProcessingActivity:
        if LegalBasis.legitimate_interests in self.legal_basis and self.legitimate_interest is None:
            raise ValueError(
                "legal basis 'legitimate_interests' needs a 'legitimate_interest' statement "
                "saying which interest is pursued (Art. 13(1)(d))"
            )
        return self


# -- other controllers --------------------------------------------------------------------------


class IndependentController(Strict):
    """Another controller whose notice is published on the same page (a co-organizer, a
    payment provider acting on its own account): it answers for its own processing."""

    name: str
    """Its legal name."""
    notice: Text
    """Its notice, as it reads on the page: what it processes, why, on what basis, for how
    long; the policy prints it as written, under its name."""
    contact: str | None = None
    """Where people exercise their rights with it: an email or a URL."""


# -- commitments --------------------------------------------------------------------------------


class AuthorityRequests(Strict):
    """Requests for data from law enforcement, courts and other authorities."""

    policy: Text
    """What the organization does when asked, as a sentence: {fr: Nous ne communiquons vos
    données que sur réquisition judiciaire., en: We disclose your data only on a court
    order.}"""
    notify_person: bool = False
    """True when the person is told of a request before it is answered, unless the law
    forbids it; the policy says so."""
    transparency_report: str | None = None
    """The URL of a report that counts such requests."""


class Commitment(Strict):
    """A promise about what the organization does not do, or a limit it sets itself.

    Real policies say "we never sell your data", "your photos are processed on your phone and
    never reach us", "no one reads your messages": structured here, so the policy words them
    the same way every time and the lint can check them against the activities.
    """

    kind: Literal[
        "not_collected", "not_sold", "used_only_for", "processed_locally", "no_human_reads"
    ]
    """not_collected (we do not collect it), not_sold (we do not sell it), used_only_for (we
    use it only for 'purpose'), processed_locally (processed only on the person's device, or
    'where', and never reaches us) or no_human_reads (no one on our staff reads it)."""
    data: list[Id] = Field(default_factory=list)
    """The data categories it is about; empty means all the person's data ('what' for
    not_collected)."""
    what: Text | None = None
    """For not_collected, what is not collected when it is no data category, with its article:
    {fr: votre carnet d'adresses, en: your address book}."""
    purpose: Text | None = None
    """For used_only_for, the only use, as it reads after 'for': {fr: l'envoi de votre
    commande, en: sending your order}."""
    where: Text | None = None
    """For processed_locally, where the data is processed, after 'only': {fr: sur votre
    téléphone, en: on your phone}; 'on your device' by default."""
    detail: Text | None = None
    """A sentence that follows the promise, such as an exception it has."""

    @model_validator(mode="after")
    def _complete(self) -> Commitment:
        if self.kind == "used_only_for" and self.purpose is None:
            raise ValueError("'used_only_for' needs the 'purpose' the data is used for")
        if self.kind == "not_collected" and not self.data and self.what is None:
            raise ValueError(
                "'not_collected' needs 'what' is not collected (or the 'data' categories)"
            )
        for key, kind in (
            ("purpose", "used_only_for"),
            ("where", "processed_locally"),
            ("what", "not_collected"),
        ):
            if getattr(self, key) is not None and self.kind != kind:
                raise ValueError(f"'{key}' belongs to a '{kind}' commitment, not '{self.kind}'")
        return self


# -- security, cookies, rights, breaches ---------------------------------------------------------


class SecurityMeasure(Text):
    """A security measure (Art. 32) in each language, optionally under a CNIL heading."""

    heading: SecurityHeading | None = None
    """The CNIL register model's heading: access_control, traceability, software_protection,
    backup, encryption, processor_control, other (the default in the Art. 30 record).
    """


class Cookie(Strict):
    """A cookie or tracker, by its name, or by its kind when the policy gives no names."""

    name: str | None = None
    """The cookie's name as set in the browser; leave it out for trackers described by kind."""
    kind: Text | None = None
    """What the trackers are, when the policy names none: {fr: traceurs de mesure d'audience,
    en: audience measurement trackers}; the policy shows it in place of a name."""
    provider: str
    """Who sets it."""
    category: CookieCategory
    """essential, preferences, statistics or marketing."""
    purpose: Text
    """What it is for."""
    lifetime: Annotated[DurationField | None, BeforeValidator(_not_stated_as_none)]
    """How long it lives, such as '13 months'; 'session' for a cookie deleted when the browser
    closes; not_stated when the policy does not say."""
    session: bool = False
    """True for a session cookie (written 'lifetime: session'), deleted when the browser
    closes."""
    consent_required: bool | None = None
    """Defaults to False for essential cookies, for a statistics cookie that is cnil_exempt, and
    True for every other category."""
    cnil_exempt: bool = False
    """For a statistics cookie: it meets the CNIL's conditions for audience measurement without
    consent (first-party, anonymous statistics only, no cross-site tracking, 13 months at most):
    no consent is asked, the policy says why, and the lint checks what it can."""

    @model_validator(mode="before")
    @classmethod
    def _session_short_form(cls, value: Any) -> Any:
        if isinstance(value, dict) and str(value.get("lifetime", "")).strip().lower() == "session":
            return {**value, "lifetime": None, "session": True}
        return value

    @property
    def label(self) -> str:
        """How messages name it: its name, else its kind in English (French without)."""
        if self.name is not None:
            return self.name
        kind = self.kind.en or self.kind.fr if self.kind is not None else None
        return f"“{kind}” of {self.provider}"

    @model_validator(mode="after")
    def _named_or_kind(self) -> Cookie:
        if self.name is None and self.kind is None:
            raise ValueError(
                "give the cookie's 'name', or its 'kind' when the policy names none, such as "
                "{fr: traceurs de mesure d'audience, en: audience measurement trackers}"
            )
        return self

    @model_validator(mode="after")
    def _exempt_statistics(self) -> Cookie:
        if self.cnil_exempt and self.category != CookieCategory.statistics:
            raise ValueError(
                "'cnil_exempt' is the CNIL's exemption for audience measurement: it applies "
                "to 'statistics' cookies only"
            )
        if self.session and self.lifetime is not None:
            raise ValueError("a session cookie has no other 'lifetime'")
        return self

    @field_validator("lifetime")
    @classmethod
    def _lives(cls, value: Duration | None) -> Duration | None:
        if value is not None and value.is_zero:
            raise ValueError(
                "a cookie that lives 'immediately' is never kept: give how long it lives, such "
                "as '13 months', or write not_stated when the policy does not say"
            )
        return value

    @property
    def needs_consent(self) -> bool:
        if self.consent_required is not None:
            return self.consent_required
        return self.category != CookieCategory.essential and not self.cnil_exempt


class Rights(Strict):
    offered: list[Right] = Field(
        default_factory=lambda: [
            Right.access,
            Right.rectification,
            Right.erasure,
            Right.restriction,
            Right.objection,
            Right.portability,
        ]
    )
    """Rights offered: access, rectification, erasure, restriction, portability, objection,
    withdraw_consent, automated_decision, post_mortem, information (to be informed, Art. 13
    and 14), notification (recipients told of a rectification, erasure or restriction, Art.
    19). The policy lists them only when the register does.
    """
    response_deadline: DurationField = Duration(1, "months")
    """Time to answer a request; one month under Art. 12(3). The policy states it only when the
    register does."""
    extension: DurationField = Duration(2, "months")
    """How much the deadline can be extended (two months under Art. 12(3)), or 'none' when the
    policy promises no extension. The policy states it only when the register does."""

    @field_validator("offered")
    @classmethod
    def _some_rights(cls, value: list[Right]) -> list[Right]:
        if not value:
            raise ValueError(
                "'offered' lists no right, but people always have some (Art. 15 to 22): list "
                "them, such as [access, rectification, erasure, restriction, objection]"
            )
        return value

    @field_validator("response_deadline")
    @classmethod
    def _takes_time(cls, value: Duration) -> Duration:
        if value.is_zero:
            raise ValueError("a response deadline of 'immediately' cannot be met: give a period")
        return value

    identity_proof: Text | None = None
    """How identity is checked when in doubt."""
    how_to_request: Text | None = None
    """How to make a request, as the policy says it: what to write, which form to use, which
    details to give ({fr: Indiquez le droit que vous exercez et ..., en: Say which right ...})."""
    consent_withdrawal: Text | None = None
    """How to withdraw consent (a link, a setting, an address)."""
    cookie_settings: str | None = None
    """The URL of the page where people change or withdraw their consent to cookies."""
    browser_refusal: Text | None = None
    """How to refuse cookies in the browser's settings, as the policy says it ({fr: Votre
    navigateur permet de bloquer les cookies ..., en: Your browser lets you block ...})."""
    browser_signals: list[Literal["dnt", "gpc"]] = Field(default_factory=list)
    """Browser signals honored as a refusal of consent: dnt (Do Not Track), gpc (Global Privacy
    Control); the policy says so."""
    signed_by: Text | None = None
    """The role that signs the letters answering requests, such as {fr: La déléguée à la
    protection des données, en: The Data Protection Officer}; else the organization's team.
    """
    recipients_told: Text | None = None
    """How the recipients of the data are told of an erasure, rectification or restriction
    (Art. 19), or why they are not; the erasure letter says it.
    """
    backups: DurationField | None = None
    """How long erased data may remain in backups before they are overwritten; the erasure
    letter says it.
    """
    closed_requests_kept: DurationField = Duration(5, "years")
    """How long the record of a closed request keeps the requester's identity: the time to prove
    the request was answered (five years, the French limitation period for civil claims,
    Code civil art. 2224). Past it, `registre request purge-exports` replaces the identity by
    its keyed digest and deletes the forward letters and forward.json.
    """
    consent_records_kept: DurationField = Duration(5, "years")
    """How long the consent ledger keeps a person's records about an activity or a cookie
    category once they no longer consent (a refusal, a withdrawal, an expiry): the proof that
    the choice was respected (five years, Code civil art. 2224). A consent in force is kept
    while it is. Past it, the sweep deletes the records and the identity they name; the audit
    trail keeps its entries, which name the person only by a keyed digest.
    """


class Breaches(Strict):
    authority_notification_hours: int = Field(72, gt=0, le=8760)  # a year: past it, a typo
    """Hours to notify the authority of a breach (Art. 33: 72). The policy states the breach
    promise only when the register has a 'breaches' section."""
    notify_clients: bool = True
    """True when clients (as controllers) are told of breaches."""
    controller_notification_hours: int | None = Field(None, gt=0, le=8760)
    """Hours to tell a client (the controller) of a breach when we are its processor
    (Art. 33(2): without undue delay; seed 003 promises 72), counted like the authority's from
    when we became aware. Unset: without undue delay, undated."""
    notify_subjects_when_high_risk: bool = True
    """True when people are told of high-risk breaches (Art. 34)."""


class StateDatabase(Strict):
    """Where registre keeps its own state: runs, the audit trail, legal holds and requests.

    Every command finds it the same way from any directory: ``--state-url``, else the
    ``REGISTRE_STATE_URL`` variable, else this setting, else ``registre-state.sqlite`` beside
    the register's file (inside a register folder). A hold placed from one directory is then
    the hold a sweep started from another one (a cron job runs from ``$HOME``) respects.
    """

    path: str | None = None
    """A SQLite file for the state, relative to the register's file (or inside its folder),
    such as 'state/registre.sqlite'; default 'registre-state.sqlite' there."""
    url_env: str | None = Field(None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    """The environment variable holding the state's SQLAlchemy URL, for a state on a database
    server, such as REGISTRE_STATE_DATABASE_URL; a command refuses when it is not set."""

    @model_validator(mode="after")
    def _one_place(self) -> StateDatabase:
        if self.path is not None and self.url_env is not None:
            raise ValueError("give either a 'path' or a 'url_env', not both")
        if self.path is not None and not self.path.strip():
            raise ValueError("the state's 'path' is empty: name a file, or remove the key")
        return self


# -- the register -------------------------------------------------------------------------------


class Register(Strict):
    """One organization's register of processing activities."""

    registre: Literal[1] = 1
    """Version of the register format; 1."""
    organization: Organization
    """Who we are."""
    policy: Policy
    """Version, date, languages and time zone of the policy."""
    subjects: dict[Id, SubjectCategory]
    """Categories of people, by id."""
    data_categories: dict[Id, DataCategory] = Field(default_factory=dict)
    """Data categories declared next to the built-in ones, by id."""
    events: dict[Id, Event] = Field(default_factory=dict)
    """Events that start retention clocks, next to the built-in ones, by id."""
    processors: dict[Id, Processor] = Field(default_factory=dict)
    """Processors and sub-processors, by id."""
    recipients: dict[Id, Recipient] = Field(default_factory=dict)
    """Other recipients, by id."""
    activities: dict[Id, ProcessingActivity] = Field(min_length=1)
    """Processing activities (Art. 30), by id."""
    security: list[SecurityMeasure] = Field(default_factory=list)
    """Security measures (Art. 32), each a text, optionally with its CNIL 'heading'."""
    commitments: list[Commitment] = Field(default_factory=list)
    """Promises about what the organization does not do (not collected, not sold, used only
    for, processed locally, no human reads it); the policy states each one."""
    other_controllers: dict[Id, IndependentController] = Field(default_factory=dict)
    """Independent controllers whose own notices are published on the same page, by id."""
    authority_requests: AuthorityRequests | None = None
    """How requests for data from the police, courts and other authorities are handled."""
    cookies: dict[Id, Cookie] = Field(default_factory=dict)
    """Cookies and trackers, by id."""
    rights: Rights = Rights()
    """Rights offered and how they are handled."""
    breaches: Breaches = Breaches()
    """Personal data breach notification."""
    stores: dict[Id, DataStore] = Field(default_factory=dict)
    """Databases the register is enforced on, by id."""
    state: StateDatabase | None = None
    """Where registre keeps its runs, audit trail, holds and requests; default: a SQLite file
    beside the register."""

    # Resolved views: built-in vocabulary merged with what the register declares.

    def data_category(self, category_id: str) -> DataCategory:
        from registre.register.taxonomy import CNIL_CATEGORIES, DATA_CATEGORIES

        if category_id in self.data_categories:
            return self.data_categories[category_id]
        fr, en, special = DATA_CATEGORIES[category_id]
        return DataCategory(
            name=Text(fr=fr, en=en),
            special=special,
            national_id=category_id == "nir",
            cnil_category=CNIL_CATEGORIES.get(category_id),
        )

    def event(self, event_id: str) -> Event:
        from registre.register.taxonomy import EVENTS

        if event_id in self.events:
            return self.events[event_id]
        fr, en = EVENTS[event_id]
        return Event(name=Text(fr=fr, en=en))

    def rules(self) -> list[tuple[str, str, RetentionRule]]:
        """Every retention rule as (activity id, rule id, rule), in register order."""
        return [
            (activity_id, rule_id, rule)
            for activity_id, activity in self.activities.items()
            for rule_id, rule in activity.retention.items()
        ]

    def rule(self, rule_id: str) -> tuple[str, RetentionRule]:
        for activity_id, found_id, rule in self.rules():
            if found_id == rule_id:
                return activity_id, rule
        raise KeyError(rule_id)

    def rule_categories(self, activity_id: str, rule: RetentionRule) -> list[str]:
        return rule.data or list(self.activities[activity_id].data)
