"""Customer search benchmark: counter search and the filtered customer list, measured over
real HTTP against the real app with 100,000 customers in one business.

    .venv/bin/python -m bench.customers_search                      # PostgreSQL, fresh load
    .venv/bin/python -m bench.customers_search --reuse --explain    # keep data, print plans
    .venv/bin/python -m bench.customers_search --backend sqlite [--sqlite-analyze]

Steps: (1) a fresh database (PostgreSQL `khata_bench` or $BENCH_SEARCH_DB, created and
dropped through a connection to the `test` database, whose contents are never touched; or a
SQLite file under bench/.data/), migrated with alembic; `--reuse` keeps one already loaded
with the same size, seed and schema. (2) One business and two noise businesses signed up
through GraphQL, then customers bulk-loaded with SQLAlchemy core in batches, every row built
with the helpers the service uses (phones/emails normalised, search_key, reversed_digits,
numbering, tags, addresses, network persons); then VACUUM ANALYZE on PostgreSQL. (3) `khata
serve` (uvicorn, one process) started as a subprocess without Redis and measured over HTTP
with one keep-alive httpx connection: a warm-up, then `--requests` per scenario with varying
terms, scenarios taking turns. A baseline scenario (one customer by id) shows what every
request costs besides the search. p50/p95/p99 per scenario go to
bench/results/customers_search_<backend>.md; `--explain` then prints the plans of the SQL
that each scenario's slowest terms ran.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.processes import app_client, clean_env, free_port, server_process, sign_up_owner
from domain.core.contact import normalize_email, normalize_phone
from domain.core.counters import Counter, format_number
from domain.core.errors import ErrorCollector, ValidationFailed
from domain.core.money import quantize
from domain.customers.fields import clean_tags, infer_profile
from domain.customers.models import (
    AddressKind,
    Customer,
    CustomerAddress,
    CustomerStatus,
    CustomerTag,
    PaymentMethod,
    PaymentStatus,
    PaymentTerms,
    Person,
)
from domain.customers.repository import reversed_digits, search_key

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / ".data"
RESULTS_DIR = ROOT / "bench" / "results"
PG_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"
PG_ADMIN_DB = "test"  # only used to run CREATE/DROP DATABASE; its contents are never touched
# BENCH_SEARCH_DB picks another database (e.g. one per worktree); the server inherits it.
PG_BENCH_DB = os.environ.get("BENCH_SEARCH_DB", "khata_bench")
BATCH = 5_000
PASSWORD = "bench horse battery staple"
TARGET_P95_MS = 20.0


# --------------------------------------------------------------------------------------
# People: first/last names in rough order of frequency (earlier = more common).
# --------------------------------------------------------------------------------------
def _names(line_block: str) -> list[str]:
    """Split on spaces but keep the Afrikaans particles with their surname."""
    out: list[str] = []
    words = line_block.split()
    i = 0
    while i < len(words):
        if words[i] in ("van", "du", "der") and i + 1 < len(words):
            j = i
            while words[j] in ("van", "du", "der"):
                j += 1
            out.append(" ".join(words[i : j + 1]))
            i = j + 1
        else:
            out.append(words[i])
            i += 1
    return out


IN_FIRST = _names("""
Amit Priya Rahul Pooja Suresh Anjali Ramesh Sunita Rajesh Neha Mahesh Kavya Vijay
Lakshmi Sanjay Divya Anil Meena Sunil Sneha Manoj Rekha Deepak Anita Ravi Geeta Kiran Shreya
Prakash Radha Ganesh Jyoti Srinivas Asha Venkatesh Usha Karthik Nisha Harish Swati Naveen
Shalini Arjun Deepika Rohan Aishwarya Aditya Fatima Imran Ayesha Mohammed Zoya Abdul Mary
Joseph Chitra Thomas Revathi Gurpreet Bhavana Harpreet Parvati Manpreet Savitri Aarav Vivaan
Ishaan Ananya Saanvi Farhan Nikhil Tanvi Yash Ritu""")
IN_LAST = _names("""
Sharma Patel Kumar Singh Reddy Rao Gupta Shah Iyer Nair Verma Agarwal Mehta Joshi
Desai Patil Yadav Khan Pillai Menon Kulkarni Jadhav Naidu Mishra Pandey Tiwari Chauhan Das
Banerjee Chatterjee Mukherjee Ghosh Bose Sen Qureshi Sheikh Ansari Siddiqui D'Souza Fernandes
Gill Sandhu Dhillon Chopra Kapoor Malhotra Bhatia Sethi Krishnan Subramanian Venkataraman
Gowda Hegde Shetty Deshpande Pawar Dubey Shukla Rathore Iyengar""")
KE_FIRST = _names("""
Brian Mercy Kevin Grace Dennis Faith Collins Wanjiru Peter Wanjiku John Njeri
James Akinyi Joseph Achieng David Atieno Daniel Nyambura Samuel Wambui Otieno Muthoni Ochieng
Chebet Omondi Jepkoech Kamau Joy Mwangi Esther Kariuki Njoroge Kimani Mutua Wafula Barasa
Cheruiyot Kiprono""")
KE_LAST = _names("""
Kamau Mwangi Otieno Ochieng Odhiambo Onyango Kariuki Njoroge Kimani Wanyama Wafula
Mutua Musyoka Kiprono Kipkemboi Cheruiyot Koech Langat Rotich Kiplagat Maina Githinji Ndungu
Waweru Gitau Owino Okoth Mohamed Hassan Abdi Mutiso Nyaga Muriuki Karanja Chege""")
OM_NAMES = {  # Omani customers often carry an Arabic name too (name_alt)
    "Mohammed": "محمد",
    "Ahmed": "أحمد",
    "Said": "سعيد",
    "Salim": "سالم",
    "Khalid": "خالد",
    "Ali": "علي",
    "Fatma": "فاطمة",
    "Aisha": "عائشة",
    "Hamed": "حامد",
    "Sultan": "سلطان",
    "Maryam": "مريم",
    "Yousuf": "يوسف",
    "Abdullah": "عبدالله",
    "Zainab": "زينب",
    "Nasser": "ناصر",
    "Salma": "سلمى",
    "Hilal": "هلال",
    "Noor": "نور",
    "Huda": "هدى",
    "Muna": "منى",
    "Asma": "أسماء",
    "Khadija": "خديجة",
    "Talal": "طلال",
    "Badr": "بدر",
}
OM_FAMILIES = {
    "Al Balushi": "البلوشي",
    "Al Harthi": "الحارثي",
    "Al Busaidi": "البوسعيدي",
    "Al Hinai": "الهنائي",
    "Al Rawahi": "الرواحي",
    "Al Lawati": "اللواتي",
    "Al Maskari": "المسكري",
    "Al Kindi": "الكندي",
    "Al Abri": "العبري",
    "Al Riyami": "الريامي",
    "Al Siyabi": "السيابي",
    "Al Shukaili": "الشكيلي",
    "Al Farsi": "الفارسي",
    "Al Amri": "العامري",
    "Al Saadi": "السعدي",
    "Al Mamari": "المعمري",
    "Al Jabri": "الجابري",
    "Al Zadjali": "الزدجالي",
    "Al Hashmi": "الهاشمي",
    "Al Wahaibi": "الوهيبي",
}
ZA_FIRST = _names("""
Thabo Lerato Sipho Nomvula Themba Zanele Bongani Lindiwe Mandla Thandiwe Sibusiso
Ayanda Pieter Anika Johan Nandi Willem Palesa Kagiso Naledi Tshepo Elna Lwazi Liezl Ruan
Priyanka Jan Sharon Kubendhren Michelle""")


ZA_LAST = _names("""
Nkosi Dlamini Ndlovu Khumalo Mokoena Naidoo Botha Mahlangu Pillay Mthembu
van der Merwe Zulu Govender Sithole Pretorius Shabalala Moodley du Plessis Mabaso Molefe
van Wyk Mofokeng Venter Radebe Coetzee Ngcobo Jacobs Buthelezi Smith Cele Adams""")

TRADE_SUFFIX = {
    "IN": [
        "Traders",
        "General Stores",
        "Kirana Store",
        "Enterprises",
        "Electricals",
        "Hardware",
        "Textiles",
        "Medicals",
        "& Sons",
        "Agencies",
        "Sweets",
        "Auto Spares",
    ],
    "KE": ["Hardware", "Supplies", "Enterprises Ltd", "Wholesalers", "Agrovet", "Duka"],
    "OM": ["Trading LLC", "Est.", "Trading & Contracting", "Foodstuff LLC"],
    "ZA": ["(Pty) Ltd", "Spaza", "Hardware", "Butchery", "Traders"],
}
BUSINESS_TYPES = [
    "retail",
    "wholesale",
    "restaurant",
    "pharmacy",
    "hardware",
    "salon",
    "garage",
    "school",
    "clinic",
    "catering",
]
CITIES = {  # city, area, postal code, latitude, longitude
    "IN": [
        ("Mumbai", "Andheri West", "400058", 19.136, 72.827),
        ("Pune", "Kothrud", "411038", 18.507, 73.807),
        ("Bengaluru", "Indiranagar", "560038", 12.978, 77.640),
        ("Hyderabad", "Banjara Hills", "500034", 17.414, 78.434),
        ("Chennai", "T Nagar", "600017", 13.041, 80.234),
        ("Delhi", "Lajpat Nagar", "110024", 28.567, 77.243),
        ("Jaipur", "Malviya Nagar", "302017", 26.853, 75.805),
        ("Ahmedabad", "Navrangpura", "380009", 23.036, 72.561),
        ("Kolkata", "Salt Lake", "700091", 22.580, 88.417),
        ("Kochi", "Kakkanad", "682030", 10.016, 76.341),
    ],
    "KE": [
        ("Nairobi", "Westlands", "00800", -1.268, 36.811),
        ("Mombasa", "Nyali", "80100", -4.036, 39.707),
        ("Kisumu", "Milimani", "40100", -0.103, 34.754),
        ("Nakuru", "Section 58", "20100", -0.283, 36.079),
    ],
    "OM": [
        ("Muscat", "Al Khuwair", "133", 23.596, 58.416),
        ("Muscat", "Ruwi", "112", 23.599, 58.545),
        ("Sohar", "Al Tareef", "311", 24.347, 56.709),
        ("Salalah", "Al Saada", "211", 17.040, 54.136),
    ],
    "ZA": [
        ("Johannesburg", "Sandton", "2196", -26.107, 28.057),
        ("Cape Town", "Sea Point", "8005", -33.921, 18.384),
        ("Durban", "Umhlanga", "4319", -29.726, 31.085),
        ("Pretoria", "Hatfield", "0083", -25.748, 28.238),
    ],
}
STREETS = {
    "IN": [
        "MG Road",
        "Station Road",
        "Link Road",
        "Nehru Nagar Main Rd",
        "Gandhi Chowk",
        "1st Cross",
        "Temple Street",
        "Market Road",
        "Ring Road",
    ],
    "KE": ["Moi Avenue", "Kenyatta Avenue", "Ngong Road", "Waiyaki Way", "Oginga Odinga St"],
    "OM": ["Way 3021", "Sultan Qaboos St", "Al Nahdha St", "18th November St"],
    "ZA": ["Main Road", "Jan Smuts Ave", "Long Street", "Church Street", "Rivonia Road"],
}
EMAIL_DOMAINS = {
    "IN": ["gmail.com"] * 6 + ["yahoo.co.in", "rediffmail.com", "outlook.com", "hotmail.com"],
    "KE": ["gmail.com"] * 5 + ["yahoo.com", "outlook.com"],
    "OM": ["gmail.com"] * 4 + ["omantel.net.om", "hotmail.com", "outlook.com"],
    "ZA": ["gmail.com"] * 4 + ["webmail.co.za", "mweb.co.za", "outlook.com"],
}
PAY_METHODS = {
    "IN": [PaymentMethod.UPI, PaymentMethod.UPI, PaymentMethod.CASH, PaymentMethod.CARD],
    "KE": [PaymentMethod.MPESA, PaymentMethod.MPESA, PaymentMethod.CASH],
    "OM": [PaymentMethod.CARD, PaymentMethod.CASH, PaymentMethod.BANK_TRANSFER],
    "ZA": [PaymentMethod.CARD, PaymentMethod.BANK_TRANSFER, PaymentMethod.CASH],
}
LANGUAGES = {
    "IN": ["en"] * 6 + ["hi", "hi", "mr", "ta"],
    "KE": ["en", "en", "sw"],
    "OM": ["ar", "ar", "en"],
    "ZA": ["en", "en", "zu", "af"],
}
BUILDINGS = ["Residency", "Plaza", "House", "Apartments", "Towers", "Complex"]
TAGS = [
    "regular",
    "wholesale",
    "credit",
    "delivery",
    "festival",
    "online",
    "bulk",
    "VIP",
    "school",
    "Walk-in ",
    "late payer",
    "referral",
]
NOTES = [
    "Prefers delivery after 6 pm",
    "Call before sending the driver",
    "Pays monthly",
    "Ask for the GST invoice",
    "Second shop near the bus stand",
]


def _zipf(items: list[str], s: float = 0.8) -> tuple[list[str], list[float]]:
    weights, total = [], 0.0
    for rank in range(len(items)):
        total += 1.0 / (rank + 1) ** s
        weights.append(total)
    return items, weights


@dataclass
class Market:
    country: str
    calling_code: str
    first: tuple[list[str], list[float]]
    last: tuple[list[str], list[float]]
    national: Callable[[random.Random], str]  # a national number as a clerk types it


MARKETS = {
    "IN": Market(
        "IN",
        "91",
        _zipf(IN_FIRST),
        _zipf(IN_LAST),
        lambda r: f"{r.choice('6789')}{r.randrange(10**4):04d} {r.randrange(10**5):05d}",
    ),
    "KE": Market(
        "KE",
        "254",
        _zipf(KE_FIRST),
        _zipf(KE_LAST),
        lambda r: f"07{r.randrange(10**2):02d} {r.randrange(10**6):06d}",
    ),
    "OM": Market(
        "OM",
        "968",
        _zipf(list(OM_NAMES)),
        _zipf(list(OM_FAMILIES)),
        lambda r: f"{r.choice('79')}{r.randrange(10**3):03d} {r.randrange(10**4):04d}",
    ),
    "ZA": Market(
        "ZA",
        "27",
        _zipf(ZA_FIRST),
        _zipf(ZA_LAST),
        lambda r: (
            f"0{r.choice('678')}{r.randrange(10):d} {r.randrange(10**3):03d} "
            f"{r.randrange(10**4):04d}"
        ),
    ),
}
CURRENCY = {"IN": "INR", "KE": "KES", "OM": "OMR", "ZA": "ZAR"}


def _pick(r: random.Random, pool: tuple[list[str], list[float]]) -> str:
    return r.choices(pool[0], cum_weights=pool[1])[0]


def _slug(text_: str) -> str:
    return "".join(ch for ch in text_.lower() if ch.isalnum())


@dataclass
class BusinessPlan:
    key: str
    name: str
    country: str
    customers: int
    mix: dict[str, float]  # market -> share of this business's customers
    gid: str = ""
    row_id: int = 0


@dataclass
class Generator:
    """Builds customer rows exactly as service.create_customer would store them."""

    rng: random.Random
    now: datetime
    persons: dict[str, int] = field(default_factory=dict)  # E.164 -> persons.id
    person_verified: set[str] = field(default_factory=set)

    def phone(self, market: Market, region: str, taken: set[str]) -> str:
        while True:
            raw = market.national(self.rng)
            if market.country != region:  # a foreign number is typed with its country code
                raw = f"+{market.calling_code} {raw.lstrip('0')}"
            try:
                e164 = normalize_phone(raw, region)
            except ValidationFailed:
                continue
            if e164 not in taken:
                taken.add(e164)
                return e164

    def email(self, first: str, last: str, country: str, trade: bool) -> str:
        r = self.rng
        f, la = _slug(first), _slug(last)
        if trade:
            local = r.choice(["info", "accounts", "orders", f"{f}{la}"])
            domain = f"{f}{la}.{'co.in' if country == 'IN' else 'com'}"
        else:
            domain = r.choice(EMAIL_DOMAINS[country])
            local = r.choice(
                [
                    f"{f}.{la}{r.randrange(100)}",
                    f"{f}{la}",
                    f"{f[0]}{la}{r.randrange(70, 100)}",
                    f"{f}_{r.randrange(1000)}",
                    f"{f}.{la}",
                    f"{la}.{f}{r.randrange(10)}",
                ]
            )
        raw = f"{local}@{domain}"
        if r.random() < 0.1:
            raw = raw.capitalize()  # typed with a capital; the service lowercases
        return normalize_email(raw)

    def money(self, amount: float, currency: str) -> Decimal:
        return quantize(Decimal(str(round(amount, 3))), currency)

    def customer(
        self,
        plan: BusinessPlan,
        seq: int,
        created_at: datetime,
        phones: set[str],
        emails: set[str],
    ) -> tuple[dict[str, Any], list[str], list[dict[str, Any]]]:
        r = self.rng
        market = MARKETS[r.choices(list(plan.mix), weights=list(plan.mix.values()))[0]]
        region, currency = plan.country, CURRENCY[plan.country]
        first, last = _pick(r, market.first), _pick(r, market.last)
        trade = r.random() < 0.08
        name_alt = None
        if trade:
            name = f"{last} {r.choice(TRADE_SUFFIX[market.country])}"
        else:
            middle = f" {r.choice('ABCDKMNRSV')}." if r.random() < 0.08 else ""
            name = f"{first}{middle} {last}"
            if market.country == "OM" and r.random() < 0.6:
                name_alt = f"{OM_NAMES[first]} {OM_FAMILIES[last]}"
        casing = r.random()
        if casing < 0.04:
            name = name.lower()
        elif casing < 0.06:
            name = name.upper()
        phone = self.phone(market, region, phones) if r.random() < 0.93 else None
        email = None
        if r.random() < 0.6:
            email = self.email(first, last, market.country, trade)
            if email in emails:  # same address typed twice: keep one customer per email
                email = None
            else:
                emails.add(email)
        if phone is None and email is None and r.random() < 0.3:
            name = "Walk-in Customer"  # what create_customer stores when nothing was given
            first, last = "Walk-in", "Customer"
        phone_secondary = (
            self.phone(market, region, phones) if phone and r.random() < 0.04 else None
        )
        email_secondary = None
        if email and r.random() < 0.02:
            email_secondary = self.email(last, first, market.country, False)
        phone_verified = bool(phone) and r.random() < 0.35
        email_verified = bool(email) and r.random() < 0.25
        profile_type = infer_profile(
            SimpleNamespace(phone=phone, email=email, phone_verified=phone_verified)  # type: ignore[arg-type]
        )
        status = CustomerStatus.ACTIVE
        roll = r.random()
        if roll < 0.08:
            status = CustomerStatus.INACTIVE
        elif roll < 0.10:
            status = CustomerStatus.SUSPENDED
        updated_at = created_at + timedelta(seconds=r.randrange(0, 3600 * 24 * 200))
        updated_at = min(updated_at, self.now)

        billed = paid = Decimal(0)
        invoice_count, last_invoice_at, avg_days = 0, None, None
        payment_status, oldest_open_due = PaymentStatus.NONE, None
        if r.random() < 0.45:
            invoice_count = min(1 + int(r.expovariate(1 / 8)), 400)
            unit = {"INR": 1800.0, "KES": 3500.0, "OMR": 18.0, "ZAR": 450.0}[currency]
            billed = self.money(invoice_count * unit * r.uniform(0.3, 3.0), currency)
            paid = (
                billed
                if r.random() < 0.55
                else self.money(float(billed) * r.uniform(0.4, 0.98), currency)
            )
            span = max((self.now - created_at).total_seconds(), 1.0)
            last_invoice_at = created_at + timedelta(seconds=r.uniform(0, span))
            avg_days = quantize(Decimal(str(round(r.uniform(0, 45), 1))), "OMR")
            payment_status = PaymentStatus.GOOD
            if billed != paid:  # something open: partly paid, due later, or overdue
                payment_status = r.choice([PaymentStatus.GOOD, PaymentStatus.WARNING])
                oldest_open_due = (self.now + timedelta(days=r.randint(-90, 30))).date()
        tags = (
            clean_tags(r.sample(TAGS, r.choice([1, 1, 2, 3])), ErrorCollector())
            if r.random() < 0.3
            else []
        )
        row: dict[str, Any] = {
            "business_id": plan.row_id,
            "number": format_number("CUST", seq),
            "person_id": None,
            "profile_type": profile_type,
            "status": status,
            "is_vip": r.random() < 0.03,
            "name": name,
            "name_alt": name_alt,
            "name_search": search_key(name, name_alt),
            "phone": phone,
            "phone_rev": reversed_digits(phone),
            "phone_secondary": phone_secondary,
            "email": email,
            "email_secondary": email_secondary,
            "phone_verified": phone_verified,
            "email_verified": email_verified,
            "business_type": r.choice(BUSINESS_TYPES) if trade else None,
            "tax_id": f"27{_slug(last)[:5].upper():X<5}{r.randrange(10**4):04d}F1Z{r.randrange(10)}"
            if trade and region == "IN"
            else None,
            "tags": tags,
            "notes": r.choice(NOTES) if r.random() < 0.05 else None,
            "payment_terms": PaymentTerms.DUE_ON_RECEIPT
            if r.random() < 0.8
            else r.choice([PaymentTerms.NET_15, PaymentTerms.NET_30, PaymentTerms.NET_60]),
            "credit_limit": self.money(r.choice([5, 10, 25, 50]) * 1000, currency)
            if r.random() < 0.1
            else None,
            "preferred_payment_method": r.choice(PAY_METHODS[market.country])
            if r.random() < 0.4
            else None,
            "auto_send_invoices": r.random() < 0.2,
            "reminders_enabled": r.random() < 0.9,
            "language": r.choice(LANGUAGES[market.country]),
            "preferences": {},
            "total_billed": billed,
            "total_paid": paid,
            "outstanding": billed - paid,
            "invoice_count": invoice_count,
            "last_invoice_at": last_invoice_at,
            "payment_status": payment_status,
            "oldest_open_due": oldest_open_due,
            "avg_days_to_pay": avg_days,
            "merged_into_id": None,
            "deactivated_at": updated_at if status != CustomerStatus.ACTIVE else None,
            "created_at": created_at,
            "updated_at": updated_at,
        }
        addresses: list[dict[str, Any]] = []
        roll = r.random()
        for i in range(2 if roll < 0.05 else 1 if roll < 0.38 else 0):
            city, area, postal, lat, lon = r.choice(CITIES[market.country])
            gps = r.random() < 0.25
            addresses.append(
                {
                    "business_id": plan.row_id,
                    "kind": AddressKind.HOME if i == 0 else AddressKind.WORK,
                    "label": "Home" if i == 0 else r.choice(["Shop", "Office", "Godown"]),
                    "building": f"{r.randrange(1, 400)}, {last} {r.choice(BUILDINGS)}"
                    if r.random() < 0.7
                    else None,
                    "street": r.choice(STREETS[market.country]),
                    "area": area,
                    "city": city,
                    "postal_code": postal,
                    "country": market.country,
                    "latitude": round(lat + r.uniform(-0.05, 0.05), 6) if gps else None,
                    "longitude": round(lon + r.uniform(-0.05, 0.05), 6) if gps else None,
                    "delivery_notes": "Leave with the security guard" if r.random() < 0.1 else None,
                    "is_default": i == 0,
                    "created_at": created_at,
                }
            )
        return row, tags, addresses


# --------------------------------------------------------------------------------------
# Database preparation
# --------------------------------------------------------------------------------------
def schema_fingerprint() -> str:
    """Changes when the migration or the customer model changes: a reused database built
    from an older initial migration would measure old indexes."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "domain" / "migrations" / "versions").glob("*.py")):
        h.update(path.read_bytes())
    h.update((ROOT / "domain" / "customers" / "models.py").read_bytes())
    return h.hexdigest()[:16]


