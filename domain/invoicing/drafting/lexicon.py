"""Words the rule parser knows: units, currencies, number words and markers in English,
Hindi/Hinglish, Swahili, Arabic and a little Afrikaans. Kept deliberately modest."""

from __future__ import annotations

from decimal import Decimal


def _expand(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {alias: canonical for canonical, aliases in table.items() for alias in aliases}


# canonical unit -> aliases (lower case; plural and local forms)
_UNITS: dict[str, tuple[str, ...]] = {
    "month": (
        "month",
        "months",
        "mo",
        "mos",
        "mth",
        "mths",
        "mnth",
        "mnths",
        "mahina",
        "mahine",
        "mwezi",
        "miezi",
        "maand",
        "maande",
        "شهر",
        "أشهر",
        "اشهر",
        "شهور",
    ),
    "week": ("week", "weeks", "wk", "wks", "hafta", "wiki", "أسبوع", "اسبوع", "أسابيع"),
    "day": ("day", "days", "din", "siku", "dag", "dae", "يوم", "أيام", "ايام"),
    "hour": (
        "hour",
        "hours",
        "hr",
        "hrs",
        "ghanta",
        "ghante",
        "saa",
        "uur",
        "ure",
        "ساعة",
        "ساعات",
    ),
    "year": ("year", "years", "yr", "yrs", "saal", "mwaka", "miaka", "jaar", "سنة", "سنوات"),
    "kg": (
        "kg",
        "kgs",
        "kilo",
        "kilos",
        "kilogram",
        "kilograms",
        "kilogramme",
        "किलो",
        "كيلو",
        "كغ",
        "كجم",
    ),
    "g": ("g", "gm", "gms", "gram", "grams", "gramme", "grammes"),
    "tonne": ("tonne", "tonnes", "ton", "tons", "t", "tani"),
    "litre": (
        "litre",
        "litres",
        "liter",
        "liters",
        "ltr",
        "ltrs",
        "lt",
        "l",
        "lita",
        "liter",
        "लीटर",
        "لتر",
        "لترات",
    ),
    "ml": ("ml", "millilitre", "millilitres"),
    "metre": ("metre", "metres", "meter", "meters", "mtr", "mtrs", "m", "mita"),
    "sqm": ("sqm", "m2", "m²"),
    "pcs": ("pc", "pcs", "piece", "pieces", "nos", "no", "stuks", "قطعة", "قطع", "पीस"),
    "unit": ("unit", "units"),
    "bag": (
        "bag",
        "bags",
        "sack",
        "sacks",
        "bori",
        "boriya",
        "mfuko",
        "mifuko",
        "gunia",
        "magunia",
        "sak",
        "sakke",
        "كيس",
        "أكياس",
        "اكياس",
    ),
    "box": ("box", "boxes", "boks", "dabba", "dibba", "sanduku", "علبة", "علب"),
    "carton": ("carton", "cartons", "ctn", "ctns", "katoni", "كرتون", "كراتين"),
    "packet": ("packet", "packets", "pkt", "pkts", "pack", "packs", "pakiti", "paket"),
    "dozen": ("dozen", "dozens", "doz", "dz", "darjan", "dazeni"),
    "bottle": ("bottle", "bottles", "btl", "chupa", "bottels", "bottel", "زجاجة"),
    "tin": ("tin", "tins", "can", "cans", "debe", "mikebe", "kopo"),
    "crate": ("crate", "crates", "kreti", "peti"),
    "bundle": ("bundle", "bundles", "bndl", "bunch", "bunches"),
    "page": ("page", "pages", "pg", "pgs"),
    "visit": ("visit", "visits"),
    "trip": ("trip", "trips", "safari", "trips", "rit", "ritte"),
    "night": ("night", "nights", "usiku", "ليلة", "ليالي"),
    "person": (
        "person",
        "persons",
        "people",
        "pax",
        "head",
        "heads",
        "guest",
        "guests",
        "mtu",
        "watu",
    ),
    "loaf": ("loaf", "loaves"),
    "set": ("set", "sets"),
    "pair": ("pair", "pairs", "jodi", "jozi"),
    "roll": ("roll", "rolls"),
    "session": ("session", "sessions"),
    "license": ("license", "licenses", "licence", "licences", "seat", "seats", "user", "users"),
}
UNIT_ALIASES: dict[str, str] = _expand(_UNITS)
CANONICAL_UNITS: frozenset[str] = frozenset(_UNITS)
# Aliases that are also ordinary words or letters: units only right after a number.
WEAK_UNIT_ALIASES: frozenset[str] = frozenset(
    {
        "m",
        "l",
        "g",
        "t",
        "lt",
        "no",
        "can",
        "cans",
        "head",
        "heads",
        "set",
        "sets",
        "saa",
        "din",
        "safari",
        "dag",
        "rit",
        "sak",
        "user",
        "users",
        "seat",
        "seats",
        "mo",
        "pack",
    }
)
# Time units: a count of things for a time ("5 people for 3 days", "2 units for 6 months")
# is one quantity, their product (15 person-days, 12 unit-months).
DURATION_UNITS: frozenset[str] = frozenset({"hour", "day", "night", "week", "month", "year"})
# Measures: "50kg" before another count ("x 4", "bag") is a pack size, not the quantity.
MEASURE_UNITS: frozenset[str] = frozenset({"kg", "g", "tonne", "litre", "ml", "metre"})
# Multi-word units rewritten before tokenising.
MULTIWORD_UNITS: tuple[tuple[str, str], ...] = (
    (r"sq\.?\s*m(?:etres?|eters?|trs?)?\b", "sqm"),
    (r"square\s+met(?:re|er)s?\b", "sqm"),
    (r"sq\.?\s*f(?:ee)?t\b", "sqft"),
    (r"kg\s+bags?\b", "kg bag"),
)

# currency aliases (lower case, trailing dots stripped) -> (ISO code, factor)
_CURRENCIES: dict[str, tuple[str, ...]] = {
    "INR": ("inr", "rs", "rupee", "rupees", "rupaye", "rupaiye", "rupay", "rupaya", "₹"),
    "KES": ("kes", "ksh", "kshs", "ksh.", "sh", "shs", "shillings", "shilingi", "bob"),
    "OMR": ("omr", "ro", "r.o", "rial", "rials", "riyal", "riyals", "ريال", "ر.ع"),
    "ZAR": ("zar", "rand", "rands"),
    "USD": ("usd", "$", "dollar", "dollars"),
    "EUR": ("eur", "€", "euro", "euros"),
    "GBP": ("gbp", "£"),
    "AED": ("aed", "dirham", "dirhams"),
    "TZS": ("tzs",),
    "UGX": ("ugx",),
}
CURRENCY_ALIASES: dict[str, tuple[str, Decimal]] = {
    alias: (code, Decimal(1)) for code, aliases in _CURRENCIES.items() for alias in aliases
}
CURRENCY_ALIASES.update(
    {alias: ("OMR", Decimal("0.001")) for alias in ("baisa", "baiza", "bz", "بيسة", "بيزة")}
)
# Ambiguous currency words: only currencies when touching a number.
WEAK_CURRENCY_ALIASES: frozenset[str] = frozenset({"sh", "shs", "ro", "bob", "bz"})

# multipliers written after a number ("1.5 lakh", "15k", "5 hazaar")
SUFFIX_MULTIPLIERS: dict[str, Decimal] = {
    "k": Decimal(1000),
    "thousand": Decimal(1000),
    "hazaar": Decimal(1000),
    "hazar": Decimal(1000),
    "lakh": Decimal(100_000),
    "lakhs": Decimal(100_000),
    "lac": Decimal(100_000),
    "lacs": Decimal(100_000),
    "crore": Decimal(10_000_000),
    "crores": Decimal(10_000_000),
    "cr": Decimal(10_000_000),
    "mn": Decimal(1_000_000),
    "million": Decimal(1_000_000),
}
# multipliers written before a number (Swahili: "elfu 3" = 3,000; "mia tano" = 500)
PREFIX_MULTIPLIERS: dict[str, Decimal] = {"elfu": Decimal(1000), "mia": Decimal(100)}

NUMBER_WORDS: dict[str, Decimal] = {
    # English
    "one": Decimal(1),
    "two": Decimal(2),
    "three": Decimal(3),
    "four": Decimal(4),
    "five": Decimal(5),
    "six": Decimal(6),
    "seven": Decimal(7),
    "eight": Decimal(8),
    "nine": Decimal(9),
    "ten": Decimal(10),
    "eleven": Decimal(11),
    "twelve": Decimal(12),
    "twenty": Decimal(20),
    "fifty": Decimal(50),
    "hundred": Decimal(100),
    "half": Decimal("0.5"),
    "couple": Decimal(2),
    # Hindi / Hinglish
    "ek": Decimal(1),
    "do": Decimal(2),
    "teen": Decimal(3),
    "char": Decimal(4),
    "chaar": Decimal(4),
    "paanch": Decimal(5),
    "panch": Decimal(5),
    "chhe": Decimal(6),
    "chhah": Decimal(6),
    "saat": Decimal(7),
    "aath": Decimal(8),
    "nau": Decimal(9),
    "das": Decimal(10),
    "bees": Decimal(20),
    "pachas": Decimal(50),
    "sau": Decimal(100),
    "एक": Decimal(1),
    "दो": Decimal(2),
    "तीन": Decimal(3),
    "चार": Decimal(4),
    "पांच": Decimal(5),
    "पाँच": Decimal(5),
    # Swahili
    "moja": Decimal(1),
    "mbili": Decimal(2),
    "tatu": Decimal(3),
    "nne": Decimal(4),
    "tano": Decimal(5),
    "sita": Decimal(6),
    "saba": Decimal(7),
    "nane": Decimal(8),
    "tisa": Decimal(9),
    "kumi": Decimal(10),
    "ishirini": Decimal(20),
    "hamsini": Decimal(50),
    "wawili": Decimal(2),
    "watatu": Decimal(3),
    # Arabic (script and transliteration)
    "واحد": Decimal(1),
    "اثنين": Decimal(2),
    "اثنان": Decimal(2),
    "ثلاثة": Decimal(3),
    "ثلاث": Decimal(3),
    "أربعة": Decimal(4),
    "اربعة": Decimal(4),
    "خمسة": Decimal(5),
    "ستة": Decimal(6),
    "عشرة": Decimal(10),
    "wahid": Decimal(1),
    "ithnain": Decimal(2),
    "ithnayn": Decimal(2),
    "thalatha": Decimal(3),
    "arba": Decimal(4),
    "khamsa": Decimal(5),
    # Afrikaans
    "een": Decimal(1),
    "twee": Decimal(2),
    "drie": Decimal(3),
    "vier": Decimal(4),
    "vyf": Decimal(5),
}
# Number words that are also common words elsewhere ("do", "das", "char", "saa"...):
# only a quantity right before a unit or at the very start of an item.
WEAK_NUMBER_WORDS: frozenset[str] = frozenset(
    {
        "do",
        "das",
        "char",
        "sau",
        "saat",
        "nau",
        "een",
        "sita",
        "saba",
        "nane",
        "tano",
        "half",
        "couple",
        "hundred",
        "bees",
        "arba",
    }
)

AT_WORDS: frozenset[str] = frozenset(
    {"@", "at", "rate", "rates", "price", "bei", "بسعر", "سعر", "भाव", "costing", "@rs"}
)
EACH_WORDS: frozenset[str] = frozenset(
    {"each", "ea", "apiece", "pp", "elk", "kila", "per-piece", "لكل", "ech", "eahc"}
)
PER_WORDS: frozenset[str] = frozenset({"per", "/", "a", "an", "every", "kwa", "prati"})
# "15,000 pm" = per month, "pa" = per year, "ph" = per hour
PER_UNIT_WORDS: dict[str, str] = {
    "pm": "month",
    "p.m": "month",
    "monthly": "month",
    "pa": "year",
    "p.a": "year",
    "yearly": "year",
    "annually": "year",
    "ph": "hour",
    "hourly": "hour",
    "daily": "day",
    "weekly": "week",
    "pd": "day",
}
X_WORDS: frozenset[str] = frozenset({"x", "\u00d7", "*"})
TOTAL_WORDS: frozenset[str] = frozenset({"total", "altogether", "jumla", "kul", "المجموع"})
DISCOUNT_WORDS: frozenset[str] = frozenset(
    {
        "off",
        "less",
        "discount",
        "disc",
        "discounted",
        "punguzo",
        "chhoot",
        "chhut",
        "chut",
        "khasm",
        "خصم",
        "korting",
        "minus",
        "rebate",
    }
)
TAX_WORDS: frozenset[str] = frozenset(
    {
        "vat",
        "gst",
        "igst",
        "cgst",
        "sgst",
        "tax",
        "taxes",
        "kodi",
        "ضريبة",
        "btw",
        "incl",
        "excl",
        "inclusive",
        "exclusive",
        "including",
        "excluding",
    }
)
# Words dropped from the edges of a description ("3 months *of* web hosting").
EDGE_STOPWORDS: frozenset[str] = frozenset(
    {
        "of",
        "for",
        "at",
        "the",
        "a",
        "an",
        "ya",
        "za",
        "la",
        "wa",
        "ka",
        "ki",
        "ke",
        "ko",
        "with",
        "on",
        "by",
        "to",
        "per",
        "each",
        "-",
        ":",
        "\u2013",
        "\u2014",
        "in",
        "from",
        "van",
        "vir",
        "only",
        "and",
        "na",
        "aur",
        "plus",
        "=",
        "is",
        "are",
        "ni",
        "kwa",
        "من",
        "في",
        "worth",
        "x",
        "@",
        "rate",
        "price",
        "total",
        "jumla",
        "bei",
    }
)
# Whole-prompt openers that are not items ("Please create an invoice for ...").
FILLER_PATTERN = (
    r"^\s*(?:please\s+|pls\s+|kindly\s+)?"
    r"(?:(?:create|make|generate|raise|prepare|draft|send|issue)\s+(?:an?\s+|the\s+)?)?"
    r"(?:invoice|bill|charge|ankara|bili)(?:\s+(?:them|him|her|customer))?"
    r"(?:\s+(?:for|to|of|ya))?\s*[:\-]?\s+"
)
TAX_MARKERS: frozenset[str] = frozenset(
    {"incl", "excl", "inclusive", "exclusive", "including", "excluding", "inc", "exc"}
)
# A number right after these names something ("term 2", "gauge 30", "plot 14").
LABEL_WORDS: frozenset[str] = frozenset(
    {
        "term",
        "phase",
        "stage",
        "batch",
        "lot",
        "plot",
        "room",
        "flat",
        "house",
        "grade",
        "form",
        "std",
        "standard",
        "class",
        "level",
        "floor",
        "block",
        "gate",
        "version",
        "model",
        "size",
        "gauge",
        "round",
        "part",
        "chapter",
        "no",
        "no.",
        "#",
        "q",
        "week",
        "wk",
        "sem",
        "semester",
        "season",
        "episode",
        "route",
        "line",
        "ward",
        "shop",
        "stall",
        "table",
        "invoice",
        "order",
        "po",
        "ref",
    }
)
MONTH_NAMES: frozenset[str] = frozenset(
    {
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    }
)
