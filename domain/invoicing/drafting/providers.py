"""The parser seam. `RuleParser` (offline, the default) and `OpenAICompatibleParser`, which
asks an OpenAI-compatible `/chat/completions` endpoint for JSON lines, validates them
strictly and falls back to the rules on any error or timeout. Whatever parses, the same
checks (`checks.finalize`) run afterwards, and totals are recomputed by the caller."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import httpx

from .checks import finalize
from .engine import parse_prompt
from .lexicon import UNIT_ALIASES
from .models import DraftProposal
from .raw import ParseResult, RawLine

log = logging.getLogger("khata.drafting")


class DraftParser(Protocol):
    async def parse(self, prompt: str, currency: str) -> DraftProposal: ...


class RuleParser:
    """The offline engine behind the `DraftParser` seam."""

    def __init__(
        self,
        *,
        history: Mapping[str, Decimal] | None = None,
        known_items: Sequence[str] = (),
    ) -> None:
        self.history = history
        self.known_items = known_items

    def bind(
        self, *, history: Mapping[str, Decimal] | None = None, known_items: Sequence[str] = ()
    ) -> RuleParser:
        """The same parser with one customer's price history and the business catalogue."""
        return RuleParser(history=history, known_items=known_items)

    async def parse(self, prompt: str, currency: str) -> DraftProposal:
        return parse_prompt(
            prompt, currency=currency, history=self.history, known_items=self.known_items
        )


class LLMResponseError(ValueError):
    """The endpoint answered, but not with the JSON we asked for."""


SYSTEM_PROMPT = """You turn a small business's plain-language request into invoice lines.
Answer with one JSON object and nothing else:
{"lines": [{"description": string, "quantity": number, "unit": string or null,
            "unit_price": number or null, "currency": ISO 4217 code or null,
            "discount_percent": number or null}],
 "invoice_discount_percent": number or null}
Rules: unit_price is the price of ONE unit (divide a stated total by the quantity);
use null for a price the request does not give - never guess one; quantity 1 when none
is given; numbers may be written as 1,20,000 or 1.5 lakh (= 150000) or 15k or 1.200,50;
currency symbols: ₹/Rs = INR, KSh = KES, ر.ع./RO = OMR, R = ZAR. Do not compute totals or
taxes. The default currency is {currency}."""

_LINE_KEYS = {"description", "quantity", "unit", "unit_price", "currency", "discount_percent"}
_IGNORED_LINE_KEYS = {"amount", "total", "line_total"}
_TOP_KEYS = {"lines", "invoice_discount_percent", "currency"}
_IGNORED_TOP_KEYS = {"notes", "confidence", "subtotal", "total", "tax"}
_CODE = re.compile(r"^[A-Z]{3}$")


