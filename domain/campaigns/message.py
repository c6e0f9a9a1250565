"""A campaign's message for one customer: the campaign's template filled by the
notifications context's `templates.render` (placeholders, GSM-7/UCS-2 segments, and the
DLT rules for Indian numbers)."""

from __future__ import annotations

from datetime import date

from domain.accounts.models import Business
from domain.campaigns.models import Campaign
from domain.notifications import templates
from domain.notifications.dlt import DltRegistration
from domain.notifications.templates import Recipient, Rendered, TemplateText, Value
from domain.notifications.vocabulary import Channel, Event

EVENT = "campaign.message"  # the ledger's `event` of campaign messages


def registration(c: Campaign) -> DltRegistration | None:
    if c.dlt_entity_id and c.dlt_template_id and c.dlt_sender_id and c.dlt_text:
        return DltRegistration(c.dlt_entity_id, c.dlt_template_id, c.dlt_sender_id, c.dlt_text)
    return None


def template_text(language: str, body: str, dlt: DltRegistration | None) -> TemplateText:
    return TemplateText(Channel.SMS, Event.CAMPAIGN, language, body, None, dlt)


def template_of(c: Campaign) -> TemplateText:
    return template_text(c.language, c.body, registration(c))


def values(c: Campaign, business: Business, name: str, today: date, link: str) -> dict[str, Value]:
    out: dict[str, Value] = {
        "name": name,
        "business": business.name,
        "date": c.offer_until or today,
        "link": link,
    }
    if c.offer:
        out["offer"] = c.offer
    return out


def render(
    c: Campaign, business: Business, name: str, phone: str, today: date, link: str
) -> Rendered:
    """Raises ValidationFailed (a missing value, no DLT registration for +91, a text that
    does not match it)."""
    return templates.render(
        template_of(c),
        values(c, business, name, today, link),
        currency=business.currency,
        country=business.country,
        recipient=Recipient(phone),
    )
