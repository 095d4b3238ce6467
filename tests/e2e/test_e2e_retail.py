"""End to end: the retail store that shares its stock online (issue 25).

A real Odoo server (prefork workers, the job runner) and the simulator: a
shop with a New Jersey warehouse and a Brooklyn store, each mapped one-to-one
to an Odoo warehouse; the store's shop floor and back room are counted, its
window display is not.  A counter sale (Shopify POS) is done at once from the
store and sends no fulfilment; counter refunds with restock put units back,
without restock nothing; a pickup at the store is served by the store
whatever the customer's address, and is marked ready for pickup, then
fulfilled; a counter sale beyond Odoo's store stock opens an alert.
"""

import pytest

from ..support.e2e_stack import (
    NJ,
    NJ_ADDRESS,
    address,
    connect_shop,
    count,
    create_products,
    create_warehouses,
    drain,
    push_all,
    route_rule,
    run_cron,
    shop_values,
    stack_fixtures,
)
from ..support.odoo_server import wait_until

pytestmark = pytest.mark.server

DOMAIN = "synco-retail.myshopify.com"
TOKEN = "shpat_synco_retail"
SECRET = "synco-retail-webhook-secret"
STORE = "Brooklyn Store"
TEE, CAP = "RET-TEE", "RET-CAP"
LOCATIONS = [
    (3601, NJ, address("Elizabeth", "US", "07001", "NJ")),
    (3606, STORE, address("Brooklyn", "US", "11201", "NY")),
]


sim, odoo = stack_fixtures(
    "retail",
    DOMAIN,
    TOKEN,
    SECRET,
    "Synco Retail",
    LOCATIONS,
    products=((TEE, "24.00"), (CAP, "19.00")),
    stock={NJ: 50, STORE: 50},
)


@pytest.fixture(scope="module")
def setup(odoo, sim):
    """NJ and the store's warehouse (floor, back room, display), a shop."""
    products = create_products(odoo, (TEE, CAP))
    warehouses, stock = create_warehouses(odoo, {NJ: "RNJ", STORE: "RST"}, "Retail")
    zones = {
        name: odoo.call(
            "stock.location",
            "create",
            {"name": name, "usage": "internal", "location_id": stock[STORE]},
        )
        for name in ("Shop Floor", "Back Room", "Display")
    }
    zone_stock = {NJ: stock[NJ], **zones}
    count(
        odoo,
        products,
        zone_stock,
        {
            (TEE, NJ): 20,
            (CAP, NJ): 20,
            (TEE, "Shop Floor"): 6,
            (TEE, "Back Room"): 4,
            (TEE, "Display"): 3,
            (CAP, "Shop Floor"): 2,
            (CAP, "Display"): 5,
        },
    )
    us = odoo.ref("base.us")
    shop, locations = connect_shop(
        odoo,
        sim,
        shop_values(
            "Retail E2E",
            DOMAIN,
            TOKEN,
            SECRET,
            default_warehouse_id=warehouses[NJ],
            order_route_ids=[
                route_rule("New Jersey", us, warehouses[NJ], zip_ranges="07000-08999")
            ],
        ),
        stock,
        excluded={STORE: [zones["Display"]]},
    )
    odoo.call("shopify.location", "write", [locations[STORE]], {"retail_store": True})
    push_all(
        odoo,
        sim,
        DOMAIN,
        shop,
        {(TEE, NJ): 20, (CAP, NJ): 20, (TEE, STORE): 10, (CAP, STORE): 2},
    )
    return {
        "shop": shop,
        "products": products,
        "warehouses": warehouses,
        "stock": stock,
        "zones": zones,
        "locations": locations,
    }


def level(sim, sku, location):
    return sim.level(DOMAIN, sku, location)["available"]


def quants(odoo, setup, sku, location):
    return odoo.call(
        "stock.quant",
        "search_read",
        [
            ("product_id", "=", setup["products"][sku]),
            ("location_id", "child_of", location),
        ],
        fields=["quantity", "reserved_quantity", "location_id"],
    )


def store_stock(odoo, setup, sku):
    """(on hand, free) of the store's counted stock (the display left out)."""
    display = setup["zones"]["Display"]
    rows = [
        q
        for q in quants(odoo, setup, sku, setup["stock"][STORE])
        if q["location_id"][0] != display
    ]
    on_hand = sum(q["quantity"] for q in rows)
    return on_hand, on_hand - sum(q["reserved_quantity"] for q in rows)


