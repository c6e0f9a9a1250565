"""The operator-facing files stay consistent with the code they configure."""

from __future__ import annotations

from pathlib import Path

import yaml

from domain.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


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
        unknown = set(env) - _setting_names()
        assert not unknown, f"{name} sets unknown settings {unknown}"
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert Settings(database_url=env["DATABASE_URL"]).database_url.startswith(
            "postgresql+asyncpg://"
        )


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = {
        n for n in _setting_names() if n not in readme and n.removeprefix("KHATA_") != "DB_ECHO"
    }
    assert not missing, f"README configuration table lacks {sorted(missing)}"
