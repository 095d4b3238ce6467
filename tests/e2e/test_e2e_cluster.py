"""End to end on two Odoo nodes sharing one database, behind nginx.

The deployment of queue_job's README for several nodes: the nodes run
without ``queue_job`` in ``server_wide_modules``, queue_job's standalone
runner dispatches every job through nginx (round robin) to either node, and
the simulator delivers its webhooks to nginx too.  Inventory counts committed
over RPC by concurrent clients and Shopify orders arriving by webhook are
served by both nodes, their jobs run on both, nothing is done twice, the
levels converge to Odoo's figures, and with a small Shopify bucket (600
points restoring 10/s, barely more than the 528 points one order's
fulfilment orders query asks for, so two nodes asking at once must wait for
each other) our traffic is never answered ``THROTTLED``: both nodes draw on
the one estimate kept in PostgreSQL.
"""

import collections
import threading

import pytest

from ..harness import psql
from ..support.e2e_stack import (
    NJ,
    connect_shop,
    count,
    create_products,
    create_warehouses,
    database_copy,
    drain,
    simulated_shop,
    wait_levels,
)
from ..support.odoo_cluster import OdooCluster
from ..support.odoo_server import harness_conf, wait_until

# runs Odoo servers of its own: the harness's server shard (tests/support/shards.py)
pytestmark = pytest.mark.server

DOMAIN = "synco-cluster.myshopify.com"
TOKEN = "shpat_synco_cluster"
SECRET = "synco-cluster-webhook-secret"
COUNTED = [f"CLU-COUNT-{n:02d}" for n in range(16)]  # each counted once
ORDERED = [f"CLU-ORDER-{n:02d}" for n in range(8)]  # each bought once
WARMUP = "CLU-WARMUP"  # one order in the set-up: every document's cost known
SKUS = COUNTED + ORDERED + [WARMUP]
STOCK = 20
SMALL_BUCKET = (600, 10)  # points, restored per second


@pytest.fixture(scope="module")
def sim():
    with simulated_shop(
        DOMAIN,
        TOKEN,
        SECRET,
        "Synco Cluster",
        [(4001, NJ, None)],
        products=[(sku, "10.00") for sku in SKUS],
        stock={NJ: 50},
    ) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def cluster(sim):
    with database_copy("synco_e2e_cluster") as db_name:
        odoo = OdooCluster(name="cluster", db_name=db_name, channels="root:2")
        try:
            yield odoo.start()
        finally:
            odoo.stop()


def level(sim, sku):
    return sim.level(DOMAIN, sku, NJ)["available"]


@pytest.fixture(scope="module")
def setup(cluster, sim):
    """A shop, one mapped warehouse, stock, webhooks; a warm-up order."""
    products = create_products(cluster, SKUS)
    warehouses, stock = create_warehouses(cluster, {NJ: "CNJ"}, "Cluster")
    quant_ids = count(cluster, products, stock, {(sku, NJ): STOCK for sku in SKUS})
    quants = dict(zip(SKUS, quant_ids, strict=True))
    shop, _locations = connect_shop(
        cluster,
        sim,
        {
            "name": "Cluster E2E",
            "shop_domain": DOMAIN,
            "access_token": TOKEN,
            "webhook_secret": SECRET,
            "default_warehouse_id": warehouses[NJ],
        },
        stock,
    )
    cluster.call("shopify.shop", "action_register_webhooks", [shop])
    cluster.call("shopify.shop", "action_push_all", [shop])
    wait_levels(sim, DOMAIN, {(sku, NJ): STOCK for sku in SKUS}, 90)
    warmup = sim.create_order(DOMAIN, [(WARMUP, 1)], location=NJ)
    wait_until(lambda: imported(cluster, warmup), 90, what="the warm-up order imported")
    # the poll planned a minute later for a unit Shopify sold before the
    # import (held) runs now
    drain(cluster)
    assert sim.wait_for_deliveries(30)
    return {"shop": shop, "stock": stock[NJ], "products": products, "quants": quants}


def imported(cluster, order):
    return cluster.call(
        "sale.order",
        "search_read",
        [("shopify_order_gid", "=", order.id), ("shopify_state", "=", "imported")],
        fields=["state"],
    )


def small_bucket(cluster, sim):
    """Shopify's bucket shrinks; our shared estimate re-learns it.

    The estimate of the shop's level and size is dropped (the learnt cost of
    each document stays), so the next request probes, as after a plan change.
    """
    sim.set_bucket(*SMALL_BUCKET)
    conf, _db = harness_conf()
    psql(
        conf,
        cluster.db_name,
        "UPDATE shopify_throttle_state SET state = "
        "(state::jsonb - 'available' - 'max' - 'at' - 'observed_at')::text",
    )


