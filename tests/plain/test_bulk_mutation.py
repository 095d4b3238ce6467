"""Bulk writes: staged uploads and ``bulkOperationRunMutation`` (issue 13).

The simulator half checks Shopify's protocol (a staged target, a multipart
upload, one result line per input line with ``__lineNumber``, compare-and-set
and idempotency per line, no bucket cost for the lines, at most 5 bulk
mutations per shop); the client half checks ``set_available_bulk`` lands
every quantity, retries only the stale lines through the per-call path and
falls back to it when Shopify runs enough bulk mutations already.
Assertions read the simulator's state, not only what the client says.
"""

import json
import time
import uuid

import pytest
import requests

from odoo.addons.synco_shopify.lib.shopify import (
    CostThrottle,
    MemoryThrottleStore,
    Outcome,
    QuantityChange,
    ShopifyClient,
    ShopifyPermanentError,
)
from odoo.addons.synco_shopify.lib.shopify import documents as docs

from tests.shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator

REF = "gid://synco-shopify/Reconciliation/7"
STAGE = """mutation($i: [StagedUploadInput!]!) { stagedUploadsCreate(input: $i) {
  stagedTargets { url resourceUrl parameters { name value } }
  userErrors { field message } } }"""
RUN = """mutation($m: String!, $p: String!) {
  bulkOperationRunMutation(mutation: $m, stagedUploadPath: $p) {
    bulkOperation { id status type } userErrors { field message code } } }"""
POLL = """query($id: ID!) { bulkOperation(id: $id) {
  id status type url objectCount rootObjectCount errorCode } }"""


@pytest.fixture(scope="module")
def sim():
    simulator = Simulator(fixture="demo").start()
    yield simulator
    simulator.release_bulk()
    simulator.stop()


@pytest.fixture
def fresh_sim(sim):
    sim.reset("demo")
    sim.set_bucket(2000, 100)
    sim.release_bulk()
    yield sim
    sim.release_bulk()
    sim.wait_for_bulk(10)
    sim.clear_faults()


def gql(sim, query, variables=None):
    resp = requests.post(
        sim.graphql_url(),
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": DEMO_TOKEN},
        timeout=10,
    )
    body = resp.json()
    assert not body.get("errors"), body
    return body


def levels(sim):
    """[(item gid, location gid, level)] of the demo shop, stocked pairs."""
    shop = sim.shop(DEMO_DOMAIN)
    return [
        (item.id, level.location.id, level)
        for item in shop.items.values()
        for level in item.levels.values()
    ]


def line(item, location, quantity, change_from, key=None):
    return {
        "idempotencyKey": key or str(uuid.uuid4()),
        "input": {
            "name": "available",
            "reason": "correction",
            "referenceDocumentUri": REF,
            "quantities": [
                {
                    "inventoryItemId": item,
                    "locationId": location,
                    "quantity": quantity,
                    "changeFromQuantity": change_from,
                }
            ],
        },
    }


def stage(sim, lines, upload=True):
    """stagedUploadsCreate then the multipart POST -> the staged path."""
    staged = gql(
        sim,
        STAGE,
        {
            "i": [
                {
                    "resource": "BULK_MUTATION_VARIABLES",
                    "filename": "vars.jsonl",
                    "mimeType": "text/jsonl",
                    "httpMethod": "POST",
                }
            ]
        },
    )["data"]["stagedUploadsCreate"]
    assert staged["userErrors"] == []
    target = staged["stagedTargets"][0]
    form = [(p["name"], p["value"]) for p in target["parameters"]]
    if upload:
        body = "".join(json.dumps(each) + "\n" for each in lines).encode()
        resp = requests.post(
            target["url"],
            data=form,
            files={"file": ("vars.jsonl", body, "text/jsonl")},
            timeout=10,
        )
        assert resp.status_code == 201, resp.text
    return dict(form)["key"]


