"""Behaviour of the Shopify simulator, driven over HTTP like a real client.

One simulator (demo fixture) serves the whole module and is reset before every
test; webhook deliveries go to a small local HTTP receiver.
"""

import base64
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.conftest import REPO_ROOT
from tests.shopify_simulator import (
    DEMO_DOMAIN,
    DEMO_TOKEN,
    DEMO_WEBHOOK_SECRET,
    Simulator,
)

DEMO = DEMO_DOMAIN
NJ = "gid://shopify/Location/1001"
TX = "gid://shopify/Location/1002"

SET_QUANTITIES = """
mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup {
      id reason referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id } }
    }
    userErrors { field message code }
  }
}"""

LEVEL = """
query Level($item: ID!, $location: ID!) {
  inventoryItem(id: $item) {
    sku
    inventoryLevel(locationId: $location) {
      id quantities(names: ["available", "committed", "on_hand"]) { name quantity }
    }
  }
}"""


@pytest.fixture(scope="module")
def sim():
    simulator = Simulator(fixture="demo").start()
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def fresh(sim):
    sim.reset("demo")
    sim.set_bucket(2000, 100)
    sim.set_webhook_retry((0.05, 0.1, 0.2), timeout=2)
    yield


def gql(sim, query, variables=None, version="2026-07", token=DEMO_TOKEN):
    response = requests.post(
        sim.graphql_url(version),
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": token},
        timeout=10,
    )
    return response


def data(sim, query, variables=None, **kwargs):
    body = gql(sim, query, variables, **kwargs).json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def item_id(sim, sku):
    return sim.shop(DEMO).item_for(sku).id


def quantity(sim, sku, location_gid, value, change_from):
    return {
        "inventoryItemId": item_id(sim, sku),
        "locationId": location_gid,
        "quantity": value,
        "changeFromQuantity": change_from,
    }


def set_quantities(sim, quantities, key=None, name="available", **kwargs):
    variables = {
        "key": key or str(uuid.uuid4()),
        "input": {
            "name": name,
            "reason": "correction",
            "referenceDocumentUri": "gid://synco/SyncRun/1",
            "quantities": quantities,
        },
    }
    return gql(sim, SET_QUANTITIES, variables, **kwargs)


# -- protocol --------------------------------------------------------------------------


def test_auth_versions_and_validation(sim):
    bad = gql(sim, "{ shop { name } }", token="shpat_wrong")
    assert bad.status_code == 401
    assert bad.json() == {
        "errors": "[API] Invalid API key or access token "
        "(unrecognized login or wrong password)"
    }
    assert gql(sim, "{ shop { name } }", version="2025-01").status_code == 404
    for version in ("2026-04", "2026-07"):
        shop = data(
            sim,
            "{ shop { name myshopifyDomain currencyCode ianaTimezone "
            "plan { displayName } } }",
            version=version,
        )["shop"]
        assert shop["name"] == "Synco Demo Store"
        assert shop["myshopifyDomain"] == DEMO
        assert (shop["currencyCode"], shop["ianaTimezone"]) == (
            "USD",
            "America/New_York",
        )
    invalid = gql(sim, "{ shop { name notAField } }")
    assert invalid.status_code == 200
    assert "notAField" in invalid.json()["errors"][0]["message"]
    assert "data" not in invalid.json()


def test_token_selects_the_shop(sim):
    other = sim.add_shop("other.myshopify.com", token="shpat_other")
    sim.add_location(other, "Only Depot")
    names = data(
        sim, "{ locations(first: 10) { nodes { name } } }", token="shpat_other"
    )["locations"]["nodes"]
    assert names == [{"name": "Only Depot"}]


