"""Every GraphQL example in README.md answers with data on the demo data, as the README
promises: signed in as the demo owner, acting for the business the README names."""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import OperationDefinitionNode, parse, print_ast

from domain.core.settings import Settings
from domain.migrations.run import upgrade
from khata.composition import build_runtime, create_app
from tests.conftest import TEST_IP, gql
from workers.demo import DEMO_EMAIL, DEMO_PASSWORD, load_demo

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"```graphql\n(.*?)```", re.DOTALL)
# The README's Headers example: the business every example acts for.
BUSINESS_HEADER = re.compile(r'"X-Khata-Business": "([A-Za-z0-9_-]+)"')
LISTS_THAT_MUST_HAVE_ROWS = {"edges", "exact", "entries", "memberships"}


def readme_operations() -> list[str]:
    """Each operation of each ```graphql block, as a document of its own."""
    operations = []
    for block in BLOCK.findall(README.read_text()):
        for definition in parse(block).definitions:
            assert isinstance(definition, OperationDefinitionNode), "README uses no fragments"
            operations.append(print_ast(definition))
    return operations


OPERATIONS = readme_operations()


@pytest.fixture(scope="module")
async def demo_client() -> AsyncIterator[httpx.AsyncClient]:
    """A demo database of its own (a few customers per business: the README's records
    are fixed, whatever the size) behind the app, signed in as the demo owner."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            env="test",
            database_url=f"sqlite+aiosqlite:///{tmp}/demo.db",
            redis_url=None,
            log_level="WARNING",
        )
        await upgrade(settings.database_url)
        assert (await load_demo(settings, customers_per_business=6)).startswith("loaded 4")
        rt = build_runtime(settings)
        await rt.start(sweep=False)
        transport = httpx.ASGITransport(app=create_app(settings, runtime=rt), client=(TEST_IP, 1))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://khata.test") as c:
                body = await gql(
                    c,
                    "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p})"
                    " { ... on AuthPayload { token memberships { business { id name } } } } }",
                    {"e": DEMO_EMAIL, "p": DEMO_PASSWORD},
                )
                login = body["data"]["login"]
                named = BUSINESS_HEADER.search(README.read_text())
                assert named, "README shows no X-Khata-Business header"
                ids = {m["business"]["name"]: m["business"]["id"] for m in login["memberships"]}
                assert ids["Sharma Agro Centre"] == named[1]
                c.headers.update(
                    {"authorization": f"Bearer {login['token']}", "x-khata-business": named[1]}
                )
                yield c
        finally:
            await rt.stop()


def _empty_or_failed(value: Any, path: str = "") -> list[str]:
    """Paths where an example answered with an error member or an empty list of rows."""
    found = []
    if isinstance(value, dict):
        if "fields" in value or {"code", "message"} <= set(value):
            found.append(f"{path}: error {value}")
        for key, item in value.items():
            if key in LISTS_THAT_MUST_HAVE_ROWS and not item:
                found.append(f"{path}.{key}: empty")
            found += _empty_or_failed(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _empty_or_failed(item, f"{path}[{i}]")
    return found


def test_the_readme_has_examples_for_each_area() -> None:
    text = " ".join(OPERATIONS)
    for field in ("login", "viewer", "searchCustomers", "customers", "customerStatement"):
        assert re.search(rf"\b{field}\b", text), field


@pytest.mark.parametrize(
    "operation", OPERATIONS, ids=[f"example{i + 1}" for i in range(len(OPERATIONS))]
)
async def test_readme_example_answers_with_data(
    demo_client: httpx.AsyncClient, operation: str
) -> None:
    body = await gql(demo_client, operation)
    data = body.get("data")
    assert data, body
    for name, value in data.items():
        assert value, f"{name} answered {value!r}"
    assert not _empty_or_failed(data), _empty_or_failed(data)
