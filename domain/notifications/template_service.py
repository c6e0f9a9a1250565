"""A business's message templates: save (one per channel, event and language), delete,
list next to the built-in defaults, pick the one a message uses, and preview one with a
real customer so the owner sees the text and what it costs in SMS segments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.accounts import queries as accounts
from domain.accounts.models import Business
from domain.core.errors import NotFound, ValidationFailed
from domain.core.tx import Tx
from domain.core.viewer import Role, Scope
from domain.customers import service as customers
from domain.customers.models import Customer
from domain.notifications import templates
from domain.notifications.defaults import LANGUAGES, default_text
from domain.notifications.dlt import DltRegistration
from domain.notifications.template_codes import TemplatesCode
from domain.notifications.template_models import NotificationTemplate
from domain.notifications.template_repository import TemplateRepository
from domain.notifications.templates import Recipient, Rendered, TemplateText, Value
from domain.notifications.vocabulary import Channel, Event

FALLBACK_LANGUAGE = "en"


def text_of(row: NotificationTemplate) -> TemplateText:
    reg = None
    if row.dlt_template_id and row.dlt_entity_id and row.dlt_sender_id and row.dlt_text:
        reg = DltRegistration(
            row.dlt_entity_id, row.dlt_template_id, row.dlt_sender_id, row.dlt_text
        )
    return TemplateText(
        Channel(row.channel),
        Event(row.event),
        row.language,
        row.body,
        row.subject,
        reg,
        row.id,
    )


def default_template(channel: Channel, event: Event, language: str) -> TemplateText:
    lang = language if language in LANGUAGES else FALLBACK_LANGUAGE
    subject, body = default_text(channel, event, lang)
    return TemplateText(channel, event, lang, body, subject)


def check_language(language: str, field: str = "language") -> str:
    if language not in LANGUAGES:
        raise ValidationFailed.one(
            field,
            f"must be one of {', '.join(LANGUAGES)}",
            TemplatesCode.UNSUPPORTED_LANGUAGE,
        )
    return language


async def save_template(tx: Tx, t: TemplateText) -> NotificationTemplate:
    """Creates or replaces the business's template for the channel, event and language
    (owner or admin), after every check: placeholders, braces, DLT."""
    business_id = tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    tx.viewer.require_business(Scope.NOTIFICATIONS_WRITE)
    check_language(t.language)
    templates.validate(t)
    repo = TemplateRepository(tx.session, tx.viewer)
    found = await repo.template_for(t.channel, t.event, [t.language])
    row = found[0] if found else None
    if row is None:
        row = NotificationTemplate(
            business_id=business_id,
            channel=t.channel,
            event=t.event,
            language=t.language,
            body=t.body,
            created_at=tx.now(),
            updated_at=tx.now(),
        )
        await repo.add(row)
    reg = t.dlt
    row.subject = t.subject if t.channel is Channel.EMAIL else None
    row.body = t.body
    row.dlt_entity_id = reg.entity_id if reg else None
    row.dlt_template_id = reg.template_id if reg else None
    row.dlt_sender_id = reg.sender_id if reg else None
    row.dlt_text = reg.text if reg else None
    row.updated_at = tx.now()
    await tx.session.flush()
    return row


async def get_template(tx: Tx, template_id: int) -> NotificationTemplate:
    tx.viewer.require_business(Scope.NOTIFICATIONS_READ)
    row = await TemplateRepository(tx.session, tx.viewer).template(template_id)
    if row is None:
        raise NotFound("notification template", template_id)
    return row


async def delete_template(tx: Tx, template_id: int) -> TemplateText:
    """The business's template goes; the built-in default takes its place (returned)."""
    tx.viewer.require_role(Role.OWNER, Role.ADMIN)
    row = await get_template(tx, template_id)
    replaced = text_of(row)
    await TemplateRepository(tx.session, tx.viewer).delete(row)
    return default_template(replaced.channel, replaced.event, replaced.language)