def test_locations_pagination_and_addresses(sim):
    sim.add_location(DEMO, "Closed Store", is_active=False)
    query = """query($after: String, $inactive: Boolean) {
      locations(first: 2, after: $after, includeInactive: $inactive) {
        edges { cursor node { id name address { countryCode provinceCode zip } } }
        pageInfo { hasNextPage endCursor }
      }
    }"""
    seen, after = [], None
    while True:
        page = data(sim, query, {"after": after})["locations"]
        seen += [edge["node"] for edge in page["edges"]]
        assert len(page["edges"]) <= 2
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    names = [node["name"] for node in seen]
    assert names == sorted(names, key=str.lower)  # Shopify's default sortKey NAME
    assert "Closed Store" not in names and len(names) == 6
    nj = next(node for node in seen if node["id"] == NJ)
    assert nj["address"] == {"countryCode": "US", "provinceCode": "NJ", "zip": "07001"}
    everything = data(
        sim,
        "{ locations(first: 10, includeInactive: true) { nodes { name isActive } } }",
    )["locations"]["nodes"]
    assert {"name": "Closed Store", "isActive": False} in everything
    backwards = data(
        sim,
        """query($before: String) { locations(last: 2,
        before: $before, reverse: true) { nodes { name } pageInfo {
        hasNextPage hasPreviousPage } } }""",
        {"before": None},
    )["locations"]
    # reverse: true sorts by name descending; last: 2 takes its tail
    assert [n["name"] for n in backwards["nodes"]] == names[:2][::-1]
    assert backwards["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}
    wrong_sort = gql(
        sim,
        """query($after: String) { locations(first: 2, after: $after,
        sortKey: ID) { nodes { id } } }""",
        {"after": after},
    ).json()
    assert wrong_sort["errors"][0]["message"] == (
        "Invalid cursor for current pagination sort."
    )
    too_many = gql(sim, "{ locations(first: 251) { nodes { id } } }").json()
    assert "250" in too_many["errors"][0]["message"]
    unsized = gql(sim, "{ locations { nodes { id } } }").json()
    assert "first or last" in unsized["errors"][0]["message"]


def test_variants_by_sku_search_and_nodes(sim):
    query = """query($q: String!) { productVariants(first: 10, query: $q) {
      nodes { id sku title product { id title }
              inventoryItem { id tracked sku } } } }"""
    nodes = data(sim, query, {"q": 'sku:"SYN-TEE-BLK-S" OR sku:SYN-MUG-001'})[
        "productVariants"
    ]["nodes"]
    assert sorted(n["sku"] for n in nodes) == ["SYN-MUG-001", "SYN-TEE-BLK-S"]
    tee = next(n for n in nodes if n["sku"] == "SYN-TEE-BLK-S")
    assert tee["product"]["title"] == "Synco Tee Black"
    assert tee["inventoryItem"] == {
        "id": item_id(sim, "SYN-TEE-BLK-S"),
        "tracked": True,
        "sku": "SYN-TEE-BLK-S",
    }
    odd = 'ODD "QUOTED" \\ SKU:1 (X) OR'
    sim.add_product(DEMO, "Odd", [odd])
    escaped = odd.replace("\\", "\\\\").replace('"', '\\"')
    found = data(sim, query, {"q": f'sku:"{escaped}" OR sku:SYN-CAP-RED'})
    assert sorted(n["sku"] for n in found["productVariants"]["nodes"]) == [
        odd,
        "SYN-CAP-RED",
    ]
    items = data(
        sim, '{ inventoryItems(first: 5, query: "sku:SYN-CAP-RED") { nodes { sku } } }'
    )["inventoryItems"]["nodes"]
    assert items == [{"sku": "SYN-CAP-RED"}]
    nodes = data(
        sim,
        """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
        ... on Location { name } ... on InventoryItem { sku } } }""",
        {"ids": [NJ, item_id(sim, "SYN-CAP-RED"), "gid://shopify/Location/999999"]},
    )["nodes"]
    assert nodes[0] == {
        "__typename": "Location",
        "id": NJ,
        "name": "New Jersey Warehouse",
    }
    assert nodes[1]["sku"] == "SYN-CAP-RED" and nodes[2] is None


def test_inventory_item_levels_pagination(sim):
    query = """query($id: ID!, $after: String) { inventoryItem(id: $id) {
      inventoryLevels(first: 2, after: $after) {
        nodes { location { id } item { id } quantities(names: ["available"]) {
          name quantity } }
        pageInfo { hasNextPage endCursor } } } }"""
    item, after, locations = item_id(sim, "SYN-HOODIE-GRY"), None, []
    while True:
        page = data(sim, query, {"id": item, "after": after})["inventoryItem"][
            "inventoryLevels"
        ]
        for node in page["nodes"]:
            assert node["item"]["id"] == item
            assert node["quantities"] == [{"name": "available", "quantity": 50}]
            locations.append(node["location"]["id"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # the Brooklyn Store (1006) stocks the hoodie too
    assert locations == [f"gid://shopify/Location/{n}" for n in range(1001, 1007)]


# -- inventorySetQuantities ------------------------------------------------------------


def test_set_quantities_applies_and_reports_changes(sim):
    response = set_quantities(
        sim,
        [
            quantity(sim, "SYN-MUG-001", NJ, 12, 50),
            quantity(sim, "SYN-MUG-001", TX, 60, None),
        ],
    )
    payload = response.json()["data"]["inventorySetQuantities"]
    assert payload["userErrors"] == []
    group = payload["inventoryAdjustmentGroup"]
    assert group["id"].startswith("gid://shopify/InventoryAdjustmentGroup/")
    assert (group["reason"], group["referenceDocumentUri"]) == (
        "correction",
        "gid://synco/SyncRun/1",
    )
    available = [c for c in group["changes"] if c["name"] == "available"]
    assert [
        (c["delta"], c["quantityAfterChange"], c["location"]["id"]) for c in available
    ] == [(-38, 12, NJ), (10, 60, TX)]
    assert {c["name"] for c in group["changes"]} == {"available", "on_hand"}
    assert sim.level(DEMO, "SYN-MUG-001", "New Jersey Warehouse") == {
        "available": 12,
        "committed": 0,
        "on_hand": 12,
    }
    entry = sim.log[-1]
    assert entry["mutation"] and entry["quantities"] == 2
    assert entry["root_fields"] == ["inventorySetQuantities"]
    assert entry["idempotency_key"] and entry["requested_cost"] == 10


def test_stale_change_from_quantity_fails_the_whole_call(sim):
    quantities = [
        quantity(sim, sku, NJ, 5, 50)
        for sku in ("SYN-TEE-BLK-S", "SYN-TEE-BLK-M", "SYN-TEE-BLK-L")
    ]
    quantities.append(quantity(sim, "SYN-MUG-001", NJ, 5, 49))  # really 50
    payload = set_quantities(sim, quantities).json()["data"]["inventorySetQuantities"]
    assert payload["inventoryAdjustmentGroup"] is None
    assert payload["userErrors"] == [
        {
            "field": ["input", "quantities", "3", "changeFromQuantity"],
            "message": "The changeFromQuantity argument no longer matches the "
            "persisted quantity.",
            "code": "CHANGE_FROM_QUANTITY_STALE",
        }
    ]
    for sku in ("SYN-TEE-BLK-S", "SYN-TEE-BLK-M", "SYN-TEE-BLK-L", "SYN-MUG-001"):
        assert sim.level(DEMO, sku, "New Jersey Warehouse")["available"] == 50


def test_on_hand_compare_and_set(sim):
    sim.create_order(DEMO, [("SYN-CAP-RED", 3)], location="New Jersey Warehouse")
    stale = set_quantities(
        sim, [quantity(sim, "SYN-CAP-RED", NJ, 40, 47)], name="on_hand"
    ).json()["data"]["inventorySetQuantities"]
    assert stale["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    ok = set_quantities(
        sim, [quantity(sim, "SYN-CAP-RED", NJ, 40, 50)], name="on_hand"
    ).json()["data"]["inventorySetQuantities"]
    assert ok["userErrors"] == []
    assert sim.level(DEMO, "SYN-CAP-RED", "New Jersey Warehouse") == {
        "available": 37,
        "committed": 3,
        "on_hand": 40,
    }


def test_idempotent_replay_is_applied_once(sim):
    key = str(uuid.uuid4())
    first = set_quantities(
        sim, [quantity(sim, "SYN-SOCKS-3PK", TX, 10, None)], key=key
    ).json()
    sim.set_available(DEMO, "SYN-SOCKS-3PK", "Texas Warehouse", 3)  # merchant edit
    again = set_quantities(
        sim, [quantity(sim, "SYN-SOCKS-3PK", TX, 10, None)], key=key
    ).json()
    assert again["data"] == first["data"]
    assert sim.level(DEMO, "SYN-SOCKS-3PK", "Texas Warehouse")["available"] == 3
    assert sim.log[-1]["idempotency_key"] == key


def test_retry_while_first_attempt_in_flight(sim):
    key, quantities = str(uuid.uuid4()), [quantity(sim, "SYN-MUG-001", TX, 8, 50)]
    sim.set_faults(latency=0.4)
    first = {}
    worker = threading.Thread(
        target=lambda: first.update(set_quantities(sim, quantities, key=key).json())
    )
    worker.start()
    time.sleep(0.1)
    early = set_quantities(sim, quantities, key=key).json()
    worker.join()
    assert early["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == (
        "IDEMPOTENCY_CONCURRENT_REQUEST"
    )
    assert first["data"]["inventorySetQuantities"]["userErrors"] == []
    sim.clear_faults()
    later = set_quantities(sim, quantities, key=key).json()
    assert later["data"] == first["data"]  # replayed, not stale
    assert sim.level(DEMO, "SYN-MUG-001", "Texas Warehouse")["available"] == 8


def test_idempotency_key_reused_with_other_input(sim):
    key = str(uuid.uuid4())
    set_quantities(sim, [quantity(sim, "SYN-SOCKS-3PK", TX, 10, None)], key=key)
    other = set_quantities(
        sim, [quantity(sim, "SYN-SOCKS-3PK", TX, 11, None)], key=key
    ).json()["data"]["inventorySetQuantities"]
    assert other["inventoryAdjustmentGroup"] is None
    assert other["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    assert sim.level(DEMO, "SYN-SOCKS-3PK", "Texas Warehouse")["available"] == 10


def test_missing_idempotent_directive_is_rejected(sim):
    document = SET_QUANTITIES.replace(" @idempotent(key: $key)", "").replace(
        ", $key: String!", ""
    )
    body = gql(
        sim,
        document,
        {
            "input": {
                "name": "available",
                "reason": "correction",
                "quantities": [quantity(sim, "SYN-MUG-001", NJ, 1, None)],
            }
        },
    ).json()
    assert body["data"] == {"inventorySetQuantities": None}
    assert "@idempotent" in body["errors"][0]["message"]
    assert sim.level(DEMO, "SYN-MUG-001", "New Jersey Warehouse")["available"] == 50


def test_missing_change_from_quantity_is_rejected(sim):
    item = quantity(sim, "SYN-MUG-001", NJ, 1, None)
    del item["changeFromQuantity"]
    body = set_quantities(sim, [item]).json()
    assert body["data"] == {"inventorySetQuantities": None}
    assert "changeFromQuantity" in body["errors"][0]["message"]
    assert sim.level(DEMO, "SYN-MUG-001", "New Jersey Warehouse")["available"] == 50
    inline = """mutation { inventorySetQuantities(input: {name: "available",
      reason: "correction", quantities: [{inventoryItemId: "ITEM",
      locationId: "LOCATION", quantity: 1}]}) @idempotent(key: "k-inline") {
      userErrors { code } } }""".replace("ITEM", item_id(sim, "SYN-MUG-001")).replace(
        "LOCATION", NJ
    )
    assert "changeFromQuantity" in gql(sim, inline).json()["errors"][0]["message"]
    removed = inline.replace("quantity: 1}", "quantity: 1, compareQuantity: 50}")
    assert "compareQuantity" in gql(sim, removed).json()["errors"][0]["message"]


def test_more_than_250_quantities_is_an_error(sim):
    skus = sim.seed_catalogue(DEMO, 251, ["New Jersey Warehouse"], available=1)
    body = set_quantities(sim, [quantity(sim, sku, NJ, 2, 1) for sku in skus]).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert sim.level(DEMO, skus[0], "New Jersey Warehouse")["available"] == 1
    ok = set_quantities(sim, [quantity(sim, sku, NJ, 2, 1) for sku in skus[:250]])
    assert ok.json()["data"]["inventorySetQuantities"]["userErrors"] == []


def test_not_stocked_then_activate(sim, receiver):
    subscribe(sim, "INVENTORY_LEVELS_CONNECT", receiver.url)
    sim.add_product(DEMO, "Synco Pin", ["SYN-PIN"])
    first = set_quantities(sim, [quantity(sim, "SYN-PIN", NJ, 5, None)]).json()
    assert first["data"]["inventorySetQuantities"]["userErrors"] == [
        {
            "field": ["input", "quantities", "0", "locationId"],
            "message": "The specified inventory item is not stocked at the location.",
            "code": "ITEM_NOT_STOCKED_AT_LOCATION",
        }
    ]
    activate = """mutation($item: ID!, $loc: ID!, $key: String!) {
      inventoryActivate(inventoryItemId: $item, locationId: $loc, available: 4)
        @idempotent(key: $key) {
        inventoryLevel { id quantities(names: ["available"]) { quantity } }
        userErrors { field message } } }"""
    level = data(
        sim, activate, {"item": item_id(sim, "SYN-PIN"), "loc": NJ, "key": "activate-1"}
    )["inventoryActivate"]
    assert level["userErrors"] == []
    assert level["inventoryLevel"]["quantities"] == [{"quantity": 4}]
    again = data(
        sim, activate, {"item": item_id(sim, "SYN-PIN"), "loc": NJ, "key": "activate-2"}
    )["inventoryActivate"]
    assert again["userErrors"][0]["field"] == ["available"]  # already stocked
    assert sim.wait_for_deliveries(5)
    ((headers, body),) = receiver.requests
    assert headers["X-Shopify-Topic"] == "inventory_levels/connect"
    assert json.loads(body)["available"] == 4
    second = set_quantities(sim, [quantity(sim, "SYN-PIN", NJ, 5, 4)]).json()
    assert second["data"]["inventorySetQuantities"]["userErrors"] == []
    assert sim.level(DEMO, "SYN-PIN", "New Jersey Warehouse")["available"] == 5


# -- cost and throttling ---------------------------------------------------------------


def test_cost_extension_requested_and_actual(sim):
    body = gql(
        sim, "{ shop { name } locations(first: 10) { nodes { id address { zip } } } }"
    ).json()
    cost = body["extensions"]["cost"]
    # shop 1 + locations 2 + 10 x (location 1 + address 1); 6 locations returned
    assert cost["requestedQueryCost"] == 23
    assert cost["actualQueryCost"] == 15
    status = cost["throttleStatus"]
    assert status["maximumAvailable"] == 2000 and status["restoreRate"] == 100
    assert 1977 <= status["currentlyAvailable"] <= 2000


def test_cost_of_fragments_on_an_interface(sim):
    query = """query($ids: [ID!]!) { nodes(ids: $ids) { id
      ... on InventoryItem { inventoryLevels(first: 5) { nodes { id location { id } } }
      }
      ... on Location { address { zip } } } }"""
    body = gql(sim, query, {"ids": [item_id(sim, "SYN-MUG-001"), NJ]}).json()
    cost = body["extensions"]["cost"]
    # per id the dearer type: item 1 + levels (2 + 5 x 2) = 13
    assert cost["requestedQueryCost"] == 2 * 13
    # returned: item 1 + 2 + 5 x 2 and location 1 + address 1
    assert cost["actualQueryCost"] == 13 + 2


def test_cost_of_a_list_of_objects_is_one_object(sim):
    """``quantities(names:)`` is a list, not a connection: one object, 1
    point, however many states it returns; the actual cost never exceeds
    the requested one (Shopify refunds the difference)."""
    query = """query($id: ID!) { inventoryItem(id: $id) {
      inventoryLevels(first: 10) { nodes { quantities(names: %s) { name quantity } } }
    } }"""
    item = item_id(sim, "SYN-MUG-001")
    costs = {}
    for names in ('["available"]', '["available", "committed", "on_hand"]'):
        body = gql(sim, query % names, {"id": item}).json()
        levels = body["data"]["inventoryItem"]["inventoryLevels"]["nodes"]
        assert {len(level["quantities"]) for level in levels} == {names.count(",") + 1}
        cost = body["extensions"]["cost"]
        costs[names] = (cost["requestedQueryCost"], cost["actualQueryCost"])
        # item 1 + levels (2 + 10 x (level 1 + quantities 1))
        assert cost["requestedQueryCost"] == 23
        # returned: item 1 + 2 + each level returned 2
        assert cost["actualQueryCost"] == 3 + 2 * len(levels)
    assert len(set(costs.values())) == 1


def test_throttled_when_bucket_is_empty(sim):
    sim.set_bucket(maximum=20, restore_rate=1)
    query = "{ locations(first: 5) { nodes { id address { zip } } } }"  # cost 12
    cost = gql(sim, query).json()["extensions"]["cost"]
    assert cost["requestedQueryCost"] == cost["actualQueryCost"] == 12
    throttled = gql(sim, query)
    assert throttled.status_code == 200
    body = throttled.json()
    assert body["errors"][0]["message"] == "Throttled"
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert "data" not in body
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] < 12
    assert sim.log[-1]["throttled"] is True
    sim.set_bucket(restore_rate=1000)
    time.sleep(0.1)
    assert "errors" not in gql(sim, query).json()


def test_single_query_cost_cap(sim):
    body = gql(
        sim,
        "{ locations(first: 250) { nodes { inventoryLevels(first: 250) "
        "{ nodes { id } } } } }",
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


# -- faults ----------------------------------------------------------------------------


def test_fail_next_http_errors(sim):
    sim.fail_next("429")
    sim.fail_next("503", 2)
    first = gql(sim, "{ shop { name } }")
    assert first.status_code == 429 and first.headers["Retry-After"] == "1.0"
    assert [gql(sim, "{ shop { name } }").status_code for _ in range(3)] == [
        503,
        503,
        200,
    ]
    assert [e["http_status"] for e in sim.log[-4:]] == [429, 503, 503, 200]
    assert all(e["root_fields"] == ["shop"] for e in sim.log[-4:])


def test_random_faults_are_reproducible(sim):
    def statuses():
        sim.set_faults(seed=7, error_429_rate=0.3, error_5xx_rate=0.2)
        return [gql(sim, "{ shop { name } }").status_code for _ in range(25)]

    first = statuses()
    assert statuses() == first
    assert {429, 503, 200} <= set(first)


def test_dropped_connection_after_apply_then_idempotent_retry(sim):
    key = str(uuid.uuid4())
    quantities = [quantity(sim, "SYN-BOTTLE-750", NJ, 20, 50)]
    sim.fail_next("drop_after_apply")
    with pytest.raises(requests.ConnectionError):
        set_quantities(sim, quantities, key=key)
    assert sim.level(DEMO, "SYN-BOTTLE-750", "New Jersey Warehouse")["available"] == 20
    retry = set_quantities(sim, quantities, key=key).json()["data"][
        "inventorySetQuantities"
    ]
    assert retry["userErrors"] == []  # not CHANGE_FROM_QUANTITY_STALE: replayed
    assert retry["inventoryAdjustmentGroup"]["changes"][0]["quantityAfterChange"] == 20
    assert sim.level(DEMO, "SYN-BOTTLE-750", "New Jersey Warehouse")["available"] == 20
    dropped, replayed = sim.log[-2:]
    assert (dropped["fault"], dropped["http_status"]) == ("drop_after_apply", None)
    assert dropped["idempotency_key"] == replayed["idempotency_key"] == key
    assert dropped["quantities"] == replayed["quantities"] == 1
    assert (dropped["idempotent_replay"], replayed["idempotent_replay"]) == (
        False,
        True,
    )


def test_dropped_connection_before_apply_and_latency(sim):
    sim.fail_next("drop")
    with pytest.raises(requests.ConnectionError):
        set_quantities(sim, [quantity(sim, "SYN-BOTTLE-750", NJ, 20, 50)])
    assert sim.level(DEMO, "SYN-BOTTLE-750", "New Jersey Warehouse")["available"] == 50
    sim.set_faults(latency=0.2)
    started = time.monotonic()
    gql(sim, "{ shop { name } }")
    assert time.monotonic() - started >= 0.2


def test_forced_item_error(sim):
    sim.set_faults(item_errors={"SYN-CAP-RED": "NON_MUTABLE_INVENTORY_ITEM"})
    payload = set_quantities(
        sim,
        [
            quantity(sim, "SYN-MUG-001", NJ, 1, None),
            quantity(sim, "SYN-CAP-RED", NJ, 1, None),
        ],
    ).json()
    errors = payload["data"]["inventorySetQuantities"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("NON_MUTABLE_INVENTORY_ITEM", ["input", "quantities", "1", "inventoryItemId"])
    ]
    assert sim.level(DEMO, "SYN-MUG-001", "New Jersey Warehouse")["available"] == 50


# -- orders and webhooks ---------------------------------------------------------------


class Receiver:
    """A local webhook endpoint recording requests; answers ``statuses`` in turn."""

    def __init__(self, statuses=()):
        self.requests, self.statuses = [], list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def subscribe(sim, topic, uri):
    create = """mutation($topic: WebhookSubscriptionTopic!,
                         $sub: WebhookSubscriptionInput!) {
      webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
        webhookSubscription { id topic uri format } userErrors { field message } } }"""
    result = data(sim, create, {"topic": topic, "sub": {"uri": uri, "format": "JSON"}})
    assert result["webhookSubscriptionCreate"]["userErrors"] == []
    return result["webhookSubscriptionCreate"]["webhookSubscription"]


def test_order_commits_stock_and_sends_signed_webhook(sim, receiver):
    subscribe(sim, "ORDERS_CREATE", receiver.url)
    order = sim.create_order(
        DEMO,
        [("SYN-TEE-BLK-M", 2)],
        shipping_address={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "address1": "1 Main St",
            "city": "Austin",
            "province_code": "TX",
            "country_code": "US",
            "zip": "73301",
        },
        location="Texas Warehouse",
    )
    assert sim.level(DEMO, "SYN-TEE-BLK-M", "Texas Warehouse") == {
        "available": 48,
        "committed": 2,
        "on_hand": 50,
    }
    levels = data(sim, LEVEL, {"item": item_id(sim, "SYN-TEE-BLK-M"), "location": TX})[
        "inventoryItem"
    ]["inventoryLevel"]
    assert levels["quantities"] == [
        {"name": "available", "quantity": 48},
        {"name": "committed", "quantity": 2},
        {"name": "on_hand", "quantity": 50},
    ]
    bad = gql(
        sim,
        LEVEL.replace('"committed"', '"commited"'),
        {"item": item_id(sim, "SYN-TEE-BLK-M"), "location": TX},
    ).json()
    assert "commited" in bad["errors"][0]["message"]
    assert sim.wait_for_deliveries(5)
    ((headers, body),) = receiver.requests
    expected = base64.b64encode(
        hmac.new(DEMO_WEBHOOK_SECRET.encode(), body, hashlib.sha256).digest()
    ).decode()
    assert hmac.compare_digest(headers["X-Shopify-Hmac-Sha256"], expected)
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Shop-Domain"] == DEMO
    assert headers["X-Shopify-API-Version"] == "2026-07"
    assert headers["X-Shopify-Webhook-Id"] and headers["X-Shopify-Event-Id"]
    assert headers["X-Shopify-Triggered-At"].endswith("Z")
    payload = json.loads(body)
    assert payload["id"] == order.number
    assert payload["admin_graphql_api_id"] == order.id
    assert payload["name"] == "#1001" and payload["currency"] == "USD"
    assert payload["total_price"] == "48.00"
    assert payload["shipping_address"]["province_code"] == "TX"
    assert payload["shipping_address"]["country_code"] == "US"
    assert payload["shipping_address"]["name"] == "Ada Lovelace"
    shipping = data(
        sim,
        """query($id: ID!) { order(id: $id) { shippingAddress {
        firstName provinceCode countryCodeV2 zip } } }""",
        {"id": order.id},
    )
    assert shipping["order"]["shippingAddress"] == {
        "firstName": "Ada",
        "provinceCode": "TX",
        "countryCodeV2": "US",
        "zip": "73301",
    }
    (line,) = payload["line_items"]
    assert (line["sku"], line["quantity"], line["price"]) == (
        "SYN-TEE-BLK-M",
        2,
        "24.00",
    )
    assert line["variant_id"] == sim.shop(DEMO).item_for("SYN-TEE-BLK-M").variant.number
    assert payload["location_id"] is None  # online order: see fulfillment orders
    assert sim.deliveries()[0]["status"] == "delivered"


def test_cancel_releases_stock_and_orders_query(sim, receiver):
    subscribe(sim, "ORDERS_CANCELLED", receiver.url)
    subscribe(sim, "INVENTORY_LEVELS_UPDATE", receiver.url)
    before = time.time()
    order = sim.create_order(DEMO, [("SYN-MUG-001", 5)])
    assert sim.level(DEMO, "SYN-MUG-001", "New Jersey Warehouse")["committed"] == 5
    sim.cancel_order(order.id)
    assert sim.level(DEMO, "SYN-MUG-001", "New Jersey Warehouse") == {
        "available": 50,
        "committed": 0,
        "on_hand": 50,
    }
    assert sim.wait_for_deliveries(5)
    topics = [h["X-Shopify-Topic"] for h, _ in receiver.requests]
    assert topics.count("inventory_levels/update") == 2
    assert topics.count("orders/cancelled") == 1
    levels_update = json.loads(receiver.requests[0][1])
    assert levels_update["location_id"] == 1001
    assert levels_update["available"] == 45
    query = """query($q: String) { orders(first: 5, query: $q, sortKey: UPDATED_AT) {
      nodes { id name cancelledAt lineItems(first: 5) { nodes { sku quantity
        variant { id } originalUnitPriceSet { shopMoney { amount currencyCode } } } }
      fulfillmentOrders(first: 5) { nodes { assignedLocation { location { id } } } }
    } } }"""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(before - 5))
    orders = data(sim, query, {"q": f"updated_at:>'{stamp}'"})["orders"]["nodes"]
    assert [o["id"] for o in orders] == [order.id] and orders[0]["cancelledAt"]
    assert orders[0]["lineItems"]["nodes"][0]["originalUnitPriceSet"]["shopMoney"] == {
        "amount": "14.00",
        "currencyCode": "USD",
    }
    assert (
        orders[0]["fulfillmentOrders"]["nodes"][0]["assignedLocation"]["location"]["id"]
        == NJ
    )
    future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 60))
    assert data(sim, query, {"q": f"updated_at:>'{future}'"})["orders"]["nodes"] == []


def test_order_routing(sim):
    sim.set_available(DEMO, "SYN-MUG-001", "New Jersey Warehouse", 5)
    sim.set_available(DEMO, "SYN-MUG-001", "Texas Warehouse", 0)
    # UK holds 0 of this SKU and the 3PL pool does not fulfil online orders
    order = sim.create_order(DEMO, [("SYN-MUG-001", 7), ("SYN-CAP-RED", 1)])
    assert [line.location.name for line in order.lines] == [
        "Drop-ship Suppliers",
        "New Jersey Warehouse",
    ]
    assert len(order.fulfillment_orders) == 2
    sim.set_available(DEMO, "SYN-MUG-001", "Drop-ship Suppliers", 0)
    sim.set_available(DEMO, "SYN-MUG-001", "3PL Pool", 0)
    oversold = sim.create_order(DEMO, [("SYN-MUG-001", 9)])
    assert oversold.lines[0].location.name == "New Jersey Warehouse"
    assert sim.level(DEMO, "SYN-MUG-001", "New Jersey Warehouse") == {
        "available": -4,
        "committed": 9,
        "on_hand": 5,
    }
    with pytest.raises(ValueError):
        sim.cancel_order(sim.cancel_order(oversold))


def test_webhook_retries_and_dropped_deliveries(sim):
    flaky = Receiver(statuses=[500, 502])
    try:
        subscribe(sim, "INVENTORY_LEVELS_UPDATE", flaky.url)
        sim.set_available(DEMO, "SYN-CAP-RED", "UK Warehouse", 9)
        assert sim.wait_for_deliveries(5)
        (delivery,) = sim.deliveries()
        assert delivery["status"] == "delivered"
        assert delivery["attempts"] == 3 and delivery["responses"] == [500, 502, 200]
        ids = {h["X-Shopify-Webhook-Id"] for h, _ in flaky.requests}
        assert len(ids) == 1  # retries keep the webhook id
        assert json.loads(flaky.requests[-1][1])["available"] == 9
        sim.set_faults(drop_next_webhooks=1)
        sim.set_available(DEMO, "SYN-CAP-RED", "UK Warehouse", 8)
        assert sim.wait_for_deliveries(5)
        assert sim.deliveries()[-1]["status"] == "dropped"
        assert len(flaky.requests) == 3
        flaky.statuses = [500] * 10
        sim.set_available(DEMO, "SYN-CAP-RED", "UK Warehouse", 7)
        assert sim.wait_for_deliveries(5)
        assert sim.deliveries()[-1]["status"] == "failed"
        assert sim.deliveries()[-1]["attempts"] == 4  # 1 + len(retry schedule)
    finally:
        flaky.close()


def test_webhook_subscriptions_list_and_delete(sim, receiver):
    created = subscribe(sim, "ORDERS_UPDATED", receiver.url)
    listed = data(sim, "{ webhookSubscriptions(first: 10) { nodes { id topic uri } } }")
    assert listed["webhookSubscriptions"]["nodes"] == [
        {"id": created["id"], "topic": "ORDERS_UPDATED", "uri": receiver.url}
    ]
    deleted = data(
        sim,
        """mutation($id: ID!) { webhookSubscriptionDelete(id: $id) {
        deletedWebhookSubscriptionId userErrors { message } } }""",
        {"id": created["id"]},
    )
    assert (
        deleted["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"]
        == (created["id"])
    )
    assert sim.shop(DEMO).webhooks == {}


# -- bulk operations -------------------------------------------------------------------

BULK = """{ inventoryItems { edges { node { id sku inventoryLevels { edges { node {
  id location { id } quantities(names: ["available"]) { name quantity } } } } } } } }"""
RUN = """mutation($q: String!) { bulkOperationRunQuery(query: $q) {
  bulkOperation { id status } userErrors { field message code } } }"""
POLL = """query($id: ID!) { bulkOperation(id: $id) { id status url objectCount
  rootObjectCount } }"""


def test_bulk_operation_jsonl(sim):
    started = data(sim, RUN, {"q": BULK})["bulkOperationRunQuery"]
    assert started["userErrors"] == []
    assert started["bulkOperation"]["status"] == "CREATED"
    busy = data(sim, RUN, {"q": BULK})["bulkOperationRunQuery"]
    assert busy["userErrors"][0]["code"] == "OPERATION_IN_PROGRESS"
    operation_id = started["bulkOperation"]["id"]
    running = data(sim, POLL, {"id": operation_id})["bulkOperation"]
    assert running["status"] == "RUNNING" and running["url"] is None
    assert sim.wait_for_bulk(10)
    done = data(sim, POLL, {"id": operation_id})["bulkOperation"]
    assert done["status"] == "COMPLETED"
    assert done["url"].startswith(f"{sim.base_url}/_sim/bulk/")
    # 8 items, 5 levels each and the store's 5 (it stocks the apparel)
    assert (done["objectCount"], done["rootObjectCount"]) == ("53", "8")
    lines = [json.loads(line) for line in requests.get(done["url"]).text.splitlines()]
    assert len(lines) == 53
    parent = None
    for line in lines:
        assert "edges" not in line and "node" not in line
        if "sku" in line:
            assert "__parentId" not in line and "inventoryLevels" not in line
            parent = line["id"]
        else:
            assert line["__parentId"] == parent
            assert line["id"].startswith("gid://shopify/InventoryLevel/")
            assert line["quantities"] == [
                {"name": "available", "quantity": line["quantities"][0]["quantity"]}
            ]
    current = data(sim, "{ currentBulkOperation { id status } }")
    assert current["currentBulkOperation"] == {
        "id": operation_id,
        "status": "COMPLETED",
    }


def test_bulk_query_rules(sim):
    no_parent_id = BULK.replace("node { id sku", "node { sku")
    result = data(sim, RUN, {"q": no_parent_id})["bulkOperationRunQuery"]
    assert result["bulkOperation"] is None
    assert result["userErrors"][0]["code"] == "INVALID"
    invalid = data(sim, RUN, {"q": "{ inventoryItems { edges { node { nope } } } }"})
    assert invalid["bulkOperationRunQuery"]["userErrors"][0]["field"] == ["query"]


EXPORTS = [
    BULK,
    """{ locations(includeInactive: true) { edges { node { id inventoryLevels {
      edges { node { id item { id } quantities(names: ["available"]) {
      name quantity } } } } } } } }""",
    """query { productVariants { nodes { ...V inventoryItem { id
      inventoryLevels { edges { cursor node { id __typename
      both: quantities(names: ["available", "on_hand"]) { id name quantity
      updatedAt } location { id name } } } } } } } }
    fragment V on ProductVariant { id sku price displayName
      ... on Node { nid: id } }""",
    """{ inventoryItems { edges { node { id sku tracked createdAt
      variants { nodes { id product { id title } } } } } } }""",
    """{ locations(includeInactive: true) { edges { node { id isActive
      @include(if: true) name @skip(if: true) legacyResourceId } } } }""",
]


def _graphql_core_export(sim, query):
    """A bulk query run by graphql-core's executor, flattened as Shopify does:
    the reference the simulator's own bulk executor must match."""
    from graphql import execute

    from tests.shopify_simulator import bulk, graphql_api

    document, problem = bulk.check_bulk_query(query)
    assert problem is None
    result = execute(
        graphql_api.SCHEMA,
        document,
        context_value=graphql_api.Context(sim, sim.shop(DEMO), "bulk", bulk=True),
        field_resolver=graphql_api.default_resolver,
    )
    assert not result.errors

    def connection(value):
        return isinstance(value, dict) and set(value) & {"edges", "nodes"}

    def flatten(obj, parent_id, lines):
        row = {k: v for k, v in obj.items() if not connection(v)}
        if parent_id is not None:
            row["__parentId"] = parent_id
        lines.append(json.dumps(row, separators=(",", ":")))
        for value in obj.values():
            if connection(value):
                for node in value.get("nodes") or [e["node"] for e in value["edges"]]:
                    flatten(node, obj.get("id"), lines)

    lines = []
    root = next(iter(result.data.values()))
    nodes = root.get("nodes") or [e["node"] for e in root["edges"]]
    for node in nodes:
        flatten(node, None, lines)
    return "".join(line + "\n" for line in lines), len(nodes)


@pytest.mark.parametrize("query", EXPORTS, ids=range(len(EXPORTS)))
def test_bulk_export_matches_graphql_core(sim, query):
    """The bulk executor (planned once per selection, a line per node as it
    resolves) writes byte for byte what graphql-core's result gives."""
    from tests.shopify_simulator import bulk

    sim.seed_catalogue(DEMO, 12, per_product=4)
    document, _problem = bulk.check_bulk_query(query)
    lines, roots, error = bulk.execute_bulk_query(sim, sim.shop(DEMO), document)
    assert error is None
    jsonl = "".join(line + "\n" for line in lines)
    expected, expected_roots = _graphql_core_export(sim, query)
    assert jsonl.count("\n") >= expected_roots > 0
    assert (jsonl, roots) == (expected, expected_roots)


def test_bulk_export_error_fails_the_operation(sim):
    from tests.shopify_simulator import bulk

    query = """{ locations { edges { node { id inventoryLevels { edges { node {
      id quantities(names: ["nope"]) { quantity } } } } } } } }"""
    document, problem = bulk.check_bulk_query(query)
    assert problem is None
    lines, _roots, error = bulk.execute_bulk_query(sim, sim.shop(DEMO), document)
    assert lines is None
    assert error.startswith("Invalid quantity names: nope.")


# -- control API, state and process ----------------------------------------------------


def test_control_http_api(sim):
    base = sim.base_url + "/_sim"
    created = requests.post(
        f"{base}/orders",
        json={"lines": [["SYN-HOODIE-GRY", 4]], "location": "UK Warehouse"},
    ).json()
    levels = {
        (r["sku"], r["location"]): r for r in requests.get(f"{base}/levels").json()
    }
    assert levels[("SYN-HOODIE-GRY", "UK Warehouse")]["committed"] == 4
    requests.post(f"{base}/orders/{created['number']}/cancel", json={})
    assert sim.level(DEMO, "SYN-HOODIE-GRY", "UK Warehouse")["committed"] == 0
    requests.post(
        f"{base}/levels",
        json={"sku": "SYN-HOODIE-GRY", "location": "UK Warehouse", "available": 3},
    )
    assert sim.level(DEMO, "SYN-HOODIE-GRY", "UK Warehouse")["available"] == 3
    faults = requests.post(f"{base}/faults", json={"fail_next": ["500"]}).json()
    assert faults["fail_next"] == ["500"]
    assert gql(sim, "{ shop { name } }").status_code == 500
    log = requests.get(f"{base}/log").json()
    assert log[-1]["http_status"] == 500 and log[-1]["fault"] == "500"
    tail = requests.get(f"{base}/log", params={"since": len(log) - 1}).json()
    assert tail == log[-1:]
    assert requests.delete(f"{base}/log").json() == []
    requests.post(f"{base}/bucket", json={"maximum": 10, "restore_rate": 1})
    throttled = gql(sim, "{ locations(first: 10) { nodes { id } } }").json()
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
    shops = requests.get(f"{base}/shops").json()
    assert shops[0]["token"] == DEMO_TOKEN
    assert requests.post(f"{base}/reset", json={"fixture": "demo"}).json() == {
        "ok": True
    }
    assert sim.level(DEMO, "SYN-HOODIE-GRY", "UK Warehouse")["available"] == 50
    assert requests.get(f"{base}/nope").status_code == 404


def test_seed_catalogue_is_fast_and_pages(sim):
    started = time.monotonic()
    skus = sim.seed_catalogue(DEMO, 50_000, ["New Jersey Warehouse", "Texas Warehouse"])
    assert time.monotonic() - started < 10
    assert len(skus) == 50_000
    count = data(sim, "{ productVariantsCount(limit: null) { count precision } }")
    assert count["productVariantsCount"] == {"count": 50_008, "precision": "EXACT"}
    page = data(
        sim,
        '{ productVariants(first: 250, query: "sku:BENCH-0*") '
        "{ nodes { sku } pageInfo { hasNextPage } } }",
    )["productVariants"]
    assert len(page["nodes"]) == 250 and page["pageInfo"]["hasNextPage"]


def test_state_file_round_trip(tmp_path):
    path = tmp_path / "state.pickle"
    first = Simulator(fixture="demo", state_file=path)
    first.set_available(DEMO, "SYN-MUG-001", "UK Warehouse", 17)
    first.stop()
    second = Simulator(state_file=path)
    try:
        assert second.level(DEMO, "SYN-MUG-001", "UK Warehouse")["available"] == 17
    finally:
        second.stop()


def test_command_line_process():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.shopify_simulator",
            "--port",
            str(port),
            "--fixture",
            "demo",
            "--bucket-size",
            "500",
            "--restore-rate",
            "50",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "Shopify simulator on" in process.stdout.readline()
        response = requests.post(
            f"http://127.0.0.1:{port}/admin/api/2026-04/graphql.json",
            json={"query": "{ shop { name } }"},
            headers={"X-Shopify-Access-Token": DEMO_TOKEN},
            timeout=5,
        ).json()
        assert response["data"]["shop"]["name"] == "Synco Demo Store"
        assert (
            response["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 500
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


LEVEL_EXPORTS = [
    (
        REPO_ROOT / "synco_shopify/lib/shopify/graphql/bulk_inventory_levels.graphql"
    ).read_text(),
    """{ locations { edges { node { id inventoryLevels { edges { node {
      quantities(names: ["on_hand", "available", "damaged"]) { quantity name }
      item { id } id } } } } } } }""",
]


@pytest.mark.parametrize("query", LEVEL_EXPORTS, ids=range(len(LEVEL_EXPORTS)))
def test_bulk_level_lines_written_directly_match_graphql_core(sim, query):
    """The reconciliation's selection of levels is written by ``bulk_levels``
    (not shaped field by field): byte for byte graphql-core's result, with
    states beside available and a level sold."""
    from tests.shopify_simulator import bulk

    sim.seed_catalogue(DEMO, 12, per_product=4)
    shop = sim.shop(DEMO)
    levels = [lv for item in shop.items.values() for lv in item.levels.values()]
    levels[0].change("damaged", 2)
    levels[1].change("committed", 3)
    levels[2].change("quality_control", 1)
    document, _problem = bulk.check_bulk_query(query)
    executor = bulk._BulkExecutor(bulk.Context(sim, shop, "bulk", bulk=True), document)
    lines = bulk.JsonlFile()
    roots = executor.run(lines)
    assert executor.writers  # the direct path was taken
    jsonl = "".join(line + "\n" for line in lines)
    assert (jsonl, roots) == _graphql_core_export(sim, query)
    assert levels[0].quantity("damaged") == 2


def test_bulk_level_out_of_int_range_fails_as_graphql_core(sim):
    """A quantity beyond GraphQL's Int leaves the line to the executor,
    which fails the export as graphql-core would."""
    from tests.shopify_simulator import bulk

    shop = sim.shop(DEMO)
    level = next(lv for item in shop.items.values() for lv in item.levels.values())
    level.available = 2**31
    document, _problem = bulk.check_bulk_query(LEVEL_EXPORTS[0])
    lines, _roots, error = bulk.execute_bulk_query(sim, shop, document)
    assert lines is None
    assert "Int cannot represent non 32-bit signed integer value" in error
