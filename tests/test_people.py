import pytest
from django.core.exceptions import ValidationError

from appointments.registration import validate_registration

from .factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("body", "number"), [
    ("GMC", "1234567"), ("NMC", "12A3456E"), ("HCPC", "PH12345"), ("HCPC", "OT123456"),
    ("GPhC", "2012345"), ("GDC", "81234"), ("GOC", "01-12345"), ("GOC", "D-1234"),
    ("SWE", "SW12345"), ("", ""),
])
def test_valid_registration_numbers_are_accepted(body, number):
    assert validate_registration(body, number) == {}


@pytest.mark.parametrize(("body", "number", "message"), [
    ("GMC", "123456", "A GMC number is 7 digits"),
    ("GMC", "12345678", "A GMC number is 7 digits"),
    ("NMC", "12345678", "An NMC PIN is 2 digits, a letter"),
    ("HCPC", "12345", "An HCPC number is 2 letters"),
    ("GOC", "12345", "A GOC number is 01- or D-"),
    ("GMC", "", "Enter the GMC registration number"),
    ("", "1234567", "Select the regulator"),
])
def test_malformed_registration_numbers_are_explained(body, number, message):
    errors = validate_registration(body, number)
    assert message in " ".join(errors.values())


def test_person_validation_normalises_and_checks_registration():
    person = PersonFactory.build(registration_body="NMC", registration_number=" 12a3456e ",
                                 work_email="Alex.Example@NHS.example")
    person.full_clean()
    assert person.registration_number == "12A3456E"
    assert person.work_email == "alex.example@nhs.example"


def test_a_work_email_belongs_to_one_person_whatever_its_case():
    PersonFactory(work_email="sam.example@nhs.example")
    duplicate = PersonFactory.build(work_email="Sam.Example@nhs.example")
    with pytest.raises(ValidationError, match="already has this work e-mail"):
        duplicate.full_clean()


def test_equality_data_is_kept_out_of_history():
    from appointments.models import EqualityProfile

    assert not hasattr(EqualityProfile, "history")
