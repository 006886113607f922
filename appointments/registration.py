"""Professional registration numbers, and the formats each regulator issues them in."""

import re

from django.db import models


class RegistrationBody(models.TextChoices):
    GMC = "GMC", "General Medical Council"
    NMC = "NMC", "Nursing and Midwifery Council"
    HCPC = "HCPC", "Health and Care Professions Council"
    GPHC = "GPhC", "General Pharmaceutical Council"
    GDC = "GDC", "General Dental Council"
    GOC = "GOC", "General Optical Council"
    SWE = "SWE", "Social Work England"


# (pattern, what a user is told) per regulator.
FORMATS = {
    RegistrationBody.GMC: (r"\d{7}", "A GMC number is 7 digits, for example 1234567."),
    RegistrationBody.NMC: (
        r"\d{2}[A-Z]\d{4}[A-Z]",
        "An NMC PIN is 2 digits, a letter, 4 digits and a letter, for example 12A3456E.",
    ),
    RegistrationBody.HCPC: (
        r"[A-Z]{2}\d{5,6}",
        "An HCPC number is 2 letters for the profession and 5 or 6 digits, for example PH12345.",
    ),
    RegistrationBody.GPHC: (r"\d{7}", "A GPhC number is 7 digits, for example 2012345."),
    RegistrationBody.GDC: (r"\d{1,6}", "A GDC number is up to 6 digits, for example 81234."),
    RegistrationBody.GOC: (
        r"(01|D)-\d{4,6}",
        "A GOC number is 01- or D- followed by digits, for example 01-12345.",
    ),
    RegistrationBody.SWE: (
        r"SW\d{1,7}", "A Social Work England number is SW and digits, for example SW12345."
    ),
}


def validate_registration(body, number):
    """Errors (field name → message) for a registration body and number pair."""
    if not body and not number:
        return {}
    if not body:
        return {"registration_body": "Select the regulator that issued this registration number."}
    if not number:
        return {"registration_number": f"Enter the {body} registration number."}
    pattern, message = FORMATS[RegistrationBody(body)]
    if not re.fullmatch(pattern, number):
        return {"registration_number": message}
    return {}
