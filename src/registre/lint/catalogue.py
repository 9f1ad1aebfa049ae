"""Every finding the lint can report: its code, severity, title and the text it comes from.

A code is stable: once published it keeps its meaning, so that CI configurations, SARIF
dashboards and suppressions written against it keep working. ``docs/lint.md`` explains each
code at length; a test checks that none is missing there.

The table stays whole although it is over 500 lines: it is data, not logic, and one file is
where a code is looked up and a new code checked against its neighbours. Its sections follow
the checks' modules (retention, transfers, consent, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How serious a finding is; ``error`` is a breach of the text, ``info`` a suggestion."""

    error = "error"
    warning = "warning"
    info = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


@dataclass(frozen=True)
class Rule:
    """One kind of finding."""

    code: str
    severity: Severity
    title: str
    reference: str
    help: str
    """Why it matters and how to fix it, in two or three sentences (shown in SARIF)."""


E, W, N = Severity.error, Severity.warning, Severity.info

_RULES = [
    # -- retention ------------------------------------------------------------------------------
    Rule(
        "RET001",
        E,
        "Activity without a retention rule",
        "GDPR Art. 5(1)(e), 13(2)(a) and 30(1)(f)",
        "Every processing activity must say how long its data is kept. Add a rule under "
        "'retention', such as '3 years after last_activity'.",
    ),
    Rule(
        "RET002",
        E,
        "Data category without a retention rule",
        "GDPR Art. 5(1)(e), 13(2)(a) and 30(1)(f)",
        "A data category of the activity is covered by none of its rules, so nothing says when "
        "it goes. Add it to a rule's 'data' list, or leave 'data' empty for a rule that covers "
        "every category.",
    ),
    Rule(
        "RET003",
        E,
        "Retention that cannot be measured",
        "GDPR Art. 13(2)(a); Art. 29 WP Guidelines on transparency (WP260 rev.01), annex",
        "'As long as needed' is not a period: people cannot tell when their data goes and "
        "registre cannot enforce it. Replace the statement by clocks such as "
        "'2 years after contract_ended', or a 'keep_last' cap.",
    ),
    Rule(
        "RET004",
        W,
        "Location data kept beyond two months without a reason",
        "CNIL, géolocalisation des véhicules et appareils des salariés: 2 months",
        "The CNIL allows two months for location data, longer only for a stated reason such as "
        "proof of services rendered. Add a clock of at most '2 months after collected', or a "
        "'reason'.",
    ),
    Rule(
        "RET005",
        W,
        "Job applications kept beyond two years without a reason",
        "CNIL, référentiel relatif aux traitements de données dans le cadre du recrutement "
        "(2023): 2 years after the last contact",
        "Unsuccessful candidates' files may be kept two years after the last contact. Shorten "
        "the period, or state a 'reason' (such as the candidate's agreement).",
    ),
    Rule(
        "RET006",
        W,
        "Connection logs kept beyond one year without a reason",
        "CNIL, recommandation relative aux mesures de journalisation (2021): 6 months to 1 year",
        "Logs are kept from six months to one year unless a legal obligation or a specific risk "
        "justifies more. Shorten the period, or state a 'reason' or 'reference'.",
    ),
    Rule(
        "RET007",
        W,
        "Retention beyond ten years without a reference",
        "GDPR Art. 5(1)(e); 10 years is the longest usual statutory period (Code de commerce "
        "L. 123-22)",
        "Periods beyond ten years are rare and must rest on a text. Give the statute in "
        "'reference', or the need in 'reason', or shorten the period.",
    ),
    Rule(
        "RET008",
        W,
        "Data kept indefinitely without a reason",
        "GDPR Art. 5(1)(e); Art. 89(1) for archiving in the public interest",
        "Data may be kept with no end only for archiving in the public interest, research or "
        "statistics, or where a text requires it. Give the need in 'reason' or the text in "
        "'reference', or give the rule a period.",
    ),
    Rule(
        "RET009",
        N,
        "Data kept indefinitely",
        "GDPR Art. 5(1)(e)",
        "The rule keeps data with no end and says why. Review the need from time to time: an "
        "archive that no longer serves its purpose must be sorted and deleted.",
    ),
    # -- transfers ------------------------------------------------------------------------------
    Rule(
        "TRF001",
        E,
        "Transfer outside the EEA without a safeguard",
        "GDPR Art. 44 and 46",
        "Data leaves the EEA with no Chapter V ground. Give 'transfer' a safeguard: adequacy, "
        "dpf, scc or bcr, with its reference.",
    ),
    Rule(
        "TRF002",
        E,
        "Transfer relying on the EU-US Privacy Shield",
        "CJEU, Schrems II, C-311/18, 16 July 2020",
        "The Privacy Shield was invalidated on 16 July 2020. Use the EU-US Data Privacy "
        "Framework (dpf) if the recipient is certified, or standard contractual clauses (scc) "
        "with a transfer impact assessment.",
    ),
    Rule(
        "TRF003",
        E,
        "Processor transfer relying on an Art. 49 derogation",
        "GDPR Art. 49; EDPB Guidelines 2/2018 on derogations",
        "Derogations cover occasional transfers, and a processor's service is regular by nature. "
        "Sign standard contractual clauses (scc) or rely on adequacy or the dpf.",
    ),
    Rule(
        "TRF004",
        W,
        "Recipient transfer relying on an Art. 49 derogation",
        "GDPR Art. 49; EDPB Guidelines 2/2018 on derogations",
        "Derogations are for occasional, non-repetitive transfers. Check that this one is, and "
        "name the derogation in 'reference'; otherwise use a safeguard of Art. 46.",
    ),
    Rule(
        "TRF005",
        E,
        "Adequacy claimed for a country without an adequacy decision",
        "GDPR Art. 45; the European Commission's list of adequacy decisions",
        "The country has no adequacy decision (for the United States, only the Data Privacy "
        "Framework counts). Use dpf, scc or bcr.",
    ),
    Rule(
        "TRF006",
        E,
        "Data Privacy Framework claimed outside the United States",
        "Commission Implementing Decision (EU) 2023/1795",
        "The Data Privacy Framework only covers certified organizations in the United States. "
        "Use the safeguard that applies to this country.",
    ),
    Rule(
        "TRF007",
        W,
        "Hosting outside the EEA with no processor declared there",
        "GDPR Art. 30(1)(e) and 44",
        "Servers outside the EEA mean a transfer, but no processor in that country carries its "
        "safeguard. Declare the host under 'processors' with its 'transfer'.",
    ),
    # -- consent --------------------------------------------------------------------------------
    Rule(
        "CNS001",
        E,
        "Consent without a way to withdraw it",
        "GDPR Art. 7(3) and 13(2)(c)",
        "Withdrawing consent must be as easy as giving it, and people must be told how. Say how "
        "in 'rights.consent_withdrawal' (a link, a setting, an address).",
    ),
    Rule(
        "CNS002",
        E,
        "Consent without the right to withdraw it",
        "GDPR Art. 7(3) and 13(2)(c)",
        "Activities rely on consent but the rights offered do not include its withdrawal. Add "
        "'withdraw_consent' to 'rights.offered'.",
    ),
    Rule(
        "CNS003",
        W,
        "Consent combined with another legal basis",
        "GDPR Art. 6(1); EDPB Guidelines 05/2020 on consent, section 6",
        "One purpose has one legal basis, chosen before processing: a controller cannot fall "
        "back on another basis when consent is withdrawn. Split the activity by purpose, or "
        "keep one basis.",
    ),
    Rule(
        "CNS004",
        W,
        "Consent asked of employees",
        "EDPB Guidelines 05/2020 on consent, section 3.1.1",
        "Employees can rarely refuse their employer freely, so their consent is rarely valid. "
        "Rely on another basis (contract, legal obligation, legitimate interests).",
    ),
    Rule(
        "CNS005",
        W,
        "Consent-based data with no rule for its withdrawal",
        "GDPR Art. 7(3) and 17(1)(b)",
        "When consent is withdrawn, the data processed on it alone must be erased. Give the "
        "activity a retention clock on 'consent_withdrawn' (and map that event in its tables), "
        "so that a withdrawal erases it.",
    ),
    # -- special categories ---------------------------------------------------------------------
    Rule(
        "SPC001",
        E,
        "Special-category data without an Art. 9(2) condition",
        "GDPR Art. 9(1) and 9(2)",
        "Processing health, biometric or other special-category data is forbidden unless an "
        "Art. 9(2) condition applies. Give it in 'special_condition'.",
    ),
    Rule(
        "SPC002",
        W,
        "National identification number used beyond what the law allows",
        "GDPR Art. 87; loi Informatique et Libertés Art. 30; décret n° 2019-341 (décret-cadre NIR)",
        "In France the NIR may be processed only for the purposes the décret-cadre lists (social "
        "protection, health, employment, taxes), on a legal obligation or a public task. Check "
        "the purpose, or stop collecting the number.",
    ),
    # -- automated decisions --------------------------------------------------------------------
    Rule(
        "ADM001",
        E,
        "Automated decision without an explanation of its logic",
        "GDPR Art. 13(2)(f), 14(2)(g) and 22",
        "People must get meaningful information about the logic involved. Describe it in "
        "'automated_decision.logic'.",
    ),
    Rule(
        "ADM002",
        W,
        "Automated decision without the right to human intervention",
        "GDPR Art. 22(3)",
        "People subject to an automated decision may obtain human intervention and contest it. "
        "Add 'automated_decision' to 'rights.offered'.",
    ),
    Rule(
        "ADM003",
        W,
        "Automated decision on a basis Art. 22(2) does not allow",
        "GDPR Art. 22(1) and 22(2)",
        "A decision with legal or similarly significant effects may rest only on a contract, a "
        "law or explicit consent. Check the effects, or change the basis.",
    ),
    Rule(
        "ADM004",
        E,
        "Automated decision on special-category data",
        "GDPR Art. 22(4)",
        "Automated decisions may use special-category data only with explicit consent or for a "
        "substantial public interest. Change 'special_condition', or keep that data out.",
    ),
    # -- cookies --------------------------------------------------------------------------------
    Rule(
        "CKE001",
        W,
        "Cookie living longer than 13 months",
        "CNIL, lignes directrices et recommandation « cookies et autres traceurs » "
        "(délibérations 2020-091 and 2020-092)",
        "The CNIL recommends 13 months at most for trackers. Shorten 'lifetime'.",
    ),
    Rule(
        "CKE002",
        E,
        "Marketing cookie without consent",
        "Directive 2002/58/EC Art. 5(3); loi Informatique et Libertés Art. 82",
        "Advertising trackers always need prior consent. Set 'consent_required' to true (or "
        "remove it).",
    ),
    Rule(
        "CKE003",
        W,
        "Statistics or preference cookie exempted from consent",
        "Loi Informatique et Libertés Art. 82; CNIL guidelines (2020), Art. 5",
        "Only strictly necessary trackers, and audience measurement meeting the CNIL's "
        "conditions, are exempt. Check those conditions, or require consent.",
    ),
    Rule(
        "CKE004",
        W,
        "Exempt audience measurement living beyond 13 months",
        "CNIL, lignes directrices et recommandation « cookies et autres traceurs » (2020), "
        "art. 5 of the recommendation",
        "An audience-measurement cookie is exempt from consent only if, among other "
        "conditions, it lives 13 months at most. Give its lifetime, shorten it, or ask for "
        "consent.",
    ),
    # -- rights, contact, deadlines -------------------------------------------------------------
    Rule(
        "RGT001",
        E,
        "A basic right is not offered",
        "GDPR Art. 13(2)(b) and 15-18",
        "Access, rectification, erasure and restriction apply whatever the legal basis. Add the "
        "missing ones to 'rights.offered'.",
    ),
    Rule(
        "RGT002",
        E,
        "Portability not offered for consent or contract",
        "GDPR Art. 20(1)",
        "Data processed on consent or a contract, by automated means, must be portable. Add "
        "'portability' to 'rights.offered'.",
    ),
    Rule(
        "RGT003",
        E,
        "Objection not offered for legitimate interests or public task",
        "GDPR Art. 21(1)",
        "People may object to processing based on legitimate interests or a public task. Add "
        "'objection' to 'rights.offered'.",
    ),
    Rule(
        "RGT004",
        E,
        "Direct marketing without the right to object",
        "GDPR Art. 21(2) and 21(3)",
        "People may object to direct marketing at any time, without giving a reason. Add "
        "'objection' to 'rights.offered'.",
    ),
    Rule(
        "RGT005",
        E,
        "Response deadline longer than one month",
        "GDPR Art. 12(3)",
        "Requests are answered within one month of receipt. Set 'rights.response_deadline' to "
        "'1 month' or less.",
    ),
    Rule(
        "RGT006",
        E,
        "Extension longer than two months",
        "GDPR Art. 12(3)",
        "The deadline may be extended by two further months at most, for complex or numerous "
        "requests. Set 'rights.extension' to '2 months' or less.",
    ),
    Rule(
        "CTC001",
        E,
        "DPO without contact details",
        "GDPR Art. 13(1)(b) and 37(7)",
        "The DPO's contact details must be published. Give the DPO an email, phone or address.",
    ),
    Rule(
        "CTC002",
        W,
        "No DPO while processing sensitive data or monitoring people",
        "GDPR Art. 37(1)(b) and (c); EDPB (WP243) Guidelines on DPOs",
        "Large-scale processing of special-category data or regular monitoring (location, "
        "profiling) makes a DPO mandatory. Appoint one and declare it under "
        "'organization.dpo', or record why the processing is not large-scale.",
    ),
    Rule(
        "CTC003",
        N,
        "No DPO declared",
        "GDPR Art. 13(1)(b) and 37",
        "When a DPO is appointed, the policy must give their contact details. A DPO is "
        "mandatory for public bodies and some large-scale processing, and the CNIL recommends "
        "one otherwise. Declare it under 'organization.dpo', or keep privacy questions going "
        "to the rights contact in 'organization.contact'.",
    ),
    Rule(
        "CTC004",
        E,
        "Public body without a DPO",
        "GDPR Art. 37(1)(a)",
        "A public authority or body must appoint a data protection officer. Declare it under "
        "'organization.dpo'.",
    ),
    Rule(
        "CTC005",
        W,
        "Organization outside the Union without a representative",
        "GDPR Art. 3(2) and 27",
        "An organization established outside the Union that offers goods or services to people "
        "in it, or monitors them, must designate a representative there, unless its processing "
        "is occasional and low-risk. Name it under 'organization.eu_representative'.",
    ),
    # -- breaches -------------------------------------------------------------------------------
    Rule(
        "BRH001",
        E,
        "Breach notification later than 72 hours",
        "GDPR Art. 33(1)",
        "The authority is notified within 72 hours of becoming aware of a breach. Set "
        "'breaches.authority_notification_hours' to 72 or less.",
    ),
    Rule(
        "BRH002",
        E,
        "High-risk breaches not notified to people",
        "GDPR Art. 34(1)",
        "People must be told without undue delay of a breach likely to result in a high risk to "
        "them. Set 'breaches.notify_subjects_when_high_risk' to true.",
    ),
    Rule(
        "BRH003",
        E,
        "Clients not told of breaches while acting as processor",
        "GDPR Art. 33(2)",
        "A processor notifies the controller of a breach without undue delay. Set "
        "'breaches.notify_clients' to true.",
    ),
    Rule(
        "BRH004",
        W,
        "Processor activity with no commitment to tell the controller of a breach",
        "GDPR Art. 33(2) and 28(3)(f)",
        "A processor notifies the controller of a breach without undue delay, and the contract "
        "says so. The register acts as processor and does not state whether clients are told: "
        "state 'breaches.notify_clients: true' so that the commitment is written down.",
    ),
    Rule(
        "BRH005",
        W,
        "Clients told of a breach later than 72 hours",
        "GDPR Art. 33(2)",
        "A processor tells its controller of a breach without undue delay, so that the "
        "controller can notify the authority within its own 72 hours. Set "
        "'breaches.controller_notification_hours' to 72 or less.",
    ),
    # -- processors and controllers -------------------------------------------------------------
    Rule(
        "PRC001",
        E,
        "Processor activity without its controller",
        "GDPR Art. 30(2)(a) (Art. 26 for joint controllers)",
        "A processor's record names the controller it acts for. Fill in 'controller', at least "
        "its 'kind'.",
    ),
    Rule(
        "PRC002",
        N,
        "Processor without a data processing agreement reference",
        "GDPR Art. 28(3)",
        "Processing by a processor is governed by a contract. Record where it is in 'dpa', so "
        "it can be shown on request.",
    ),
    Rule(
        "PRC003",
        N,
        "Processor or recipient that no activity uses",
        "GDPR Art. 13(1)(e) and 30(1)(d)",
        "The policy would name a recipient that receives no data. Add it to the 'recipients' of "
        "the activities that share data with it, or remove it.",
    ),
    # -- commitments ------------------------------------------------------------------------------
    Rule(
        "CMT001",
        E,
        "A promise not to collect data an activity collects",
        "GDPR Art. 5(1)(a) and 12(1)",
        "The policy would say the data is not collected while an activity lists it. Remove the "
        "promise, or the category from the activities.",
    ),
    Rule(
        "CMT002",
        E,
        "Data promised to stay on the device held in a database",
        "GDPR Art. 5(1)(a) and 12(1)",
        "The policy would say the data never reaches the organization while a mapped column "
        "holds it. Remove the promise, or the column if the database is not the "
        "organization's.",
    ),
    Rule(
        "CMT003",
        W,
        "Data promised for one use processed by several activities",
        "GDPR Art. 5(1)(b)",
        "A 'used_only_for' promise covers data that several activities process. Check that the "
        "promise holds for each of them, or narrow it.",
    ),
    # -- what the policy must state ---------------------------------------------------------------
    Rule(
        "STM001",
        E,
        "Legal basis not stated",
        "GDPR Art. 6(1), 13(1)(c) and 30(1)(b)",
        "The register says 'not_stated' where the policy names no legal basis. Every activity "
        "needs one: name it in 'legal_basis'.",
    ),
    Rule(
        "STM002",
        W,
        "Processor's country not stated",
        "GDPR Art. 13(1)(f) and 44",
        "Without the country, nobody can tell whether the data leaves the EEA. Give the "
        "processor's 'country'.",
    ),
    Rule(
        "STM003",
        W,
        "Cookie lifetime not stated",
        "loi Informatique et Libertés Art. 82; CNIL recommendation on cookies (2020), Art. 2",
        "People are told how long each tracker lives. Give the cookie's 'lifetime'.",
    ),
    Rule(
        "STM004",
        E,
        "No supervisory authority named",
        "GDPR Art. 13(2)(d) and 77",
        "The policy tells people they may complain to a supervisory authority, and which. Add "
        "'supervisory_authority: cnil' under 'organization', or the authority's details.",
    ),
    Rule(
        "STM005",
        E,
        "No rights listed",
        "GDPR Art. 13(2)(b)",
        "The policy lists the rights people have. List them in 'rights.offered'.",
    ),
    Rule(
        "STM006",
        E,
        "Data sent outside the place the policy promises",
        "GDPR Art. 5(1)(a) and 13(1)(f)",
        "'organization.data_stays_in' promises that data stays in a place, and a processor, "
        "recipient or host of the register is elsewhere (or nowhere stated). Correct one or the "
        "other.",
    ),
    Rule(
        "STM007",
        W,
        "Automated decision without its consequences or safeguards",
        "GDPR Art. 13(2)(f) and 22(3)",
        "People are told the significance and envisaged consequences of an automated decision, "
        "and how to obtain human intervention, express their view and contest it. Fill in "
        "'significance' and 'safeguards'.",
    ),
    Rule(
        "STM008",
        N,
        "French policy without post-mortem directives",
        "loi Informatique et Libertés Art. 85",
        "In France, people may give directives on what happens to their data after their "
        "death, and a policy tells them so. Add 'post_mortem' to 'rights.offered'.",
    ),
    Rule(
        "STM009",
        W,
        "No way given to withdraw cookie consent",
        "GDPR Art. 7(3); CNIL guidelines on cookies (2020), Art. 2",
        "Withdrawing consent must be as easy as giving it. Give the URL of the cookie settings "
        "in 'rights.cookie_settings'.",
    ),
    # -- security -------------------------------------------------------------------------------
    Rule(
        "SEC001",
        W,
        "No security measure described",
        "GDPR Art. 30(1)(g) and 32",
        "The register describes the technical and organisational security measures where "
        "possible. List them under 'security'.",
    ),
]

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}
