"""API key scopes of orders: ORDERS_READ reads, ORDERS_WRITE changes; invoicing an order
also needs INVOICES_WRITE; nested order fields need ORDERS_READ too. Migration 0011 gives
existing keys the orders scopes matching their customers scopes."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import httpx
from alembic import command

from domain.core.viewer import Scope
from domain.migrations.run import alembic_config, upgrade
from resolvers.access import Rule
from schema.build import Mutation, Query
from tests.conftest import Actor, gql
from tests.orders.helpers import CHANGE, CREATE, LINE, advance, customer_id, placed
from tests.schema.test_access import _key, declarations


def test_orders_fields_declare_the_orders_scopes() -> None:
    m, q = declarations(Mutation), declarations(Query)
    for name in (
        "createOrder",
        "changeOrderStatus",
        "cancelOrder",
        "rescheduleOrderDelivery",
        "invoiceOrder",
    ):
        assert (m[name].rule, m[name].scope) == (Rule.SCOPE, Scope.ORDERS_WRITE), name
    for name in ("order", "orderByNumber", "orders", "orderStatusCounts"):
        assert (q[name].rule, q[name].scope) == (Rule.SCOPE, Scope.ORDERS_READ), name


async def _as(client: httpx.AsyncClient, headers: dict[str, str], query: str, **v: Any) -> Any:
    return await gql(client, query, v, headers=headers, expect_errors=True)


async def test_keys_do_what_their_scopes_allow(client: httpx.AsyncClient, owner: Actor) -> None:
    cid = await customer_id(owner)
    order = await advance(owner, await placed(owner, cid), "CONFIRMED")
    reader = await _key(owner, ["ORDERS_READ"])
    writer = await _key(owner, ["ORDERS_READ", "ORDERS_WRITE"])
    customers_only = await _key(owner, ["CUSTOMERS_READ"])

    listed = await _as(client, reader, "{ orders { totalCount } }")
    assert listed["data"]["orders"]["totalCount"] == 1
    create = await _as(client, reader, CREATE, input={"customerId": cid, "lines": [LINE]})
    assert create["data"]["createOrder"]["__typename"] == "PermissionError"

    made = await _as(client, writer, CREATE, input={"customerId": cid, "lines": [LINE]})
    assert made["data"]["createOrder"]["order"]["channel"] == "INTEGRATION"
    assert made["data"]["createOrder"]["order"]["placedBy"].startswith("api_key:")
    moved = await _as(
        client,
        writer,
        CHANGE,
        input={"orderId": order["id"], "status": "PROCESSING", "expectedVersion": 2},
    )
    assert moved["data"]["changeOrderStatus"]["__typename"] == "OrderPayload"
    invoiced = await _as(
        client,
        writer,
        "mutation($input: InvoiceOrderInput!) { invoiceOrder(input: $input) { __typename "
        "... on UserError { code } } }",
        input={"orderId": order["id"]},
    )
    assert invoiced["data"]["invoiceOrder"] == {
        "__typename": "PermissionError",
        "code": "PERMISSION_DENIED",
    }
    nested = await _as(
        client,
        customers_only,
        "query($id: ID!) { customer(id: $id) { orders { number } } }",
        id=cid,
    )
    assert [e["extensions"]["code"] for e in nested["errors"]] == ["PERMISSION_DENIED"]
    node = await _as(
        client, customers_only, "query($id: ID!) { node(id: $id) { id } }", id=order["id"]
    )
    assert node["data"]["node"] is None


def _scopes(db: Path) -> dict[str, list[str]]:
    with sqlite3.connect(db) as conn:
        return {
            name: json.loads(s) for name, s in conn.execute("SELECT name, scopes FROM api_keys")
        }


async def test_migration_grants_orders_scopes_and_counters() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "m.db"
        url = f"sqlite+aiosqlite:///{db}"
        await upgrade(url, "0010_stream")
        with sqlite3.connect(db) as conn:
            conn.execute(
                "INSERT INTO businesses (id, name, country, currency, timezone, invoice_prefix,"
                " customer_prefix, created_at) VALUES (1, 'B', 'IN', 'INR', 'Asia/Kolkata',"
                " 'INV', 'CUST', '2026-01-01 00:00:00')"
            )
            for i, (name, scopes) in enumerate(
                [("reader", ["customers:read"]), ("writer", ["customers:write"])], start=1
            ):
                conn.execute(
                    "INSERT INTO api_keys (id, business_id, name, prefix, key_hash, scopes,"
                    " created_at) VALUES (?, 1, ?, ?, 'h', ?, '2026-01-01 00:00:00')",
                    (i, name, f"p{i}", json.dumps(scopes)),
                )
        await upgrade(url, "0011_orders")
        assert _scopes(db) == {
            "reader": ["customers:read", "orders:read"],
            "writer": ["customers:write", "orders:write"],
        }
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT kind, last_value FROM counters").fetchall() == [
                ("order", 0)
            ]
            assert conn.execute("SELECT order_prefix FROM businesses").fetchall() == [("ORD",)]
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0010_stream")
        assert _scopes(db) == {"reader": ["customers:read"], "writer": ["customers:write"]}
