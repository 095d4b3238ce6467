"""End to end: Shopify orders reach a real Odoo server through signed webhooks.

The simulator sends its webhooks (signed with the shop's secret) to the
endpoint of a real Odoo server (prefork workers, queue_job runner), which
stores them, answers, and imports the orders in jobs: the order is reserved
in the warehouse the routing rules choose and the next push lowers Shopify;
a cancellation releases it; a duplicate delivery, a forged signature and a
malformed body change nothing; an unknown SKU holds the order; and the poll
imports an order whose webhook Shopify never delivered.

The server runs on a copy of the harness's end-to-end database, dropped
afterwards, so test_e2e_push still finds the database as installed.
"""

import json

import pytest
import requests

from ..shopify_simulator.webhooks import sign
from ..support.e2e_stack import (
    NJ,
    NJ_ADDRESS,
    TX,
    TX_ADDRESS,
    UK,
    address,
    connect_shop,
    drain,
    push_all,
    quantities,
    route_rule,
    run_cron,
    shop_values,
    stack_fixtures,
    stock_evenly,
)
from ..support.odoo_server import wait_until

# runs Odoo servers of its own: the harness's server shard (tests/support/shards.py)
pytestmark = pytest.mark.server

DOMAIN = "synco-orders.myshopify.com"
TOKEN = "shpat_synco_orders"
SECRET = "synco-orders-webhook-secret"
TEE, MUG, UNBOUND = "ORD-TEE", "ORD-MUG", "ORD-UNBOUND"
LOCATIONS = [
    (3001, NJ, address(NJ, "US", "07001", "NJ")),
    (3002, TX, address(TX, "US", "73301", "TX")),
    (3003, UK, address(UK, "GB", "E16 1AA")),
]


sim, odoo = stack_fixtures(
    "orders",
    DOMAIN,
    TOKEN,
    SECRET,
    "Synco Orders",
    LOCATIONS,
    products=((TEE, "24.00"), (MUG, "14.00"), (UNBOUND, "5.00")),
    stock={NJ: 50, TX: 50, UK: 50},
)


@pytest.fixture(scope="module")
def setup(odoo, sim):
    """Warehouses, stock, a shop with mappings, routing rules and webhooks."""
    products, warehouses, stock, expected = stock_evenly(
        odoo, (TEE, MUG), {NJ: "ONJ", TX: "OTX", UK: "OUK"}, "Orders"
    )
    us = odoo.ref("base.us")
    uk = odoo.ref("base.uk")
    shop, _locations = connect_shop(
        odoo,
        sim,
        shop_values(
            "Orders E2E",
            DOMAIN,
            TOKEN,
            SECRET,
            default_warehouse_id=warehouses[NJ],
            order_route_ids=[
                route_rule(
                    "New Jersey",
                    us,
                    warehouses[NJ],
                    sequence=1,
                    zip_ranges="07000-08999",
                ),
                route_rule(
                    "Texas",
                    us,
                    warehouses[TX],
                    sequence=2,
                    zip_ranges="73300-73399, 75000-79999",
                ),
                route_rule("United Kingdom", uk, warehouses[UK], sequence=3),
            ],
        ),
        stock,
    )
    result = odoo.call("shopify.shop", "action_register_webhooks", [shop])
    assert "6 created" in result["params"]["message"]
    again = odoo.call("shopify.shop", "action_register_webhooks", [shop])
    assert "0 created, 6 already there" in again["params"]["message"]
    push_all(odoo, sim, DOMAIN, shop, expected, webhooks=False)
    return {
        "shop": shop,
        "products": products,
        "warehouses": warehouses,
        "stock": stock,
    }


def level(sim, sku, location):
    return sim.level(DOMAIN, sku, location)["available"]


def sale_orders(odoo, domain):
    return odoo.call(
        "sale.order",
        "search_read",
        domain,
        fields=[
            "state",
            "shopify_state",
            "warehouse_id",
            "shopify_route_id",
            "shopify_order_gid",
            "shopify_origin",
            "shopify_message",
            "amount_total",
        ],
    )


def imported(odoo, order, states=("imported",)):
    return wait_until(
        lambda: [
            so
            for so in sale_orders(odoo, [("shopify_order_gid", "=", order.id)])
            if so["shopify_state"] in states
        ],
        60,
        what=f"order {order.name} in {states}",
    )


def free(odoo, setup, sku, warehouse):
    return quantities(odoo, setup, sku, warehouse)[1]


