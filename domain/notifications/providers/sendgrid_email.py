"""Email through the SendGrid SDK. The SDK is synchronous (urllib), so each call runs in a
thread (`asyncio.to_thread`) with a timeout and never blocks the worker's event loop.

The attempt id travels as the custom argument `khata_attempt`: SendGrid echoes it in every
Event Webhook event and the Email Activity API finds a message by it."""

from __future__ import annotations

import asyncio
import base64
import urllib.error
from datetime import datetime
from typing import Any

import orjson
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Attachment,
    CustomArg,
    Disposition,
    FileContent,
    FileName,
    FileType,
    Mail,
)

from domain.notifications.port import Delivery, Outgoing, PermanentFailure, TemporaryFailure
from domain.notifications.providers.twilio_sms import retry_after

ATTEMPT_ARG = "khata_attempt"


def _failure(exc: HTTPError) -> Exception:
    status = int(exc.status_code)
    if status == 429 or status >= 500:
        return TemporaryFailure(
            f"sendgrid answered {status}",
            retry_after(exc.headers),
            code=str(status),
            uncertain=status >= 500,
        )
    try:
        detail = orjson.loads(exc.body)["errors"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError):
        detail = f"sendgrid answered {status}"
    return PermanentFailure(str(detail), str(status))


class SendGridEmail:
    name = "sendgrid"

    def __init__(
        self,
        api_key: str,
        sender: str,
        *,
        host: str = "https://api.sendgrid.com",
        timeout: float = 10.0,
    ) -> None:
        self.sender = sender
        self.timeout = float(timeout)
        self.api = SendGridAPIClient(api_key=api_key, host=host)

    def mail(self, message: Outgoing) -> dict[str, Any]:
        mail = Mail(
            from_email=self.sender,
            to_emails=message.to,
            subject=message.subject,
            plain_text_content=message.body,
            html_content=message.html,
        )
        mail.custom_arg = CustomArg(ATTEMPT_ARG, message.attempt_id)
        for item in message.attachments:
            mail.add_attachment(
                Attachment(
                    FileContent(base64.b64encode(item.content).decode("ascii")),
                    FileName(item.filename),
                    FileType(item.mime_type),
                    Disposition("attachment"),
                )
            )
        return mail.get()  # type: ignore[no-any-return]

    async def _call(self, call: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(call, timeout=self.timeout, **kwargs)
        except HTTPError as exc:
            raise _failure(exc) from exc
        except (TimeoutError, urllib.error.URLError) as exc:
            raise TemporaryFailure(f"sendgrid: {exc!r}", uncertain=True, code="timeout") from exc

    async def send_email(self, message: Outgoing) -> Delivery:
        response = await self._call(self.api.client.mail.send.post, request_body=self.mail(message))
        return Delivery(self.name, response.headers.get("X-Message-Id"), "accepted")

    async def lookup(self, message: Outgoing, since: datetime) -> Delivery | None:
        """The Email Activity API, queried by our custom argument."""
        query = f"unique_args['{ATTEMPT_ARG}']=\"{message.attempt_id}\""
        try:
            response = await self._call(
                self.api.client.messages.get, query_params={"query": query, "limit": 1}
            )
        except PermanentFailure as exc:
            raise TemporaryFailure(f"sendgrid look-up: {exc}") from exc
        found = orjson.loads(response.body).get("messages") or []
        if not found:
            return None
        msg_id = str(found[0].get("msg_id", "")).split(".", 1)[0] or None
        return Delivery(self.name, msg_id, str(found[0].get("status") or "accepted"))