def _decimal(value: Any, where: str, *, allow_none: bool) -> Decimal | None:
    if value is None:
        if allow_none:
            return None
        raise LLMResponseError(f"{where} is missing")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise LLMResponseError(f"{where} is not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise LLMResponseError(f"{where} is not a number") from None
    if not number.is_finite():
        raise LLMResponseError(f"{where} is not finite")
    return number


def parse_llm_content(content: str, default_currency: str) -> ParseResult:
    """Validate the model's JSON strictly and turn it into raw lines."""
    try:
        data = json.loads(content)
    except (TypeError, ValueError) as exc:
        raise LLMResponseError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise LLMResponseError("top level is not an object")
    unknown = set(data) - _TOP_KEYS - _IGNORED_TOP_KEYS
    if unknown:
        raise LLMResponseError(f"unexpected keys {sorted(unknown)}")
    items = data.get("lines")
    if not isinstance(items, list) or not items:
        raise LLMResponseError("'lines' must be a non-empty list")
    if len(items) > 100:
        raise LLMResponseError("too many lines")
    lines: list[RawLine] = []
    for n, item in enumerate(items):
        where = f"lines[{n}]"
        if not isinstance(item, dict):
            raise LLMResponseError(f"{where} is not an object")
        unknown = set(item) - _LINE_KEYS - _IGNORED_LINE_KEYS
        if unknown:
            raise LLMResponseError(f"{where} has unexpected keys {sorted(unknown)}")
        description = item.get("description")
        if not isinstance(description, str) or not description.strip() or len(description) > 500:
            raise LLMResponseError(f"{where}.description must be a non-empty string")
        quantity = _decimal(item.get("quantity", 1), f"{where}.quantity", allow_none=False)
        assert quantity is not None
        if quantity <= 0:
            raise LLMResponseError(f"{where}.quantity must be positive")
        price = _decimal(item.get("unit_price"), f"{where}.unit_price", allow_none=True)
        if price is not None and price < 0:
            raise LLMResponseError(f"{where}.unit_price must not be negative")
        discount = _decimal(
            item.get("discount_percent"), f"{where}.discount_percent", allow_none=True
        )
        if discount is not None and not (0 <= discount <= 100):
            raise LLMResponseError(f"{where}.discount_percent must be 0-100")
        if discount == 0:
            discount = None
        unit = item.get("unit")
        if unit is not None and (not isinstance(unit, str) or len(unit) > 32):
            raise LLMResponseError(f"{where}.unit must be a short string or null")
        if isinstance(unit, str):
            unit = UNIT_ALIASES.get(unit.strip().lower(), unit.strip().lower()) or None
        currency = item.get("currency") or default_currency
        if not isinstance(currency, str) or not _CODE.match(currency.upper()):
            raise LLMResponseError(f"{where}.currency must be an ISO 4217 code")
        lines.append(
            RawLine(
                description=description.strip(),
                quantity=quantity,
                unit=unit,
                unit_price=price,
                currency=currency.upper() if price is not None else default_currency,
                discount_percent=discount,
                segment=description.strip(),
            )
        )
    invoice_discount = _decimal(
        data.get("invoice_discount_percent"), "invoice_discount_percent", allow_none=True
    )
    if invoice_discount is not None and not (0 <= invoice_discount <= 100):
        raise LLMResponseError("invoice_discount_percent must be 0-100")
    return ParseResult(lines=lines, invoice_discount_percent=invoice_discount or None)


class OpenAICompatibleParser:
    """Parses with an OpenAI-compatible chat-completions endpoint; any failure (HTTP error,
    timeout, invalid JSON) logs a warning and falls back to the rule engine."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        timeout: float = 10.0,
        *,
        history: Mapping[str, Decimal] | None = None,
        known_items: Sequence[str] = (),
        fallback: DraftParser | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.model = model
        self.timeout = timeout
        self.history = history
        self.known_items = known_items
        self.fallback: DraftParser = fallback or RuleParser(
            history=history, known_items=known_items
        )
        self._transport = transport

    def bind(
        self, *, history: Mapping[str, Decimal] | None = None, known_items: Sequence[str] = ()
    ) -> OpenAICompatibleParser:
        """A copy for one request, with this customer's price history and the catalogue, so
        the shared checks (history fill, unknown items) run on the LLM's lines too."""
        return OpenAICompatibleParser(
            self.base_url,
            self.api_key,
            self.model,
            self.timeout,
            history=history,
            known_items=known_items,
            transport=self._transport,
        )

    async def parse(self, prompt: str, currency: str) -> DraftProposal:
        currency = currency.upper()
        try:
            async with asyncio.timeout(self.timeout):
                content = await self._complete(prompt, currency)
            parsed = parse_llm_content(content, currency)
        except Exception as exc:
            log.warning(
                "LLM draft parsing failed (%s: %s); using the rule engine", type(exc).__name__, exc
            )
            return await self.fallback.parse(prompt, currency)
        return finalize(
            parsed,
            currency=currency,
            history=self.history,
            known_items=self.known_items,
            source="llm",
        )

    async def _complete(self, prompt: str, currency: str) -> str:
        body = {
            "model": self.model,
            "temperature": 0,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT.replace("{currency}", currency)},
                {"role": "user", "content": prompt},
            ],
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        async with httpx.AsyncClient(timeout=self.timeout, transport=self._transport) as client:
            response = await client.post(
                f"{self.base_url}/chat/completions", json=body, headers=headers
            )
            response.raise_for_status()
            payload = response.json()
        try:
            content = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise LLMResponseError("no choices[0].message.content in the response") from None
        if not isinstance(content, str):
            raise LLMResponseError("message content is not a string")
        return content


def parser_from_settings(
    settings: object,
    *,
    history: Mapping[str, Decimal] | None = None,
    known_items: Sequence[str] = (),
) -> DraftParser:
    """The configured parser: rules unless `llm_base_url` is set (off by default). Reads
    `llm_base_url`, `llm_api_key`, `llm_model` and `llm_timeout_seconds` from the settings
    object (`Settings`, i.e. KHATA_LLM_*)."""
    base_url = getattr(settings, "llm_base_url", None)
    if not base_url:
        return RuleParser(history=history, known_items=known_items)
    api_key = getattr(settings, "llm_api_key", None) or ""
    if hasattr(api_key, "get_secret_value"):
        api_key = api_key.get_secret_value()
    return OpenAICompatibleParser(
        str(base_url),
        str(api_key),
        str(getattr(settings, "llm_model", None) or "gpt-4o-mini"),
        float(getattr(settings, "llm_timeout_seconds", None) or 10.0),
        history=history,
        known_items=known_items,
    )