def events(odoo, domain):
    return odoo.call(
        "shopify.webhook.event",
        "search_read",
        [("shop_id.shop_domain", "=", DOMAIN), *domain],
        fields=["event_id", "topic", "state", "sale_order_id"],
    )


def post(odoo, setup, body, headers):
    return requests.post(
        f"{odoo.url}/synco_shopify/webhook/{setup['shop']}",
        data=body,
        headers=headers,
        timeout=10,
    )


def test_order_routed_reserved_and_pushed(odoo, sim, setup):
    # Shopify takes the units from its New Jersey location; the address is
    # in Texas, so Odoo reserves (and will ship) from the Texas warehouse
    order = sim.create_order(
        DOMAIN, [(TEE, 3)], shipping_address=TX_ADDRESS, location=NJ
    )
    assert level(sim, TEE, NJ) == 17
    so = imported(odoo, order)[0]
    assert so["state"] == "sale"
    assert so["warehouse_id"][0] == setup["warehouses"][TX]
    assert so["shopify_route_id"][1] == "Texas"
    assert so["amount_total"] == 72.0
    assert free(odoo, setup, TEE, TX) == 17
    assert free(odoo, setup, TEE, NJ) == 20
    pickings = odoo.call(
        "stock.picking",
        "search_read",
        [("sale_id", "=", so["id"])],
        fields=["state", "picking_type_id"],
    )
    assert [p["state"] for p in pickings] == ["assigned"]
    # the reservation's push lowers Texas; New Jersey gets Odoo's figure back
    wait_until(lambda: level(sim, TEE, TX) == 17, 60, what="Texas lowered")
    wait_until(lambda: level(sim, TEE, NJ) == 20, 60, what="New Jersey restored")
    assert sim.wait_for_deliveries(30)
    created = [d for d in sim.deliveries() if d["payload"].get("id") == order.number]
    assert created and all(d["status"] == "delivered" for d in created)
    # Shopify's level webhook for New Jersey was compared, never applied
    wait_until(
        lambda: odoo.call(
            "shopify.drift",
            "search_count",
            [
                ("shop_id", "=", setup["shop"]),
                ("product_id", "=", setup["products"][TEE]),
            ],
        ),
        60,
        what="drift recorded",
    )
    assert free(odoo, setup, TEE, NJ) == 20


def test_duplicate_delivery_one_order(odoo, sim, setup):
    order = sim.create_order(DOMAIN, [(MUG, 1)], shipping_address=NJ_ADDRESS)
    so = imported(odoo, order)[0]
    assert so["warehouse_id"][0] == setup["warehouses"][NJ]
    delivery = next(
        d
        for d in sim.deliveries()
        if d["topic"] == "ORDERS_CREATE" and d["payload"]["id"] == order.number
    )
    body = json.dumps(delivery["payload"]).encode()
    for _ in range(3):  # Shopify retries a delivery it thinks failed
        response = post(odoo, setup, body, delivery["headers"])
        assert response.status_code == 200
    assert len(events(odoo, [("event_id", "=", delivery["event_id"])])) == 1
    assert len(sale_orders(odoo, [("shopify_order_gid", "=", order.id)])) == 1
    assert free(odoo, setup, MUG, NJ) == 19


def test_forged_signature_refused(odoo, sim, setup):
    body = json.dumps({"id": 999001, "line_items": []}).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Event-Id": "forged-1",
        "X-Shopify-Hmac-Sha256": sign("not-the-secret", body),
    }
    assert post(odoo, setup, body, headers).status_code == 401
    del headers["X-Shopify-Hmac-Sha256"]
    assert post(odoo, setup, body, headers).status_code == 401
    assert events(odoo, [("event_id", "=", "forged-1")]) == []


def test_malformed_json_refused(odoo, sim, setup):
    body = b'{"id": 999002, "line_items": ['
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Event-Id": "malformed-1",
        "X-Shopify-Hmac-Sha256": sign(SECRET, body),
    }
    assert post(odoo, setup, body, headers).status_code == 400
    assert events(odoo, [("event_id", "=", "malformed-1")]) == []


