"""The portal's visibility rules (seed 002) as the repository's named policy: history 24
months, cancelled orders 90 days, drafts 7 days, only the person's own orders. PERSON
viewers do not read orders yet (the portal issue passes the policy); these tests pass it
through the repository with a constructed viewer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from domain.core.viewer import Viewer, ViewerKind
from domain.customers.models import Customer
from domain.orders.models import Order, OrderStatus
from domain.orders.repository import PORTAL_VISIBILITY, OrderFilter, OrderRepository, months_before
from khata.runtime import Runtime
from schema.relay import parse_global_id
from tests.conftest import Actor
from tests.orders.helpers import customer_id, placed


def test_months_before_keeps_the_day_or_takes_the_month_end() -> None:
    at = datetime(2026, 3, 31, 10, tzinfo=UTC)
    assert months_before(at, 24) == datetime(2024, 3, 31, 10, tzinfo=UTC)
    assert months_before(at, 1) == datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(
        2024, 12, 15, tzinfo=UTC
    )


async def test_portal_policy_clauses(owner: Actor, runtime: Runtime) -> None:
    cid = await customer_id(owner, name="Portal Person", phone="+919800011122")
    other_cid = await customer_id(owner, name="Not Them", phone="+919800033344")
    ids = {}
    for label in ("recent", "old", "ancient", "cancelled_new", "cancelled_old", "draft_new"):
        ids[label] = parse_global_id((await placed(owner, cid))["id"])[1]
    ids["draft_old"] = parse_global_id((await placed(owner, cid))["id"])[1]
    ids["someone_else"] = parse_global_id((await placed(owner, other_cid))["id"])[1]
    now = datetime.now(UTC)
    shape: dict[str, dict[str, Any]] = {
        "old": dict(placed_at=now - timedelta(days=700)),
        "ancient": dict(placed_at=months_before(now, 24) - timedelta(days=1)),
        "cancelled_new": dict(status=OrderStatus.CANCELLED, cancelled_at=now - timedelta(days=89)),
        "cancelled_old": dict(status=OrderStatus.CANCELLED, cancelled_at=now - timedelta(days=91)),
        "draft_new": dict(status=OrderStatus.DRAFT, placed_at=now - timedelta(days=6)),
        "draft_old": dict(status=OrderStatus.DRAFT, placed_at=now - timedelta(days=8)),
    }
    customer_row = parse_global_id(cid)[1]
    async with runtime.db.unit_of_work() as session:
        for label, values in shape.items():
            await session.execute(update(Order).where(Order.id == ids[label]).values(**values))
        person_id = (
            await session.execute(
                update(Customer)
                .where(Customer.id == customer_row)
                .values(person_id=Customer.person_id)
                .returning(Customer.person_id)
            )
        ).scalar_one()
    assert person_id is not None  # a customer with a phone is linked to its Person
    person = Viewer(ViewerKind.PERSON, person_id=person_id)
    async with runtime.db.read() as session:
        switched_off = OrderRepository(session, person, now=now)
        assert await switched_off.count(OrderFilter()) == 0  # today: PERSON sees nothing
        portal = OrderRepository(session, person, portal=PORTAL_VISIBILITY, now=now)
        rows, _ = await portal.page(OrderFilter(), 50, None, "placed_at", True)
        seen = {r.id for r in rows}
        lines = await portal.lines_for(list(ids.values()))
        timeline = await portal.events_for(list(ids.values()))
    visible = {"recent", "old", "cancelled_new", "draft_new"}
    assert seen == {ids[k] for k in visible}
    assert {line.order_id for line in lines} == {ids[k] for k in visible}
    assert {e.order_id for e in timeline} == {ids[k] for k in visible}
    # the same policy a little later: the young draft has aged out, the cancelled too
    async with runtime.db.read() as session:
        later = OrderRepository(
            session, person, portal=PORTAL_VISIBILITY, now=now + timedelta(days=2)
        )
        rows, _ = await later.page(OrderFilter(), 50, None, "placed_at", True)
    assert {r.id for r in rows} == {ids["recent"], ids["old"]}
