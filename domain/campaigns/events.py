"""Topics of the campaigns context's stream events. Payloads: `campaignId`, `status`.
`campaign.started` also carries the sender job (workers: send_campaign)."""

from __future__ import annotations

STARTED = "campaign.started"
STATUS_CHANGED = "campaign.status_changed"
TOPICS = (STARTED, STATUS_CHANGED)
