"""saveNotificationTemplate / deleteNotificationTemplate / notificationTemplates /
previewNotification: a business template overrides the built-in default, every
problem is a typed error, and the preview renders with a real customer."""

from __future__ import annotations

from tests.conftest import Actor
from tests.notifications.helpers import (
    DELETE,
    DLT,
    DLT_BODY,
    PREVIEW,
    TEMPLATES,
    customer,
    error_codes,
    preview,
    save,
)


async def test_every_event_and_language_has_a_default_until_the_business_saves_its_own(
    owner: Actor,
) -> None:
    found = (await owner.gql(TEMPLATES))["data"]["notificationTemplates"]
    assert len(found) == 2 * 7 * 4  # channels x events x languages
    assert {t["language"] for t in found} == {"en", "hi", "sw", "ar"}
    assert all(t["isDefault"] and t["id"] is None for t in found)
    saved = await save(
        owner,
        channel="SMS",
        event="PAYMENT_RECEIPT",
        language="sw",
        body="Asante {{name}}! Tumepokea {{amount}}.",
    )
    assert saved["__typename"] == "NotificationTemplatePayload", saved
    mine = saved["template"]
    assert not mine["isDefault"] and mine["id"]
    listed = (await owner.gql(TEMPLATES, {"channel": "SMS", "event": "PAYMENT_RECEIPT"}))["data"][
        "notificationTemplates"
    ]
    by_language = {t["language"]: t for t in listed}
    assert by_language["sw"]["body"] == "Asante {{name}}! Tumepokea {{amount}}."
    assert by_language["sw"]["id"] == mine["id"]
    assert by_language["en"]["isDefault"]
    # saving again replaces, it does not add a second one
    again = await save(
        owner, channel="SMS", event="PAYMENT_RECEIPT", language="sw", body="Asante {{name}}!"
    )
    assert again["template"]["id"] == mine["id"]
    # deleting brings the default back
    deleted = (await owner.gql(DELETE, {"id": mine["id"]}))["data"]["deleteNotificationTemplate"]
    assert deleted["deletedId"] == mine["id"]
    assert deleted["replacedBy"]["isDefault"] and deleted["replacedBy"]["language"] == "sw"
    gone = (await owner.gql(DELETE, {"id": mine["id"]}))["data"]["deleteNotificationTemplate"]
    assert gone["__typename"] == "NotFoundError"


async def test_saving_refuses_unknown_placeholders_and_malformed_braces(owner: Actor) -> None:
    unknown = await save(owner, channel="SMS", event="INVOICE_SENT", body="Pay {{amout}} now")
    assert unknown["__typename"] == "ValidationError"
    [problem] = unknown["fields"]
    assert (problem["field"], problem["code"]) == ("body", "UNKNOWN_PLACEHOLDER")
    assert "{{amout}}" in problem["message"]
    broken = await save(owner, channel="EMAIL", event="WELCOME", subject="Hi", body="Hi {{name")
    assert broken["fields"][0]["code"] == "MALFORMED_PLACEHOLDER"
    no_subject = await save(owner, channel="EMAIL", event="WELCOME", body="Hi {{name}}")
    assert no_subject["fields"][0]["field"] == "subject"
    language = await save(owner, channel="SMS", event="WELCOME", language="fr", body="Salut")
    assert language["fields"][0]["code"] == "UNSUPPORTED_LANGUAGE"
    found = (await owner.gql(TEMPLATES, {"event": "WELCOME"}))["data"]["notificationTemplates"]
    assert all(t["isDefault"] for t in found)  # nothing was saved


async def test_a_template_for_india_must_match_its_dlt_registration(owner: Actor) -> None:
    mismatch = await save(
        owner,
        channel="SMS",
        event="PAYMENT_REMINDER",
        body=DLT_BODY.replace("is due on", "was due"),
        dlt=DLT,
    )
    assert mismatch["__typename"] == "ValidationError"
    assert mismatch["fields"][0]["code"] == "DLT_MISMATCH"
    saved = await save(owner, channel="SMS", event="PAYMENT_REMINDER", body=DLT_BODY, dlt=DLT)
    assert saved["__typename"] == "NotificationTemplatePayload", saved
    assert saved["template"]["dlt"]["templateId"] == DLT["templateId"]
    email_dlt = await save(
        owner, channel="EMAIL", event="WELCOME", subject="Hi", body="Hi {{name}}", dlt=DLT
    )
    assert email_dlt["fields"][0]["code"] == "DLT_MALFORMED"