def database_url(backend: str) -> str:
    if backend == "postgres":
        return f"{PG_SERVER}/{PG_BENCH_DB}"
    return f"sqlite+aiosqlite:///{DATA_DIR / 'customers_search.db'}"


def meta_path(backend: str) -> Path:
    return DATA_DIR / f"customers_search_{backend}.json"


async def database_ready(backend: str, url: str, want: dict[str, Any]) -> dict[str, Any] | None:
    """The stored meta if the database already holds exactly this load."""
    path = meta_path(backend)
    if not path.exists():
        return None
    meta = json.loads(path.read_text())
    if {k: meta.get(k) for k in want} != want:
        return None
    if backend == "sqlite" and not (DATA_DIR / "customers_search.db").exists():
        return None
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            count = (
                await conn.execute(
                    select(func.count())
                    .select_from(Customer)
                    .where(Customer.business_id == meta["business_row_id"])
                )
            ).scalar_one()
    except Exception:
        return None
    finally:
        await engine.dispose()
    return meta if count == want["customers"] else None


async def fresh_database(backend: str, url: str) -> None:
    if backend == "postgres":
        admin = create_async_engine(f"{PG_SERVER}/{PG_ADMIN_DB}", isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)"))
            await conn.execute(text(f"CREATE DATABASE {PG_BENCH_DB}"))
        await admin.dispose()
    else:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            (DATA_DIR / f"customers_search.db{suffix}").unlink(missing_ok=True)
    meta_path(backend).unlink(missing_ok=True)
    from domain.migrations.run import upgrade

    await upgrade(url)


