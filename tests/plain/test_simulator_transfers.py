"""Inventory transfers and shipments in the simulator and the client (issue 22).

The simulator follows what Shopify documents for each step (ready to ship
reserves at the origin, a shipment in transit shows incoming at the
destination and leaves the origin, an accepted receipt adds to available, a
rejected one does not), with the userErrors Shopify names.  The client's
path for Odoo stock in transit (a transfer without origin, a shipment
created in transit, receipts rejected) moves ``incoming`` and nothing else.
"""

import json
import uuid

import pytest

from odoo.addons.synco_shopify.lib.shopify import ShopifyClient, documents
from odoo.addons.synco_shopify.lib.shopify.errors import ShopifyQueryError

import tests.conftest  # noqa: F401  (the addon path)
from tests.shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator

TEE = "SYN-TEE-BLK-M"
NJ = "New Jersey Warehouse"
TX = "Texas Warehouse"

TRANSFER_FULL = """
mutation Create($input: InventoryTransferCreateInput!, $key: String!) {
  inventoryTransferCreate(input: $input) @idempotent(key: $key) {
    inventoryTransfer { id status totalQuantity
      lineItems(first: 5) { nodes { shippableQuantity shippedQuantity } } }
    userErrors { code field message }
  }
}
mutation Ready($id: ID!) {
  inventoryTransferMarkAsReadyToShip(id: $id) {
    inventoryTransfer { id status }
    userErrors { code field message }
  }
}
mutation Cancel($id: ID!) {
  inventoryTransferCancel(id: $id) {
    inventoryTransfer { id status }
    userErrors { code field message }
  }
}
mutation Ship($input: InventoryShipmentCreateInput!, $key: String!) {
  inventoryShipmentCreateInTransit(input: $input) @idempotent(key: $key) {
    inventoryShipment { id status lineItems(first: 5) { nodes { id } } }
    userErrors { code field message }
  }
}
mutation DeleteShipment($id: ID!) {
  inventoryShipmentDelete(id: $id) { id userErrors { code field message } }
}
mutation Receive($id: ID!, $lines: [InventoryShipmentReceiveItemInput!],
                 $key: String!) {
  inventoryShipmentReceive(id: $id, lineItems: $lines) @idempotent(key: $key) {
    inventoryShipment { id status totalAcceptedQuantity totalRejectedQuantity }
    userErrors { code field message }
  }
}
query Transfer($id: ID!) { inventoryTransfer(id: $id) { status receivedQuantity
  origin { name } destination { name } } }
"""


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


def ids(sim):
    with sim.lock:
        shop = sim.store.shop(DEMO_DOMAIN)
        return (
            shop.item_for(TEE).id,
            shop.location_named(NJ).id,
            shop.location_named(TX).id,
        )


def run(client, operation, **variables):
    """One operation of TRANSFER_FULL (mutations that take a key get a fresh
    one), through the client's transport."""
    if "key" not in variables and operation in ("Create", "Ship", "Receive"):
        variables["key"] = str(uuid.uuid4())
    body = json.dumps(
        {"query": TRANSFER_FULL, "operationName": operation, "variables": variables}
    )
    return client._send(operation, body, None).data


def payload(data):
    (value,) = data.values()
    return value


