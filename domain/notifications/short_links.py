"""Short payment links on Khata's own domain: `/p/<code>` answers 302 to the invoice's
payment page. An SMS has room for ~25 characters of link, not the 32-character payment
token. India's DLT allows 30 characters per template variable, so the code is the 11
characters of `secrets.token_urlsafe(8)` (64 random bits: a link cannot be guessed from
another), and `https://<8-character domain>/p/<code>` still fits. One link per invoice:
each message that uses it pushes its expiry LIFETIME past that message; an expired code
answers 410."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from domain.core.clock import as_utc
from domain.core.tx import Tx
from domain.notifications.models import ShortLink
from domain.notifications.repository import NotificationRepository

LIFETIME = timedelta(days=90)
PREFIX = "/p/"


async def link_for(tx: Tx, business_id: int, invoice_id: int, long_link: str) -> str:
    """The short form of `long_link` (an absolute URL on our domain), made or renewed."""
    parts = urlsplit(long_link)
    base = f"{parts.scheme}://{parts.netloc}"
    repo = NotificationRepository(tx.session, tx.viewer)
    row = await repo.short_link_of(business_id, invoice_id, parts.path)
    if row is None or as_utc(row.expires_at) <= tx.now():
        row = ShortLink(
            code=secrets.token_urlsafe(8),
            business_id=business_id,
            invoice_id=invoice_id,
            target=parts.path,
            created_at=tx.now(),
            expires_at=tx.now() + LIFETIME,
        )
        await repo.add(row)
    else:
        row.expires_at = tx.now() + LIFETIME
    return f"{base}{PREFIX}{row.code}"


async def resolve(repo: NotificationRepository, code: str, now: datetime) -> str | None:
    """The path a live code points to; None for an unknown one; Expired for an old one."""
    if not code or len(code) > 32:
        return None
    row = await repo.short_link(code)
    if row is None:
        return None
    if as_utc(row.expires_at) <= now:
        raise Expired(code)
    return row.target


class Expired(Exception):
    """The code was ours but has expired."""