LOGIN = """mutation($input: LoginInput!) { login(input: $input) { __typename
  ... on AuthPayload { token }
  ... on UserError { code message } } }"""


async def sign_up_businesses(url: str, plans: list[BusinessPlan], owner_email: str) -> None:
    """Through the real GraphQL API, in process (the app is the same one served later)."""
    from schema.relay import expect_id

    async with app_client(url, auto_migrate=False) as client:
        for i, plan in enumerate(plans):
            email = owner_email if i == 0 else f"owner-{plan.key}@bench.example"
            plan.gid = await sign_up_owner(
                client,
                email,
                PASSWORD,
                f"Owner {plan.key}",
                {"name": plan.name, "country": plan.country},
            )
            plan.row_id = expect_id(plan.gid, "Business")


async def load_customers(
    engine: AsyncEngine, gen: Generator, plan: BusinessPlan, shared_phones: list[str]
) -> list[str]:
    """Bulk insert in batches of BATCH with SQLAlchemy core; returns this business's
    primary phones (the noise businesses reuse a few: one person, several businesses)."""
    phones: set[str] = set()
    emails: set[str] = set()
    own_phones: list[str] = []
    start = gen.now - timedelta(days=3 * 365)
    step = (gen.now - timedelta(days=1) - start) / max(plan.customers, 1)
    seq = 0
    while seq < plan.customers:
        rows, tag_lists, address_lists = [], [], []
        for _ in range(min(BATCH, plan.customers - seq)):
            seq += 1
            created = start + step * seq + timedelta(seconds=gen.rng.uniform(0, 60))
            row, tags, addresses = gen.customer(plan, seq, created, phones, emails)
            if shared_phones and row["phone"] and gen.rng.random() < 0.05:
                shared = gen.rng.choice(shared_phones)
                if shared not in phones:  # the same person buys here too
                    phones.add(shared)
                    row["phone"], row["phone_rev"] = shared, reversed_digits(shared)
            rows.append(row)
            tag_lists.append(tags)
            address_lists.append(addresses)
        new_persons: dict[str, dict[str, Any]] = {}
        for row in rows:
            phone = row["phone"]
            if phone and phone not in gen.persons and phone not in new_persons:
                new_persons[phone] = {
                    "phone": phone,
                    "created_at": row["created_at"],
                    "phone_verified_at": row["updated_at"] if row["phone_verified"] else None,
                }
            if phone:
                own_phones.append(phone)
        async with engine.begin() as conn:
            if new_persons:
                result = await conn.execute(
                    insert(Person).returning(Person.id, Person.phone, sort_by_parameter_order=True),
                    list(new_persons.values()),
                )
                gen.persons.update({phone: pid for pid, phone in result.all()})
            for row in rows:
                row["person_id"] = gen.persons.get(row["phone"]) if row["phone"] else None
            ids = (
                (
                    await conn.execute(
                        insert(Customer).returning(Customer.id, sort_by_parameter_order=True), rows
                    )
                )
                .scalars()
                .all()
            )
            tag_rows = [
                {"customer_id": cid, "tag": t, "business_id": plan.row_id}
                for cid, tags in zip(ids, tag_lists, strict=True)
                for t in tags
            ]
            address_rows = [
                a | {"customer_id": cid}
                for cid, addrs in zip(ids, address_lists, strict=True)
                for a in addrs
            ]
            if tag_rows:
                await conn.execute(insert(CustomerTag), tag_rows)
            if address_rows:
                await conn.execute(insert(CustomerAddress), address_rows)
        print(f"  {plan.key}: {seq:>7,} / {plan.customers:,}", end="\r", flush=True)
    async with engine.begin() as conn:
        await conn.execute(
            update(Counter)
            .where(Counter.business_id == plan.row_id, Counter.kind == "customer")
            .values(last_value=plan.customers)
        )
    print()
    return own_phones


