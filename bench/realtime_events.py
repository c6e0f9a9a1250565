"""What the realtime benchmark subscribes to and commits: the event kinds, the tenants it
sets up through the API, and the writer process that commits events at a paced rate.

An event kind pairs a subscription (its document; whether it filters by customer) with
the change that produces its events: through the domain service for the writer, through
GraphQL over HTTP for the mutation-latency scenario. `invoice` (recordPayment →
invoiceUpdates, per-customer filter), `customer` (updateCustomer → customerEvents,
staff streams only) and `order` (changeOrderStatus → orderUpdates, staff streams; the
HTTP scenario's default: each request confirms a fresh PENDING order of a pool made
before the loops, so concurrent requests never race on one order's version).

The writer is a process of its own (`python -m bench.realtime writer`): it commits each
event in its own transaction through the domain service (the outbox row, its stream
position and the relay's publish are the product's own code), paced open-loop at the
asked rate, and stamps each event's commit time (`time.time()` when the database has
acknowledged the COMMIT, taken by the hook the runtime calls right after commit and
before it publishes) with the event's business and stream position. Clients stamp the
time the frame's bytes arrived; both clocks are the same machine's wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

INVOICE_UPDATES = """subscription($c: ID, $after: String) {
  invoiceUpdates(customerId: $c, after: $after) {
    cursor kind amount { amount currency } balance { amount }
    invoice { id number status balance { amount currency } } } }"""
CUSTOMER_EVENTS = """subscription($after: String) { customerEvents(after: $after) {
  cursor eventId topic customerId name status } }"""
RECORD_PAYMENT = """mutation($input: RecordPaymentInput!) { recordPayment(input: $input) {
  __typename ... on PaymentPayload { invoice { id status balance { amount } } }
  ... on UserError { code message } } }"""
ORDER_UPDATES = """subscription($after: String) { orderUpdates(after: $after) {
  cursor kind timelineEntry { fromStatus toStatus version at }
  order { id number status version total { amount currency } } } }"""
CHANGE_ORDER_STATUS = """mutation($input: ChangeOrderStatusInput!) {
  changeOrderStatus(input: $input) { __typename
  ... on OrderPayload { order { id status version } } ... on UserError { code message } } }"""
UPDATE_CUSTOMER = """mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
  __typename ... on CustomerPayload { customer { id name } } ... on UserError { code } } }"""


@dataclass
class Target:
    """One customer of one business and the object its events change."""

    business: int
    user: int  # the owner acting in the writer
    customer: int
    obj: int  # the invoice (invoice kind) or the customer (customer kind)
    business_gid: str
    obj_gid: str
    customer_gid: str
    token: str  # the session token of the business's owner


@dataclass(frozen=True)
class Kind:
    name: str
    field: str  # the subscription's root field
    document: str
    filters_customer: bool
    mutation: str
    payload_type: str
    write: Callable[[Any, Target, int], Awaitable[None]]  # (tx, target, n): the change
    announce: Callable[[Any, Target, int], Awaitable[None]]  # the same event, nothing changed

    def variables(self, n: int, target: Target) -> dict[str, Any]:
        """The HTTP mutation's variables for the n-th change of `target`."""
        if self.name == "invoice":
            key = f"bench-{uuid.uuid4().hex}"
            return {
                "input": {"invoiceId": target.obj_gid, "amount": "0.01", "method": "CASH"}
                | {"idempotencyKey": key}
            }
        if self.name == "order":  # obj_gid: the pool's next PENDING order (bench http)
            order = {"orderId": target.obj_gid, "status": "CONFIRMED", "expectedVersion": 1}
            return {"input": order}
        return {"input": {"id": target.obj_gid, "notes": f"change {n}"}}


async def _pay(tx: Any, target: Target, n: int) -> None:
    from domain.invoicing.payments import PaymentData, record_payment

    key = f"w-{uuid.uuid4().hex}"
    await record_payment(tx, PaymentData(target.obj, Decimal("0.01"), "cash", key))


async def _announce_payment(tx: Any, target: Target, n: int) -> None:
    """The event record_payment emits (same topic, same payload), the invoice unchanged."""
    from domain.customers.service import get_customer
    from domain.invoicing import events, service

    invoice = await service.get_invoice(tx, target.obj)
    customer = await get_customer(tx, invoice.customer_id)
    extra = {"paymentId": 0, "amount": "0.01", "method": "cash", "excessToCredit": "0.00"}
    service.emit(tx, events.PAYMENT_RECEIVED, invoice, customer, **extra)


