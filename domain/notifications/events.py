"""Topics of the notifications context's stream events (domain/core/stream.py). Payloads
carry raw ids in camelCase: `notificationId`, `customerId`, `invoiceId`, `orderId`, and
the new `status` with its `errorCode`."""

from __future__ import annotations

STATUS_CHANGED = "notification.status_changed"