def business_plans(customers: int, noise: int) -> list[BusinessPlan]:
    return [
        BusinessPlan(
            "main",
            "Indian Ocean Distributors",
            "IN",
            customers,
            {"IN": 0.7, "KE": 0.1, "OM": 0.1, "ZA": 0.1},
        ),
        BusinessPlan(
            "noise-ke", "Nairobi Hardware Ltd", "KE", noise * 3 // 5, {"KE": 0.85, "IN": 0.15}
        ),
        BusinessPlan(
            "noise-om", "Muscat Foodstuff LLC", "OM", noise - noise * 3 // 5, {"OM": 0.7, "IN": 0.3}
        ),
    ]


async def prepare(args: argparse.Namespace) -> dict[str, Any]:
    url = database_url(args.backend)
    want = {
        "customers": args.customers,
        "noise": args.noise,
        "seed": args.seed,
        "schema": schema_fingerprint(),
        "sqlite_analyze": args.sqlite_analyze,
    }
    if args.reuse:
        meta = await database_ready(args.backend, url, want)
        if meta is not None:
            print(f"reusing {args.backend} database ({args.customers:,} customers)")
            return meta
        print("no reusable database with this size/seed/schema: loading a fresh one")
    started = time.perf_counter()
    await fresh_database(args.backend, url)
    plans = business_plans(args.customers, args.noise)
    owner_email = "owner-main@bench.example"
    await sign_up_businesses(url, plans, owner_email)
    print(
        f"migrated and signed up {len(plans)} businesses "
        f"in {time.perf_counter() - started:.1f}s; loading customers"
    )
    gen = Generator(random.Random(args.seed), datetime.now(UTC))
    from domain.core.db import Database

    db = Database(url)
    main_phones: list[str] = []
    try:
        for plan in plans:
            t0 = time.perf_counter()
            phones = await load_customers(db.write_engine, gen, plan, main_phones)
            if plan.key == "main":
                main_phones = phones
            print(f"  {plan.key}: {plan.customers:,} customers in {time.perf_counter() - t0:.1f}s")
    finally:
        await db.dispose()
    t0 = time.perf_counter()
    if args.backend == "postgres":
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text("VACUUM ANALYZE"))
        await engine.dispose()
        print(f"VACUUM ANALYZE in {time.perf_counter() - t0:.1f}s")
    elif args.sqlite_analyze:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("PRAGMA analysis_limit=1000"))
            await conn.execute(text("ANALYZE"))
        await engine.dispose()
        print(f"ANALYZE in {time.perf_counter() - t0:.1f}s")
    meta = want | {
        "owner_email": owner_email,
        "business_gid": plans[0].gid,
        "business_row_id": plans[0].row_id,
        "country": plans[0].country,
        "load_seconds": round(time.perf_counter() - started, 1),
    }
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    meta_path(args.backend).write_text(json.dumps(meta, indent=2))
    print(f"database ready in {meta['load_seconds']}s")
    return meta


