"""The placeholder language and India's DLT matching, as pure functions: what a save
refuses and what render refuses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.core.errors import ValidationFailed
from domain.notifications import dlt
from domain.notifications.defaults import LANGUAGES, default_text
from domain.notifications.dlt import DltRegistration
from domain.notifications.segments import Encoding
from domain.notifications.templates import (
    Recipient,
    TemplateText,
    Value,
    parse,
    render,
    validate,
)
from domain.notifications.vocabulary import Channel, Event

VALUES: dict[str, Value] = {
    "name": "Asha",
    "amount": Decimal("1250.5"),
    "due_date": date(2026, 1, 5),
    "link": "https://k.test/p/Ab3",
    "business": "Sharma Agro",
    "invoice_number": "INV-00012",
}
REG = DltRegistration(
    "1201160000000012345",
    "1207160000000067890",
    "SHRMAG",
    "Dear {#var#}, invoice {#var#} for {#var#} is due on {#var#}. Pay at {#var#} -{#var#}",
)
DLT_BODY = (
    "Dear {{name}}, invoice {{invoice_number}} for {{amount}} is due on {{due_date}}. "
    "Pay at {{link}} -{{business}}"
)


def sms(body: str, event: Event = Event.INVOICE_SENT, **kw: object) -> TemplateText:
    return TemplateText(Channel.SMS, event, "en", body, **kw)  # type: ignore[arg-type]


def refusal(t: TemplateText) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        validate(t)
    return [(e.field, str(e.code), e.message) for e in caught.value.errors]


def test_placeholders_split_the_text_and_allow_spaces_inside_the_braces() -> None:
    parsed = parse("Hi {{ name }}, pay {{amount}}{{link}} {x} }")
    assert parsed.names == ["name", "amount", "link"]
    assert parsed.literals == ["Hi ", ", pay ", "", " {x} }"]


def test_an_unknown_placeholder_is_named() -> None:
    [(field, code, message)] = refusal(sms("Hi {{nmae}}, pay {{amount}}"))
    assert (field, code) == ("body", "UNKNOWN_PLACEHOLDER")
    assert "{{nmae}}" in message


def test_a_placeholder_the_event_does_not_offer_is_refused() -> None:
    [(_, code, message)] = refusal(sms("{{offer}} for {{name}}", Event.PAYMENT_RECEIPT))
    assert code == "PLACEHOLDER_NOT_AVAILABLE"
    assert "{{offer}}" in message


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("Hi {{name}, pay", "never closed"),
        ("Hi {{name", "never closed"),
        ("Hi name}} there", "closes no"),
        ("Hi {{}} there", "no name"),
        ("Hi {{first name}}", "no name"),
        ("Hi {{{name}}}", "brace inside"),
    ],
)
def test_malformed_braces_are_typed_errors(body: str, where: str) -> None:
    [(field, code, message)] = refusal(sms(body))
    assert (field, code) == ("body", "MALFORMED_PLACEHOLDER")
    assert where in message


def test_every_problem_of_an_email_is_reported_at_once() -> None:
    problems = refusal(
        TemplateText(Channel.EMAIL, Event.WELCOME, "en", "Hi {{nmae}}", "About {{offer}}")
    )
    assert [(f, c) for f, c, _ in problems] == [
        ("body", "UNKNOWN_PLACEHOLDER"),
        ("subject", "PLACEHOLDER_NOT_AVAILABLE"),
    ]


def test_every_builtin_default_is_valid_and_renders_in_every_language() -> None:
    for language in ("en", "hi", "sw", "ar"):
        assert language in LANGUAGES
        for channel in Channel:
            for event in Event:
                subject, body = default_text(channel, event, language)
                t = TemplateText(channel, event, language, body, subject)
                validate(t)
                values = VALUES | {
                    "offer": "10% off",
                    "order_number": "ORD-1",
                    "status": "shipped",
                    "date": date(2026, 1, 1),
                }
                rendered = render(t, values, currency="KES", country="KE")
                assert "{{" not in rendered.body and "{{" not in (rendered.subject or "")
                if channel is Channel.SMS and language in ("en", "sw"):
                    assert rendered.encoding is Encoding.GSM_7, (language, event, rendered.body)


def test_amounts_in_an_english_sms_keep_it_gsm7_and_email_shows_the_symbol() -> None:
    body = "{{business}}: {{amount}} due {{due_date}}"
    text = render(sms(body), VALUES, currency="INR", country="IN")
    assert text.body == "Sharma Agro: INR 1,250.50 due 5 Jan 2026"
    assert text.encoding is Encoding.GSM_7
    mail = TemplateText(Channel.EMAIL, Event.INVOICE_SENT, "en", body, "Bill {{invoice_number}}")
    assert render(mail, VALUES, currency="INR", country="IN").body.startswith(
        "Sharma Agro: ₹1,250.50"
    )
    hindi = TemplateText(Channel.SMS, Event.INVOICE_SENT, "hi", "राशि {{amount}}")
    assert render(hindi, VALUES, currency="INR", country="IN").body == "राशि ₹1,250.50"
    omani = render(sms("{{amount}}"), VALUES, currency="OMR", country="OM")
    assert omani.body == "OMR 1,250.500"  # three minor units


def test_a_template_matching_its_dlt_registration_saves_and_renders_with_the_ids() -> None:
    t = sms(DLT_BODY, dlt=REG)
    validate(t)
    rendered = render(t, VALUES, currency="INR", country="IN", recipient=Recipient("+919812345678"))
    assert (rendered.dlt_entity_id, rendered.dlt_template_id, rendered.sender_id) == (
        "1201160000000012345",
        "1207160000000067890",
        "SHRMAG",
    )
    assert dlt.pattern(REG).fullmatch(rendered.body)


def test_a_template_that_differs_from_its_registration_is_refused_at_save() -> None:
    [(field, code, message)] = refusal(sms(DLT_BODY.replace("is due on", "falls due"), dlt=REG))
    assert (field, code) == ("body", "DLT_MISMATCH")
    assert "part 4" in message
    [(_, code, message)] = refusal(sms(DLT_BODY.replace(" -{{business}}", ""), dlt=REG))
    assert code == "DLT_MISMATCH"
    assert "5 placeholders" in message


def test_a_registration_in_a_form_dlt_never_issues_is_refused() -> None:
    bad = DltRegistration("12ab", "1207160000000067890", "SHRM", "Hi {#name#} {#var#}")
    fields = {(f, c) for f, c, _ in refusal(sms("Hi {{name}} {{link}}", dlt=bad))}
    assert fields == {
        ("dlt.entityId", "INVALID"),
        ("dlt.senderId", "INVALID"),
        ("dlt.text", "DLT_MALFORMED"),
    }


def test_a_rendered_message_that_breaks_its_pattern_is_refused_before_sending() -> None:
    t = sms(DLT_BODY, dlt=REG)
    long_link = VALUES | {"link": "https://k.test/p/" + "x" * 20}  # 37 > 30 characters
    with pytest.raises(ValidationFailed) as caught:
        render(t, long_link, currency="INR", country="IN", recipient=Recipient("+919812345678"))
    assert caught.value.errors[0].code == "DLT_MISMATCH"
    # outside India the same text goes out (the DLT rules are the Indian operators')
    assert render(t, long_link, currency="INR", country="IN", recipient=Recipient("+254712345678"))


def test_an_sms_to_india_without_a_registration_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        render(
            sms("Hi {{name}}"),
            VALUES,
            currency="INR",
            country="IN",
            recipient=Recipient("+919812345678"),
        )
    assert caught.value.errors[0].code == "DLT_NOT_REGISTERED"


def test_a_value_missing_for_a_used_placeholder_is_a_typed_error() -> None:
    with pytest.raises(ValidationFailed) as caught:
        render(sms("Hi {{name}}, {{link}}"), {"name": "A"}, currency="INR", country="IN")
    assert (caught.value.errors[0].field, caught.value.errors[0].code) == ("link", "MISSING_VALUE")