async def _announce_customer(tx: Any, target: Target, n: int) -> None:
    """The event update_customer emits, the customer unchanged."""
    from domain.customers.service import emit_change, get_customer

    customer = await get_customer(tx, target.obj)
    emit_change(tx, "customer.updated", customer, {"fields": ["notes"]})


async def _touch_customer(tx: Any, target: Target, n: int) -> None:
    from domain.customers.service import update_customer

    await update_customer(tx, target.obj, {"notes": f"change {n}"})


async def _http_only(tx: Any, target: Target, n: int) -> None:
    raise SystemExit("the order kind runs the http scenario only (--kind invoice|customer)")


KINDS = {
    "invoice": Kind(
        "invoice",
        "invoiceUpdates",
        INVOICE_UPDATES,
        True,
        RECORD_PAYMENT,
        "PaymentPayload",
        _pay,
        _announce_payment,
    ),
    "customer": Kind(
        "customer",
        "customerEvents",
        CUSTOMER_EVENTS,
        False,
        UPDATE_CUSTOMER,
        "CustomerPayload",
        _touch_customer,
        _announce_customer,
    ),
    "order": Kind(
        "order",
        "orderUpdates",
        ORDER_UPDATES,
        False,
        CHANGE_ORDER_STATUS,
        "OrderPayload",
        _http_only,
        _http_only,
    ),
}
# the kind a scenario uses unless --kind says otherwise
DEFAULT_KINDS = {"tenants": "invoice", "fanout": "invoice", "resume": "invoice", "http": "order"}


async def order_pools(
    database_url: str, targets: Sequence[Target], each: int
) -> dict[int, list[str]]:
    """`each` PENDING orders per target (its business and customer), created through the
    domain service: the global ids, by business."""
    from bench.processes import app_and_runtime
    from domain.core.tx import Tx
    from domain.core.viewer import STAFF_SCOPES, Role, Viewer, ViewerKind
    from domain.invoicing.service import LineData
    from domain.orders.service import OrderData, create_order
    from schema.relay import to_global_id

    line = LineData("Standing order", Decimal(1), Decimal(100))
    pools: dict[int, list[str]] = {}
    async with app_and_runtime(database_url, db_pool_size=2) as (_, rt):
        for t in targets:
            viewer = Viewer(
                ViewerKind.STAFF, t.user, t.business, role=Role.OWNER, scopes=STAFF_SCOPES
            )
            async with rt.db.unit_of_work() as session:
                tx = Tx(session, viewer, rt.clock)
                for _ in range(each):
                    order = await create_order(tx, OrderData(t.customer, [line]))
                    pools.setdefault(t.business, []).append(str(to_global_id("Order", order.id)))
    return pools


# ---- set-up ------------------------------------------------------------------------------
@dataclass
class Tenants:
    targets: list[Target]  # customers_per_business consecutive targets per business

    def businesses(self) -> list[int]:
        return sorted({t.business for t in self.targets})


async def set_up_tenants(rt: Any, businesses: int, per_business: int, chunk: int = 25) -> Tenants:
    """`businesses` businesses, each with an owner of its own (and that owner's session
    token), `per_business` customers and one large open invoice per customer: created
    through the domain services, many businesses per transaction (thousands of GraphQL
    round trips would take longer than the benchmark). The owners never sign in with a
    password (they get their token directly), so none is hashed."""
    from datetime import timedelta

    from domain.accounts.businesses import BusinessInput, found_business, validate_business
    from domain.accounts.models import User
    from domain.accounts.repository import AccountsRepository
    from domain.accounts.sign_in import _issue_token
    from domain.core.errors import ErrorCollector
    from domain.core.tx import Tx
    from domain.core.viewer import STAFF_SCOPES, Role, Viewer, ViewerKind
    from domain.customers.fields import CustomerInput
    from domain.customers.service import create_customer
    from domain.invoicing.service import InvoiceData, LineData, create_invoice
    from schema.relay import to_global_id

    run = uuid.uuid4().hex[:8]
    line = LineData("Standing order", Decimal(1), Decimal(1_000_000))
    ttl = timedelta(minutes=rt.settings.access_token_ttl_minutes)
    targets: list[Target] = []
    for start in range(0, businesses, chunk):
        async with rt.db.unit_of_work() as session:
            for i in range(start, min(start + chunk, businesses)):
                anyone = Tx(session, Viewer.anonymous(), rt.clock)
                user = User(
                    email=f"realtime-{run}-{i}@example.com",
                    name=f"Owner {i}",
                    password_hash="!no password: bench owner",
                    created_at=anyone.now(),
                )
                await AccountsRepository.for_sign_in(session).add(user)
                data = BusinessInput(f"Realtime {i}", "KE")
                clean = validate_business(data, ErrorCollector(), "")
                business = (await found_business(anyone, clean, user)).id
                owner = Viewer(
                    ViewerKind.STAFF, user.id, business, role=Role.OWNER, scopes=STAFF_SCOPES
                )
                tx = Tx(session, owner, rt.clock)
                token, _ = await _issue_token(tx, user, ttl)  # sign_up's own token issuer
                for c in range(per_business):
                    customer = await create_customer(
                        tx, CustomerInput(name=f"Customer {c}", phone=f"+2547{c:08d}")
                    )
                    invoice = await create_invoice(tx, InvoiceData(customer.id, [line]))
                    targets.append(
                        Target(
                            business,
                            user.id,
                            customer.id,
                            invoice.id,
                            str(to_global_id("Business", business)),
                            str(to_global_id("Invoice", invoice.id)),
                            str(to_global_id("Customer", customer.id)),
                            token,
                        )
                    )
    return Tenants(targets)


