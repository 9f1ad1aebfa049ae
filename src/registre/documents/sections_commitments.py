"""The policy's commitments (what the organization promises not to do, each from its entry), and
the notices of other, independent controllers published on the same page.

« Nous ne vendons pas vos données. » is a promise a DPO must be able to trace: each sentence
here comes from one entry of the register's ``commitments`` and says exactly its kind. French
avoids making a participle agree with category names the register does not give the gender
of: the categories follow a colon (« Nous ne vendons pas ces données : ... »).
"""

from __future__ import annotations

from registre.documents.blocks import (
    Block,
    Bullets,
    Line,
    Para,
    Section,
    email_link,
    line,
    url_link,
)
from registre.documents.naming import Namer
from registre.documents.typography import de, sentence
from registre.register.model import Commitment

TITLE = ("Nos engagements", "Our commitments")


def commitments(n: Namer) -> list[Section]:
    """A section listing the register's commitments, none when it states none."""
    entries = n.register.commitments
    if not entries:
        return []
    items = tuple(_commitment(n, entry, f"commitments.{i}") for i, entry in enumerate(entries))
    return [Section(n.say(*TITLE), 2, [Bullets(items)], src=("commitments",))]


def commitment_sentence(n: Namer, entry: Commitment) -> str:
    """The promise of one entry, as one or two sentences."""
    data = n.categories(entry.data, lower=True) if entry.data else ""

    def about(fr_all: str, en_all: str, fr_these: str, en_these: str) -> str:
        if not data:
            return n.say(fr_all, en_all)
        return n.say(f"{fr_these} : {data}", f"{en_these}: {data}")

    if entry.kind == "not_collected":
        if entry.what is not None:
            what = n.text(entry.what)
            said = n.say(f"Nous ne collectons pas {what}", f"We do not collect {what}")
            if data:
                said += n.say(f", ni ces données : {data}", f", nor this data: {data}")
        else:
            said = about(
                "", "", "Nous ne collectons pas ces données", "We do not collect this data"
            )
    elif entry.kind == "not_sold":
        said = about(
            "Nous ne vendons pas vos données",
            "We do not sell your data",
            "Nous ne vendons pas ces données",
            "We do not sell this data",
        )
    elif entry.kind == "used_only_for":
        assert entry.purpose is not None  # the model requires it
        purpose = n.text(entry.purpose)
        said = about(
            f"Nous utilisons vos données uniquement pour {purpose}",
            f"We use your data only for {purpose}",
            f"Nous utilisons ces données uniquement pour {purpose}",
            f"We use this data only for {purpose}",
        )
    elif entry.kind == "processed_locally":
        where = (
            n.text(entry.where) if entry.where else n.say("sur votre appareil", "on your device")
        )
        said = about(
            f"Vos données sont traitées uniquement {where} et ne nous parviennent jamais",
            f"Your data is processed only {where} and never reaches us",
            f"Ces données sont traitées uniquement {where} et ne nous parviennent jamais",
            f"This data is processed only {where} and never reaches us",
        )
    else:
        said = about(
            "Aucun membre de notre personnel ne lit vos données",
            "No one on our staff reads your data",
            "Aucun membre de notre personnel ne lit ces données",
            "No one on our staff reads this data",
        )
    text = sentence(said)
    if entry.detail is not None:
        text += " " + sentence(n.text(entry.detail))
    return text


def _commitment(n: Namer, entry: Commitment, at: str) -> Line:
    return line(commitment_sentence(n, entry), src=at)


def other_controllers(n: Namer) -> list[Section]:
    """One section per independent controller: its own notice, as written, and its contact."""
    sections = []
    for cid, controller in n.register.other_controllers.items():
        at = f"other_controllers.{cid}"
        blocks: list[Block] = [
            n.para(
                f"{controller.name} est responsable de ses propres traitements, décrits "
                "ci-dessous, et y répond seul.",
                f"{controller.name} is the controller of its own processing, described below, "
                "and answers for it alone.",
                f"{at}.name",
            ),
            Para(line(sentence(n.text(controller.notice)), src=f"{at}.notice")),
        ]
        if controller.contact is not None:
            link = (
                email_link(controller.contact)
                if "@" in controller.contact and "/" not in controller.contact
                else url_link(controller.contact)
            )
            blocks.append(
                Para(
                    line(
                        n.say(
                            f"Pour exercer vos droits auprès {de(controller.name)} : ",
                            f"To exercise your rights with {controller.name}: ",
                        ),
                        link,
                        ".",
                        src=f"{at}.contact",
                    )
                )
            )
        sections.append(
            Section(
                n.say(
                    f"Autre responsable du traitement : {controller.name}",
                    f"Another controller: {controller.name}",
                ),
                2,
                blocks,
                src=(f"{at}.name",),
            )
        )
    return sections
