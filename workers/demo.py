"""Believable demo data: one owner with four businesses (IN, KE, OM, ZA) and a few hundred
customers with addresses, tags, and real invoices and payments behind their balances.
Idempotent: a second run changes nothing."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import phonenumbers

from domain.accounts.businesses import BusinessInput, create_business
from domain.accounts.repository import AccountsRepository
from domain.accounts.sign_in import sign_up
from domain.core.money import quantize
from domain.core.settings import Settings
from domain.core.tx import Tx
from domain.core.viewer import STAFF_SCOPES, Role, Viewer, ViewerKind
from domain.customers.fields import AddressInput, CustomerInput
from domain.customers.service import create_customer
from domain.invoicing.payments import PaymentData, record_payment
from domain.invoicing.service import InvoiceData, LineData, create_invoice
from domain.orders.models import OrderStatus
from domain.orders.service import OrderData, change_status, create_order
from domain.purchases.service import ItemData, PurchaseData, record_purchase
from khata.composition import build_runtime
from khata.runtime import Runtime

DEMO_EMAIL = "demo@khata.dev"
DEMO_PASSWORD = "khata-demo-123"  # noqa: S105 - documented demo credential

BUSINESSES = [
    BusinessInput(name="Sharma Agro Centre", country="IN", tax_id="27AAPFU0939F1ZV"),
    BusinessInput(name="Wanjiru Hardware", country="KE", tax_id="P051234567X"),
    BusinessInput(name="Al Noor Trading", country="OM", tax_id="OM1100012345"),
    BusinessInput(name="Karoo Fresh Produce", country="ZA", tax_id="4123456789"),
]
NAMES = {
    "IN": (
        [
            "Ramesh",
            "Suresh",
            "Priya",
            "Anita",
            "Vikram",
            "Lakshmi",
            "Arjun",
            "Meena",
            "Rahul",
            "Kavita",
            "Sanjay",
            "Pooja",
            "Ganesh",
            "Deepa",
            "Mohan",
        ],
        ["Kumar", "Sharma", "Patel", "Reddy", "Iyer", "Singh", "Nair", "Gupta", "Yadav", "Joshi"],
    ),
    "KE": (
        [
            "Wanjiru",
            "Otieno",
            "Achieng",
            "Kamau",
            "Njeri",
            "Mwangi",
            "Akinyi",
            "Kiprono",
            "Wambui",
            "Odhiambo",
            "Chebet",
            "Mutua",
        ],
        ["Kariuki", "Omondi", "Njoroge", "Wekesa", "Mutiso", "Kimani", "Ochieng", "Koech"],
    ),
    "OM": (
        [
            "Ahmed",
            "Fatima",
            "Said",
            "Aisha",
            "Khalid",
            "Maryam",
            "Salim",
            "Noor",
            "Hamad",
            "Zainab",
        ],
        ["Al-Said", "Al-Balushi", "Al-Harthy", "Al-Hinai", "Al-Rawahi", "Al-Busaidi"],
    ),
    "ZA": (
        [
            "Thabo",
            "Naledi",
            "Sipho",
            "Lerato",
            "Johan",
            "Anele",
            "Pieter",
            "Zanele",
            "Mandla",
            "Karabo",
        ],
        ["Nkosi", "Dlamini", "van der Merwe", "Mokoena", "Botha", "Ndlovu", "Pretorius"],
    ),
}
ALT_SCRIPT = {
    "Ahmed": "أحمد",
    "Fatima": "فاطمة",
    "Said": "سعيد",
    "Aisha": "عائشة",
    "Khalid": "خالد",
}
CITIES = {
    "IN": ["Pune", "Nashik", "Indore", "Nagpur"],
    "KE": ["Nairobi", "Nakuru", "Kisumu"],
    "OM": ["Muscat", "Sohar", "Nizwa"],
    "ZA": ["Cape Town", "Beaufort West", "Graaff-Reinet"],
}
TYPES = ["farmer", "retailer", "contractor", "restaurant", "individual", "wholesaler"]
TAGS = ["wholesale", "retail", "credit", "festival", "bulk", "new"]

# The README's examples act on these records, the first of the first business (customer
# id 2, invoices 1 and 2): fixed values and dates, whatever the number of customers and
# the day the demo is loaded (older than every generated invoice).
SHOWCASE_CUSTOMER = CustomerInput(
    name="Ramesh Patel",
    phone="+919876543210",
    email="ramesh.patel@example.com",
    business_type="wholesaler",
    tags=["wholesale"],
    payment_terms="net_30",
    addresses=[AddressInput(city="Pune", area="Ward 4", street="12 Market Road")],
)
SHOWCASE_INVOICES = [
    InvoiceData(
        customer_id=0,
        issue_date=date(2026, 8, 3),
        lines=[
            LineData(
                description="Urea 45 kg bag",
                unit="bag",
                quantity=Decimal(2),
                unit_price=Decimal(266),
                tax_rate=Decimal(5),
            ),
            LineData(
                description="DAP 50 kg bag",
                unit="bag",
                quantity=Decimal(1),
                unit_price=Decimal(1350),
                tax_rate=Decimal(5),
            ),
        ],
    ),
    InvoiceData(
        customer_id=0,
        issue_date=date(2026, 8, 10),
        currency="USD",
        lines=[
            LineData(
                description="Drip irrigation kit (export)",
                unit="set",
                quantity=Decimal(1),
                unit_price=Decimal(120),
                tax_rate=Decimal(0),
            ),
        ],
    ),
]


# description, unit, price range in the business's currency, tax rate (None: default)
CATALOGUE: dict[str, list[tuple[str, str, int, int, str | None]]] = {
    "IN": [
        ("Urea 45 kg bag", "bag", 250, 290, "5"),
        ("DAP 50 kg bag", "bag", 1300, 1400, "5"),
        ("Hybrid maize seed 4 kg", "pack", 900, 1500, "0"),
        ("Knapsack sprayer", "pc", 1800, 3200, "18"),
        ("Drip irrigation kit", "set", 4500, 9000, "12"),
    ],
    "KE": [
        ("Cement 50 kg", "bag", 720, 850, None),
        ("Iron sheets gauge 30", "pc", 650, 900, None),
        ("Roofing nails 1 kg", "kg", 220, 300, None),
        ("Delivery within town", "trip", 500, 1500, None),
    ],
    "OM": [
        ("Dates Khalas 1 kg", "box", 2, 5, None),
        ("Basmati rice 10 kg", "bag", 6, 9, None),
        ("Cardamom 250 g", "pack", 3, 6, None),
    ],
    "ZA": [
        ("Butternut 10 kg", "box", 90, 140, None),
        ("Potatoes 10 kg", "pocket", 60, 110, None),
        ("Fresh produce (zero-rated)", "crate", 150, 400, "0"),
    ],
}


async def _showcase_orders(tx: Tx, customer_id: int) -> None:
    """The README's orders: ORD-00001 confirmed (its delivery address copied from the
    customer's), ORD-00002 pending, both placed at the counter by the demo owner."""
    first = await create_order(
        tx,
        OrderData(
            customer_id=customer_id,
            lines=[
                LineData("Urea 45 kg bag", Decimal(10), Decimal(266), "bag", tax_rate=Decimal(5)),
                LineData("DAP 50 kg bag", Decimal(4), Decimal(1350), "bag", tax_rate=Decimal(5)),
            ],
            notes="Deliver before the sowing season",
        ),
    )
    await change_status(tx, first.id, OrderStatus.CONFIRMED, 1, note="stock reserved")
    await create_order(
        tx,
        OrderData(
            customer_id=customer_id,
            lines=[LineData("Knapsack sprayer", Decimal(1), Decimal(2400), "pc")],
            channel="phone",
        ),
    )


