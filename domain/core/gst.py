"""India GST states: the two-digit state codes of the GST system (01-38 and 97, "Other
Territory") and the abbreviations people write for them ("MH", "KA", "DL", ...).

A place of supply or a seller's state is accepted as a code ("27", "7" for "07"), an
abbreviation or the state's name, in any case, and stored as its code.
"""

from __future__ import annotations

# code -> (name, abbreviations)
GST_STATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "01": ("Jammu and Kashmir", ("JK",)),
    "02": ("Himachal Pradesh", ("HP",)),
    "03": ("Punjab", ("PB",)),
    "04": ("Chandigarh", ("CH",)),
    "05": ("Uttarakhand", ("UK", "UT")),
    "06": ("Haryana", ("HR",)),
    "07": ("Delhi", ("DL",)),
    "08": ("Rajasthan", ("RJ",)),
    "09": ("Uttar Pradesh", ("UP",)),
    "10": ("Bihar", ("BR", "BH")),
    "11": ("Sikkim", ("SK",)),
    "12": ("Arunachal Pradesh", ("AR",)),
    "13": ("Nagaland", ("NL",)),
    "14": ("Manipur", ("MN",)),
    "15": ("Mizoram", ("MZ",)),
    "16": ("Tripura", ("TR",)),
    "17": ("Meghalaya", ("ML",)),
    "18": ("Assam", ("AS",)),
    "19": ("West Bengal", ("WB",)),
    "20": ("Jharkhand", ("JH",)),
    "21": ("Odisha", ("OD", "OR")),
    "22": ("Chhattisgarh", ("CG", "CT")),
    "23": ("Madhya Pradesh", ("MP",)),
    "24": ("Gujarat", ("GJ",)),
    "25": ("Daman and Diu", ("DD",)),
    "26": ("Dadra and Nagar Haveli and Daman and Diu", ("DN", "DNHDD")),
    "27": ("Maharashtra", ("MH",)),
    "28": ("Andhra Pradesh (before division)", ()),
    "29": ("Karnataka", ("KA",)),
    "30": ("Goa", ("GA",)),
    "31": ("Lakshadweep", ("LD",)),
    "32": ("Kerala", ("KL",)),
    "33": ("Tamil Nadu", ("TN",)),
    "34": ("Puducherry", ("PY",)),
    "35": ("Andaman and Nicobar Islands", ("AN",)),
    "36": ("Telangana", ("TS", "TG")),
    "37": ("Andhra Pradesh", ("AP", "AD")),
    "38": ("Ladakh", ("LA",)),
    "97": ("Other Territory", ("OT",)),
}

_LOOKUP: dict[str, str] = {}
for _code, (_name, _abbreviations) in GST_STATES.items():
    _LOOKUP[_code] = _code
    _LOOKUP[_name.casefold()] = _code
    for _abbreviation in _abbreviations:
        _LOOKUP[_abbreviation.casefold()] = _code

HINT = "a GST state code (01-38, 97) or its abbreviation, such as 27 or MH"


def gst_state_code(value: str | None) -> str | None:
    """The state's two-digit code, or None when `value` names no GST state."""
    if value is None:
        return None
    text = " ".join(value.split()).casefold()
    if text.isdigit() and len(text) == 1:
        text = "0" + text
    return _LOOKUP.get(text)


def gstin_state(tax_id: str | None) -> str | None:
    """The state of a GSTIN: its first two digits, when they are a GST state code."""
    if not tax_id:
        return None
    head = tax_id.strip()[:2]
    return head if head.isdigit() and head in GST_STATES else None
