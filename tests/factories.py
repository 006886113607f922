"""factory_boy factories: valid objects by default, so a test states only what it is about."""

import datetime
from decimal import Decimal

import factory
from guardian.shortcuts import assign_perm

from appointments.models import Appointment, Person
from ccpl.access import forget_grants
from ccpl.models import User
from roles.models import EstablishmentBudget, Organisation, Post, RoleType, System

TODAY = datetime.date(2026, 11, 23)
NOW = datetime.datetime.combine(TODAY, datetime.time(9, 0))  # when every test runs


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    # Every test user's name has an apostrophe too, as every test person's does (below): Faker
    # gave one now and then, and a test looking for it unescaped in a page failed now and then.
    full_name = factory.LazyAttribute(lambda user: f"{user.first} O'{user.last}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    class Params:
        first = factory.Faker("first_name", locale="en_GB")
        last = factory.Faker("last_name", locale="en_GB")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = System

    name = factory.Sequence(lambda n: f"Test Integrated Care System {n}")
    short_name = factory.Sequence(lambda n: f"TICS{n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Test NHS Foundation Trust {n}")
    kind = Organisation.Kind.ACUTE
    ods_code = factory.Sequence(lambda n: f"T{n:04d}")

    @factory.post_generation
    def systems(obj, create, extracted, **kwargs):
        if create:
            obj.systems.set(extracted if extracted is not None else [SystemFactory()])


class RoleTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleType
        django_get_or_create = ["name"]

    name = "Clinical Lead"


class BudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EstablishmentBudget

    system = factory.SubFactory(SystemFactory)
    name = factory.Sequence(lambda n: f"Clinical leads {n}")
    wte_envelope = Decimal("2.00")


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    title = factory.Sequence(lambda n: f"Clinical Lead for Pathway {n}")
    role_type = factory.SubFactory(RoleTypeFactory)
    host_organisation = factory.SubFactory(OrganisationFactory)
    system = factory.LazyAttribute(lambda o: o.host_organisation.systems.first())
    wte = Decimal("0.40")
    default_term_months = 36
    created_on = datetime.date(2020, 1, 1)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    given_name = factory.Faker("first_name", locale="en_GB")
    # Every test person's family name has an apostrophe (O'Brien, D'Souza are common in the NHS
    # workforce): a test that looks for a name in a page must look for it as HTML writes it.
    family_name = factory.LazyAttribute(lambda person: f"O'{person.surname}")
    work_email = factory.Sequence(lambda n: f"leader{n}@nhs.example")
    profession = "doctor"
    registration_body = "GMC"
    registration_number = factory.Sequence(lambda n: f"{7000000 + n}")

    class Params:
        surname = factory.Faker("last_name", locale="en_GB")


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    post = factory.SubFactory(PostFactory)
    person = factory.SubFactory(PersonFactory)
    start_date = datetime.date(2025, 1, 1)
    end_date = factory.LazyAttribute(lambda o: o.start_date.replace(year=o.start_date.year + 3)
                                     - datetime.timedelta(days=1))
    wte = factory.LazyAttribute(lambda o: o.post.wte)
    # A term whose last day is behind the test's day has ended, as the daily sweep records.
    status = factory.LazyAttribute(lambda o: Appointment.Status.TERM_ENDED
                                   if o.end_date and datetime.date.fromisoformat(str(o.end_date))
                                   < TODAY else Appointment.Status.ACTIVE)


def grant(user, codename, obj):
    """Give ``user`` a register grant (view_register, edit_register, approve_extensions) on a
    system or organisation."""
    assign_perm(f"roles.{codename}", user, obj)
    forget_grants(user)
    return user


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def with_totp(user, secret=TOTP_SECRET):
    """Enrol ``user`` in TOTP, as staff roles must be before they can use the register."""
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, secret)
    return user


def totp_code(secret=TOTP_SECRET):
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