async def _invoices(
    rt: Runtime, viewer: Viewer, country: str, customer_ids: list[int], rng: random.Random
) -> None:
    """Real invoices over the last four months, through the invoicing service, so every
    summary, statement and aging figure adds up; most are paid, some in part, some late."""
    today = rt.clock.now()
    items: list[tuple[InvoiceData, int]] = []
    for customer_id in customer_ids:
        for _ in range(rng.randint(1, 5)):
            age = rng.randint(0, 120)
            lines = [
                LineData(
                    description=desc,
                    unit=unit,
                    quantity=Decimal(rng.randint(1, 10)),
                    unit_price=Decimal(rng.randint(low * 100, high * 100)) / 100,
                    tax_rate=Decimal(rate) if rate is not None else None,
                )
                for desc, unit, low, high, rate in rng.sample(
                    CATALOGUE[country], rng.randint(1, min(3, len(CATALOGUE[country])))
                )
            ]
            issued = (today - timedelta(days=age)).date()
            items.append(
                (InvoiceData(customer_id=customer_id, lines=lines, issue_date=issued), age)
            )
    items.sort(key=lambda item: -item[1])  # numbered in date order
    async with rt.db.unit_of_work() as session:
        tx = Tx(session, viewer, rt.clock)
        created = [await create_invoice(tx, data) for data, _ in items]
    async with rt.db.unit_of_work() as session:
        tx = Tx(session, viewer, rt.clock)
        for (_, age), invoice in zip(items, created, strict=True):
            roll = rng.random()
            if age < 5 or roll < 0.2:
                continue  # unpaid: new, or late if its due date has passed
            part = Decimal(1) if roll < 0.85 else Decimal(rng.choice(["0.25", "0.5", "0.75"]))
            amount = quantize(invoice.total * part, invoice.currency)
            if amount <= 0:
                continue
            await record_payment(
                tx,
                PaymentData(
                    invoice_id=invoice.id,
                    amount=amount,
                    method=rng.choice(["cash", "upi", "mpesa", "bank_transfer", "card"]),
                    idempotency_key=f"demo-{invoice.id}",
                    received_at=today - timedelta(days=rng.randint(0, age - 1)),
                ),
            )