def test_unknown_sku_holds_the_order(odoo, sim, setup):
    order = sim.create_order(
        DOMAIN, [(TEE, 1), (UNBOUND, 2)], shipping_address=NJ_ADDRESS
    )
    so = imported(odoo, order, states=("exception",))[0]
    assert so["state"] == "draft"
    assert UNBOUND in so["shopify_message"]
    assert free(odoo, setup, TEE, NJ) == 20  # nothing reserved
    # Shopify promised the tee to a customer: Odoo's 20 is not written
    # over it while the order waits for its binding ...
    assert level(sim, TEE, NJ) == 19
    # ... and the cancellation gives it back, in both
    sim.cancel_order(order.id)
    so = imported(odoo, order, states=("cancelled",))[0]
    assert so["state"] == "cancel"
    wait_until(lambda: level(sim, TEE, NJ) == 20, 60, what="tee given back")


def test_cancel_releases(odoo, sim, setup):
    order = sim.create_order(DOMAIN, [(TEE, 2)], shipping_address=NJ_ADDRESS)
    imported(odoo, order)
    assert free(odoo, setup, TEE, NJ) == 18
    wait_until(lambda: level(sim, TEE, NJ) == 18, 60, what="reservation pushed")
    sim.cancel_order(order.id)
    so = imported(odoo, order, states=("cancelled",))[0]
    assert so["state"] == "cancel"
    assert free(odoo, setup, TEE, NJ) == 20
    pickings = odoo.call(
        "stock.picking", "search_read", [("sale_id", "=", so["id"])], fields=["state"]
    )
    assert {p["state"] for p in pickings} == {"cancel"}
    wait_until(lambda: level(sim, TEE, NJ) == 20, 60, what="release pushed")


def test_poll_imports_an_order_whose_webhook_was_dropped(odoo, sim, setup):
    assert sim.wait_for_deliveries(30)
    sim.set_faults(drop_next_webhooks=1)  # the orders/create of the next order
    order = sim.create_order(DOMAIN, [(MUG, 2)], shipping_address=NJ_ADDRESS)
    assert sim.wait_for_deliveries(30)
    dropped = [
        d
        for d in sim.deliveries()
        if d["topic"] == "ORDERS_CREATE" and d["payload"]["id"] == order.number
    ]
    assert [d["status"] for d in dropped] == ["dropped"]
    assert sale_orders(odoo, [("shopify_order_gid", "=", order.id)]) == []
    run_cron(odoo, "synco_shopify.ir_cron_poll_orders")
    # the cron's poll collapses (one identity key) into the poll the units
    # Shopify sold before their import (held) planned up to 35 s later: run now
    drain(odoo, 60, [("method_name", "=", "_job_poll_orders")], what="poll done")
    so = imported(odoo, order)[0]
    assert so["shopify_origin"] == "poll"
    assert free(odoo, setup, MUG, NJ) == 17
    # the watermark moved; the next poll imports nothing twice
    shop = odoo.call("shopify.shop", "read", [setup["shop"]], ["orders_polled_until"])[
        0
    ]
    assert shop["orders_polled_until"]
    run_cron(odoo, "synco_shopify.ir_cron_poll_orders")
    # a poll planned later for units still held runs now too
    drain(odoo, 60, [("method_name", "=", "_job_poll_orders")], what="polls done")
    assert odoo.jobs_done("_job_poll_orders")
    for so_order in (order,):
        assert len(sale_orders(odoo, [("shopify_order_gid", "=", so_order.id)])) == 1
    gids = [
        so["shopify_order_gid"]
        for so in sale_orders(odoo, [("shopify_shop_id", "=", setup["shop"])])
    ]
    assert len(gids) == len(set(gids))


def test_every_event_processed_and_no_job_failed(odoo, sim, setup):
    assert sim.wait_for_deliveries(30)

    def settled():
        return not odoo.call(
            "queue.job",
            "search_count",
            [("state", "not in", ("done", "failed"))],
        )

    def processed():
        # a push finishing late makes Shopify send one more level webhook:
        # settled once every delivery is stored and its job done
        sim.wait_for_deliveries(30)
        states = {e["state"] for e in events(odoo, [])}
        return settled() and states <= {"processed", "ignored"} and states

    wait_until(
        processed,
        90,
        what="every event processed and every job finished",
        explain=lambda: [
            e for e in events(odoo, []) if e["state"] not in ("processed", "ignored")
        ],
    )
    assert odoo.call("queue.job", "search_count", [("state", "=", "failed")]) == 0
    delivered = {d["event_id"] for d in sim.deliveries() if d["status"] == "delivered"}
    assert delivered <= {e["event_id"] for e in events(odoo, [])}
