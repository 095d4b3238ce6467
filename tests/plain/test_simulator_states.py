"""Shopify's inventory states in the simulator and the client (issue 22).

The simulator keeps on_hand, committed and the unavailable states per level
as Shopify does, and refuses what Shopify refuses on
``inventoryAdjustQuantities`` / ``inventoryMoveQuantities``: a ledger
document missing or of the ``gid://shopify/`` form, one on ``available``,
names that can't be changed.  The client's ``set_states`` writes them
compare-and-set, and resends from what Shopify holds after a stale answer.
"""

import uuid

import pytest

from odoo.addons.synco_shopify.lib.shopify import (
    ShopifyClient,
    StateTarget,
    documents,
)

import tests.conftest  # noqa: F401  (the addon path)
from tests.shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator

TEE = "SYN-TEE-BLK-M"
NJ = "New Jersey Warehouse"
LEDGER = "https://odoo.example.com/odoo/shopify.location.mapping/1#quality_control"
REF = "https://odoo.example.com/odoo/shopify.product.binding/1"


@pytest.fixture(scope="module")
def sim():
    simulator = Simulator(fixture="demo").start()
    yield simulator
    simulator.stop()


@pytest.fixture
def client(sim):
    sim.reset("demo")
    with ShopifyClient(DEMO_DOMAIN, DEMO_TOKEN, base_url=sim.base_url) as c:
        yield c


def gids(sim):
    with sim.lock:
        shop = sim.store.shop(DEMO_DOMAIN)
        item = shop.item_for(TEE)
        location = shop.location_named(NJ)
        return item.id, location.id


def adjust(client, name, changes, reason="quality_control"):
    data = client.execute(
        documents.INVENTORY_ADJUST_QUANTITIES,
        {
            "idempotencyKey": str(uuid.uuid4()),
            "input": {
                "name": name,
                "reason": reason,
                "referenceDocumentUri": REF,
                "changes": changes,
            },
        },
    ).data["inventoryAdjustQuantities"]
    return [e["code"] for e in data["userErrors"]]


def change(sim, delta, change_from, **extra):
    item, location = gids(sim)
    return {
        "inventoryItemId": item,
        "locationId": location,
        "delta": delta,
        "changeFromQuantity": change_from,
        **extra,
    }


def test_order_fulfilment_and_edit_move_the_states(sim, client):
    sim.set_available(DEMO_DOMAIN, TEE, NJ, 30)
    sim.create_order(DEMO_DOMAIN, [(TEE, 2)], location=NJ)  # available → committed
    assert sim.level(DEMO_DOMAIN, TEE, NJ) == {
        "available": 28,
        "committed": 2,
        "on_hand": 30,
    }
    sim.set_available(DEMO_DOMAIN, TEE, NJ, 25)  # an edit: on_hand follows
    assert sim.level(DEMO_DOMAIN, TEE, NJ) == {
        "available": 25,
        "committed": 2,
        "on_hand": 27,
    }
    item, location = gids(sim)
    read = client.read_available([item], [location])[item, location]
    assert (read, read.committed, read.on_hand) == (25, 2, 27)


def test_adjust_refuses_what_shopify_refuses(sim, client):
    sim.set_available(DEMO_DOMAIN, TEE, NJ, 30)
    assert adjust(client, "quality_control", [change(sim, 5, 0)]) == [
        "INVALID_QUANTITY_DOCUMENT"
    ]
    bad = "gid://shopify/InventoryAdjustmentGroup/1"
    assert adjust(
        client, "quality_control", [change(sim, 5, 0, ledgerDocumentUri=bad)]
    ) == ["INTERNAL_LEDGER_DOCUMENT"]
    assert adjust(
        client, "available", [change(sim, 5, 30, ledgerDocumentUri=LEDGER)]
    ) == ["INVALID_AVAILABLE_DOCUMENT"]
    assert adjust(
        client, "committed", [change(sim, 5, 0, ledgerDocumentUri=LEDGER)]
    ) == ["INVALID_QUANTITY_NAME"]
    assert adjust(
        client, "quality_control", [change(sim, 5, 3, ledgerDocumentUri=LEDGER)]
    ) == ["CHANGE_FROM_QUANTITY_STALE"]
    # nothing was applied by the refused calls
    assert sim.level(DEMO_DOMAIN, TEE, NJ) == {
        "available": 30,
        "committed": 0,
        "on_hand": 30,
    }
    # accepted: quality_control and on_hand grow, available stays
    assert (
        adjust(client, "quality_control", [change(sim, 5, 0, ledgerDocumentUri=LEDGER)])
        == []
    )
    assert sim.level(DEMO_DOMAIN, TEE, NJ) == {
        "available": 30,
        "committed": 0,
        "on_hand": 35,
        "quality_control": 5,
    }


def test_change_from_quantity_is_mandatory(sim, client):
    item, location = gids(sim)
    with pytest.raises(Exception, match="changeFromQuantity is required"):
        adjust(
            client,
            "safety_stock",
            [
                {
                    "inventoryItemId": item,
                    "locationId": location,
                    "delta": 1,
                    "ledgerDocumentUri": LEDGER,
                }
            ],
        )


def test_set_states_resends_from_what_shopify_holds(sim, client):
    sim.set_available(DEMO_DOMAIN, TEE, NJ, 30)
    item, location = gids(sim)
    # the merchant put 4 units in quality control themselves
    sim.move_states(DEMO_DOMAIN, TEE, NJ, "available", "quality_control", 4)
    outcomes = client.set_states(
        [
            StateTarget(item, location, "quality_control", 25, 0, LEDGER),
            StateTarget(item, location, "safety_stock", 10, 0, LEDGER + "x"),
        ],
        reference_uri=REF,
    )
    assert [(o.ok, o.quantity) for o in outcomes] == [(True, 25), (True, 10)]
    assert sim.level(DEMO_DOMAIN, TEE, NJ) == {
        "available": 26,
        "committed": 0,
        "on_hand": 61,
        "quality_control": 25,
        "safety_stock": 10,
    }
    with pytest.raises(ValueError, match="gid"):
        client.set_states(
            [StateTarget(item, location, "damaged", 1, 0, "gid://shopify/X/1")],
            reference_uri=REF,
        )


def test_move_between_states_keeps_on_hand(sim, client):
    sim.set_available(DEMO_DOMAIN, TEE, NJ, 30)
    item, location = gids(sim)
    data = client.execute(
        """
        mutation Move($input: InventoryMoveQuantitiesInput!, $key: String!) {
          inventoryMoveQuantities(input: $input) @idempotent(key: $key) {
            userErrors { code }
          }
        }
        """,
        {
            "key": str(uuid.uuid4()),
            "input": {
                "reason": "quality_control",
                "referenceDocumentUri": REF,
                "changes": [
                    {
                        "inventoryItemId": item,
                        "quantity": 5,
                        "from": {
                            "locationId": location,
                            "name": "available",
                            "changeFromQuantity": 30,
                        },
                        "to": {
                            "locationId": location,
                            "name": "quality_control",
                            "changeFromQuantity": 0,
                            "ledgerDocumentUri": LEDGER,
                        },
                    }
                ],
            },
        },
    ).data["inventoryMoveQuantities"]
    assert data["userErrors"] == []
    assert sim.level(DEMO_DOMAIN, TEE, NJ) == {
        "available": 25,
        "committed": 0,
        "on_hand": 30,
        "quality_control": 5,
    }
