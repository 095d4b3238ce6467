"""The retail store's fields of an order, from a webhook body and a GraphQL node."""

import pytest

from odoo.addons.synco_shopify.lib.shopify import delivery_kind, normalize_order

from ..shopify_simulator import Simulator
from ..shopify_simulator.webhooks import order_payload

DEMO = "synco-demo.myshopify.com"
STORE = "gid://shopify/Location/1006"


@pytest.fixture
def sim():
    simulator = Simulator()
    simulator.load_fixture("demo")
    return simulator


def _node(sim, order):
    shop = sim.store.shop(DEMO)
    query = """query($id: ID!) { order(id: $id) {
      id name updatedAt cancelledAt currencyCode email sourceName
      retailLocation { id }
      lineItems(first: 5) { nodes { id sku quantity currentQuantity variant { id }
        originalUnitPriceSet { shopMoney { amount currencyCode } } } }
      fulfillmentOrders(first: 3) { nodes { id deliveryMethod { methodType }
        assignedLocation { location { id } } } }
      refunds(first: 5) { id refundLineItems(first: 5) { nodes {
        quantity restockType location { id } lineItem { id } } } }
    } }"""
    result, _entry = sim.handle_graphql(
        shop, "2026-07", {"query": query, "variables": {"id": order.id}}
    )
    assert "errors" not in result, result
    return result["data"]["order"]


def test_counter_sale_and_its_refunds_read_alike_from_both_paths(sim):
    order = sim.sell_at_counter(DEMO, [("SYN-CAP-RED", 2)], "Brooklyn Store")
    sim.refund(order, {"SYN-CAP-RED": 1}, restock=True)
    sim.refund(order, {"SYN-CAP-RED": 1}, restock=False)
    shop = sim.store.shop(DEMO)
    rest = normalize_order(order_payload(shop, order))
    graphql = normalize_order(_node(sim, order))
    for data in (rest, graphql):
        assert data["source_name"] == "pos"
        assert data["retail_location_gid"] == STORE
        assert delivery_kind(data) == ("retail", STORE)
        assert data["shipping"]["zip"] is None
        lines = [line for refund in data["refunds"] for line in refund["lines"]]
        assert [(ln["quantity"], ln["restock_type"]) for ln in lines] == [
            (1, "RETURN"),
            (1, "NO_RESTOCK"),
        ]
        assert lines[0]["location_gid"] == STORE and lines[1]["location_gid"] is None
    assert graphql["fulfillment_methods"] == [
        {"method": "RETAIL", "location_gid": STORE}
    ]
    # the restocked unit is back on sale at the store, the other is not
    assert sim.level(DEMO, "SYN-CAP-RED", "Brooklyn Store")["available"] == 49


def test_pickup_and_local_orders_carry_their_method(sim):
    pickup = sim.create_order(
        DEMO,
        [("SYN-CAP-RED", 1)],
        shipping_address={"zip": "07102", "country_code": "US"},
        location="Brooklyn Store",
        delivery_method="PICK_UP",
    )
    local = sim.create_order(
        DEMO, [("SYN-TEE-BLK-M", 1)], location="Brooklyn Store", delivery_method="LOCAL"
    )
    assert delivery_kind(normalize_order(_node(sim, pickup))) == ("pick_up", STORE)
    assert delivery_kind(normalize_order(_node(sim, local))) == ("local", STORE)
    web = normalize_order(order_payload(sim.store.shop(DEMO), pickup))
    # a webhook body has no fulfilment orders: the import reads them
    assert web["fulfillment_methods"] == [] and web["source_name"] == "web"
    assert delivery_kind(web) == ("shipping", None)


def test_refund_quantities_are_checked():
    payload = {
        "id": 5,
        "line_items": [],
        "refunds": [
            {"id": 1, "refund_line_items": [{"line_item_id": 2, "quantity": -1}]}
        ],
    }
    with pytest.raises(ValueError, match="refund quantity"):
        normalize_order(payload)
