"""Migration 0005: existing API keys gain the invoicing scopes matching their customers
scopes, so no key loses what it could do; downgrade takes them away again."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
from pathlib import Path

from alembic import command

from domain.migrations.run import alembic_config, upgrade


def _scopes(db: Path) -> dict[str, list[str]]:
    with sqlite3.connect(db) as conn:
        return {
            name: json.loads(s) for name, s in conn.execute("SELECT name, scopes FROM api_keys")
        }


async def test_existing_keys_keep_what_they_could_do() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "m.db"
        url = f"sqlite+aiosqlite:///{db}"
        await upgrade(url, "0004")
        with sqlite3.connect(db) as conn:
            for i, (name, scopes) in enumerate(
                [
                    ("reader", ["customers:read"]),
                    ("writer", ["customers:read", "customers:write"]),
                    ("write-only", ["customers:write"]),
                ],
                start=1,
            ):
                conn.execute(
                    "INSERT INTO api_keys (id, business_id, name, prefix, key_hash, scopes,"
                    " created_at) VALUES (?, 1, ?, ?, 'h', ?, '2026-01-01 00:00:00')",
                    (i, name, f"p{i}", json.dumps(scopes)),
                )
        await upgrade(url, "0005")  # later migrations grant scopes of their own contexts
        assert _scopes(db) == {
            "reader": ["customers:read", "invoices:read"],
            "writer": [
                "customers:read",
                "customers:write",
                "invoices:read",
                "invoices:write",
                "payments:write",
            ],
            "write-only": ["customers:write", "invoices:write", "payments:write"],
        }
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0004")
        assert _scopes(db) == {
            "reader": ["customers:read"],
            "writer": ["customers:read", "customers:write"],
            "write-only": ["customers:write"],
        }