# --------------------------------------------------------------------------------------
# Terms: what people type
# --------------------------------------------------------------------------------------
@dataclass
class Samples:
    phones: list[str]
    emails: list[str]
    ids: list[int]


async def load_samples(url: str, business_id: int) -> Samples:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(Customer.id, Customer.phone, Customer.email).where(
                    Customer.business_id == business_id
                )
            )
        ).all()
    await engine.dispose()
    return Samples(
        [p for _, p, _ in rows if p], [e for _, _, e in rows if e], [i for i, _, _ in rows]
    )


def customer_gid(r: random.Random, s: Samples) -> str:
    from schema.relay import to_global_id

    return str(to_global_id("Customer", r.choice(s.ids)))


def name_fragment(r: random.Random) -> str:
    """3-6 letters of a common name, the way a clerk starts typing it."""
    market = MARKETS[r.choices(["IN", "KE", "OM", "ZA"], weights=[7, 1, 1, 1])[0]]
    name = _pick(r, market.first if r.random() < 0.55 else market.last)
    word = max(name.split(), key=len) if r.random() < 0.8 else name.split()[-1]
    word = "".join(ch for ch in word if ch.isalpha())
    size = r.randint(3, min(6, len(word))) if len(word) >= 3 else len(word)
    start = 0 if r.random() < 0.6 else r.randint(0, len(word) - size)
    piece = word[start : start + size]
    return piece.lower() if r.random() < 0.6 else piece


