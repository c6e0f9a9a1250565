"""The operator-facing files stay consistent with the code they configure."""

from __future__ import annotations

from pathlib import Path

import yaml

from domain.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
# Read by uvicorn, not by our settings.
SERVER_VARIABLES = {"FORWARDED_ALLOW_IPS"}


def _setting_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        names.add(
            str(field.validation_alias) if field.validation_alias else f"KHATA_{name.upper()}"
        )
    return names


def test_compose_runs_api_worker_and_migration_with_known_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "api", "worker"} <= set(services)
    assert services["api"]["command"][:2] == ["khata", "serve"]
    assert services["worker"]["command"] == ["khata", "worker"]
    for name in ("api", "worker", "migrate"):
        env = services[name]["environment"]
        unknown = set(env) - _setting_names() - SERVER_VARIABLES
        assert not unknown, f"{name} sets unknown settings {unknown}"
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert Settings(database_url=env["DATABASE_URL"]).database_url.startswith(
            "postgresql+asyncpg://"
        )


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = {n for n in _setting_names() if f"`{n}`" not in readme}
    assert not missing, f"README configuration table lacks {sorted(missing)}"


def test_compose_is_a_valid_production_config_once_its_secrets_are_set() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("api", "worker", "migrate"):
        env = services[name]["environment"]
        assert env["KHATA_ENV"] == "production"
        # the operator must supply the key: compose stops when it is unset or empty
        assert env["KHATA_SECRET_KEY"].startswith("${KHATA_SECRET_KEY:?"), env
        assert env["REDIS_URL"].startswith("redis://")
        assert "KHATA_REDIS_NAMESPACE" in env
        assert "KHATA_GRAPHIQL" not in env and "KHATA_INTROSPECTION" not in env
        filled = {
            "database_url": env["DATABASE_URL"].replace(
                "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "pw"
            ),
            "redis_url": env["REDIS_URL"].replace("${KHATA_REDIS_DB:-0}", "0"),
            "secret_key": "s" * 40,
        }
        settings = Settings(_env_file=None, env="production", **filled)  # type: ignore[call-arg]
        assert not settings.graphiql and not settings.introspection and settings.log_json
    published = [svc.get("ports", []) for svc in services.values()]
    assert [p for p in published if p] == [["${KHATA_HTTP_PORT:-8000}:8000"]]
    assert "ports" not in services["api"]  # replicas sit behind the one published port


def test_runtime_lock_has_exactly_what_khata_needs_to_run() -> None:
    from tools.lock import pin_name, runtime_names

    runtime = {pin_name(line) for line in (ROOT / "requirements.lock").read_text().split()}
    dev = {pin_name(line) for line in (ROOT / "requirements-dev.lock").read_text().split()}
    assert runtime == runtime_names()
    assert not runtime & dev
    assert {"pytest", "ruff", "mypy", "pytest-asyncio"} <= dev
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements.lock" in dockerfile
    assert "requirements-dev.lock" not in dockerfile
