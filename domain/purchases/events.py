"""Outbox topics of the purchases context (payloads carry raw ids in camelCase)."""

from __future__ import annotations

PURCHASE_RECORDED = "purchase.recorded"
PURCHASE_UPDATED = "purchase.updated"
PURCHASE_DELETED = "purchase.deleted"