def phone_suffix(r: random.Random, s: Samples) -> str:
    return r.choice(s.phones)[-r.randint(4, 6) :]


def email_term(r: random.Random, s: Samples) -> str:
    email = r.choice(s.emails)
    if r.random() < 0.7:
        return email
    local, _, domain = email.partition("@")
    return f"{local}@{domain[: r.randint(0, 3)]}"


def email_prefix(r: random.Random, s: Samples) -> str:
    local, _, domain = r.choice(s.emails).partition("@")
    return f"{local}@{domain[: r.randint(0, 4)]}"


FIELDS = (
    "fragment F on Customer { id number name phoneMasked "
    "financial { outstanding { amount currency } } }"
)
SEARCH_QUERY = (
    "query Search($term: String!) { searchCustomers(term: $term) { exact { ...F } "
    "suggestions { ...F } createNew { name phone email } } } " + FIELDS
)
ONE_QUERY = "query One($id: ID!) { customer(id: $id) { ...F } } " + FIELDS
LIST_QUERY = (
    "query List($search: String) { customers(first: 20, search: $search, "
    "filter: {status: [ACTIVE]}) { totalCount edges { cursor node { ...F } } "
    "pageInfo { hasNextPage endCursor } } } " + FIELDS
)


@dataclass
class Scenario:
    name: str
    query: str
    variable: str
    term: Callable[[random.Random, Samples], str]

    def matches(self, data: dict[str, Any]) -> int:
        if "customer" in data:
            return 1 if data["customer"] else 0
        if "searchCustomers" in data:
            found = data["searchCustomers"]
            return len(found["exact"]) + len(found["suggestions"])
        return int(data["customers"]["totalCount"])


