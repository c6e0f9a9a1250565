"""Migration 0012_purchases: the manual VIP flag becomes vip_mode 'always', and API keys gain the
purchases scopes matching their customers scopes; downgrade takes both away."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
from pathlib import Path

from alembic import command

from domain.migrations.run import alembic_config, upgrade


async def test_existing_vips_and_keys_carry_over() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "m.db"
        url = f"sqlite+aiosqlite:///{db}"
        await upgrade(url, "0011_orders")
        with sqlite3.connect(db) as conn:
            conn.execute(
                "INSERT INTO api_keys (id, business_id, name, prefix, key_hash, scopes,"
                " created_at) VALUES (1, 1, 'k', 'p1', 'h', ?, '2026-01-01 00:00:00')",
                (json.dumps(["customers:read", "customers:write", "invoices:read"]),),
            )
            conn.execute(
                "INSERT INTO api_keys (id, business_id, name, prefix, key_hash, scopes,"
                " created_at) VALUES (2, 1, 'r', 'p2', 'h', ?, '2026-01-01 00:00:00')",
                (json.dumps(["invoices:read"]),),
            )
        await upgrade(url, "0012_purchases")
        with sqlite3.connect(db) as conn:
            scopes = dict(conn.execute("SELECT name, scopes FROM api_keys").fetchall())
            columns = {r[1] for r in conn.execute("PRAGMA table_info(customers)")}
        assert json.loads(scopes["k"]) == [
            "customers:read",
            "customers:write",
            "invoices:read",
            "purchases:read",
            "purchases:write",
        ]
        assert json.loads(scopes["r"]) == ["invoices:read"]
        assert {"vip_mode", "activity", "purchase_total", "is_walk_in"} <= columns
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0011_orders")
        with sqlite3.connect(db) as conn:
            scopes = dict(conn.execute("SELECT name, scopes FROM api_keys").fetchall())
            columns = {r[1] for r in conn.execute("PRAGMA table_info(customers)")}
        assert json.loads(scopes["k"]) == ["customers:read", "customers:write", "invoices:read"]
        assert "vip_mode" not in columns


def test_manual_vip_becomes_always() -> None:
    """The data step itself, on a customers table holding a VIP and a non-VIP."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "m.db"
        url = f"sqlite+aiosqlite:///{db}"
        asyncio.run(upgrade(url, "0011_orders"))
        with sqlite3.connect(db) as conn:
            conn.execute(
                "INSERT INTO businesses (id, name, country, currency, timezone, invoice_prefix,"
                " customer_prefix, created_at) VALUES (1, 'B', 'IN', 'INR', 'Asia/Kolkata',"
                " 'INV', 'CUST', '2026-01-01 00:00:00')"
            )
            cols = [r[1] for r in conn.execute("PRAGMA table_info(customers)")]
            for cid, vip in ((1, 1), (2, 0)):
                values = {c: None for c in cols} | {
                    "id": cid,
                    "business_id": 1,
                    "number": f"C-{cid}",
                    "profile_type": "guest",
                    "status": "active",
                    "is_vip": vip,
                    "name": f"c{cid}",
                    "name_search": f"c{cid}",
                    "phone_verified": 0,
                    "email_verified": 0,
                    "tags": "[]",
                    "payment_terms": "due_on_receipt",
                    "auto_send_invoices": 0,
                    "reminders_enabled": 1,
                    "language": "en",
                    "preferences": "{}",
                    "total_billed": 0,
                    "total_paid": 0,
                    "outstanding": 0,
                    "invoice_count": 0,
                    "payment_status": "none",
                    "credit_balance": 0,
                    "other_credits": "{}",
                    "created_at": "2026-01-01 00:00:00",
                    "updated_at": "2026-01-01 00:00:00",
                }
                conn.execute(
                    f"INSERT INTO customers ({', '.join(values)}) VALUES "
                    f"({', '.join('?' for _ in values)})",
                    list(values.values()),
                )
        asyncio.run(upgrade(url, "0012_purchases"))
        with sqlite3.connect(db) as conn:
            modes = dict(conn.execute("SELECT id, vip_mode FROM customers").fetchall())
        assert modes == {1: "always", 2: "auto"}
