"""Response headers (nosniff, referrer policy, CSP, no-store on documents, HSTS over TLS)
and CORS for browser front ends on other origins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from khata.composition import create_app
from khata.runtime import Runtime
from tests.conftest import TEST_IP, Actor

FRONT_END = "https://app.example.com"


async def test_every_response_says_nosniff_and_no_referrer(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/healthz"),
        await client.post("/graphql", json={"query": "{ __typename }"}),
        await client.get("/no-such-page"),
        await client.post(
            "/graphql", content=b"{not json", headers={"content-type": "application/json"}
        ),
    ):
        assert response.headers["x-content-type-options"] == "nosniff", response.url
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert "strict-transport-security" not in response.headers  # plain http


async def test_graphiql_page_has_a_strict_policy(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "<html" in page.text
    policy = page.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"].startswith("'self' 'sha256-")
    assert directives["style-src"].startswith("'self' 'sha256-")
    assert "unsafe" not in policy
    assert directives["frame-ancestors"] == "'none'"


async def test_hsts_only_over_tls(app: Any) -> None:
    transport = httpx.ASGITransport(app=app, client=(TEST_IP, 5555))
    async with httpx.AsyncClient(transport=transport, base_url="https://khata.test") as tls:
        response = await tls.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    # a client cannot claim TLS itself: only uvicorn's trusted-proxy handling sets the scheme
    transport = httpx.ASGITransport(app=app, client=(TEST_IP, 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://khata.test") as plain:
        response = await plain.get("/healthz", headers={"x-forwarded-proto": "https"})
    assert "strict-transport-security" not in response.headers


async def test_documents_are_not_stored(owner: Actor) -> None:
    export = await owner.client.get("/exports/customers.csv", headers=owner.headers)
    assert export.status_code == 200
    assert export.headers["cache-control"] == "no-store"
    pay = await owner.client.get("/pay/not-a-token")
    assert pay.headers["cache-control"] == "no-store"


async def test_invoice_pdf_is_not_stored(owner: Actor) -> None:
    body = await owner.gql(
        """mutation { createCustomer(input: {name: "Asha Rao"}) {
        ... on CustomerPayload { customer { id } } } }"""
    )
    customer = body["data"]["createCustomer"]["customer"]["id"]
    body = await owner.gql(
        """mutation($c: ID!) { createInvoice(input: {customerId: $c,
            lines: [{description: "Rice", quantity: "1", unitPrice: "10"}]}) {
          __typename ... on InvoicePayload { invoice { pdfUrl } } } }""",
        {"c": customer},
    )
    url = body["data"]["createInvoice"]["invoice"]["pdfUrl"]
    pdf = await owner.client.get(httpx.URL(url).raw_path.decode())
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    assert pdf.headers["x-content-type-options"] == "nosniff"


@pytest.fixture
async def cors_client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    settings = runtime.settings.model_copy(update={"cors_origins": [FRONT_END]})
    app = create_app(settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app, client=(TEST_IP, 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://khata.test") as c:
        yield c


async def test_cors_is_off_by_default(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": FRONT_END}
    )
    assert "access-control-allow-origin" not in response.headers


async def test_cors_preflight_and_call_from_an_allowed_origin(
    cors_client: httpx.AsyncClient, owner: Actor
) -> None:
    preflight = await cors_client.options(
        "/graphql",
        headers={
            "origin": FRONT_END,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type, x-khata-business",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == FRONT_END
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "x-khata-business" in allowed
    assert preflight.headers["x-content-type-options"] == "nosniff"

    response = await cors_client.post(
        "/graphql",
        json={"query": "{ viewer { role } }"},
        headers={**owner.headers, "origin": FRONT_END},
    )
    assert response.json()["data"]["viewer"]["role"] == "OWNER"
    assert response.headers["access-control-allow-origin"] == FRONT_END


async def test_cors_refuses_other_origins(cors_client: httpx.AsyncClient) -> None:
    preflight = await cors_client.options(
        "/graphql",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_origins_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from domain.core.settings import Settings

    monkeypatch.setenv("KHATA_CORS_ORIGINS", "https://a.example, https://b.example/")
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.delenv("KHATA_CORS_ORIGINS")
    assert Settings().cors_origins == []
