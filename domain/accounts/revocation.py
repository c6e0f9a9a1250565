"""Revocations as events: what a live connection stands on, and the outbox row that ends
it when that goes (sign-out, a revoked API key, removal from a business).

A connection stands on keys: its session token `("token", id)` or API key
`("api_key", id)`, and for staff acting for a business their membership
`("member", user_id, business_id)`. The row is written in the revoking transaction and
published after commit on the deployment-wide `revocations` channel (domain/core/live.py
ends the matching connections in every process)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.accounts.repository import AccountsRepository
from domain.core import outbox
from domain.core.errors import PermissionDenied, Unauthenticated
from domain.core.live import REVOCATIONS, Ending, Key
from domain.core.tx import Tx
from domain.core.viewer import Viewer, ViewerKind

TOPIC = "auth.revoked"
SIGNED_OUT = Ending(Unauthenticated.code, "signed out")
KEY_REVOKED = Ending(Unauthenticated.code, "API key revoked")
SESSION_ENDED = Ending(Unauthenticated.code, "session expired or signed out; sign in again")
REMOVED = Ending(PermissionDenied.code, "removed from the business")


def token_key(token_id: int) -> Key:
    return ("token", token_id)


def api_key_key(key_id: int) -> Key:
    return ("api_key", key_id)


def member_key(user_id: int, business_id: int) -> Key:
    return ("member", user_id, business_id)


def keys_of(viewer: Viewer) -> list[Key]:
    """What a connection opened by this viewer stands on."""
    match viewer.kind:
        case ViewerKind.STAFF:
            keys = [token_key(viewer.token_id)] if viewer.token_id is not None else []
            if viewer.user_id is not None and viewer.business_id is not None:
                keys.append(member_key(viewer.user_id, viewer.business_id))
            return keys
        case ViewerKind.API_KEY:
            return [api_key_key(viewer.api_key_id)] if viewer.api_key_id is not None else []
        case _:
            return []


def emit(tx: Tx, keys: Sequence[Key], ending: Ending, *, business_id: int | None = None) -> None:
    """Record the revocation in the caller's transaction; relayed after commit."""
    payload: dict[str, Any] = {
        "keys": [list(key) for key in keys],
        "code": ending.code,
        "reason": ending.reason,
    }
    outbox.emit(tx, TOPIC, payload, channels=[REVOCATIONS], business_id=business_id)


async def lapsed(tx: Tx, keys: set[Key]) -> dict[Key, Ending]:
    """Which of these keys no longer hold (revoked, expired, membership gone): one read per
    kind of key, for when revocation events may have been missed."""
    repo = AccountsRepository.for_sign_in(tx.session)
    tokens = [k[1] for k in keys if k[0] == "token"]
    api_keys = [k[1] for k in keys if k[0] == "api_key"]
    members = [(k[1], k[2]) for k in keys if k[0] == "member"]
    out: dict[Key, Ending] = {}
    if tokens:
        live = await repo.live_token_ids(tokens, tx.now())
        out.update({token_key(t): SESSION_ENDED for t in tokens if t not in live})
    if api_keys:
        live = await repo.live_api_key_ids(api_keys)
        out.update({api_key_key(k): KEY_REVOKED for k in api_keys if k not in live})
    if members:
        held = await repo.held_memberships(members)
        out.update({member_key(u, b): REMOVED for u, b in members if (u, b) not in held})
    return out