async def _purchases(
    rt: Runtime, viewer: Viewer, country: str, customer_ids: list[int], rng: random.Random
) -> None:
    """Counter purchases over the last four months through the purchases service (the
    walk-in guest first), so totals, VIP and lapse states come from real rows."""
    now = rt.clock.now()
    async with rt.db.unit_of_work() as session:
        tx = Tx(session, viewer, rt.clock)
        for customer_id in customer_ids:
            for _ in range(rng.randint(1, 3)):
                picked = rng.sample(CATALOGUE[country], rng.randint(1, 2))
                await record_purchase(
                    tx,
                    PurchaseData(
                        customer_id=customer_id,
                        items=[
                            ItemData(
                                desc.split(" (")[0],
                                Decimal(rng.randint(1, 4)),
                                Decimal(rng.randint(low * 100, high * 100)) / 100,
                            )
                            for desc, _, low, high, _ in picked
                        ],
                        method=rng.choice(["cash", "upi", "card", "mpesa"]),
                        purchased_at=now - timedelta(days=rng.randint(0, 120), hours=2),
                    ),
                )


def _phone(rng: random.Random, country: str) -> str:
    patterns = {
        "IN": ("+91", "9", 9),
        "KE": ("+254", "7", 8),
        "OM": ("+968", "9", 7),
        "ZA": ("+27", "8", 8),
    }
    cc, lead, rest = patterns[country]
    while True:
        candidate = cc + lead + "".join(rng.choice("0123456789") for _ in range(rest))
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            return candidate


