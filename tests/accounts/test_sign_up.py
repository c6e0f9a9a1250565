"""Accounts over HTTP: sign-up validation, sign-in and its rate limit, sessions, several"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.accounts.helpers import VIEWER, _bearer, _email, _login
from tests.conftest import gql

SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) {
  __typename
  ... on SignUpPayload {
    auth { token expiresAt user { id email name } memberships { role business { id } } }
    business { id name country currency timezone invoicePrefix customerPrefix }
  }
  ... on ValidationError { code message fields { field code message } }
  ... on UserError { code message }
} }"""


def _sign_up_input(**overrides: Any) -> dict[str, Any]:
    business = {"name": "Kirana Stores", "country": "IN"}
    business.update(overrides.pop("business", {}))
    data: dict[str, Any] = {
        "email": _email("owner"),
        "password": "correct horse battery",
        "name": "Asha",
        "business": business,
    }
    data.update(overrides)
    return data


async def _sign_up_raw(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    body = await gql(client, SIGN_UP, {"input": _sign_up_input(**overrides)})
    return body["data"]["signUp"]  # type: ignore[no-any-return]


async def test_sign_up_returns_session_business_and_owner_membership(
    client: httpx.AsyncClient,
) -> None:
    email = _email("Mixed.Case")
    result = await _sign_up_raw(
        client, email=f"  {email.upper()}  ", business={"name": "  Duka  ", "country": "ke"}
    )
    assert result["__typename"] == "SignUpPayload", result
    business = result["business"]
    assert business["name"] == "Duka"
    assert business["country"] == "KE"
    assert business["currency"] == "KES"  # defaulted from the country
    assert business["timezone"] == "Africa/Nairobi"
    assert (business["invoicePrefix"], business["customerPrefix"]) == ("INV", "CUST")
    auth = result["auth"]
    assert auth["user"]["email"] == email.lower()
    assert auth["memberships"] == [{"role": "OWNER", "business": {"id": business["id"]}}]
    # The token works on its own: one business, so no business header is needed.
    body = await gql(client, VIEWER, headers=_bearer(auth["token"]))
    viewer = body["data"]["viewer"]
    assert viewer["user"]["id"] == auth["user"]["id"]
    assert viewer["activeBusiness"]["id"] == business["id"]
    assert viewer["role"] == "OWNER"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"email": "not-an-email"}, "email", "INVALID_EMAIL"),
        ({"email": "a@b"}, "email", "INVALID_EMAIL"),
        ({"password": "short"}, "password", "WEAK_PASSWORD"),
        ({"name": "   "}, "name", "INVALID"),
        ({"business": {"name": " "}}, "business.name", "INVALID"),
        ({"business": {"country": "XX"}}, "business.country", "INVALID_COUNTRY"),
        ({"business": {"currency": "ABC"}}, "business.currency", "INVALID_CURRENCY"),
        ({"business": {"timezone": "Mars/Olympus"}}, "business.timezone", "INVALID_TIMEZONE"),
        ({"business": {"invoicePrefix": "in-v"}}, "business.invoicePrefix", "INVALID"),
        ({"business": {"customerPrefix": "1CUST"}}, "business.customerPrefix", "INVALID"),
    ],
)
async def test_sign_up_validation(
    client: httpx.AsyncClient, overrides: dict[str, Any], field: str, code: str
) -> None:
    result = await _sign_up_raw(client, **overrides)
    assert result["__typename"] == "ValidationError", result
    assert result["code"] == "VALIDATION_FAILED"
    assert [(f["field"], f["code"]) for f in result["fields"]] == [(field, code)]


async def test_sign_up_reports_every_bad_field_at_once(client: httpx.AsyncClient) -> None:
    result = await _sign_up_raw(
        client,
        email="nope",
        password="123",
        business={"country": "ZZ", "currency": "QQQ", "timezone": "Nowhere/Land"},
    )
    assert result["__typename"] == "ValidationError", result
    assert {f["field"] for f in result["fields"]} == {
        "email",
        "password",
        "business.country",
        "business.currency",
        "business.timezone",
    }


async def test_sign_up_currency_defaults_beyond_our_four_markets(
    client: httpx.AsyncClient,
) -> None:
    result = await _sign_up_raw(client, business={"country": "US", "timezone": "America/Chicago"})
    assert result["__typename"] == "SignUpPayload", result
    assert result["business"]["currency"] == "USD"
    explicit = await _sign_up_raw(client, business={"country": "ZA", "currency": "usd"})
    assert explicit["__typename"] == "SignUpPayload", explicit
    assert explicit["business"]["currency"] == "USD"


async def test_sign_up_unknown_country_is_reported_once(client: httpx.AsyncClient) -> None:
    # The currency was not sent, so only the country is wrong (no knock-on currency error).
    result = await _sign_up_raw(client, business={"country": "XX"})
    assert [f["field"] for f in result["fields"]] == ["business.country"]


async def test_sign_up_validation_leaves_nothing_behind(client: httpx.AsyncClient) -> None:
    email = _email("rejected")
    result = await _sign_up_raw(client, email=email, business={"country": "XX"})
    assert result["__typename"] == "ValidationError"
    # The email is still free: nothing was written by the rejected attempt.
    again = await _sign_up_raw(client, email=email)
    assert again["__typename"] == "SignUpPayload", again


async def test_sign_up_duplicate_email_is_a_conflict(client: httpx.AsyncClient) -> None:
    email = _email("dup")
    first = await _sign_up_raw(client, email=email)
    assert first["__typename"] == "SignUpPayload"
    second = await _sign_up_raw(client, email=email.upper())
    assert second["__typename"] == "ConflictError", second
    assert second["code"] == "CONFLICT"
    # The original account is untouched: its password still works.
    assert (await _login(client, email, "correct horse battery"))["__typename"] == "AuthPayload"