SCENARIOS = [
    # Not a search: what every request pays (HTTP, auth, GraphQL, one row by primary key).
    Scenario("baseline: customer(id)", ONE_QUERY, "id", customer_gid),
    Scenario("searchCustomers: name fragment", SEARCH_QUERY, "term", lambda r, s: name_fragment(r)),
    Scenario("searchCustomers: phone suffix", SEARCH_QUERY, "term", phone_suffix),
    Scenario("searchCustomers: email", SEARCH_QUERY, "term", email_term),
    Scenario(
        "customers(search, ACTIVE) + totalCount: name fragment",
        LIST_QUERY,
        "search",
        lambda r, s: name_fragment(r),
    ),
    Scenario(
        "customers(search, ACTIVE) + totalCount: phone suffix", LIST_QUERY, "search", phone_suffix
    ),
    Scenario(
        "customers(search, ACTIVE) + totalCount: email prefix", LIST_QUERY, "search", email_prefix
    ),
]


# --------------------------------------------------------------------------------------
# The server and the measurement
# --------------------------------------------------------------------------------------
@contextmanager
def serve(url: str, backend: str, root: Path | None = None) -> Iterator[str]:
    """`khata serve` as its own process (uvicorn, one worker), no Redis: the client and
    the server each get a core. With `root`, the server is that checkout's (its own
    .venv), for a paired comparison on the same data."""
    port = free_port()
    env = clean_env(
        DATABASE_URL=url,
        KHATA_LOG_LEVEL="WARNING",
        KHATA_AUTO_MIGRATE="false",
        KHATA_ENV="development",
    )
    python = str(root / ".venv" / "bin" / "python") if root else sys.executable
    argv = [python, "-m", "khata_cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log_path = DATA_DIR / f"server_{backend}.log"
    with server_process(argv, port, env, root or ROOT, log_path, "server") as (base, _):
        yield base


@dataclass
class Result:
    scenario: str
    latencies_ms: list[float]
    wall_s: float
    matches: list[int]
    slowest: list[tuple[float, str]]

    def pct(self, p: int) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]


