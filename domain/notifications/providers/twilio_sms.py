"""SMS through the Twilio SDK on its asyncio HTTP client, so a send never blocks the
worker's event loop.

The SDK raises TwilioRestException without the response headers, so the HTTP client
below turns 429 and 5xx answers into TemporaryFailure itself, with the Retry-After the
provider sent. It also sends every request to `api_base_url` when one is set: Twilio's
`edge`/`region` only choose among Twilio's own hosts, and tests point the real SDK at a
fake server on loopback.

India (TRAI DLT): the SDK's `messages.create` has no field for the DLT principal entity
id and content template id, and Twilio documents none (it maps registered templates on
its side). The ids still travel with each message, as the form parameters `DltEntityId`
and `DltTemplateId`: the names Twilio's error catalogue uses (21901 "DltTemplateId is
invalid") and Indian operators' APIs document. The HTTP client adds them to the one
Messages create request of the send that set them (a context variable, so concurrent
sends never mix them)."""

from __future__ import annotations

import base64
from contextvars import ContextVar
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from domain.notifications.port import Delivery, Outgoing, PermanentFailure, TemporaryFailure

# extra form parameters of the Messages create request the current task is making
_EXTRA_FORM: ContextVar[dict[str, str] | None] = ContextVar("twilio_extra_form", default=None)


def dlt_form(message: Outgoing) -> dict[str, str]:
    """The DLT ids of an SMS as form parameters (none for a message without them)."""
    form = {}
    if message.dlt_entity_id:
        form["DltEntityId"] = message.dlt_entity_id
    if message.dlt_template_id:
        form["DltTemplateId"] = message.dlt_template_id
    return form


def retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form), if any."""
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class RoutedHttpClient(AsyncTwilioHttpClient):
    """Twilio's async HTTP client with a base URL of our choosing, a timeout on every
    request (the SDK passes none per call) and 429/5xx raised with their Retry-After."""

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__(pool_connections=False, timeout=timeout)
        self.base_url = urlsplit(base_url) if base_url else None
        self.session = aiohttp.ClientSession()

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's HttpClient signature
        allow_redirects: bool = False,
    ) -> Response:
        if self.base_url is not None:
            parts = urlsplit(url)
            url = urlunsplit(
                (self.base_url.scheme, self.base_url.netloc, parts.path, parts.query, "")
            )
        extra = _EXTRA_FORM.get()
        if extra and method == "POST" and url.endswith("/Messages.json"):
            data = {**(data or {}), **extra}
        if auth is not None:  # as a header: aiohttp deprecates its `auth` argument
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers = {**(headers or {}), "Authorization": f"Basic {token}"}
        response = await super().request(
            method, url, params, data, headers, None, timeout or self.timeout, allow_redirects
        )
        if response.status_code == 429 or response.status_code >= 500:
            raise TemporaryFailure(
                f"twilio answered {response.status_code}",
                retry_after(response.headers),
                code=str(response.status_code),
                uncertain=response.status_code >= 500,
            )
        return response


class TwilioSms:
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        public_url: str,
        *,
        api_base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sender = sender
        self.callback_url = f"{public_url.rstrip('/')}/webhooks/twilio/status"
        self.api_base_url = api_base_url
        self.timeout = timeout
        self._client: Client | None = None

    def client(self) -> Client:
        """Built on first use, inside the running event loop (aiohttp needs one)."""
        if self._client is None:
            http = RoutedHttpClient(self.api_base_url, self.timeout)
            self._client = Client(self.account_sid, self.auth_token, http_client=http)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            http = self._client.http_client
            if isinstance(http, AsyncTwilioHttpClient):
                await http.close()
            self._client = None

    async def send_sms(self, message: Outgoing) -> Delivery:
        extra = _EXTRA_FORM.set(dlt_form(message))
        try:
            sent = await self.client().messages.create_async(
                to=message.to,
                from_=self.sender,
                body=message.body,
                status_callback=f"{self.callback_url}?attempt={message.attempt_id}",
            )
        except TwilioRestException as exc:
            raise PermanentFailure(exc.msg, str(exc.code or exc.status)) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TemporaryFailure(f"twilio: {exc!r}", uncertain=True, code="timeout") from exc
        finally:
            _EXTRA_FORM.reset(extra)
        return Delivery(self.name, sent.sid, "accepted")

    async def lookup(self, message: Outgoing, since: datetime) -> Delivery | None:
        """Twilio keeps no field of ours on a message, so the attempt is found by its
        recipient and text among the messages created since the attempt started."""
        try:
            recent = await self.client().messages.list_async(to=message.to, limit=50)
        except (TimeoutError, aiohttp.ClientError, TwilioRestException) as exc:
            raise TemporaryFailure(f"twilio look-up: {exc!r}") from exc
        since = since.replace(microsecond=0)  # Twilio's dates are whole seconds
        for found in recent:
            created = found.date_created
            if found.body == message.body and (created is None or created >= since):
                return Delivery(self.name, found.sid, found.status or "accepted")
        return None
