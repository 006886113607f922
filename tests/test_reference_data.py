"""The reference data in fixtures/: every row loaded, loading again changes nothing and keeps what
an administrator changed since, a bad row stops the load, and the demo and the generator name
only what the files hold."""

import shutil
from decimal import Decimal

import pytest
from django.core.exceptions import FieldDoesNotExist, ValidationError

from devdata import reference
from devdata.generator import catalogue
from roles.models import Function, RoleType, StatutoryDuty

pytestmark = pytest.mark.django_db


def names(file_name):
    return [row["name"] for row in reference.rows(file_name)]


def test_every_row_of_the_fixtures_is_loaded():
    created = reference.load()
    assert created == {"role types": len(names("role_types.yaml")),
                       "functions": len(names("functions.yaml")),
                       "statutory duties": len(names("statutory_duties.yaml"))}
    assert set(RoleType.objects.values_list("name", flat=True)) == set(names("role_types.yaml"))
    assert list(Function.objects.values_list("name", flat=True)) == names("functions.yaml")
    assert set(StatutoryDuty.objects.values_list("name", flat=True)) == set(
        names("statutory_duties.yaml"))
    cag = RoleType.objects.get(name="CAG Leader")
    assert (cag.default_wte, cag.default_honorarium, cag.max_extensions) == (
        Decimal("0.30"), Decimal("20000.00"), 1)
    assert Function.objects.get(name="Care standards").description.startswith("Agreed standards")


def test_the_ten_system_leadership_functions_are_in_order():
    reference.load()
    assert list(Function.objects.values_list("order", flat=True)) == list(range(1, 11))


def test_loading_twice_changes_nothing():
    reference.load()
    before = [(model.objects.count(), model.history.count() if hasattr(model, "history") else 0)
              for model in (RoleType, Function, StatutoryDuty)]
    assert set(reference.load().values()) == {0}
    assert [(model.objects.count(), model.history.count() if hasattr(model, "history") else 0)
            for model in (RoleType, Function, StatutoryDuty)] == before


def test_a_row_changed_since_is_left_as_it_is_and_a_missing_one_comes_back():
    reference.load()
    RoleType.objects.filter(name="Clinical Lead").update(default_wte=Decimal("0.60"))
    StatutoryDuty.objects.filter(name="Caldicott Guardian").delete()
    assert reference.load()["statutory duties"] == 1
    assert RoleType.objects.get(name="Clinical Lead").default_wte == Decimal("0.60")
    assert StatutoryDuty.objects.filter(name="Caldicott Guardian").exists()


def test_a_bad_row_stops_the_load_and_writes_nothing(tmp_path, monkeypatch):
    shutil.copytree(reference.FIXTURES, tmp_path, dirs_exist_ok=True)
    with open(tmp_path / "statutory_duties.yaml", "a", encoding="utf-8") as file:
        file.write("- name: Senior Information Risk Owner\n  nmae: a misspelt field\n")
    monkeypatch.setattr(reference, "FIXTURES", tmp_path)
    with pytest.raises(FieldDoesNotExist, match="nmae"):
        reference.load()
    assert not RoleType.objects.exists()

    (tmp_path / "statutory_duties.yaml").write_text("- name: Caldicott Guardian\n")
    with open(tmp_path / "role_types.yaml", "a", encoding="utf-8") as file:
        file.write("- name: Overstretched Lead\n  default_wte: '1.50'\n")
    with pytest.raises(ValidationError, match="default_wte|WTE"):
        reference.load()
    assert not RoleType.objects.exists()


def test_the_generator_names_only_role_types_and_duties_the_fixtures_hold():
    role_types = set(names("role_types.yaml"))
    assert {role for role, *_ in catalogue.LEAD_ROLES} <= role_types
    assert set(catalogue.BUDGET_GROUPS) | set(catalogue.PROFESSION_OF_ROLE) <= role_types
    assert {"Chief Medical Officer", "Chief Nursing Officer", "Council Chair",
            "Clinical and Care Director"} <= role_types
    assert len(names("functions.yaml")) == 10  # the plan picks functions by position, 0 to 9
