from tests.conftest import Actor, create_customer


async def test_sign_up_and_create_customer(owner: Actor) -> None:
    result = await create_customer(owner, name="Ramesh Kumar", phone="98765 43210")
    assert result["__typename"] == "CustomerPayload", result
    customer = result["customer"]
    assert customer["phone"] == "+919876543210"
    assert customer["number"] == "CUST-00001"
    assert customer["profileType"] == "STUB"