def test_each_step_moves_the_states_shopify_documents(sim, client):
    item, nj, tx = ids(sim)
    sim.set_available(DEMO_DOMAIN, TEE, NJ, 30)
    sim.set_available(DEMO_DOMAIN, TEE, TX, 4)
    created = payload(
        run(
            client,
            "Create",
            input={
                "originLocationId": nj,
                "destinationLocationId": tx,
                "lineItems": [{"inventoryItemId": item, "quantity": 5}],
            },
        )
    )
    transfer = created["inventoryTransfer"]
    assert (transfer["status"], transfer["totalQuantity"]) == ("DRAFT", 5)
    # a draft reserves nothing
    assert sim.level(DEMO_DOMAIN, TEE, NJ) == {
        "available": 30,
        "committed": 0,
        "on_hand": 30,
    }
    # ready to ship: reserved at the origin, out of available
    ready = payload(run(client, "Ready", id=transfer["id"]))
    assert ready["inventoryTransfer"]["status"] == "READY_TO_SHIP"
    assert sim.level(DEMO_DOMAIN, TEE, NJ) == {
        "available": 25,
        "committed": 0,
        "on_hand": 30,
        "reserved": 5,
    }
    # shipped in transit: gone from the origin, incoming at the destination
    shipped = payload(
        run(
            client,
            "Ship",
            input={
                "movementId": transfer["id"],
                "lineItems": [{"inventoryItemId": item, "quantity": 5}],
            },
        )
    )
    shipment = shipped["inventoryShipment"]
    assert shipment["status"] == "IN_TRANSIT"
    assert sim.level(DEMO_DOMAIN, TEE, NJ) == {
        "available": 25,
        "committed": 0,
        "on_hand": 25,
    }
    assert sim.level(DEMO_DOMAIN, TEE, TX) == {
        "available": 4,
        "committed": 0,
        "on_hand": 4,
        "incoming": 5,
    }
    # an in-transit shipment can't be deleted, its transfer not cancelled
    deleted = payload(run(client, "DeleteShipment", id=shipment["id"]))
    assert [e["code"] for e in deleted["userErrors"]] == ["INVALID_SHIPMENT_STATUS"]
    cancelled = payload(run(client, "Cancel", id=transfer["id"]))
    assert [e["code"] for e in cancelled["userErrors"]] == ["SHIPMENT_EXISTS"]
    # 3 accepted add to available, 2 rejected don't; incoming 0 either way
    line = shipment["lineItems"]["nodes"][0]["id"]
    too_many = payload(
        run(
            client,
            "Receive",
            id=shipment["id"],
            lines=[{"shipmentLineItemId": line, "quantity": 6, "reason": "ACCEPTED"}],
        )
    )
    assert [e["code"] for e in too_many["userErrors"]] == ["INVALID_QUANTITY"]
    received = payload(
        run(
            client,
            "Receive",
            id=shipment["id"],
            lines=[
                {"shipmentLineItemId": line, "quantity": 3, "reason": "ACCEPTED"},
                {"shipmentLineItemId": line, "quantity": 2, "reason": "REJECTED"},
            ],
        )
    )["inventoryShipment"]
    assert (
        received["status"],
        received["totalAcceptedQuantity"],
        received["totalRejectedQuantity"],
    ) == ("RECEIVED", 3, 2)
    assert sim.level(DEMO_DOMAIN, TEE, TX) == {
        "available": 7,
        "committed": 0,
        "on_hand": 7,
    }
    read = payload(run(client, "Transfer", id=transfer["id"]))
    assert read == {
        "status": "TRANSFERRED",
        "receivedQuantity": 5,
        "origin": {"name": NJ},
        "destination": {"name": TX},
    }


def test_cancel_gives_the_reservation_back_and_refusals(sim, client):
    item, nj, tx = ids(sim)
    sim.set_available(DEMO_DOMAIN, TEE, NJ, 30)
    line = [{"inventoryItemId": item, "quantity": 8}]
    same = payload(
        run(
            client,
            "Create",
            input={
                "originLocationId": nj,
                "destinationLocationId": nj,
                "lineItems": line,
            },
        )
    )
    assert [e["code"] for e in same["userErrors"]] == [
        "TRANSFER_ORIGIN_CANNOT_BE_THE_SAME_AS_DESTINATION"
    ]
    bad = payload(
        run(
            client,
            "Create",
            input={
                "originLocationId": nj,
                "destinationLocationId": tx,
                "lineItems": [{"inventoryItemId": item, "quantity": 0}],
            },
        )
    )
    assert [e["code"] for e in bad["userErrors"]] == ["INVALID_QUANTITY"]
    transfer = payload(
        run(
            client,
            "Create",
            input={
                "originLocationId": nj,
                "destinationLocationId": tx,
                "lineItems": line,
            },
        )
    )["inventoryTransfer"]
    run(client, "Ready", id=transfer["id"])
    assert sim.level(DEMO_DOMAIN, TEE, NJ)["available"] == 22
    cancelled = payload(run(client, "Cancel", id=transfer["id"]))
    assert cancelled["inventoryTransfer"]["status"] == "CANCELED"
    assert sim.level(DEMO_DOMAIN, TEE, NJ) == {
        "available": 30,
        "committed": 0,
        "on_hand": 30,
    }
    again = payload(run(client, "Cancel", id=transfer["id"]))
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_TRANSFER_STATUS"]
    # more than the transfer holds can't be shipped
    fresh = payload(
        run(
            client,
            "Create",
            input={"destinationLocationId": tx, "lineItems": line},
        )
    )["inventoryTransfer"]
    over = payload(
        run(
            client,
            "Ship",
            input={
                "movementId": fresh["id"],
                "lineItems": [{"inventoryItemId": item, "quantity": 9}],
            },
        )
    )
    assert [e["code"] for e in over["userErrors"]] == ["INVALID_QUANTITY"]


