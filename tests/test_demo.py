"""The demo data `make run` loads: real invoices and payments behind every balance."""

from __future__ import annotations

from sqlalchemy import select

from domain.accounts.models import Membership, User
from domain.core.tx import Tx
from domain.core.viewer import STAFF_SCOPES, Role, Viewer, ViewerKind
from domain.customers.models import Customer
from domain.invoicing.models import Invoice
from khata.runtime import Runtime
from tests.conftest import summaries_off_their_rows
from workers.demo import DEMO_EMAIL, load_demo


async def test_demo_balances_come_from_real_invoices_and_load_once(runtime: Runtime) -> None:
    assert (await load_demo(runtime.settings, customers_per_business=12)).startswith("loaded 4")
    assert "already loaded" in await load_demo(runtime.settings, customers_per_business=12)
    async with runtime.db.unit_of_work() as session:
        user = await session.scalar(select(User).where(User.email == DEMO_EMAIL))
        assert user is not None
        memberships = (
            await session.scalars(select(Membership).where(Membership.user_id == user.id))
        ).all()
        assert len(memberships) == 4
        statuses: set[str] = set()
        for m in memberships:
            viewer = Viewer(
                ViewerKind.STAFF,
                user_id=user.id,
                business_id=m.business_id,
                role=Role.OWNER,
                scopes=STAFF_SCOPES,
            )
            ids = (
                await session.scalars(
                    select(Customer.id).where(Customer.business_id == m.business_id)
                )
            ).all()
            assert len(ids) == 13  # a walk-in and twelve named customers
            tx = Tx(session, viewer, runtime.clock)
            assert await summaries_off_their_rows(tx, ids) == {}
            billed = await session.scalar(
                select(Customer.id).where(Customer.id.in_(ids), Customer.invoice_count > 0)
            )
            assert billed is not None, f"business {m.business_id} has no invoices"
            statuses |= set(
                (
                    await session.scalars(
                        select(Invoice.status).where(Invoice.business_id == m.business_id)
                    )
                ).all()
            )
    assert {"paid", "issued"} <= statuses, statuses