async def load_demo(settings: Settings, customers_per_business: int = 120) -> str:
    if settings.env == "production":  # the demo owner's password is published
        raise ValueError("demo data is for development and embedded mode, not production")
    rt = build_runtime(settings)
    await rt.start(sweep=False)
    try:
        async with rt.db.read() as session:
            demo = AccountsRepository(session, Viewer.system_actor("demo-loader"))
            if await demo.user_by_email(DEMO_EMAIL) is not None:
                return f"demo data already loaded (sign in as {DEMO_EMAIL} / {DEMO_PASSWORD})"
        rng = random.Random(20261121)
        ttl = timedelta(minutes=5)
        async with rt.db.unit_of_work() as session:
            tx = Tx(session, Viewer.anonymous(), rt.clock)
            auth, first = await sign_up(
                tx,
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
                name="Demo Owner",
                business=BUSINESSES[0],
                ttl=ttl,
            )
            user_id = auth.user.id
            business_ids = [first.id]
            owner = Viewer(ViewerKind.STAFF, user_id=user_id)
            for data in BUSINESSES[1:]:
                business_ids.append((await create_business(Tx(session, owner, rt.clock), data)).id)
        for business_id, data in zip(business_ids, BUSINESSES, strict=True):
            viewer = Viewer(
                ViewerKind.STAFF,
                user_id=user_id,
                business_id=business_id,
                role=Role.OWNER,
                scopes=STAFF_SCOPES,
            )
            firsts, lasts = NAMES[data.country]
            billed: list[int] = []
            async with rt.db.unit_of_work() as session:
                tx = Tx(session, viewer, rt.clock)
                walk_in = await create_customer(tx, CustomerInput(tags=["walk-in"]))
                walk_in.is_walk_in = True  # the business's walk-in guest for counter sales
                shoppers = [walk_in.id]
                for i in range(customers_per_business):
                    first_name, last_name = rng.choice(firsts), rng.choice(lasts)
                    has_phone = rng.random() > 0.08
                    has_email = has_phone and rng.random() > 0.45
                    slug = f"{first_name}.{last_name}".lower().replace(" ", "").replace("'", "")
                    customer_input = CustomerInput(
                        name=f"{first_name} {last_name}",
                        name_alt=ALT_SCRIPT.get(first_name),
                        phone=_phone(rng, data.country) if has_phone else None,
                        email=f"{slug}{i}@example.com" if has_email else None,
                        business_type=rng.choice(TYPES),
                        tags=rng.sample(TAGS, k=rng.randint(0, 2)),
                        payment_terms=rng.choice(["due_on_receipt", "net_15", "net_30"]),
                        is_vip=rng.random() < 0.05,
                        addresses=[
                            AddressInput(
                                city=rng.choice(CITIES[data.country]),
                                area=f"Ward {rng.randint(1, 30)}",
                                street=f"{rng.randint(1, 400)} Market Road",
                                latitude=None,
                                longitude=None,
                            )
                        ]
                        if rng.random() > 0.3
                        else [],
                    )
                    showcase = i == 0 and business_id == business_ids[0]
                    customer = await create_customer(
                        tx,
                        SHOWCASE_CUSTOMER if showcase else customer_input,
                        allow_duplicate_phone=True,  # random demo phones may repeat
                    )
                    if showcase:
                        for item in SHOWCASE_INVOICES:
                            await create_invoice(tx, replace(item, customer_id=customer.id))
                        await _showcase_orders(tx, customer.id)
                    if rng.random() < 0.4:
                        billed.append(customer.id)
                    if showcase or rng.random() < 0.3:
                        shoppers.append(customer.id)
            await _invoices(rt, viewer, data.country, billed, rng)
            await _purchases(rt, viewer, data.country, shoppers, rng)
        total = len(business_ids) * (customers_per_business + 1)
        return (
            f"loaded {len(business_ids)} businesses and {total} customers; "
            f"sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}"
        )
    finally:
        await rt.stop()
