"""HMAC signatures: payment webhooks (Stripe-style `t=…,v1=…`) and short-lived
download URLs. Constant-time comparison; timestamps bound replay."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from domain.core.codes import CoreCode
from domain.core.errors import Unauthenticated


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_webhook(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={hmac_hex(secret, str(timestamp).encode() + b'.' + body)}"


def verify_webhook(
    secret: str, header: str | None, body: bytes, now: datetime, tolerance_seconds: int = 300
) -> None:
    if not header:
        raise Unauthenticated("missing signature")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or not given:
        raise Unauthenticated("malformed signature")
    if abs(now.timestamp() - int(stamp)) > tolerance_seconds:
        raise Unauthenticated("signature timestamp outside the tolerance")
    expected = hmac_hex(secret, stamp.encode() + b"." + body)
    if not hmac.compare_digest(expected, given):
        raise Unauthenticated("bad signature")


def sign_download(secret: str, path: str, expires: int) -> str:
    return hmac_hex(secret, f"{path}|{expires}".encode())


class LinkRejected(Unauthenticated):
    """Why a download link is refused, with a code per reason: LINK_UNSIGNED,
    LINK_MALFORMED, LINK_SIGNATURE_INVALID, LINK_EXPIRED."""

    def __init__(self, code: CoreCode, message: str) -> None:
        super().__init__(message, code)


def verify_download(secret: str, path: str, expires: str, signature: str, now: datetime) -> None:
    """The signature is checked before the expiry: only a link we signed can be expired."""
    if not expires or not signature:
        raise LinkRejected(
            CoreCode.LINK_UNSIGNED, "link is not signed: it needs its exp and sig parameters"
        )
    if not expires.isdigit():
        raise LinkRejected(CoreCode.LINK_MALFORMED, "link is malformed: exp must be a Unix time")
    if not hmac.compare_digest(sign_download(secret, path, int(expires)), signature):
        raise LinkRejected(
            CoreCode.LINK_SIGNATURE_INVALID,
            "link signature is invalid: the link was changed or not issued by this server",
        )
    if int(expires) < now.timestamp():
        raise LinkRejected(CoreCode.LINK_EXPIRED, "link expired: ask for a new one")


def download_url(
    secret: str, base: str, path: str, now: datetime, ttl_seconds: int = 600, query: str = ""
) -> str:
    """A link that works for ttl_seconds without a bearer token (for browsers and apps)."""
    expires = int(now.timestamp()) + ttl_seconds
    signature = sign_download(secret, path + ("?" + query if query else ""), expires)
    sep = "&" if query else ""
    return f"{base}{path}?{query}{sep}exp={expires}&sig={signature}"