def store_figure(odoo, setup, sku):
    """What Odoo offers at the store: its free counted stock, never below 0."""
    return max(0, int(store_stock(odoo, setup, sku)[1]))


def nj_reserved(odoo, setup, sku):
    return sum(
        q["reserved_quantity"] for q in quants(odoo, setup, sku, setup["stock"][NJ])
    )


def sale_orders(odoo, order):
    return odoo.call(
        "sale.order",
        "search_read",
        [("shopify_order_gid", "=", order.id)],
        fields=[
            "state",
            "shopify_state",
            "warehouse_id",
            "shopify_delivery_method",
            "picking_ids",
            "shopify_message",
        ],
    )


def imported(odoo, order):
    return wait_until(
        lambda: [
            so for so in sale_orders(odoo, order) if so["shopify_state"] == "imported"
        ],
        60,
        what=f"order {order.name} imported",
    )


def pickings(odoo, ids):
    return odoo.call(
        "stock.picking",
        "read",
        ids,
        [
            "state",
            "location_id",
            "location_dest_id",
            "move_ids",
            "shopify_fulfillment_state",
        ],
    )


def figures_agree(odoo, sim, setup, sku):
    return level(sim, sku, STORE) == store_figure(odoo, setup, sku)


def explain_figures(odoo, sim, setup, sku):
    return lambda: {
        "shopify": level(sim, sku, STORE),
        "odoo": store_stock(odoo, setup, sku),
        "jobs": odoo.call(
            "queue.job",
            "search_read",
            [("state", "not in", ("done",))],
            fields=["method_name", "state", "exc_info"],
        ),
    }


def updates_processed(odoo):
    return odoo.call(
        "shopify.webhook.event",
        "search_count",
        [("topic", "=", "orders/updated"), ("state", "=", "processed")],
    )


def test_counter_sale_is_delivered_from_the_store_at_once(odoo, sim, setup):
    nj_before = (nj_reserved(odoo, setup, TEE), level(sim, TEE, NJ))
    order = sim.sell_at_counter(DOMAIN, [(TEE, 2)], STORE)
    [so] = imported(odoo, order)
    assert so["warehouse_id"][0] == setup["warehouses"][STORE]
    assert so["shopify_delivery_method"] == "retail"
    [picking] = pickings(odoo, so["picking_ids"])
    assert picking["state"] == "done"
    assert picking["shopify_fulfillment_state"] == "nothing"
    moves = odoo.call("stock.move", "read", picking["move_ids"], ["quantity", "state"])
    assert [(m["quantity"], m["state"]) for m in moves] == [(2, "done")]
    lines = odoo.call(
        "stock.move.line",
        "search_read",
        [("move_id", "in", picking["move_ids"])],
        fields=["location_id", "quantity"],
    )
    # from the counted zones: the display is left alone
    assert setup["zones"]["Display"] not in {ml["location_id"][0] for ml in lines}
    assert store_stock(odoo, setup, TEE) == (8, 8)
    wait_until(
        lambda: figures_agree(odoo, sim, setup, TEE),
        30,
        what="Shopify's store level equals Odoo's figure",
        explain=explain_figures(odoo, sim, setup, TEE),
    )
    drain(odoo)
    assert level(sim, TEE, STORE) == store_figure(odoo, setup, TEE) == 8
    assert (nj_reserved(odoo, setup, TEE), level(sim, TEE, NJ)) == nj_before
    # Shopify POS fulfilled it; Odoo sent nothing
    assert len(sim.fulfillments(order.id)) == 1
    assert not [e for e in sim.log if e.get("operation_name") == "FulfillmentCreate"]
    assert len(sale_orders(odoo, order)) == 1


