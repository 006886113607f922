"""The production stack as docker-compose describes it (no Docker engine runs here, so the file
is checked by reading it)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_stack_has_every_service():
    assert set(_compose()["services"]) >= {"web", "worker", "beat", "postgres", "redis",
                                           "mailpit"}


def test_web_worker_and_beat_run_the_same_image_with_the_same_settings():
    services = _compose()["services"]
    apps = [services[name] for name in ("web", "worker", "beat")]
    assert len({a["image"] for a in apps}) == 1
    assert all(a["build"] == "." for a in apps)
    environments = [a["environment"] for a in apps]
    assert all(e == environments[0] for e in environments)
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "ALLOWED_HOSTS"} <= set(
        environments[0])
    assert "celery -A ccpl worker" in services["worker"]["command"]
    assert "celery -A ccpl beat" in services["beat"]["command"]


def test_the_secret_key_comes_from_the_environment():
    secret = _compose()["services"]["web"]["environment"]["SECRET_KEY"]
    assert secret.startswith("${SECRET_KEY:?")


def test_the_image_serves_with_gunicorn_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "gunicorn" in dockerfile and "ccpl.wsgi" in dockerfile
    assert "USER ccpl" in dockerfile
    assert "requirements.lock" in dockerfile


def test_web_and_worker_report_their_health():
    services = _compose()["services"]
    web = " ".join(services["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/readyz" in web
    worker = " ".join(services["worker"]["healthcheck"]["test"])
    assert "celery -A ccpl inspect ping" in worker and "celery@$$HOSTNAME" in worker


def test_the_webs_readiness_leaves_the_worker_to_its_own_health_check():
    environment = _compose()["services"]["web"]["environment"]
    assert environment["READYZ_REQUIRE_WORKER"] == "${READYZ_REQUIRE_WORKER:-0}"


def test_web_worker_and_beat_count_metrics_into_one_directory():
    compose = _compose()
    services = compose["services"]
    directory = services["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    for name in ("web", "worker", "beat"):
        assert f"metrics:{directory}" in services[name]["volumes"], name
    assert compose["volumes"]["metrics"]["driver_opts"]["type"] == "tmpfs"
    assert "PROMETHEUS_MULTIPROC_DIR" in (ROOT / "Dockerfile").read_text()