def test_creation_needs_the_idempotent_directive(sim, client):
    item, _nj, tx = ids(sim)
    document = documents.INVENTORY_TRANSFER_CREATE.replace(
        " @idempotent(key: $idempotencyKey)", ""
    ).replace("\n  $idempotencyKey: String!", "")
    with pytest.raises(ShopifyQueryError, match="@idempotent directive is required"):
        client.execute(
            document,
            {
                "input": {
                    "destinationLocationId": tx,
                    "lineItems": [{"inventoryItemId": item, "quantity": 1}],
                }
            },
        )


def test_synco_path_moves_incoming_and_nothing_else(sim, client):
    """New Jersey -> Texas as Synco shows it: Odoo's figures are already in
    available at both ends; the transfer adds incoming at Texas only, and
    its rejected receipt takes it away without touching available."""
    item, _nj, tx = ids(sim)
    sim.set_available(DEMO_DOMAIN, TEE, NJ, 85)  # Odoo's NJ after shipping 5
    sim.set_available(DEMO_DOMAIN, TEE, TX, 20)
    before = sim.levels(DEMO_DOMAIN)
    transfer_id, shipment = client.ship_incoming(
        tx, {item: 5}, key="synco-test-1", reference_name="WH/IN/00001"
    )
    assert shipment.status == "IN_TRANSIT"
    assert shipment.unreceived() == {item: 5}
    after = sim.levels(DEMO_DOMAIN)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    assert changed == {
        (TEE, TX): {"available": 20, "committed": 0, "on_hand": 20, "incoming": 5}
    }
    # the same Odoo step sent again (a retry): Shopify's first answer back
    assert client.ship_incoming(
        tx, {item: 5}, key="synco-test-1", reference_name="WH/IN/00001"
    ) == (transfer_id, shipment)
    with sim.lock:
        assert len(sim.store.shop(DEMO_DOMAIN).transfers) == 1
    # received in Odoo (3, then the rest): rejected in Shopify
    shipment = client.reject_incoming(shipment, {item: 3}, key="synco-test-1")
    assert sim.level(DEMO_DOMAIN, TEE, TX)["incoming"] == 2
    read = client.read_shipment(shipment.id)
    assert (read.status, read.unreceived()) == ("PARTIALLY_RECEIVED", {item: 2})
    # more than is unreceived is capped, not refused
    read = client.reject_incoming(read, {item: 9}, key="synco-test-1")
    assert read.status == "RECEIVED"
    assert sim.level(DEMO_DOMAIN, TEE, TX) == {
        "available": 20,
        "committed": 0,
        "on_hand": 20,
    }
    assert sim.level(DEMO_DOMAIN, TEE, NJ)["available"] == 85
    with sim.lock:
        transfer = sim.store.shop(DEMO_DOMAIN).transfers[
            int(transfer_id.rsplit("/", 1)[1])
        ]
        assert (transfer.origin, transfer.status) == (None, "TRANSFERRED")


def test_an_answer_lost_after_shopify_applied_makes_no_second_transfer(sim, client):
    """Shopify creates the transfer, the answer is lost, the client sends the
    same bytes again: the same @idempotent key replays the first answer."""
    item, _nj, tx = ids(sim)
    sim.fail_next("drop_after_apply")
    transfer_id, shipment = client.ship_incoming(tx, {item: 3}, key="synco-test-2")
    with sim.lock:
        shop = sim.store.shop(DEMO_DOMAIN)
        assert [t.id for t in shop.transfers.values()] == [transfer_id]
        assert [s.id for s in shop.shipments.values()] == [shipment.id]
    assert sim.level(DEMO_DOMAIN, TEE, TX)["incoming"] == 3
    replays = [e for e in sim.log if e.get("idempotent_replay")]
    assert len(replays) == 1
