"""The password policy (NIST SP 800-63B): length, no composition rules, no common or
breached passwords, no repeated patterns, not the user's email; on sign-up and on
accepting an invitation, as a typed ValidationError on `password`."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from domain.accounts.passwords import check_password
from domain.core.errors import ErrorCollector
from domain.core.settings import Settings
from tests.conftest import SIGN_UP, Actor, gql
from workers.demo import DEMO_PASSWORD, load_demo

SIGN_UP_ERRORS = """
mutation($input: SignUpInput!) { signUp(input: $input) {
  __typename
  ... on ValidationError { code fields { field code } }
  ... on UserError { code message }
} }"""
INVITE = """mutation($input: InviteStaffInput!) { inviteStaff(input: $input) {
  __typename ... on InvitePayload { token } } }"""
ACCEPT = """mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) {
  __typename ... on ValidationError { code fields { field code } } } }"""

REFUSED = [
    ("short pw", "WEAK_PASSWORD"),
    ("aaaaaaaaaa", "REPETITIVE_PASSWORD"),
    (" " * 12, "REPETITIVE_PASSWORD"),
    ("abababababab", "REPETITIVE_PASSWORD"),
    ("1212121212", "REPETITIVE_PASSWORD"),
    ("abcdefghijkl", "REPETITIVE_PASSWORD"),
    ("9876543210", "REPETITIVE_PASSWORD"),
    ("1234567890", "COMMON_PASSWORD"),
    ("qwertyuiop", "COMMON_PASSWORD"),
    ("password123", "COMMON_PASSWORD"),
    ("Password 123!", "COMMON_PASSWORD"),
    ("1q2w3e4r5t", "COMMON_PASSWORD"),
    ("x" * 257, "TOO_LONG"),
]
ACCEPTED = [
    "correct horse battery",
    "another horse battery",
    "staff password 123",
    "Ghar-ka-hisaab 2026",
    "मेरा खाता सुरक्षित है",  # any Unicode; no composition rules
    "plain lowercase words only",
]


def codes(password: str, email: str | None = None) -> list[str]:
    errors = ErrorCollector()
    check_password(password, errors, email=email)
    return [e.code for e in errors.errors]


@pytest.mark.parametrize(("password", "code"), REFUSED, ids=lambda v: repr(v)[:20])
def test_policy_refuses(password: str, code: str) -> None:
    assert codes(password) == [code]


@pytest.mark.parametrize("password", ACCEPTED)
def test_policy_accepts_passphrases(password: str) -> None:
    assert codes(password) == []


def test_the_email_or_its_local_part_is_refused() -> None:
    email = "Asha.Rao-Shop@example.com"
    assert codes("asha.rao-shop@example.com", email) == ["PASSWORD_IS_EMAIL"]
    assert codes("Asha.Rao-Shop", email) == ["PASSWORD_IS_EMAIL"]
    assert codes("asharaoshop", email) == ["PASSWORD_IS_EMAIL"]
    assert codes("asha rao shop", None) == []


def test_demo_and_fixture_passwords_pass() -> None:
    assert codes(DEMO_PASSWORD, "demo@khata.dev") == []


async def test_demo_with_its_published_password_refuses_production() -> None:
    production = Settings(
        env="production",
        secret_key="s" * 40,
        database_url="postgresql://khata@127.0.0.1:1/none",
        redis_url="redis://127.0.0.1:1/0",
    )
    with pytest.raises(ValueError, match="not production"):
        await load_demo(production)


def sign_up_input(password: str, email: str | None = None) -> dict[str, Any]:
    return {
        "email": email or f"pw-{uuid.uuid4().hex[:10]}@example.com",
        "password": password,
        "name": "Asha",
        "business": {"name": "Kirana", "country": "IN"},
    }


@pytest.mark.parametrize(
    ("password", "code"),
    [("aaaaaaaaaaaa", "REPETITIVE_PASSWORD"), ("qwertyuiop", "COMMON_PASSWORD")],
)
async def test_sign_up_refuses_weak_passwords(
    client: httpx.AsyncClient, password: str, code: str
) -> None:
    body = await gql(client, SIGN_UP_ERRORS, {"input": sign_up_input(password)})
    result = body["data"]["signUp"]
    assert result["__typename"] == "ValidationError", result
    assert result["fields"] == [{"field": "password", "code": code}]


async def test_sign_up_refuses_the_email_as_password(client: httpx.AsyncClient) -> None:
    email = f"kamau.{uuid.uuid4().hex[:8]}@example.com"
    body = await gql(client, SIGN_UP_ERRORS, {"input": sign_up_input(email, email)})
    assert body["data"]["signUp"]["fields"] == [{"field": "password", "code": "PASSWORD_IS_EMAIL"}]
    body = await gql(client, SIGN_UP, {"input": sign_up_input("kamau pays on fridays", email)})
    assert body["data"]["signUp"]["__typename"] == "SignUpPayload", body


async def test_accepting_an_invitation_applies_the_policy(
    client: httpx.AsyncClient, owner: Actor
) -> None:
    email = f"staff.{uuid.uuid4().hex[:8]}@example.com"
    invited = (await owner.gql(INVITE, {"input": {"email": email}}))["data"]["inviteStaff"]
    for password, code in (
        ("1111111111", "REPETITIVE_PASSWORD"),
        ("iloveyou12", "COMMON_PASSWORD"),
        (email.split("@")[0], "PASSWORD_IS_EMAIL"),
    ):
        body = await gql(
            client,
            ACCEPT,
            {"input": {"token": invited["token"], "name": "Ravi", "password": password}},
        )
        result = body["data"]["acceptInvitation"]
        assert result["__typename"] == "ValidationError", (password, result)
        assert result["fields"] == [{"field": "password", "code": code}], password
