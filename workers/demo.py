"""Believable demo data: one owner with four businesses (IN, KE, OM, ZA) and a few hundred
customers with addresses, tags and balances. Idempotent: a second run changes nothing."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import phonenumbers

from domain.accounts.repository import AccountsRepository
from domain.accounts.service import BusinessInput, create_business, sign_up
from domain.core.settings import Settings
from domain.core.tx import Tx
from domain.core.viewer import STAFF_SCOPES, Role, Viewer
from domain.customers.service import AddressInput, CustomerInput, create_customer
from workers.runtime import Runtime

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
    rt = Runtime.build(settings)
    await rt.start(sweep=False)
    try:
        async with rt.db.read() as session:
            if await AccountsRepository(session).user_by_email(DEMO_EMAIL) is not None:
                return f"demo data already loaded (sign in as {DEMO_EMAIL} / {DEMO_PASSWORD})"
        rng = random.Random(20261121)
        ttl = timedelta(minutes=5)
        async with rt.db.unit_of_work() as session:
            tx = Tx(session, Viewer(), rt.clock)
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
            owner = Viewer(user_id=user_id)
            for data in BUSINESSES[1:]:
                business_ids.append((await create_business(Tx(session, owner, rt.clock), data)).id)
        for business_id, data in zip(business_ids, BUSINESSES, strict=True):
            viewer = Viewer(
                user_id=user_id, business_id=business_id, role=Role.OWNER, scopes=STAFF_SCOPES
            )
            firsts, lasts = NAMES[data.country]
            async with rt.db.unit_of_work() as session:
                tx = Tx(session, viewer, rt.clock)
                await create_customer(tx, CustomerInput(tags=["walk-in"]))
                for i in range(customers_per_business):
                    first_name, last_name = rng.choice(firsts), rng.choice(lasts)
                    has_phone = rng.random() > 0.08
                    has_email = has_phone and rng.random() > 0.45
                    slug = f"{first_name}.{last_name}".lower().replace(" ", "").replace("'", "")
                    customer = await create_customer(
                        tx,
                        CustomerInput(
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
                        ),
                    )
                    if rng.random() < 0.4:  # a believable ledger until invoicing fills it
                        billed = Decimal(rng.randint(500, 90_000))
                        paid = billed * Decimal(rng.choice(["1", "0.5", "0.8", "0"]))
                        customer.total_billed, customer.total_paid = billed, paid
                        customer.outstanding = billed - paid
                        customer.invoice_count = rng.randint(1, 12)
                        customer.last_invoice_at = rt.clock.now() - timedelta(
                            days=rng.randint(1, 90)
                        )
                        customer.payment_status = "good" if paid == billed else "warning"
        total = len(business_ids) * (customers_per_business + 1)
        return (
            f"loaded {len(business_ids)} businesses and {total} customers; "
            f"sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}"
        )
    finally:
        await rt.stop()