def post(client: httpx.Client, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    resp = client.post("/graphql", content=orjson.dumps({"query": query, "variables": variables}))
    resp.raise_for_status()
    body = orjson.loads(resp.content)
    if body.get("errors"):
        raise SystemExit(f"GraphQL errors for {variables}: {body['errors']}")
    return body["data"]  # type: ignore[no-any-return]


def measure(
    base: str, meta: dict[str, Any], samples: Samples, requests: int, warmup: int, seed: int
) -> list[Result]:
    with httpx.Client(
        base_url=base, timeout=60, headers={"content-type": "application/json"}
    ) as client:
        auth = post(client, LOGIN, {"input": {"email": meta["owner_email"], "password": PASSWORD}})[
            "login"
        ]
        if auth["__typename"] != "AuthPayload":
            raise SystemExit(f"login failed: {auth}")
        client.headers.update(
            {"authorization": f"Bearer {auth['token']}", "x-khata-business": meta["business_gid"]}
        )
        warm = random.Random(seed + 1)
        for scenario in SCENARIOS:  # warm caches, pools and prepared statements
            for _ in range(warmup):
                post(client, scenario.query, {scenario.variable: scenario.term(warm, samples)})
        # Scenarios take turns, request by request: load from elsewhere on the machine then
        # falls on every scenario alike instead of on whichever ran at the time.
        rngs = {sc.name: random.Random(seed * 100 + i) for i, sc in enumerate(SCENARIOS)}
        terms = {
            sc.name: [sc.term(rngs[sc.name], samples) for _ in range(requests)] for sc in SCENARIOS
        }
        timed: dict[str, list[tuple[float, str, int]]] = {sc.name: [] for sc in SCENARIOS}
        for i in range(requests):
            for scenario in SCENARIOS:
                term = terms[scenario.name][i]
                t0 = time.perf_counter()
                data = post(client, scenario.query, {scenario.variable: term})
                elapsed = (time.perf_counter() - t0) * 1000
                timed[scenario.name].append((elapsed, term, scenario.matches(data)))
        results = []
        for scenario in SCENARIOS:
            runs = timed[scenario.name]
            latencies = [t for t, _, _ in runs]
            result = Result(
                scenario.name,
                latencies,
                sum(latencies) / 1000,
                [m for _, _, m in runs],
                sorted(((t, term) for t, term, _ in runs), reverse=True)[:3],
            )
            results.append(result)
            print(
                f"  {scenario.name:<58} p50 {result.pct(50):6.1f}  p95 {result.pct(95):6.1f}"
                f"  p99 {result.pct(99):6.1f} ms"
            )
        return results


# --------------------------------------------------------------------------------------
# Plans for the slowest terms
# --------------------------------------------------------------------------------------
async def explain(url: str, backend: str, meta: dict[str, Any], results: list[Result]) -> None:
    from domain.core.clock import SystemClock
    from domain.core.db import Database
    from domain.core.tx import Tx
    from domain.core.viewer import STAFF_SCOPES, Role, Viewer, ViewerKind
    from domain.customers import queries
    from domain.customers.repository import CustomerFilter, CustomerSort

    db = Database(url)
    viewer = Viewer(
        ViewerKind.STAFF,
        user_id=0,
        business_id=meta["business_row_id"],
        role=Role.OWNER,
        scopes=STAFF_SCOPES,
    )
    engine = db.read_engine
    try:
        for result, scenario in zip(results, SCENARIOS, strict=True):
            if scenario.query is ONE_QUERY:
                continue
            for elapsed, term in result.slowest[:2]:
                print(f"\n===== {scenario.name}: {term!r} ({elapsed:.1f} ms over HTTP)")
                captured: list[tuple[str, Any]] = []

                def listener(
                    conn: Any,
                    cursor: Any,
                    statement: str,
                    params: Any,
                    *rest: Any,
                    sink: list[tuple[str, Any]] = captured,
                ) -> None:
                    sink.append((statement, params))

                event.listen(engine.sync_engine, "before_cursor_execute", listener)
                try:
                    async with db.read() as session:
                        tx = Tx(session, viewer, SystemClock())
                        if scenario.query is SEARCH_QUERY:
                            await queries.search_customers(tx, term)
                        else:
                            f = CustomerFilter(
                                search=term.strip()[:100],
                                statuses=["active"],
                                region=meta["country"],
                            )
                            await queries.list_customers(
                                tx, f, CustomerSort.NAME, False, 20, None, 100
                            )
                            await queries.count_customers(tx, f)
                finally:
                    event.remove(engine.sync_engine, "before_cursor_execute", listener)
                async with engine.connect() as conn:
                    for statement, params in captured:
                        if "FROM customers" not in statement:
                            continue  # the business lookup
                        prefix = (
                            "EXPLAIN (ANALYZE, BUFFERS) "
                            if backend == "postgres"
                            else "EXPLAIN QUERY PLAN "
                        )
                        rows = (await conn.exec_driver_sql(prefix + statement, params)).all()
                        print("--", " ".join(statement.split())[:600])
                        print("   params:", params)
                        for row in rows:
                            print("  ", " | ".join(str(c) for c in row))
    finally:
        await db.dispose()


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------
def server_version(backend: str, url: str) -> str:
    async def pg() -> str:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            version = (await conn.execute(text("SHOW server_version"))).scalar_one()
        await engine.dispose()
        return f"PostgreSQL {version}"

    if backend == "postgres":
        return asyncio.run(pg())
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def git(*args: str) -> str:
    exe = shutil.which("git")
    if exe is None:
        return "?"
    done = subprocess.run([exe, *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip()


def report(
    args: argparse.Namespace,
    meta: dict[str, Any],
    results: list[Result],
    version: str,
    load: tuple[float, float],
) -> str:
    commit = git("rev-parse", "--short", "HEAD")
    dirty = " + local changes" if git("status", "--porcelain", "--", "domain") else ""
    lines = [
        f"# Customer search benchmark: {args.backend}",
        "",
        f"- {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}{dirty}, "
        f"{version}, {os.cpu_count()} CPUs, 1-min load average {load[0]:.1f} before / "
        f"{load[1]:.1f} after measuring (other work on the machine shows up in the numbers)",
        f"- data: {meta['customers']:,} customers in the searched business, "
        f"{meta['noise']:,} in two other businesses (seed {meta['seed']})",
        "- planner statistics: "
        + (
            "VACUUM ANALYZE after loading (autovacuum's steady state)"
            if args.backend == "postgres"
            else "ANALYZE after loading (`--sqlite-analyze`)"
            if args.sqlite_analyze
            else "none: the app never runs ANALYZE on SQLite, so neither does this run"
        ),
        "- server: `khata serve` (uvicorn, 1 process, uvloop + httptools), no Redis; "
        "client: httpx, one keep-alive connection, sequential requests, the scenarios taking "
        "turns request by request (req/s = one connection's rate, 1000 / mean)",
        f"- {args.requests} requests per scenario with varying terms after "
        f"{args.warmup} warm-up requests per scenario; latency is client-side, whole request",
        "- fields: `id number name phoneMasked financial { outstanding { amount currency } }`;"
        " list = `customers(first: 20, search, filter: {status: [ACTIVE]})` with `totalCount`",
        "",
        "| Scenario | Requests | p50 ms | p95 ms | p99 ms | mean ms | req/s | avg matches |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.scenario} | {len(r.latencies_ms)} | {r.pct(50):.1f} | {r.pct(95):.1f} | "
            f"{r.pct(99):.1f} | {statistics.fmean(r.latencies_ms):.1f} | "
            f"{len(r.latencies_ms) / r.wall_s:.0f} | {statistics.fmean(r.matches):.1f} |"
        )
    lines += [
        "",
        "Avg matches: rows returned (exact + suggestions) for searchCustomers, "
        "`totalCount` for the list.",
        "",
    ]
    if args.backend == "postgres":
        missed = [r.scenario for r in results if r.pct(95) >= TARGET_P95_MS]
        lines.append(
            f"Target p95 < {TARGET_P95_MS:.0f} ms: "
            + ("met by every scenario." if not missed else f"missed by {', '.join(missed)}.")
        )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.customers_search", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument(
        "--customers", type=int, default=100_000, help="customers in the searched business"
    )
    parser.add_argument(
        "--noise", type=int, default=20_000, help="customers spread over two other businesses"
    )
    parser.add_argument("--requests", type=int, default=300, help="measured requests per scenario")
    parser.add_argument("--warmup", type=int, default=30, help="warm-up requests per scenario")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep an already loaded database of the same size, seed and schema "
        "(default: drop and load fresh)",
    )
    parser.add_argument(
        "--sqlite-analyze",
        action="store_true",
        help="SQLite: run ANALYZE after loading (the app itself never does, so "
        "by default the planner has no statistics, as in embedded use)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print query plans for the slowest terms of each scenario",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results")
    parser.add_argument(
        "--khata-root",
        type=Path,
        help="serve the app of this checkout (its own .venv) on the same data, e.g. an "
        "older commit for a paired comparison; results are printed, not written",
    )
    args = parser.parse_args(argv)
    if args.khata_root is not None:
        args.khata_root = args.khata_root.resolve()
        args.no_write = True

    meta = asyncio.run(prepare(args))
    url = database_url(args.backend)
    samples = asyncio.run(load_samples(url, meta["business_row_id"]))
    print(f"measuring {len(SCENARIOS)} scenarios x {args.requests} requests over HTTP")
    load_before = os.getloadavg()[0]
    with serve(url, args.backend, args.khata_root) as base:
        results = measure(base, meta, samples, args.requests, args.warmup, args.seed)
    load = (load_before, os.getloadavg()[0])
    table = report(args, meta, results, server_version(args.backend, url), load)
    print()
    print(table)
    if not args.no_write:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        suffix = "_analyzed" if args.backend == "sqlite" and args.sqlite_analyze else ""
        out = RESULTS_DIR / f"customers_search_{args.backend}{suffix}.md"
        out.write_text(table)
        print(f"wrote {out.relative_to(ROOT)}")
    if args.explain:
        asyncio.run(explain(url, args.backend, meta, results))


if __name__ == "__main__":
    main()
