"""The templates migration: existing API keys gain the notifications scopes matching
their customers scopes (no key loses what it could do); downgrade takes them away; the
new tables and the customers' timezone column come and go with it."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
from pathlib import Path

from alembic import command

from domain.migrations.run import alembic_config, upgrade

REVISION = "0013_templates"


def _scopes(db: Path) -> dict[str, list[str]]:
    with sqlite3.connect(db) as conn:
        return {
            name: json.loads(s) for name, s in conn.execute("SELECT name, scopes FROM api_keys")
        }


def _tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


async def test_existing_keys_gain_the_notifications_scopes_of_their_customers_scopes() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "m.db"
        url = f"sqlite+aiosqlite:///{db}"
        await upgrade(url, "0012_purchases")
        with sqlite3.connect(db) as conn:
            for i, (name, scopes) in enumerate(
                [
                    ("reader", ["customers:read", "invoices:read"]),
                    ("writer", ["customers:read", "customers:write"]),
                    ("billing", ["invoices:write"]),
                ],
                start=1,
            ):
                conn.execute(
                    "INSERT INTO api_keys (id, business_id, name, prefix, key_hash, scopes,"
                    " created_at) VALUES (?, 1, ?, ?, 'h', ?, '2026-01-01 00:00:00')",
                    (i, name, f"p{i}", json.dumps(scopes)),
                )
        await upgrade(url, REVISION)
        assert _scopes(db) == {
            "reader": ["customers:read", "invoices:read", "notifications:read"],
            "writer": [
                "customers:read",
                "customers:write",
                "notifications:read",
                "notifications:write",
            ],
            "billing": ["invoices:write"],
        }
        assert {"notification_templates", "notification_preferences", "sms_usage"} <= _tables(db)
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0012_purchases")
        assert _scopes(db)["writer"] == ["customers:read", "customers:write"]
        assert "notification_templates" not in _tables(db)
        with sqlite3.connect(db) as conn:
            columns = {r[1] for r in conn.execute("PRAGMA table_info(customers)")}
        assert "timezone" not in columns