def run(sim, path, mutation=docs.INVENTORY_SET_QUANTITIES_BULK):
    return gql(sim, RUN, {"m": mutation, "p": path})["data"]["bulkOperationRunMutation"]


def finish(sim, operation_id):
    assert sim.wait_for_bulk(20)
    done = gql(sim, POLL, {"id": operation_id})["data"]["bulkOperation"]
    while done["status"] in ("CREATED", "RUNNING"):
        done = gql(sim, POLL, {"id": operation_id})["data"]["bulkOperation"]
    return done


# -- simulator ------------------------------------------------------------------------


def test_bulk_mutation_runs_each_line_with_compare_and_set(fresh_sim):
    (item_a, loc_a, level_a), (item_b, loc_b, level_b) = levels(fresh_sim)[:2]
    before_a, before_b = level_a.available, level_b.available
    path = stage(
        fresh_sim,
        [
            line(item_a, loc_a, 7, before_a),
            line(item_b, loc_b, 9, before_b + 1),  # stale
        ],
    )
    fresh_sim.clear_log()
    started = run(fresh_sim, path)
    assert started["userErrors"] == []
    assert started["bulkOperation"]["type"] == "MUTATION"
    done = finish(fresh_sim, started["bulkOperation"]["id"])
    assert done["status"] == "COMPLETED"
    assert done["objectCount"] == "2"
    rows = [
        json.loads(x) for x in requests.get(done["url"], timeout=10).text.splitlines()
    ]
    assert [row["__lineNumber"] for row in rows] == [0, 1]
    first = rows[0]["data"]["inventorySetQuantities"]
    assert first["userErrors"] == [] and first["inventoryAdjustmentGroup"]["id"]
    second = rows[1]["data"]["inventorySetQuantities"]
    assert second["inventoryAdjustmentGroup"] is None
    assert second["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert (level_a.available, level_b.available) == (7, before_b)
    # the lines cost nothing: only the run and the polls went through the bucket
    costs = {e["operation_name"]: e["actual_cost"] for e in fresh_sim.log}
    assert set(costs) == {None} or all(cost <= 10 for cost in costs.values())


def test_bulk_line_idempotency_key_replays(fresh_sim):
    item, location, level = levels(fresh_sim)[0]
    key = str(uuid.uuid4())
    start = level.available
    first = run(
        fresh_sim, stage(fresh_sim, [line(item, location, start + 5, start, key)])
    )
    finish(fresh_sim, first["bulkOperation"]["id"])
    assert level.available == start + 5
    # the same line again (a retried run): replayed, not applied twice
    again = run(
        fresh_sim, stage(fresh_sim, [line(item, location, start + 5, start, key)])
    )
    done = finish(fresh_sim, again["bulkOperation"]["id"])
    row = json.loads(requests.get(done["url"], timeout=10).text)
    assert row["data"]["inventorySetQuantities"]["userErrors"] == []
    assert level.available == start + 5


def test_at_most_five_bulk_mutations_per_shop(fresh_sim):
    item, location, level = levels(fresh_sim)[0]
    fresh_sim.hold_bulk()
    started = [
        run(fresh_sim, stage(fresh_sim, [line(item, location, level.available, None)]))
        for _ in range(5)
    ]
    assert all(s["userErrors"] == [] for s in started)
    sixth = run(fresh_sim, stage(fresh_sim, [line(item, location, 1, None)]))
    assert sixth["bulkOperation"] is None
    assert sixth["userErrors"][0]["code"] == "LIMIT_REACHED"
    # a bulk query is not a mutation: it may still run
    query = gql(
        fresh_sim,
        """mutation($q: String!) { bulkOperationRunQuery(query: $q) {
          bulkOperation { id } userErrors { code } } }""",
        {"q": "{ locations { edges { node { id } } } }"},
    )["data"]["bulkOperationRunQuery"]
    assert query["userErrors"] == []
    fresh_sim.release_bulk()
    for each in started:
        assert finish(fresh_sim, each["bulkOperation"]["id"])["status"] == "COMPLETED"
    again = run(fresh_sim, stage(fresh_sim, [line(item, location, 1, None)]))
    assert again["userErrors"] == []


def test_bulk_mutation_refusals(fresh_sim):
    item, location, _level = levels(fresh_sim)[0]
    never_uploaded = stage(fresh_sim, [], upload=False)
    refused = run(fresh_sim, never_uploaded)
    assert refused["userErrors"][0]["code"] == "NO_SUCH_FILE"
    path = stage(fresh_sim, [line(item, location, 1, None)])
    invalid = run(fresh_sim, path, mutation="mutation { nothing }")
    assert invalid["userErrors"][0]["code"] == "INVALID_MUTATION"
    # an upload with a forged policy is refused by the storage
    staged = gql(
        fresh_sim,
        STAGE,
        {
            "i": [
                {
                    "resource": "BULK_MUTATION_VARIABLES",
                    "filename": "x.jsonl",
                    "mimeType": "text/jsonl",
                    "httpMethod": "POST",
                }
            ]
        },
    )["data"]["stagedUploadsCreate"]["stagedTargets"][0]
    form = {p["name"]: p["value"] for p in staged["parameters"]}
    form["policy"] = "forged"
    resp = requests.post(
        staged["url"], data=form, files={"file": ("x.jsonl", b"{}\n")}, timeout=10
    )
    assert resp.status_code == 403


# -- client ---------------------------------------------------------------------------


@pytest.fixture
def client(fresh_sim):
    shopify = ShopifyClient(
        DEMO_DOMAIN,
        DEMO_TOKEN,
        base_url=fresh_sim.base_url,
        throttle=CostThrottle(MemoryThrottleStore()),
        backoff_base=0.01,
    )
    shopify.sleep = lambda seconds: time.sleep(min(seconds, 0.02))
    yield shopify
    shopify.close()


def test_set_available_bulk_lands_every_level_and_retries_stale_lines(
    client, fresh_sim
):
    pairs = levels(fresh_sim)
    before = [lvl.available for _i, _l, lvl in pairs]
    assert min(before[:2]) >= 3
    changes = [QuantityChange(i, loc, 30, lvl.available) for i, loc, lvl in pairs]
    # two levels change in Shopify after our read (sales): their lines are stale
    for _item, _loc, lvl in pairs[:2]:
        lvl.available -= 3
    fresh_sim.clear_log()
    result = client.set_available_bulk(changes, reference_uri=REF)
    assert result.bulk_operations == 1
    assert result.bulk_lines == len(pairs)
    assert result.bulk_retried == 2
    assert len(result.stale_resolved) == 2
    assert len(result.applied) == len(pairs) and result.ok
    # the concurrent sales are kept (27), everything else lands at 30
    assert [lvl.available for _i, _l, lvl in pairs] == [27, 27] + [30] * (
        len(pairs) - 2
    )
    writes = [
        e for e in fresh_sim.log if e["operation_name"] == "InventorySetQuantities"
    ]
    assert [e["quantities"] for e in writes] == [2]  # only the stale lines
    # the stale ones were sent again from Shopify's figure as re-read
    assert [o.change_from for o in result.outcomes[:2]] == [
        before[0] - 3,
        before[1] - 3,
    ]
    assert result.outcomes[0].current == before[0] - 3


def test_set_available_bulk_reports_per_line_errors(client, fresh_sim):
    first_location = levels(fresh_sim)[0][1]
    pairs = [p for p in levels(fresh_sim) if p[1] == first_location][:3]
    fresh_sim.set_faults(item_errors={pairs[1][0]: "INVALID_INVENTORY_ITEM"})
    changes = [QuantityChange(i, loc, 4, lvl.available) for i, loc, lvl in pairs]
    result = client.set_available_bulk(changes, reference_uri=REF)
    assert [o.status for o in result.outcomes] == [
        Outcome.APPLIED,
        Outcome.FAILED,
        Outcome.APPLIED,
    ]
    assert result.outcomes[1].code == "INVALID_INVENTORY_ITEM"
    assert result.bulk_retried == 0
    assert [lvl.available for _i, _l, lvl in pairs][::2] == [4, 4]


def test_set_available_bulk_falls_back_when_five_run(client, fresh_sim):
    pairs = levels(fresh_sim)
    item, location, level = pairs[0]
    fresh_sim.hold_bulk()
    for _ in range(5):
        run(fresh_sim, stage(fresh_sim, [line(item, location, level.available, None)]))
    changes = [QuantityChange(i, loc, 12, lvl.available) for i, loc, lvl in pairs]
    fresh_sim.clear_log()
    result = client.set_available_bulk(changes, reference_uri=REF)
    fresh_sim.release_bulk()
    assert result.bulk_operations == 0
    assert result.bulk_retried == len(pairs)
    assert len(result.applied) == len(pairs)
    assert {lvl.available for _i, _l, lvl in pairs} == {12}
    writes = [
        e for e in fresh_sim.log if e["operation_name"] == "InventorySetQuantities"
    ]
    assert sum(e["quantities"] for e in writes) == len(pairs)


def test_set_available_bulk_failed_part_way_loses_no_line(client, fresh_sim):
    """An operation that fails after 3 lines: those are read from its partial
    file, every other line goes through the per-call path."""
    pairs = levels(fresh_sim)
    fresh_sim.set_faults(bulk_fail_after=3)
    changes = [QuantityChange(i, loc, 21, lvl.available) for i, loc, lvl in pairs]
    fresh_sim.clear_log()
    result = client.set_available_bulk(changes, reference_uri=REF)
    assert result.bulk_operations == 1
    assert result.bulk_lines == 3
    assert result.bulk_retried == len(pairs) - 3
    assert len(result.applied) == len(pairs) and result.ok
    assert {lvl.available for _i, _l, lvl in pairs} == {21}
    writes = [
        e for e in fresh_sim.log if e["operation_name"] == "InventorySetQuantities"
    ]
    assert sum(e["quantities"] for e in writes) == len(pairs) - 3
    assert all(e["user_errors"] == 0 for e in writes)


def test_stage_upload_retries_a_dropped_upload(client, fresh_sim):
    pairs = levels(fresh_sim)
    post = client.session.post
    dropped = []

    def flaky(url, *args, **kwargs):
        if url.endswith("/_sim/staged-uploads"):
            # the storage host never sees the access token
            assert DEMO_TOKEN not in json.dumps(kwargs.get("headers") or {})
            if not dropped:
                dropped.append(url)
                raise requests.ConnectionError("connection reset by peer")
        return post(url, *args, **kwargs)

    client.session.post = flaky
    changes = [QuantityChange(i, loc, 8, lvl.available) for i, loc, lvl in pairs]
    result = client.set_available_bulk(changes, reference_uri=REF)
    assert dropped and result.bulk_operations == 1
    assert {lvl.available for _i, _l, lvl in pairs} == {8}


def test_refused_upload_is_a_clear_error_and_writes_nothing(client, fresh_sim):
    pairs = levels(fresh_sim)
    before = [lvl.available for _i, _l, lvl in pairs]
    fresh_sim.staged_uploads.clear()
    real = fresh_sim.apply_staged_uploads

    def forget(shop, inputs):
        answer = real(shop, inputs)
        fresh_sim.staged_uploads.clear()  # the storage forgot the policy
        return answer

    fresh_sim.apply_staged_uploads = forget
    try:
        changes = [QuantityChange(i, loc, 8, lvl.available) for i, loc, lvl in pairs]
        with pytest.raises(ShopifyPermanentError, match="staged upload: HTTP 403"):
            client.set_available_bulk(changes, reference_uri=REF)
    finally:
        del fresh_sim.apply_staged_uploads
    assert [lvl.available for _i, _l, lvl in pairs] == before