async def effective_templates(
    tx: Tx, channel: Channel | None, event: Event | None, language: str | None
) -> list[TemplateText]:
    """Every channel/event/language combination asked for, the business's own template
    where it saved one, the built-in default elsewhere."""
    tx.viewer.require_business(Scope.NOTIFICATIONS_READ)
    if language is not None:
        check_language(language)
    saved = await TemplateRepository(tx.session, tx.viewer).templates(channel, event)
    own = {(r.channel, r.event, r.language): text_of(r) for r in saved}
    out = []
    for ch in [channel] if channel else list(Channel):
        for ev in [event] if event else list(Event):
            for lang in [language] if language else list(LANGUAGES):
                out.append(own.get((ch, ev, lang)) or default_template(ch, ev, lang))
    return out


async def load_template(tx: Tx, channel: Channel, event: Event, language: str) -> TemplateText:
    """The template a message uses: the business's in the customer's language, the
    built-in one in that language, the business's English one, the built-in English."""
    repo = TemplateRepository(tx.session, tx.viewer)
    saved = {r.language: r for r in await repo.template_for(channel, event, [language, "en"])}
    if language in saved:
        return text_of(saved[language])
    if language in LANGUAGES:
        return default_template(channel, event, language)
    if FALLBACK_LANGUAGE in saved:
        return text_of(saved[FALLBACK_LANGUAGE])
    return default_template(channel, event, FALLBACK_LANGUAGE)


@dataclass
class PreviewValues:
    """What the owner may set for a preview; the rest comes from the customer and the
    business, or a sample."""

    amount: Decimal | None = None
    due_date: date | None = None
    link: str | None = None
    offer: str | None = None
    invoice_number: str | None = None
    order_number: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class Preview:
    template: TemplateText
    rendered: Rendered
    values: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def sample_values(
    business: Business, customer: Customer, today: date, link_base: str, given: PreviewValues
) -> dict[str, Value]:
    outstanding = customer.outstanding if customer.outstanding > 0 else None
    return {
        "name": customer.name,
        "business": business.name,
        "amount": given.amount if given.amount is not None else outstanding or Decimal("1250"),
        "due_date": given.due_date or customer.oldest_open_due or today + timedelta(days=7),
        "link": given.link or f"{link_base.rstrip('/')}/p/Ab3xY9",
        "offer": given.offer or "10% off all week",
        "invoice_number": given.invoice_number or f"{business.invoice_prefix}-00001",
        "order_number": given.order_number or "ORD-00001",
        "status": given.status or "shipped",
        "date": today,
    }


async def preview(
    tx: Tx,
    template: TemplateText | int | tuple[Channel, Event],
    customer_id: int,
    given: PreviewValues,
    link_base: str,
) -> Preview:
    """Renders a saved template (id), an unsaved text, or the template a message of
    (channel, event) would use for this customer, with that customer's data. An SMS to
    +91 that is not DLT-registered renders with a warning; one that does not match its
    registration is an error, as it would be at send time."""
    tx.viewer.require_business(Scope.NOTIFICATIONS_READ)
    business = await accounts.viewer_business(tx)
    if business is None:
        raise NotFound("business")
    customer = await customers.get_customer(tx, customer_id)
    if isinstance(template, int):
        chosen = text_of(await get_template(tx, template))
    elif isinstance(template, tuple):
        chosen = await load_template(tx, *template, customer.language)
    else:
        check_language(template.language)
        templates.validate(template)
        chosen = template
    today = tx.now().astimezone(ZoneInfo(business.timezone)).date()
    values = sample_values(business, customer, today, link_base, given)
    to = Recipient(customer.phone, customer.email)
    warnings = []
    if chosen.channel is Channel.SMS and not to.phone:
        warnings.append("the customer has no phone number")
    if chosen.channel is Channel.EMAIL and not to.email:
        warnings.append("the customer has no email address")
    args = {"currency": business.currency, "country": business.country}
    try:
        rendered = templates.render(chosen, values, recipient=to, **args)  # type: ignore[arg-type]
    except ValidationFailed as exc:
        if exc.errors[0].code is not TemplatesCode.DLT_NOT_REGISTERED:
            raise
        rendered = templates.render(chosen, values, **args)  # type: ignore[arg-type]
        warnings.append(exc.errors[0].message)
    shown = {k: str(v) for k, v in values.items() if k in _used(chosen)}
    return Preview(chosen, rendered, shown, warnings)


def _used(t: TemplateText) -> set[str]:
    names = set(templates.parse(t.body).names)
    if t.subject:
        names |= set(templates.parse(t.subject).names)
    return names
