"""The demo register loaded where DEBUG is off: the register, without the demo's accounts. Apart
from ``test_demo.py``, whose tests share one loaded demo (with its accounts)."""

import pytest
from django.core.management import call_command

from ccpl.models import User
from roles.models import System

pytestmark = pytest.mark.django_db


def test_without_debug_no_accounts_are_created(settings):
    settings.DEBUG = False
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not User.objects.filter(is_active=True).exists()
    assert System.objects.count() == 5
