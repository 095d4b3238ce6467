"""The simulator's fulfilment orders, moves, fulfilments, edits and the
removal of failing webhook subscriptions, through the real client."""

import socket

import pytest
import requests

from odoo.addons.synco_shopify.lib.shopify import ShopifyClient, ShopifyUserErrors

from tests.shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator

TEE = "SYN-TEE-BLK-M"
NJ, TX, UK = "New Jersey Warehouse", "Texas Warehouse", "UK Warehouse"


@pytest.fixture(scope="module")
def sim():
    simulator = Simulator(fixture="demo").start()
    yield simulator
    simulator.stop()


@pytest.fixture
def client(sim):
    sim.reset("demo")
    with ShopifyClient(DEMO_DOMAIN, DEMO_TOKEN, base_url=sim.base_url) as client:
        yield client


def level(sim, location):
    return sim.level(DEMO_DOMAIN, TEE, location)


def location_gid(sim, name):
    return sim.shop(DEMO_DOMAIN).location_named(name).id


def test_assigned_location_and_move_carry_committed_units(sim, client):
    order = sim.create_order(DEMO_DOMAIN, [(TEE, 3)], location=NJ)
    data = client.fulfillment_orders(order.id)
    (fo,) = data["fulfillment_orders"]
    assert fo["location_gid"] == location_gid(sim, NJ)
    assert fo["status"] == "OPEN"
    assert [(line["total"], line["remaining"]) for line in fo["lines"]] == [(3, 3)]
    nj, tx = level(sim, NJ), level(sim, TX)
    moved = client.move_fulfillment_order(fo["id"], location_gid(sim, TX))
    assert moved == {
        "id": fo["id"],
        "status": "OPEN",
        "location_gid": location_gid(sim, TX),
    }
    assert level(sim, NJ) == {
        "available": nj["available"] + 3,
        "committed": 0,
        "on_hand": nj["on_hand"],
    }
    assert level(sim, TX) == {
        "available": tx["available"] - 3,
        "committed": 3,
        "on_hand": tx["on_hand"],
    }
    # cancelling restocks where the units sit now
    sim.cancel_order(order.id)
    assert level(sim, TX) == tx


@pytest.mark.parametrize("refusal", ["not_stocked", "offline", "progress", "same"])
def test_move_refusals_change_nothing(sim, client, refusal):
    order = sim.create_order(DEMO_DOMAIN, [(TEE, 2)], location=NJ)
    fo = client.fulfillment_orders(order.id)["fulfillment_orders"][0]
    target = TX
    with sim.lock:
        shop = sim.shop(DEMO_DOMAIN)
        if refusal == "not_stocked":
            item = shop.item_for(TEE)
            location = shop.location_named(TX)
            item.levels.pop(location.number)
            location.levels.pop(item.number)
        elif refusal == "offline":
            shop.location_named(UK).fulfills_online_orders = False
            target = UK
        elif refusal == "same":
            target = NJ
    if refusal == "progress":
        sim.report_progress(fo["id"])
    before = level(sim, NJ)
    with pytest.raises(ShopifyUserErrors) as caught:
        client.move_fulfillment_order(fo["id"], location_gid(sim, target))
    if refusal == "progress":
        assert caught.value.user_errors[0].code == (
            "CANNOT_MOVE_FULFILLMENT_ORDER_WITH_REPORTED_PROGRESS"
        )
    assert level(sim, NJ) == before
    assert sim.fulfillment_orders(order.id)[0]["location"] == NJ


def test_partial_fulfilments_with_tracking(sim, client):
    order = sim.create_order(DEMO_DOMAIN, [(TEE, 3)], location=TX)
    before = level(sim, TX)
    fo = client.fulfillment_orders(order.id)["fulfillment_orders"][0]
    line = fo["lines"][0]["id"]
    created = client.create_fulfillment(
        {fo["id"]: [(line, 2)]},
        tracking={"company": "UPS", "number": "1Z1", "url": "https://ups.test/1Z1"},
        notify_customer=True,
    )
    assert created["total_quantity"] == 2
    assert level(sim, TX) == {
        "available": before["available"],
        "committed": 1,
        "on_hand": before["on_hand"] - 2,
    }
    data = client.fulfillment_orders(order.id)
    assert data["fulfillment_orders"][0]["status"] == "IN_PROGRESS"
    assert data["line_items"][fo["lines"][0]["line_item_gid"]]["fulfilled"] == 2
    # more than remains is refused, and changes nothing
    with pytest.raises(ShopifyUserErrors):
        client.create_fulfillment({fo["id"]: [(line, 2)]})
    client.create_fulfillment({fo["id"]: [(line, 1)]})
    fulfilments = sim.fulfillments(order.id)
    assert [f["lines"] for f in fulfilments] == [{TEE: 2}, {TEE: 1}]
    assert fulfilments[0]["tracking"]["number"] == "1Z1"
    assert fulfilments[0]["notify_customer"] is True
    assert sim.fulfillment_orders(order.id)[0]["status"] == "CLOSED"
    # a closed fulfilment order can't move any more
    with pytest.raises(ShopifyUserErrors):
        client.move_fulfillment_order(fo["id"], location_gid(sim, NJ))


def test_edit_restocks_unshipped_units(sim, client):
    order = sim.create_order(DEMO_DOMAIN, [(TEE, 3)], location=TX)
    before = level(sim, TX)
    sim.edit_order(order.id, {TEE: 1})
    assert level(sim, TX)["committed"] == before["committed"] - 2
    data = client.fulfillment_orders(order.id)
    assert list(data["line_items"].values()) == [
        {"quantity": 3, "current": 1, "fulfilled": 0}
    ]


def test_failing_subscription_removed(sim, client):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
    client.create_webhook("orders/create", dead)
    original = sim.webhooks.retry_schedule
    sim.webhooks.retry_schedule = (0.01,)
    try:
        for _ in range(3):
            sim.create_order(DEMO_DOMAIN, [(TEE, 1)], location=TX)
        assert sim.wait_for_deliveries(30)
    finally:
        sim.webhooks.retry_schedule = original
    assert client.list_webhooks() == []


def test_refused_request_logged_with_its_operation_name(sim, client):
    sim.clear_log()
    response = requests.post(
        sim.graphql_url("2026-07"),
        json={"query": "query NoSuchField { shop { noSuchField } }"},
        headers={"X-Shopify-Access-Token": DEMO_TOKEN},
        timeout=10,
    )
    assert response.json()["errors"]
    (entry,) = sim.log
    assert entry["operation_name"] == "NoSuchField"
    assert entry["errors"] == 1
    assert entry["requested_cost"] is None