def test_counter_refunds_with_and_without_restock(odoo, sim, setup):
    order = sim.sell_at_counter(DOMAIN, [(TEE, 2)], STORE)
    imported(odoo, order)
    drain(odoo)
    wait_until(lambda: figures_agree(odoo, sim, setup, TEE), 30, what="agree")
    on_hand, _free = store_stock(odoo, setup, TEE)
    shopify = level(sim, TEE, STORE)
    seen = updates_processed(odoo)
    sim.refund(order.id, {TEE: 1}, restock=True)
    wait_until(
        lambda: store_stock(odoo, setup, TEE)[0] == on_hand + 1,
        60,
        what="the returned unit back in the store",
        explain=explain_figures(odoo, sim, setup, TEE),
    )
    assert level(sim, TEE, STORE) == shopify + 1
    wait_until(
        lambda: figures_agree(odoo, sim, setup, TEE),
        30,
        what="agree after the return",
        explain=explain_figures(odoo, sim, setup, TEE),
    )
    assert store_figure(odoo, setup, TEE) == shopify + 1
    seen = wait_until(
        lambda: updates_processed(odoo) > seen and updates_processed(odoo),
        60,
        what="the refund's orders/updated processed",
    )
    # without restock: money back, no stock moves on either side
    sim.refund(order.id, {TEE: 1}, restock=False)
    wait_until(
        lambda: updates_processed(odoo) > seen,
        60,
        what="the second refund's orders/updated processed",
    )
    drain(odoo)
    assert store_stock(odoo, setup, TEE)[0] == on_hand + 1
    assert level(sim, TEE, STORE) == shopify + 1 == store_figure(odoo, setup, TEE)
    # a redelivery of the same data returns nothing twice
    run_cron(odoo, "synco_shopify.ir_cron_poll_orders")
    drain(odoo)
    assert store_stock(odoo, setup, TEE)[0] == on_hand + 1


def test_pickup_at_the_store_is_served_by_the_store(odoo, sim, setup):
    nj_before = nj_reserved(odoo, setup, CAP)
    order = sim.create_order(
        DOMAIN,
        [(CAP, 1)],
        shipping_address=NJ_ADDRESS,
        location=STORE,
        delivery_method="PICK_UP",
    )
    [so] = imported(odoo, order)
    assert so["warehouse_id"][0] == setup["warehouses"][STORE]
    assert so["shopify_delivery_method"] == "pick_up"
    assert nj_reserved(odoo, setup, CAP) == nj_before
    # the customer collects it: ready for pickup, then fulfilled
    [picking] = pickings(odoo, so["picking_ids"])
    odoo.call(
        "stock.move", "write", picking["move_ids"], {"quantity": 1, "picked": True}
    )
    odoo.call("stock.picking", "button_validate", [picking["id"]])
    wait_until(lambda: len(sim.fulfillments(order.id)) == 1, 60, what="fulfilled")
    prepared = [
        i
        for i, e in enumerate(sim.log)
        if e.get("operation_name") == "FulfillmentOrderLineItemsPreparedForPickup"
    ]
    created = [
        i
        for i, e in enumerate(sim.log)
        if e.get("operation_name") == "FulfillmentCreate"
    ]
    assert prepared and created and prepared[0] < created[0]
    assert sim.fulfillments(order.id)[0]["location"] == STORE


def test_counter_sale_beyond_odoo_stock_opens_an_alert(odoo, sim, setup):
    _on_hand, free = store_stock(odoo, setup, CAP)
    sold = int(free) + 3
    order = sim.sell_at_counter(DOMAIN, [(CAP, sold)], STORE)
    [so] = imported(odoo, order)
    [picking] = pickings(odoo, so["picking_ids"])
    assert picking["state"] == "done"
    alerts = wait_until(
        lambda: odoo.call(
            "shopify.alert",
            "search_read",
            [("kind", "=", "counter_oversold"), ("state", "=", "open")],
            fields=["product_id", "shopify_location_id", "message"],
        ),
        30,
        what="counter oversold alert",
    )
    assert alerts[0]["product_id"][0] == setup["products"][CAP]
    assert alerts[0]["shopify_location_id"][0] == setup["locations"][STORE]
    # the display was not touched: its 5 caps are still there
    display = quants(odoo, setup, CAP, setup["zones"]["Display"])
    assert sum(q["quantity"] for q in display) == 5
    wait_until(
        lambda: figures_agree(odoo, sim, setup, CAP),
        30,
        what="figures agree after the oversold counter sale",
        explain=explain_figures(odoo, sim, setup, CAP),
    )
    drain(odoo)
    assert level(sim, CAP, STORE) == store_figure(odoo, setup, CAP) == 0
