"""Error codes of SMS campaigns (shared ones are in domain.core.codes)."""

from __future__ import annotations

from domain.core.codes import ErrorCode


class CampaignsCode(ErrorCode):
    BAD_AUDIENCE = "BAD_AUDIENCE"  # an audience without the value it needs, or with another's
    CAMPAIGN_NOT_EDITABLE = "CAMPAIGN_NOT_EDITABLE"  # sent, sending or cancelled already
    SCHEDULE_IN_PAST = "SCHEDULE_IN_PAST"
    EMPTY_AUDIENCE = "EMPTY_AUDIENCE"  # nobody with a phone matches
