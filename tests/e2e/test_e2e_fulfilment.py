"""End to end: one location story and fulfilments, through a real server.

Shopify assigns an order to New Jersey; the address routes it to Texas in
Odoo.  Through webhooks, queue_job and the job runner, Shopify's fulfilment
order moves to Texas and every level agrees with Odoo.  Validating the
delivery partly, then its backorder, gives Shopify two fulfilments with
their tracking numbers and quantities, once each, even when the server is
killed while the fulfilment is on its way.

Runs on its own copy of the harness's database, dropped afterwards.
"""

import json
import time

import pytest
import requests

from ..shopify_simulator.webhooks import sign
from ..support.e2e_stack import (
    NJ,
    TX,
    TX_ADDRESS,
    UK,
    address,
    connect_shop,
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

DOMAIN = "synco-fulfil.myshopify.com"
TOKEN = "shpat_synco_fulfil"
SECRET = "synco-fulfil-webhook-secret"
TEE, MUG = "FUL-TEE", "FUL-MUG"
LOCATIONS = [
    (4001, NJ, address(NJ, "US", "07001", "NJ")),
    (4002, TX, address(TX, "US", "73301", "TX")),
    (4003, UK, address(UK, "GB", "E16 1AA")),
]


sim, odoo = stack_fixtures(
    "fulfil",
    DOMAIN,
    TOKEN,
    SECRET,
    "Synco Fulfil",
    LOCATIONS,
    products=((TEE, "20.00"), (MUG, "20.00")),
    stock={NJ: 50, TX: 50, UK: 50},
)


@pytest.fixture(scope="module")
def setup(odoo, sim):
    products, warehouses, stock, expected = stock_evenly(
        odoo, (TEE, MUG), {NJ: "FNJ", TX: "FTX", UK: "FUK"}, "Fulfil"
    )
    us = odoo.ref("base.us")
    shop, locations = connect_shop(
        odoo,
        sim,
        shop_values(
            "Fulfil E2E",
            DOMAIN,
            TOKEN,
            SECRET,
            default_warehouse_id=warehouses[NJ],
            order_route_ids=[
                route_rule(
                    "Texas",
                    us,
                    warehouses[TX],
                    zip_ranges="73300-73399, 75000-79999",
                ),
            ],
        ),
        stock,
    )
    push_all(odoo, sim, DOMAIN, shop, expected)
    return {
        "shop": shop,
        "products": products,
        "warehouses": warehouses,
        "stock": stock,
        "locations": locations,
    }


def level(sim, sku, location):
    return sim.level(DOMAIN, sku, location)


def free(odoo, setup, sku, warehouse):
    return quantities(odoo, setup, sku, warehouse)[1]


def sale_order(odoo, order, **conditions):
    def found():
        orders = odoo.call(
            "sale.order",
            "search_read",
            [("shopify_order_gid", "=", order.id)],
            fields=[
                "shopify_state",
                "warehouse_id",
                "shopify_location_state",
                "shopify_location_message",
                "picking_ids",
            ],
        )
        return [
            so
            for so in orders
            if all(so[key] == value for key, value in conditions.items())
        ]

    def explain():
        return {
            "orders": odoo.call(
                "sale.order",
                "search_read",
                [("shopify_order_gid", "!=", False)],
                fields=[
                    "shopify_order_gid",
                    "shopify_state",
                    "shopify_location_state",
                    "shopify_location_message",
                    "shopify_message",
                ],
            ),
            "jobs": odoo.call(
                "queue.job",
                "search_read",
                [("state", "!=", "done")],
                fields=["method_name", "state", "exc_info", "result"],
            ),
            "events": odoo.call(
                "shopify.webhook.event",
                "search_read",
                [("state", "!=", "processed")],
                fields=["topic", "state", "error_message", "result"],
            ),
        }

    return wait_until(
        found, 60, what=f"order {order.name} {conditions}", explain=explain
    )[0]


def levels_agree(odoo, sim, setup, sku):
    """Shopify's available and on hand equal Odoo's free and on hand."""
    for name in (NJ, TX, UK):
        shopify = level(sim, sku, name)
        odoo_on_hand, odoo_free = quantities(odoo, setup, sku, name)
        if (shopify["available"], shopify["on_hand"]) != (odoo_free, odoo_on_hand):
            return False
    return True


def explain(odoo, sim, setup, sku):
    return lambda: {
        name: (level(sim, sku, name), free(odoo, setup, sku, name))
        for name in (NJ, TX, UK)
    }


def test_assigned_to_new_jersey_ships_from_texas(odoo, sim, setup):
    order = sim.create_order(
        DOMAIN, [(TEE, 3)], shipping_address=TX_ADDRESS, location=NJ
    )
    assert level(sim, TEE, NJ)["committed"] == 3
    # "aligned" when a run that moved it was rolled back and retried
    so = wait_until(
        lambda: (
            sale_order(odoo, order)["shopify_location_state"] in ("moved", "aligned")
            and sale_order(odoo, order)
        ),
        60,
        what="fulfilment location aligned",
    )
    assert so["warehouse_id"][0] == setup["warehouses"][TX]
    assert [fo["location"] for fo in sim.fulfillment_orders(order.id)] == [TX]
    wait_until(
        lambda: levels_agree(odoo, sim, setup, TEE),
        60,
        what="Shopify's levels equal Odoo's",
        explain=explain(odoo, sim, setup, TEE),
    )
    assert level(sim, TEE, TX) == {"available": 17, "committed": 3, "on_hand": 20}
    assert level(sim, TEE, NJ) == {"available": 20, "committed": 0, "on_hand": 20}
    # shipped: Shopify's committed units go, its on hand follows Odoo's
    validate(odoo, so["picking_ids"][0], 3, "1ZWHOLE")
    wait_until(lambda: len(sim.fulfillments(order.id)) == 1, 60, what="fulfilled")
    fulfilment = sim.fulfillments(order.id)[0]
    assert fulfilment["lines"] == {TEE: 3}
    assert fulfilment["tracking"]["number"] == "1ZWHOLE"
    wait_until(
        lambda: levels_agree(odoo, sim, setup, TEE),
        60,
        what="Shopify's levels equal Odoo's after shipping",
        explain=explain(odoo, sim, setup, TEE),
    )
    assert level(sim, TEE, TX) == {"available": 17, "committed": 0, "on_hand": 17}


def validate(odoo, picking, quantity, tracking):
    moves = odoo.call("stock.picking", "read", [picking], ["move_ids"])[0]["move_ids"]
    odoo.call("stock.move", "write", moves, {"quantity": quantity, "picked": True})
    odoo.call(
        "stock.picking", "write", [picking], {"shopify_tracking_number": tracking}
    )
    # skip_backorder: the rest becomes a backorder without the wizard
    odoo.call(
        "stock.picking", "button_validate", [picking], context={"skip_backorder": True}
    )


def fulfil_jobs(odoo):
    return odoo.call(
        "queue.job",
        "search_read",
        [("method_name", "=", "_job_shopify_fulfil")],
        fields=["uuid", "state", "retry", "date_enqueued"],
    )


def test_partial_then_backorder_fulfilled_once_each_despite_a_kill(odoo, sim, setup):
    order = sim.create_order(
        DOMAIN, [(MUG, 4)], shipping_address=TX_ADDRESS, location=NJ
    )
    so = wait_until(
        lambda: (
            sale_order(odoo, order)["shopify_location_state"] in ("moved", "aligned")
            and sale_order(odoo, order)
        ),
        60,
        what="fulfilment location aligned",
    )
    assert [fo["location"] for fo in sim.fulfillment_orders(order.id)] == [TX]
    picking = so["picking_ids"][0]
    # every Shopify call now takes 3 s: the fulfilment is on its way when
    # the server dies, and lands in Shopify anyway
    sim.set_faults(latency=3.0)
    validate(odoo, picking, 3, "1ZPARTIAL")
    job = wait_until(
        lambda: [j for j in fulfil_jobs(odoo) if j["state"] == "started"],
        60,
        what="fulfilment job started",
    )[0]
    wait_until(
        lambda: any(
            e.get("operation_name") == "OrderFulfillmentOrders"
            and e["time"] > time.time() - 10
            for e in sim.log
        ),
        30,
        what="fulfilment orders read",
    )
    time.sleep(1.0)  # FulfillmentCreate is now sleeping in the simulator
    odoo.kill()
    sim.clear_faults()
    # the runner requeues a dead job 10 s after it was enqueued
    odoo.restart_after_kill([job])
    wait_until(
        lambda: odoo.call(
            "queue.job",
            "search_read",
            [("uuid", "=", job["uuid"]), ("state", "=", "done")],
            fields=["retry"],
        ),
        90,
        what="interrupted fulfilment job done",
    )
    fulfilments = sim.fulfillments(order.id)
    assert [f["lines"] for f in fulfilments] == [{MUG: 3}]
    assert fulfilments[0]["tracking"]["number"] == "1ZPARTIAL"
    assert fulfilments[0]["location"] == TX
    state = odoo.call(
        "stock.picking", "read", [picking], ["shopify_fulfillment_state"]
    )[0]
    assert state["shopify_fulfillment_state"] == "sent"
    # the backorder ships the last unit, with its own tracking number
    backorder = next(p for p in sale_order(odoo, order)["picking_ids"] if p != picking)
    validate(odoo, backorder, 1, "1ZBACKORDER")
    wait_until(
        lambda: len(sim.fulfillments(order.id)) == 2,
        60,
        what="backorder fulfilled",
    )
    fulfilments = sim.fulfillments(order.id)
    assert [f["lines"] for f in fulfilments] == [{MUG: 3}, {MUG: 1}]
    assert fulfilments[1]["tracking"]["number"] == "1ZBACKORDER"
    assert [fo["status"] for fo in sim.fulfillment_orders(order.id)] == ["CLOSED"]
    # pushes killed in flight converge: a write that landed before the kill
    # is recognised, and a hold no order explains is released by a poll
    wait_until(
        lambda: levels_agree(odoo, sim, setup, MUG),
        150,
        what="levels converged after the kill",
        explain=explain(odoo, sim, setup, MUG),
    )


def line_quantity(odoo, order):
    so = sale_order(odoo, order)
    lines = odoo.call(
        "sale.order.line",
        "search_read",
        [("order_id", "=", so["id"])],
        fields=["product_uom_qty"],
    )
    return sum(line["product_uom_qty"] for line in lines)


def test_edit_before_shipment_lowers_reservation_and_push(odoo, sim, setup):
    order = sim.create_order(
        DOMAIN, [(TEE, 3)], shipping_address=TX_ADDRESS, location=TX
    )
    wait_until(lambda: line_quantity(odoo, order) == 3, 60, what="imported")
    wait_until(
        lambda: levels_agree(odoo, sim, setup, TEE),
        60,
        what="levels agree after the order",
        explain=explain(odoo, sim, setup, TEE),
    )
    before = free(odoo, setup, TEE, TX)
    time.sleep(1.1)  # Shopify's triggered-at has second precision
    sim.edit_order(order.id, {TEE: 1})
    wait_until(lambda: line_quantity(odoo, order) == 1, 60, what="line lowered")
    assert free(odoo, setup, TEE, TX) == before + 2  # reservation lowered
    wait_until(
        lambda: level(sim, TEE, TX)["available"] == before + 2,
        60,
        what="pushed figure raised",
        explain=explain(odoo, sim, setup, TEE),
    )
    wait_until(
        lambda: levels_agree(odoo, sim, setup, TEE),
        60,
        what="levels agree after the edit",
        explain=explain(odoo, sim, setup, TEE),
    )
    # an orders/updated triggered before the edit, delivered after it
    create = next(
        d
        for d in sim.deliveries()
        if d["topic"] == "ORDERS_CREATE" and d["payload"]["id"] == order.number
    )
    body = json.dumps(create["payload"]).encode()
    headers = dict(
        create["headers"],
        **{
            "X-Shopify-Topic": "orders/updated",
            "X-Shopify-Event-Id": "late-" + create["event_id"],
            "X-Shopify-Hmac-Sha256": sign(SECRET, body),
        },
    )
    response = requests.post(
        f"{odoo.url}/synco_shopify/webhook/{setup['shop']}",
        data=body,
        headers=headers,
        timeout=10,
    )
    assert response.status_code == 200
    event = wait_until(
        lambda: odoo.call(
            "shopify.webhook.event",
            "search_read",
            [
                ("event_id", "=", headers["X-Shopify-Event-Id"]),
                ("state", "!=", "received"),
            ],
            fields=["state", "result"],
        ),
        60,
        what="late event processed",
    )[0]
    assert "not applied" in event["result"]
    assert line_quantity(odoo, order) == 1  # not rolled back to 3


def test_deleted_subscription_recreated_by_watchdog(odoo, sim, setup):
    assert sim.wait_for_deliveries(30)
    assert sim.delete_webhook_subscriptions(DOMAIN, "ORDERS_CREATE") == 1

    def topics():
        return {w.topic for w in sim.shop(DOMAIN).webhooks.values()}

    assert "ORDERS_CREATE" not in topics()
    run_cron(odoo, "synco_shopify.ir_cron_webhook_watchdog")
    wait_until(lambda: "ORDERS_CREATE" in topics(), 60, what="subscription re-created")

    def messages():
        return odoo.call(
            "mail.message",
            "search_read",
            [("model", "=", "shopify.shop"), ("res_id", "=", setup["shop"])],
            fields=["body"],
        )

    # the job posts it in the transaction that re-created the subscription
    wait_until(
        lambda: any("orders/create" in m["body"] for m in messages()),
        60,
        what="the shop told of it",
    )
    # and orders arrive by webhook again
    order = sim.create_order(
        DOMAIN, [(TEE, 1)], shipping_address=TX_ADDRESS, location=TX
    )
    wait_until(lambda: line_quantity(odoo, order) == 1, 60, what="imported")


def test_rotated_secret_accepted_during_grace(odoo, sim, setup):
    odoo.call(
        "shopify.shop", "write", [setup["shop"]], {"webhook_secret": "rotated-secret"}
    )
    # Shopify still signs with the old secret for a while
    order = sim.create_order(
        DOMAIN, [(MUG, 1)], shipping_address=TX_ADDRESS, location=TX
    )
    wait_until(lambda: line_quantity(odoo, order) == 1, 60, what="imported")
    shop = odoo.call(
        "shopify.shop",
        "read",
        [setup["shop"]],
        ["webhook_previous_secret_hits", "webhook_secret_previous_until"],
    )[0]
    assert shop["webhook_previous_secret_hits"] >= 1
    assert shop["webhook_secret_previous_until"]


def test_no_fulfilment_job_failed(odoo, sim, setup):
    wait_until(
        lambda: all(j["state"] == "done" for j in fulfil_jobs(odoo)),
        60,
        what="every fulfilment job done",
    )
    assert sum(len(sim.fulfillments(o)) for o in sim.shop(DOMAIN).orders) == 3
