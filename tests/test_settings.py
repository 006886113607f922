"""Production settings: loud failure on a missing secret, and Django's deployment checks clean."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args, **env):
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE",
                                "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    environment.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_insecure_demo_key():
    result = _manage("check", DEBUG="0", SECRET_KEY="django-insecure-embedded-demo-only")
    assert result.returncode != 0


def test_production_settings_pass_the_deployment_checks():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="0",
                     SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="ccpl.example.org")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_bad_value_in_the_environment_fails_loudly():
    result = _manage("check", DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50),
                     SESSION_IDLE_SECONDS="half an hour")
    assert result.returncode != 0
    assert "half an hour" in result.stderr


def _random_page_cost(**env):
    result = _manage("shell", "-c",
                     "from django.conf import settings; "
                     "print(settings.DATABASES['default'].get('OPTIONS', {}).get('options'))",
                     DEBUG="1", DATABASE_URL="postgres://postgres@127.0.0.1:5432/ccpl", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_postgresql_plans_for_a_cached_database_unless_told_otherwise():
    assert _random_page_cost() == "-c random_page_cost=1.1"
    assert _random_page_cost(PG_RANDOM_PAGE_COST="4") == "-c random_page_cost=4.0"
