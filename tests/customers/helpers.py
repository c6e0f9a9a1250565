"""Helpers shared by the tests split out of test_customers_crud.py."""

from __future__ import annotations

from typing import Any

from tests.conftest import Actor

CUSTOMER_FIELDS = """
  id number name nameAlt phone secondaryPhone email secondaryEmail profileType status
  tags notes businessType taxId isVip language phoneVerified deactivatedAt mergedIntoId
  creditLimit { amount currency }
  addresses { id isDefault city street latitude longitude }
"""


RESULT = f"""
  __typename
  ... on CustomerPayload {{ customer {{ {CUSTOMER_FIELDS} }} }}
  ... on ValidationError {{ code message fields {{ field code message }} }}
  ... on UserError {{ code message }}
"""


CREATE = f"""
mutation($input: CreateCustomerInput!) {{ createCustomer(input: $input) {{ {RESULT} }} }}"""


UPDATE = f"""
mutation($input: UpdateCustomerInput!) {{ updateCustomer(input: $input) {{ {RESULT} }} }}"""


GET = f"""query($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} }} }}"""


AUTO_REGISTER = f"""
mutation($input: AutoRegisterCustomerInput!) {{ autoRegisterCustomer(input: $input) {{
  __typename
  ... on AutoRegisterPayload {{ created welcomeSmsQueued customer {{ {CUSTOMER_FIELDS} }} }}
  ... on ValidationError {{ code message fields {{ field code message }} }}
  ... on UserError {{ code message }}
}} }}"""


async def create(actor: Actor, **fields: Any) -> dict[str, Any]:
    body = await actor.gql(CREATE, {"input": fields})
    return body["data"]["createCustomer"]  # type: ignore[no-any-return]


async def created(actor: Actor, **fields: Any) -> dict[str, Any]:
    result = await create(actor, **fields)
    assert result["__typename"] == "CustomerPayload", result
    return result["customer"]  # type: ignore[no-any-return]


async def update(actor: Actor, **fields: Any) -> dict[str, Any]:
    body = await actor.gql(UPDATE, {"input": fields})
    return body["data"]["updateCustomer"]  # type: ignore[no-any-return]


async def fetch(actor: Actor, customer_id: str) -> dict[str, Any] | None:
    return (await actor.gql(GET, {"id": customer_id}))["data"]["customer"]  # type: ignore[no-any-return]


def field_codes(result: dict[str, Any]) -> dict[str, str]:
    assert result["__typename"] == "ValidationError", result
    return {f["field"]: f["code"] for f in result["fields"]}


async def auto_register(actor: Actor, **fields: Any) -> dict[str, Any]:
    body = await actor.gql(AUTO_REGISTER, {"input": fields})
    return body["data"]["autoRegisterCustomer"]  # type: ignore[no-any-return]
