"""Provider webhooks: Twilio status callbacks and inbound SMS (X-Twilio-Signature checked
with the SDK's RequestValidator), SendGrid's signed Event Webhook (ECDSA, checked with the
SDK's EventWebhook). Unsigned -> 401, bad signature or stale -> 403; nothing is written
before the signature is good. Twilio's signature carries no time, so staleness is judged
for SendGrid only; a replayed Twilio callback is harmless (the ledger is idempotent)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import orjson
from sendgrid.helpers.eventwebhook import EventWebhook
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from twilio.request_validator import RequestValidator

from domain.core.tx import Tx
from domain.notifications.service import JOB
from domain.notifications.webhooks import (
    SENDGRID_STATUS,
    TWILIO_STATUS,
    apply_status,
    inbound_sms,
)

SG_SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature"
SG_TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp"


def _refuse(status: int, why: str) -> Response:
    return JSONResponse({"error": why}, status_code=status)


async def _twilio_params(request: Request) -> dict[str, str] | Response:
    rt = request.app.state.runtime
    token = rt.settings.twilio_auth_token
    if not token:
        return _refuse(503, "twilio webhooks not configured")
    signature = request.headers.get("x-twilio-signature")
    if not signature:
        return _refuse(401, "unsigned")
    params = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    query = f"?{request.url.query}" if request.url.query else ""
    url = f"{rt.settings.public_url.rstrip('/')}{request.url.path}{query}"
    if not RequestValidator(token).validate(url, params, signature):
        return _refuse(403, "bad signature")
    return params


async def twilio_status(request: Request) -> Response:
    params = await _twilio_params(request)
    if isinstance(params, Response):
        return params
    rt = request.app.state.runtime
    status = TWILIO_STATUS.get(params.get("MessageStatus", ""))
    sid = params.get("MessageSid", "")
    if status is None or not sid:
        return JSONResponse({"status": "ignored"})
    async with rt.db.unit_of_work() as session:
        outcome = await apply_status(
            Tx(session, JOB, rt.clock),
            provider="twilio",
            attempt_id=request.query_params.get("attempt"),
            message_id=sid,
            status=status,
            event_key=f"twilio:{sid}:{params.get('MessageStatus')}",
            at=rt.clock.now(),
            error_code=params.get("ErrorCode") or None,
        )
    return JSONResponse({"status": outcome})


async def twilio_inbound(request: Request) -> Response:
    params = await _twilio_params(request)
    if isinstance(params, Response):
        return params
    rt = request.app.state.runtime
    async with rt.db.unit_of_work() as session:
        await inbound_sms(
            Tx(session, JOB, rt.clock), params.get("From", ""), params.get("Body", "")
        )
    return Response("<Response/>", media_type="text/xml")  # TwiML: no reply from us


async def sendgrid_events(request: Request) -> Response:
    rt = request.app.state.runtime
    key = rt.settings.sendgrid_webhook_public_key
    if not key:
        return _refuse(503, "sendgrid webhook not configured")
    signature, timestamp = request.headers.get(SG_SIGNATURE), request.headers.get(SG_TIMESTAMP)
    if not signature or not timestamp:
        return _refuse(401, "unsigned")
    body = (await request.body()).decode("utf-8", "replace")
    hook = EventWebhook()
    try:
        valid = hook.verify_signature(
            body, signature, timestamp, hook.convert_public_key_to_ecdsa(key)
        )
        age = abs(rt.clock.now().timestamp() - int(timestamp))
    except ValueError:
        valid, age = False, 0.0
    if not valid:
        return _refuse(403, "bad signature")
    if age > rt.settings.webhook_max_age_seconds:
        return _refuse(403, "stale")
    try:
        events = orjson.loads(body)
        assert isinstance(events, list)
    except (ValueError, AssertionError):
        return _refuse(400, "body must be a JSON array")
    outcomes = []
    async with rt.db.unit_of_work() as session:
        tx = Tx(session, JOB, rt.clock)
        for event in events:
            status = SENDGRID_STATUS.get(str(event.get("event")))
            msg_id = str(event.get("sg_message_id", "")).split(".", 1)[0]
            if status is None or not msg_id:
                outcomes.append("ignored")
                continue
            at = datetime.fromtimestamp(int(event.get("timestamp") or time.time()), UTC)
            outcomes.append(
                await apply_status(
                    tx,
                    provider="sendgrid",
                    attempt_id=event.get("khata_attempt"),
                    message_id=msg_id,
                    status=status,
                    event_key=f"sendgrid:{event.get('sg_event_id') or msg_id + status}",
                    at=at,
                    error_code=str(event["status"]) if event.get("status") else None,
                )
            )
    return JSONResponse({"events": outcomes})
