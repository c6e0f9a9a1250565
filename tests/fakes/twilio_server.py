"""A fake Twilio Messages API, close enough for the real `twilio` SDK: create (201 with a
SID), fetch by SID, list by recipient, errors shaped like Twilio's (21211 for an invalid
number, 20429 when busy), and status callbacks / inbound messages signed the way Twilio
signs them (X-Twilio-Signature from the SDK's RequestValidator algorithm)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from tests.fakes.control import HANG, HOLD, Busy, Control

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
INVALID_NUMBER = "+15005550001"  # Twilio's magic test number for "invalid To"


def error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
    )


@dataclass
class FakeTwilio:
    account_sid: str = field(default_factory=lambda: "AC" + uuid.uuid4().hex)
    auth_token: str = field(default_factory=lambda: uuid.uuid4().hex)
    control: Control = field(default_factory=Control)
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def app(self) -> Starlette:
        base = "/2010-04-01/Accounts/{account}/Messages"
        return Starlette(
            routes=[
                Route(base + ".json", self.messages_endpoint, methods=["GET", "POST"]),
                Route(base + "/{sid}.json", self.fetch, methods=["GET"]),
            ]
        )

    def authorized(self, request: Request) -> bool:
        auth = httpx.BasicAuth(self.account_sid, self.auth_token)
        expected = next(auth.auth_flow(httpx.Request("GET", "http://x"))).headers["Authorization"]
        return bool(
            request.headers.get("authorization") == expected
            and request.path_params["account"] == self.account_sid
        )

    def resource(self, m: dict[str, Any]) -> dict[str, Any]:
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "sid": m["sid"],
            "to": m["to"],
            "from": m["from"],
            "body": m["body"],
            "status": m["status"],
            "num_segments": "1",
            "direction": "outbound-api",
            "date_created": format_datetime(m["created"]),
            "date_updated": format_datetime(m["created"]),
            "date_sent": None,
            "error_code": m.get("error_code"),
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{m['sid']}.json",
        }

    async def messages_endpoint(self, request: Request) -> Response:
        if not self.authorized(request):
            return error(401, 20003, "Authenticate")
        if request.method == "GET":
            return self.listing(request)
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        behaviour = self.control.take(f"{form.get('To', '')} {form.get('Body', '')}")
        if isinstance(behaviour, Busy):
            body = orjson.dumps({"code": 20429, "message": "Too Many Requests", "status": 429})
            return self.control.busy(behaviour, body)
        if behaviour == HANG:
            return await self.control.hang()
        to = str(form.get("To", ""))
        if not E164.match(to) or to == INVALID_NUMBER:
            return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        message = {
            "sid": "SM" + uuid.uuid4().hex,
            "to": to,
            "from": str(form.get("From", "")),
            "body": str(form.get("Body", "")),
            "status": "queued",
            "callback": form.get("StatusCallback"),
            "created": datetime.now(UTC),
            # India: the DLT ids sent with the message (None when absent)
            "dlt_entity_id": form.get("DltEntityId"),
            "dlt_template_id": form.get("DltTemplateId"),
        }
        self.messages.append(message)
        if behaviour == HOLD:
            await self.control.hold()
        return JSONResponse(self.resource(message), status_code=201)

    def listing(self, request: Request) -> Response:
        to = request.query_params.get("To")
        found = [] if self.control.blind else [m for m in self.messages if m["to"] == to]
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        return JSONResponse(
            {
                "messages": [self.resource(m) for m in reversed(found)],
                "end": max(len(found) - 1, 0),
                "first_page_uri": uri,
                "next_page_uri": None,
                "page": 0,
                "page_size": 50,
                "previous_page_uri": None,
                "start": 0,
                "uri": uri,
            }
        )

    async def fetch(self, request: Request) -> Response:
        if not self.authorized(request):
            return error(401, 20003, "Authenticate")
        for m in self.messages:
            if m["sid"] == request.path_params["sid"] and not self.control.blind:
                return JSONResponse(self.resource(m))
        return error(404, 20404, "The requested resource was not found")

    def sign(self, url: str, params: dict[str, str]) -> str:
        return str(RequestValidator(self.auth_token).compute_signature(url, params))

    async def post_signed(
        self, client: httpx.AsyncClient, url: str, params: dict[str, str], signature: str | None
    ) -> httpx.Response:
        """POSTs to our app at `url`'s path (the app's test client reaches it by path)."""
        parts = urlsplit(url)
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return await client.post(path, data=params, headers=headers)

    def status_params(self, sid: str, status: str, error_code: str | None) -> dict[str, str]:
        m = next(m for m in self.messages if m["sid"] == sid)
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "From": m["from"],
            "MessageSid": sid,
            "MessageStatus": status,
            "SmsSid": sid,
            "SmsStatus": status,
            "To": m["to"],
        }
        if error_code:
            params["ErrorCode"] = error_code
        return params

    async def status_callback(
        self,
        client: httpx.AsyncClient,
        sid: str,
        status: str,
        *,
        error_code: str | None = None,
        tamper: bool = False,
        unsigned: bool = False,
    ) -> httpx.Response:
        """Twilio's status callback for message `sid`, signed unless `unsigned`;
        `tamper` changes the status after signing."""
        m = next(m for m in self.messages if m["sid"] == sid)
        m["status"] = status
        params = self.status_params(sid, status, error_code)
        signature = None if unsigned else self.sign(str(m["callback"]), params)
        if tamper:
            params["MessageStatus"] = params["SmsStatus"] = "delivered"
        return await self.post_signed(client, str(m["callback"]), params, signature)

    async def inbound(
        self, client: httpx.AsyncClient, public_url: str, sender: str, body: str, to: str
    ) -> httpx.Response:
        """An SMS from `sender` to our number, as Twilio posts it to the inbound webhook."""
        url = f"{public_url.rstrip('/')}/webhooks/twilio/inbound"
        params = {
            "AccountSid": self.account_sid,
            "Body": body,
            "From": sender,
            "MessageSid": "SM" + uuid.uuid4().hex,
            "NumMedia": "0",
            "To": to,
        }
        return await self.post_signed(client, url, params, self.sign(url, params))
