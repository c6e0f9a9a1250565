"""Production mode refuses a laptop configuration and names every problem at once."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from pydantic import ValidationError

from domain.core.settings import DEV_SECRET_KEY, Settings
from khata_cli import settings_problems

GOOD: dict[str, Any] = {
    "env": "production",
    "database_url": "postgresql://khata:pw@db:5432/khata",
    "redis_url": "redis://redis:6379/0",
    "secret_key": "k" * 48,
}


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the arguments count: no variable of the test process's environment."""
    for name in list(os.environ):
        if name.startswith("KHATA_") and not name.startswith("KHATA_TEST_"):
            monkeypatch.delenv(name)
    for name in ("DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)


def production(**changes: Any) -> Settings:
    return Settings(_env_file=None, **{**GOOD, **changes})  # type: ignore[call-arg]


def refusal(**changes: Any) -> str:
    with pytest.raises(ValidationError) as info:
        production(**changes)
    return str(info.value)


def test_a_valid_production_config_starts_closed_and_logs_json() -> None:
    settings = production()
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.uses_arq
    assert settings.graphiql is False
    assert settings.introspection is False
    assert settings.log_json is True


def test_production_keeps_what_the_operator_sets_explicitly() -> None:
    settings = production(graphiql=True, introspection=True, log_json=False)
    assert (settings.graphiql, settings.introspection, settings.log_json) == (True, True, False)


def test_production_reads_explicit_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KHATA_ENV", "production")
    monkeypatch.setenv("KHATA_INTROSPECTION", "true")
    monkeypatch.setenv("KHATA_SECRET_KEY", "e" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://khata@db/khata")
    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/3")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.introspection is True
    assert settings.graphiql is False


def test_development_defaults_stay_open_for_the_embedded_mode() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.env == "development"
    assert settings.graphiql and settings.introspection and not settings.log_json
    assert settings.secret_key == DEV_SECRET_KEY
    assert settings.is_sqlite and not settings.uses_arq


def test_production_refuses_the_development_secret_key() -> None:
    message = refusal(secret_key=DEV_SECRET_KEY)
    assert "KHATA_SECRET_KEY is the development key" in message
    assert DEV_SECRET_KEY not in message.replace("development key", "")


def test_production_refuses_a_short_secret_key() -> None:
    assert "KHATA_SECRET_KEY is shorter than 32 characters" in refusal(secret_key="short")


def test_production_refuses_sqlite() -> None:
    assert "DATABASE_URL is SQLite" in refusal(database_url="sqlite:///./khata.db")


def test_production_refuses_to_run_without_redis() -> None:
    assert "REDIS_URL is unset" in refusal(redis_url=None)


def test_every_problem_is_listed_at_once_without_echoing_values() -> None:
    with pytest.raises(ValidationError) as info:
        production(
            secret_key=DEV_SECRET_KEY,
            database_url="sqlite:///./khata.db",
            redis_url=None,
            llm_api_key="sk-do-not-print",
        )
    message = settings_problems(info.value)
    assert message.startswith("khata: the settings are not valid")
    for problem in ("KHATA_SECRET_KEY", "DATABASE_URL is SQLite", "REDIS_URL is unset"):
        assert problem in message
    assert "sk-do-not-print" not in str(info.value)
    assert "sk-do-not-print" not in message


@pytest.mark.parametrize("command", ["serve", "worker", "migrate"])
def test_the_khata_command_refuses_to_start_in_production_with_the_reasons(
    command: str, tmp_path: Any
) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KHATA_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env["KHATA_ENV"] = "production"
    done = subprocess.run(
        [sys.executable, "-m", "khata_cli", command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done
    assert "refuses to start" in done.stderr
    for problem in ("KHATA_SECRET_KEY", "DATABASE_URL is SQLite", "REDIS_URL is unset"):
        assert problem in done.stderr
    assert not (tmp_path / "khata.db").exists()  # nothing was created
