"""The credit-report request body: who is asked about, for which risk models; validated as Experian does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sandbox.experian.errors import validation_failed

DEFAULT_MODELS = ["V4"]  # what a subscriber code set up for VantageScore returns when the request names none
NAME = re.compile(r"^[A-Za-z][A-Za-z .'-]{0,31}$")


@dataclass(frozen=True)
class Applicant:
    first_name: str
    middle_name: str
    surname: str
    ssn: str  # nine digits
    dob: date
    line1: str
    line2: str
    city: str
    state: str
    zip_code: str  # five or nine digits

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.middle_name, self.surname) if part)


def normalise_ssn(value: Any) -> str:
    return re.sub(r"[\s-]", "", value) if isinstance(value, str) else ""


def _section(parent: Any, key: str) -> dict[str, Any]:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, dict) else {}


def _text(section: dict[str, Any], key: str) -> str:
    value = section.get(key)
    return value.strip() if isinstance(value, str) else ""


def parse_report_request(body: dict[str, Any]) -> tuple[Applicant, list[str]]:
    """The applicant and the requested model indicators; raises one 400 listing every problem found."""
    problems: list[str] = []
    applicant_path = "consumerPii.primaryApplicant"
    primary = _section(_section(body, "consumerPii"), "primaryApplicant")
    if not primary:
        raise validation_failed([f"{applicant_path} is required"])

    name = _section(primary, "name")
    first, middle, last = _text(name, "firstName"), _text(name, "middleName"), _text(name, "lastName")
    for label, value in (("firstName", first), ("lastName", last)):
        if not value:
            problems.append(f"{applicant_path}.name.{label} is required")
        elif not NAME.match(value):
            problems.append(f"{applicant_path}.name.{label} is invalid")

    ssn = normalise_ssn(_section(primary, "ssn").get("ssn"))
    if not ssn:
        problems.append(f"{applicant_path}.ssn.ssn is required")
    elif not re.fullmatch(r"\d{9}", ssn) or ssn.startswith("000"):
        problems.append(f"{applicant_path}.ssn.ssn must be nine digits")

    dob_text = _text(_section(primary, "dob"), "dob")
    dob = _parse_dob(dob_text)
    if not dob_text:
        problems.append(f"{applicant_path}.dob.dob is required")
    elif dob is None:
        problems.append(f"{applicant_path}.dob.dob must be a past date in MMDDYYYY format")

    address = _section(primary, "currentAddress")
    fields = {key: _text(address, key) for key in ("line1", "line2", "city", "state", "zipCode")}
    for key in ("line1", "city", "state", "zipCode"):
        if not fields[key]:
            problems.append(f"{applicant_path}.currentAddress.{key} is required")
    if fields["state"] and not re.fullmatch(r"[A-Za-z]{2}", fields["state"]):
        problems.append(f"{applicant_path}.currentAddress.state must be a two-letter state code")
    zip_code = fields["zipCode"].replace("-", "")
    if fields["zipCode"] and not re.fullmatch(r"\d{5}(\d{4})?", zip_code):
        problems.append(f"{applicant_path}.currentAddress.zipCode must be five or nine digits")

    if not _text(_section(body, "requestor"), "subscriberCode"):
        problems.append("requestor.subscriberCode is required")
    purpose = _section(body, "permissiblePurpose")
    if "type" in purpose and not re.fullmatch(r"[A-Za-z0-9]{2}", str(purpose["type"])):
        problems.append("permissiblePurpose.type must be a two-character code")

    models = _section(_section(body, "addOns"), "riskModels").get("modelIndicator", DEFAULT_MODELS)
    if not isinstance(models, list) or not all(isinstance(m, str) and m.strip() for m in models):
        problems.append("addOns.riskModels.modelIndicator must be a list of model codes")

    if problems:
        raise validation_failed(problems)
    assert dob is not None
    applicant = Applicant(
        first.upper(),
        middle.upper(),
        last.upper(),
        ssn,
        dob,
        fields["line1"].upper(),
        fields["line2"].upper(),
        fields["city"].upper(),
        fields["state"].upper(),
        zip_code,
    )
    return applicant, [model.strip().upper() for model in models]


def _parse_dob(text: str) -> date | None:
    if not re.fullmatch(r"\d{8}", text):
        return None
    try:
        born = date(int(text[4:]), int(text[:2]), int(text[2:4]))
    except ValueError:
        return None
    return born if born < date.today() else None
