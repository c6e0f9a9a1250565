"""The order confirmation PDF: the invoice renderer and fonts, through a signed link."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from schema.relay import parse_global_id
from tests.conftest import Actor
from tests.orders.helpers import customer_id, placed


async def test_signed_confirmation_pdf(owner: Actor, client: Any) -> None:
    cid = await customer_id(owner, name="राम कुमार")
    order = await placed(
        owner, cid, deliveryAddress={"street": "12 Station Road", "city": "Nashik"}
    )
    body = await owner.gql("query($id: ID!) { order(id: $id) { pdfUrl } }", {"id": order["id"]})
    url = body["data"]["order"]["pdfUrl"].removeprefix("http://127.0.0.1:8000")
    assert url.startswith(f"/files/orders/{parse_global_id(owner.business_id)[1]}/")
    response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "ORDER" in text and order["number"] in text
    assert "Nashik" in text and "Basmati rice" in text
    fonts = {
        str(f["/BaseFont"])
        for page in reader.pages
        for f in page["/Resources"]["/Font"].values()  # type: ignore[index,union-attr]
    }
    assert any("Devanagari" in f for f in fonts), fonts  # the invoices' font stack
    tampered = url.replace("sig=", "sig=0")
    refused = await client.get(tampered)
    assert refused.status_code == 403 and refused.json()["code"] == "LINK_SIGNATURE_INVALID"
    row = parse_global_id(order["id"])[1]
    other = url.replace(f"/{row}.pdf", f"/{row + 1}.pdf")
    assert (await client.get(other)).status_code == 403