async def test_preview_renders_with_a_real_customer_and_counts_segments(owner: Actor) -> None:
    asha = await customer(owner, name="Asha Verma", phone="+254712345678")
    english = await preview(owner, customerId=asha, channel="SMS", event="INVOICE_SENT")
    assert english["template"]["isDefault"] and english["template"]["language"] == "en"
    assert english["body"].startswith("Shop ")  # {{business}}: the signed-up shop
    assert "INR 1,250.00" in english["body"]  # the business's currency; GSM-7 kept
    assert english["encoding"] == "GSM_7"
    assert (english["segments"], english["perSegment"]) == (1, 160)
    assert english["characters"] == len(english["body"])
    assert {v["name"] for v in english["values"]} == {
        "business",
        "invoice_number",
        "amount",
        "due_date",
        "link",
    }
    hindi = await preview(
        owner,
        customerId=asha,
        template={"channel": "SMS", "event": "WELCOME", "language": "hi",
                  "body": "{{name}}, {{business}} में आपका स्वागत है!"},
        amount="99.5",
    )  # fmt: skip
    assert hindi["body"].startswith("Asha Verma, Shop ")
    assert hindi["encoding"] == "UCS_2"
    assert hindi["perSegment"] == 70
    long = await preview(
        owner,
        customerId=asha,
        template={"channel": "SMS", "event": "CAMPAIGN", "body": "{{offer}} {{name}}"},
        offer="Big sale on rice, dal and atta this week only at our shop! " * 3,
    )
    assert long["encoding"] == "GSM_7"
    assert long["segments"] == 2 and long["perSegment"] == 153
    euro = await preview(
        owner,
        customerId=asha,
        template={"channel": "SMS", "event": "CAMPAIGN", "body": "{{offer}}"},
        offer="x" * 159 + "€",
    )
    assert (euro["encoding"], euro["units"], euro["segments"]) == ("GSM_7", 161, 2)


async def test_preview_of_an_indian_customer_checks_dlt(owner: Actor) -> None:
    ravi = await customer(owner, name="Ravi", phone="9812345678")  # +91 in an IN business
    unregistered = await preview(owner, customerId=ravi, channel="SMS", event="WELCOME")
    assert any("DLT" in w for w in unregistered["warnings"]), unregistered
    saved = await save(owner, channel="SMS", event="PAYMENT_REMINDER", body=DLT_BODY, dlt=DLT)
    template_id = saved["template"]["id"]
    fits = await preview(owner, customerId=ravi, templateId=template_id, link="https://k.in/p/1")
    assert fits["dlt"] == {
        "entityId": DLT["entityId"],
        "templateId": DLT["templateId"],
        "senderId": DLT["senderId"],
    }
    assert fits["warnings"] == []
    too_long = await owner.gql(
        PREVIEW,
        {"input": {"customerId": ravi, "templateId": template_id, "link": "https://" + "k" * 40}},
        expect_errors=True,
    )
    assert error_codes(too_long) == ["VALIDATION_FAILED"]
    assert too_long["errors"][0]["extensions"]["fields"][0]["code"] == "DLT_MISMATCH"


async def test_templates_and_customers_of_another_business_stay_out_of_reach(
    owner: Actor, other_owner: Actor
) -> None:
    saved = await save(owner, channel="SMS", event="WELCOME", body="Hi {{name}}")
    theirs = await customer(other_owner, name="Wanjiru", phone="+254712345679")
    deleted = (await other_owner.gql(DELETE, {"id": saved["template"]["id"]}))["data"]
    assert deleted["deleteNotificationTemplate"]["__typename"] == "NotFoundError"
    body = await owner.gql(
        PREVIEW, {"input": {"customerId": theirs, "channel": "SMS"}}, expect_errors=True
    )
    assert error_codes(body) == ["NOT_FOUND"]
    body = await other_owner.gql(
        PREVIEW,
        {"input": {"customerId": theirs, "templateId": saved["template"]["id"]}},
        expect_errors=True,
    )
    assert error_codes(body) == ["NOT_FOUND"]