def for_kind(tenants: Tenants, kind: Kind) -> list[Target]:
    """The targets with the object the kind's events change (invoice or customer)."""
    if kind.name == "customer":
        return [replace(t, obj=t.customer, obj_gid=t.customer_gid) for t in tenants.targets]
    return list(tenants.targets)


# ---- the writer process ---------------------------------------------------------------------
Stamp = tuple[int, int, int, float]  # business, position, customer, commit time


async def write_events(
    database_url: str,
    redis_url: str,
    namespace: str,
    kind: Kind,
    targets: Sequence[Target],
    order: Sequence[int],
    rate: float,
    pool: int,
    mode: str = "emit",
) -> tuple[list[Stamp], float]:
    """Commits one event per entry of `order` (an index into `targets`), the k-th at
    start + k / rate (open loop; rate 0: as fast as `pool` transactions allow); the
    stamps and the wall time taken."""
    from domain.core.settings import Settings
    from domain.core.tx import Tx
    from domain.core.viewer import STAFF_SCOPES, Role, Viewer, ViewerKind
    from khata.composition import build_runtime

    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        redis_namespace=namespace,
        db_pool_size=pool,
        log_level="WARNING",
    )
    rt = build_runtime(settings)
    stamps: list[Stamp] = []
    relay = rt.db.after_commit
    assert relay is not None

    async def stamped(rows: Any) -> None:
        now = time.time()
        for row in rows:
            if row.position is not None:
                customer = row.payload.get("customerId", 0)
                stamps.append((row.business_id, row.position, customer, now))
        await relay(rows)

    rt.db.after_commit = stamped
    await rt.start(sweep=False, live=False)
    gate = asyncio.Semaphore(pool)
    change = kind.write if mode == "service" else kind.announce
    try:

        async def one(n: int, target: Target) -> None:
            async with gate:
                viewer = Viewer(
                    ViewerKind.STAFF,
                    user_id=target.user,
                    business_id=target.business,
                    role=Role.OWNER,
                    scopes=STAFF_SCOPES,
                )
                async with rt.db.unit_of_work() as session:
                    await change(Tx(session, viewer, rt.clock), target, n)

        tasks = []
        started = time.perf_counter()
        for k, index in enumerate(order):
            if rate:
                delay = started + k / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(k, targets[index])))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - started
    finally:
        await rt.stop()
    return stamps, wall


def writer_main(args: argparse.Namespace) -> None:
    """The writer process: reads its plan (JSON), writes its stamps (JSON)."""
    plan = orjson.loads(Path(args.plan).read_bytes())
    targets = [Target(**t) for t in plan["targets"]]
    stamps, wall = asyncio.run(
        write_events(
            plan["database_url"],
            plan["redis_url"],
            plan["namespace"],
            KINDS[plan["kind"]],
            targets,
            plan["order"],
            plan["rate"],
            plan["pool"],
            plan["mode"],
        )
    )
    Path(args.stamps).write_bytes(orjson.dumps({"stamps": stamps, "wall": wall}))


def plan_json(
    database_url: str,
    redis_url: str,
    namespace: str,
    kind: Kind,
    targets: Sequence[Target],
    order: Sequence[int],
    rate: float,
    pool: int,
    mode: str,
) -> bytes:
    return orjson.dumps(
        {
            "database_url": database_url,
            "redis_url": redis_url,
            "namespace": namespace,
            "kind": kind.name,
            "targets": [asdict(t) for t in targets],
            "order": list(order),
            "rate": rate,
            "pool": pool,
            "mode": mode,
        }
    )
