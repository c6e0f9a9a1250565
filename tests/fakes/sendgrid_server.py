"""A fake SendGrid v3 API, close enough for the real `sendgrid` SDK: mail send (202 with
X-Message-Id), 400 for an invalid address, 429/5xx, the Email Activity look-up by custom
argument, and Event Webhook posts signed with ECDSA (P-256, SHA-256) over timestamp + body,
as SendGrid signs them; the app verifies with the public half."""

from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.control import HANG, HOLD, Busy, Control

INVALID_ADDRESS = "bounce@invalid.example"
ATTEMPT = re.compile(r"unique_args\['khata_attempt'\]=\"([^\"]+)\"")


def errors(status: int, message: str, field_name: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "field": field_name, "help": None}]}, status_code=status
    )


@dataclass
class FakeSendGrid:
    api_key: str = field(default_factory=lambda: "SG." + uuid.uuid4().hex)
    control: Control = field(default_factory=Control)
    mails: list[dict[str, Any]] = field(default_factory=list)
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    @property
    def public_key(self) -> str:
        """The verification key as SendGrid shows it: base64 DER, no PEM armour."""
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode("ascii")

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v3/mail/send", self.send, methods=["POST"]),
                Route("/v3/messages", self.activity, methods=["GET"]),
            ]
        )

    def authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    async def send(self, request: Request) -> Response:
        if not self.authorized(request):
            return errors(401, "The provided authorization grant is invalid.")
        mail = orjson.loads(await request.body())
        behaviour = self.control.take()
        if isinstance(behaviour, Busy):
            body = orjson.dumps({"errors": [{"message": "too many requests"}]})
            return self.control.busy(behaviour, body)
        if behaviour == HANG:
            return await self.control.hang()
        to = mail["personalizations"][0]["to"][0]["email"]
        if "@" not in to or to == INVALID_ADDRESS:
            return errors(400, "Does not contain a valid address.", "personalizations.0.to.0.email")
        mail["msg_id"] = uuid.uuid4().hex[:22]
        mail["to"] = to
        self.mails.append(mail)
        if behaviour == HOLD:
            await self.control.hold()
        return Response(status_code=202, headers={"X-Message-Id": mail["msg_id"]})

    async def activity(self, request: Request) -> Response:
        if not self.authorized(request):
            return errors(401, "The provided authorization grant is invalid.")
        match = ATTEMPT.search(request.query_params.get("query", ""))
        found = [
            m
            for m in self.mails
            if match and m.get("custom_args", {}).get("khata_attempt") == match.group(1)
        ]
        if self.control.blind:
            found = []
        return JSONResponse(
            {
                "messages": [
                    {
                        "msg_id": f"{m['msg_id']}.filterdrecv-1-1",
                        "to_email": m["to"],
                        "subject": m.get("subject"),
                        "status": "processed",
                    }
                    for m in found[:1]
                ]
            }
        )

    def event(self, mail: dict[str, Any], kind: str, **extra: Any) -> dict[str, Any]:
        return {
            "email": mail["to"],
            "timestamp": int(time.time()),
            "event": kind,
            "sg_event_id": uuid.uuid4().hex,
            "sg_message_id": f"{mail['msg_id']}.filterdrecv-1-1",
            **mail.get("custom_args", {}),
            **extra,
        }

    def signature(self, timestamp: str, body: bytes) -> str:
        signed = self.key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signed).decode("ascii")

    async def post_events(
        self,
        client: httpx.AsyncClient,
        events: list[dict[str, Any]],
        *,
        timestamp: int | None = None,
        tamper: bool = False,
        unsigned: bool = False,
    ) -> httpx.Response:
        body = orjson.dumps(events)
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {"Content-Type": "application/json"}
        if not unsigned:
            headers["X-Twilio-Email-Event-Webhook-Signature"] = self.signature(ts, body)
            headers["X-Twilio-Email-Event-Webhook-Timestamp"] = ts
        if tamper:
            body = body.replace(b'"delivered"', b'"bounce"').replace(b'"open"', b'"click"')
        return await client.post("/webhooks/sendgrid/events", content=body, headers=headers)