def count_in_threads(cluster, setup, targets, clients=4):
    """Inventory counts committed over RPC by ``clients`` concurrent clients."""
    work = list(targets.items())
    errors = []

    def client(chunk):
        try:
            for sku, quantity in chunk:
                quant = setup["quants"][sku]
                cluster.call(
                    "stock.quant",
                    "write",
                    [quant],
                    {"inventory_quantity": quantity},
                    context={"inventory_mode": True},
                )
                cluster.call("stock.quant", "action_apply_inventory", [quant])
        except Exception as error:
            errors.append(error)

    threads = [
        threading.Thread(target=client, args=(work[i::clients],))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    return threads, errors


def test_two_nodes_one_database(cluster, sim, setup):
    small_bucket(cluster, sim)
    sim.clear_log()
    shop_state = sim.shop(DOMAIN)
    groups_before = set(shop_state.adjustment_groups)
    jobs_before = cluster.call("queue.job", "search", [])
    log_start = len(cluster.requests())

    targets = {sku: 100 + n for n, sku in enumerate(COUNTED)}
    threads, errors = count_in_threads(cluster, setup, targets)
    orders = [sim.create_order(DOMAIN, [(sku, 1)], location=NJ) for sku in ORDERED]
    for thread in threads:
        thread.join(120)
    assert not errors, errors

    expected = {**targets, **{sku: STOCK - 1 for sku in ORDERED}}
    for order in orders:
        wait_until(
            lambda o=order: imported(cluster, o),
            90,
            what=f"order {order.name} imported",
        )
    assert sim.wait_for_deliveries(60)
    cluster.wait_idle(180)
    for sku, quantity in expected.items():
        wait_until(
            lambda s=sku, q=quantity: level(sim, s) == q,
            60,
            what=f"{sku} at {quantity} on Shopify",
        )

    # levels converge to Odoo's figures
    figures = cluster.call(
        "product.product",
        "read",
        [setup["products"][sku] for sku in expected],
        ["default_code", "free_qty"],
        context={"location": setup["stock"]},
    )
    assert {p["default_code"]: p["free_qty"] for p in figures} == expected
    assert {sku: level(sim, sku) for sku in expected} == expected

    # nothing done twice: one sale order and one webhook event per order ...
    for order in orders:
        assert len(imported(cluster, order)) == 1
        events = cluster.call(
            "shopify.webhook.event",
            "search_count",
            [
                ("topic", "=", "orders/create"),
                ("sale_order_id.shopify_order_gid", "=", order.id),
            ],
        )
        assert events == 1, order.name
    # ... and one write per count (the ordered levels needed none: Shopify
    # had already taken the unit Odoo reserved)
    writes = collections.Counter()
    for number, group in shop_state.adjustment_groups.items():
        if number in groups_before:
            continue
        for change in group.changes:
            if change.name == "available":
                writes[change.item.sku] += 1
    assert writes == dict.fromkeys(COUNTED, 1)

    # both nodes served RPC, webhooks and job runs; jobs ran on both
    served = collections.defaultdict(set)
    for entry in cluster.requests()[log_start:]:
        kind = entry["uri"].split("?")[0].strip("/").split("/")[0]
        served[kind].add(entry["node"])
    rpc = served["jsonrpc"] | served["json"]
    assert rpc == {0, 1}, dict(served)
    assert served["synco_shopify"] == {0, 1}, dict(served)
    assert served["queue_job"] == {0, 1}, dict(served)
    jobs = cluster.call(
        "queue.job",
        "search_read",
        [("id", "not in", jobs_before)],
        fields=["state", "worker_pid", "method_name", "result"],
    )
    assert jobs and {job["state"] for job in jobs} == {"done"}
    # a job ran in a worker, or a running push took it over while pending
    ran = [job for job in jobs if job["worker_pid"]]
    taken_over = [job for job in jobs if not job["worker_pid"]]
    assert all(job["result"].startswith("Pushed by job ") for job in taken_over)
    assert {cluster.node_of_pid(job["worker_pid"]) for job in ran} == {0, 1}

    # a 50-point bucket shared by two nodes: never THROTTLED
    ours = [entry for entry in sim.log if entry.get("shop") == DOMAIN]
    assert ours, "no Shopify call in the scenario"
    # the scenario asked for more than the bucket holds: it had to wait
    assert sum(entry.get("requested_cost") or 0 for entry in ours) > SMALL_BUCKET[0]
    assert not [entry for entry in ours if entry.get("throttled")]
