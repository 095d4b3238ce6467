"""Kill -9 anywhere: the server killed mid-job converges after its restart.

A real Odoo server (prefork workers, the queue_job runner) is SIGKILLed,
workers and runner at once, while a job is half-way through:

* a batched push of 30 products, while its ``inventorySetQuantities`` call
  is in flight (Shopify applies it; Odoo's transaction dies);
* a reconciliation of 30 products x 3 locations, while its writes are in
  flight;
* order imports arriving by webhook (and the poll), while an import runs.

Simulator latency holds the job at the chosen point; nothing sleeps for
luck.  After the restart, queue_job's runner requeues the job left
*started* (its lock row died with its worker, see ``requeue_dead_jobs``)
once it was enqueued 10 s ago, and the job runs again from scratch on the
committed data.  Every level then equals Odoo's figure, nothing is held for
a sale that never was, every Shopify order exists exactly once in Odoo with
its reservation, and no job failed.
"""

import datetime

import pytest

from ..support.e2e_stack import (
    NJ,
    TX,
    UK,
    address,
    connect_shop,
    count,
    create_products,
    create_warehouses,
    drain,
    run_cron,
    server_on_copy,
    simulated_shop,
)
from ..support.odoo_server import wait_until

# runs Odoo servers of its own: the harness's server shard (tests/support/shards.py)
pytestmark = pytest.mark.server

DOMAIN = "synco-kill.myshopify.com"
TOKEN = "shpat_synco_kill"
SECRET = "synco-kill-webhook-secret"
LOCATIONS = [
    (4001, NJ, address(NJ, "US", "07001")),
    (4002, TX, address(TX, "US", "73301")),
    (4003, UK, address(UK, "GB", "")),
]
BATCH = [f"KILL-{i:06d}" for i in range(30)]  # above the batch threshold (20)
TEE, MUG = "KILL-TEE", "KILL-MUG"
UK_ADDRESS = {
    "first_name": "Ada",
    "last_name": "Buyer",
    "address1": "1 Dock Rd",
    "city": "London",
    "country_code": "GB",
    "zip": "E16 1AA",
}
# each Shopify call takes this long while a test waits for its moment
LATENCY = 3.0


@pytest.fixture(scope="module")
def sim():
    with simulated_shop(DOMAIN, TOKEN, SECRET, "Synco Kill", LOCATIONS) as simulator:
        simulator.seed_catalogue(DOMAIN, len(BATCH), sku_prefix="KILL-", available=0)
        simulator.add_product(DOMAIN, TEE, [TEE], stock={NJ: 20, TX: 20, UK: 20})
        # one stale level, which the set-up's push writes: the write's cost is
        # known before any kill (the first call of a document probes the
        # bucket, and a probe killed in flight holds that document back for
        # the 60 s its reservation lives)
        simulator.add_product(DOMAIN, MUG, [MUG], stock={NJ: 20, TX: 20, UK: 19})
        yield simulator


@pytest.fixture(scope="module")
def odoo(sim):
    with server_on_copy("kill") as server:
        yield server


@pytest.fixture(scope="module")
def setup(odoo, sim):
    """Three warehouses mapped one-to-one, 32 bound products."""
    skus = [*BATCH, TEE, MUG]
    products = create_products(odoo, skus)
    warehouses, stock = create_warehouses(
        odoo, {NJ: "KNJ", TX: "KTX", UK: "KUK"}, "Kill"
    )
    count(
        odoo, products, stock, {(sku, loc): 20 for sku in (TEE, MUG) for loc in stock}
    )
    shop, locations = connect_shop(
        odoo,
        sim,
        {
            "name": "Kill E2E",
            "shop_domain": DOMAIN,
            "access_token": TOKEN,
            "webhook_secret": SECRET,
            "default_warehouse_id": warehouses[NJ],
        },
        stock,
    )
    # orders Shopify assigns to the UK ship from the UK warehouse: the
    # import reads each order's fulfilment orders from Shopify first
    odoo.call(
        "shopify.order.route",
        "create",
        {
            "shop_id": shop,
            "name": "Assigned to the UK",
            "sequence": 1,
            "shopify_location_id": locations[UK],
            "warehouse_id": warehouses[UK],
        },
    )
    odoo.call("shopify.shop", "action_push_all", [shop])
    context = {
        "shop": shop,
        "products": products,
        "stock": stock,
        "locations": locations,
    }
    wait_until(lambda: settled(odoo, shop), 120, what="setup pushes done")
    assert_converged(odoo, sim, context, skus)
    return context


# ---------------------------------------------------------------- helpers
def shop_jobs(shop):
    """The domain of the shop's jobs (a reused database may hold others)."""
    return [("channel", "=", f"root.synco_shopify.shop_{shop}")]


def settled(odoo, shop):
    """No job of the shop waiting to run now (a poll planned later may)."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return not odoo.call(
        "queue.job",
        "search_count",
        [
            *shop_jobs(shop),
            ("state", "in", ("pending", "enqueued", "started")),
            "|",
            ("eta", "=", False),
            ("eta", "<=", now),
        ],
    )


def odoo_figures(odoo, context, skus):
    """{(sku, location name): free units Odoo has in the mapped warehouse}."""
    quants = odoo.call(
        "stock.quant",
        "search_read",
        [
            ("product_id", "in", [context["products"][s] for s in skus]),
            ("location_id", "in", list(context["stock"].values())),
        ],
        fields=["product_id", "location_id", "quantity", "reserved_quantity"],
    )
    by_id = {pid: sku for sku, pid in context["products"].items()}
    by_location = {loc: name for name, loc in context["stock"].items()}
    figures = {(sku, name): 0 for sku in skus for name in context["stock"]}
    for quant in quants:
        key = (by_id[quant["product_id"][0]], by_location[quant["location_id"][0]])
        figures[key] += int(quant["quantity"] - quant["reserved_quantity"])
    return figures


def shopify_figures(sim, skus):
    levels = sim.levels(DOMAIN)
    return {
        (sku, name): levels[sku, name]["available"]
        for sku in skus
        for name in (NJ, TX, UK)
    }


def mismatches(odoo, sim, context, skus):
    odoo_side = odoo_figures(odoo, context, skus)
    shopify_side = shopify_figures(sim, skus)
    return {
        key: (value, shopify_side[key])
        for key, value in odoo_side.items()
        if shopify_side[key] != value
    }


def held_levels(odoo, context):
    return odoo.call(
        "shopify.inventory.level",
        "search_read",
        [("shop_id", "=", context["shop"]), ("held_qty", ">", 0)],
        fields=["product_id", "shopify_location_id", "held_qty"],
    )


def assert_converged(odoo, sim, context, skus):
    """Shopify shows Odoo's figures, nothing held, no job failed."""
    wait_until(
        lambda: not mismatches(odoo, sim, context, skus),
        90,
        what="Shopify equal to Odoo",
        explain=lambda: f"(odoo, shopify): {mismatches(odoo, sim, context, skus)}",
    )
    wait_until(lambda: settled(odoo, context["shop"]), 90, what="every job run")
    assert held_levels(odoo, context) == []
    failed = odoo.call(
        "queue.job",
        "search_read",
        [*shop_jobs(context["shop"]), ("state", "=", "failed")],
        fields=["name", "exc_info"],
    )
    assert failed == []


def poll_orders(odoo):
    """Run the order poll cron now (it enqueues the poll job)."""
    run_cron(odoo, "synco_shopify.ir_cron_poll_orders")


def started_jobs(odoo, method):
    return odoo.call(
        "queue.job",
        "search_read",
        [("method_name", "=", method), ("state", "=", "started")],
        fields=["uuid", "date_enqueued"],
    )


def diagnose(odoo, sim):
    """What the jobs and the simulator say, for a failure message."""
    jobs = odoo.call(
        "queue.job",
        "search_read",
        [],
        fields=["name", "state", "retry", "eta", "result", "exc_info"],
        order="id desc",
        limit=6,
    )
    log = [
        (e.get("root_fields"), e.get("http_status"), e.get("idempotency_key"))
        for e in sim.log[-8:]
    ]
    return f"last jobs: {jobs}\nsimulator log: {log}"


def write_in_flight(odoo, sim, timeout=60):
    """Wait until a write (an idempotency key) is on the wire to Shopify."""
    wait_until(
        sim.writes_in_flight,
        timeout,
        interval=0.05,
        what="a write in flight",
        explain=lambda: diagnose(odoo, sim),
    )


def kill_and_restart(odoo, sim, jobs):
    """SIGKILL the server with ``jobs`` started; start it again, its runner
    requeuing them as soon as queue_job takes them for dead (10 s after
    they were enqueued, when their lock is free)."""
    odoo.kill()
    sim.clear_faults()
    odoo.restart_after_kill(jobs)


def interrupted_jobs_done(odoo, uuids):
    """The jobs (state, retries) once they are all done, else None."""
    runs = odoo.call(
        "queue.job",
        "search_read",
        [("uuid", "in", uuids)],
        fields=["state", "retry"],
    )
    return runs if runs and all(job["state"] == "done" for job in runs) else None


# ------------------------------------------------------------------ tests
def test_killed_mid_batch_push_converges(odoo, sim, setup):
    sim.set_faults(latency=LATENCY)
    quantities = {
        (sku, loc): 10 + (i + n) % 7
        for i, sku in enumerate(BATCH)
        for n, loc in enumerate((NJ, TX, UK))
    }
    count(odoo, setup["products"], setup["stock"], quantities)
    # the batch job's inventorySetQuantities has reached Shopify, which will
    # apply it; the worker dies before its commit
    write_in_flight(odoo, sim)
    jobs = started_jobs(odoo, "_job_push_inventory")
    assert jobs, "the batch push job is running"
    kill_and_restart(odoo, sim, jobs)
    assert_converged(odoo, sim, setup, BATCH)
    # the interrupted job runs again (when the push of the count, enqueued
    # beside it, holds the same levels, after its retry delay)
    uuids = [job["uuid"] for job in jobs]
    runs = wait_until(
        lambda: interrupted_jobs_done(odoo, uuids), 60, what="interrupted job done"
    )
    assert all(job["retry"] >= 1 for job in runs)
    assert_converged(odoo, sim, setup, BATCH)


def test_killed_mid_reconciliation_converges(odoo, sim, setup):
    """A bulk count with event pushes paused, then a reconciliation writes
    the 90 levels and is killed with its writes in flight."""
    wait_until(lambda: settled(odoo, setup["shop"]), 60, what="quiet before the test")
    odoo.call(
        "ir.config_parameter", "set_param", key="synco_shopify.push_paused", value="1"
    )
    lowered = {
        (sku, loc): 2 + (i + n) % 5
        for i, sku in enumerate(BATCH)
        for n, loc in enumerate((NJ, TX, UK))
    }
    count(odoo, setup["products"], setup["stock"], lowered)
    odoo.call(
        "ir.config_parameter", "set_param", key="synco_shopify.push_paused", value=False
    )
    assert len(mismatches(odoo, sim, setup, BATCH)) == len(lowered)
    runs_before = odoo.call(
        "shopify.reconciliation", "search_count", [("shop_id", "=", setup["shop"])]
    )
    sim.set_faults(latency=LATENCY)
    action = odoo.call("shopify.shop", "action_reconcile", [setup["shop"]])
    run_id = action["res_id"]
    write_in_flight(odoo, sim, 90)
    jobs = started_jobs(odoo, "_job_run")
    assert jobs, "the reconciliation job is running"
    kill_and_restart(odoo, sim, jobs)
    run = wait_until(
        lambda: odoo.call(
            "shopify.reconciliation",
            "search_read",
            [("id", "=", run_id), ("state", "=", "done")],
            fields=["checked_count", "drifted_count", "failed_count"],
        ),
        90,
        what="the run done after its restart",
    )[0]
    # the first attempt's writes landed: the run found them in sync
    assert run["checked_count"] >= 3 * len(BATCH)
    assert run["failed_count"] == 0
    assert_converged(odoo, sim, setup, BATCH)
    # the interrupted run finished; none was added
    assert (
        odoo.call(
            "shopify.reconciliation",
            "search_count",
            [("shop_id", "=", setup["shop"])],
        )
        == runs_before + 1
    )
    # Odoo remembers what Shopify holds: the next change is written from
    # it, not taken for a Shopify sale
    count(odoo, setup["products"], setup["stock"], {(BATCH[0], NJ): 1})
    assert_converged(odoo, sim, setup, BATCH)


def test_killed_mid_order_import_imports_each_order_once(odoo, sim, setup):
    wait_until(lambda: settled(odoo, setup["shop"]), 60, what="quiet before the test")
    # webhooks only now: the pushes above would send one per level written
    odoo.call("shopify.shop", "action_register_webhooks", [setup["shop"]])
    orders = []
    # two orders whose orders/create webhook Shopify loses: the poll's
    for sku, qty in ((TEE, 1), (MUG, 2)):
        sim.set_faults(drop_next_webhooks=1)
        orders.append(
            sim.create_order(
                DOMAIN, [(sku, qty)], shipping_address=UK_ADDRESS, location=UK
            )
        )
        assert sim.wait_for_deliveries(30)
    sim.set_faults(latency=LATENCY)
    for lines in ([(TEE, 2)], [(MUG, 1), (TEE, 1)], [(MUG, 3)]):
        orders.append(
            sim.create_order(DOMAIN, lines, shipping_address=UK_ADDRESS, location=UK)
        )
    poll_orders(odoo)
    # an import is reading its order's fulfilment orders from Shopify
    jobs = wait_until(
        lambda: started_jobs(odoo, "_job_process"),
        60,
        interval=0.1,
        what="import running",
    )
    jobs += started_jobs(odoo, "_job_poll_orders")
    odoo.kill()
    # Shopify takes an order while Odoo is down: its webhook fails, retries
    # included
    orders.append(
        sim.create_order(DOMAIN, [(TEE, 2)], shipping_address=UK_ADDRESS, location=UK)
    )
    assert sim.wait_for_deliveries(60)
    assert [
        d["status"]
        for d in sim.deliveries()
        if d["topic"] == "ORDERS_CREATE" and d["payload"]["id"] == orders[-1].number
    ] == ["failed"]
    kill_and_restart(odoo, sim, jobs)
    poll_orders(odoo)  # the 15-minute poll, as its cron would

    def imported():
        found = odoo.call(
            "sale.order",
            "search_read",
            [("shopify_shop_id", "=", setup["shop"])],
            fields=["shopify_order_gid", "state"],
        )
        return {so["shopify_order_gid"] for so in found} >= {o.id for o in orders}

    # a job the kill left waiting for its next try (the outage wait, the poll a
    # held sale planned a minute later) runs now rather than after its delay
    drain(odoo, 180, what="the jobs the restart left")
    wait_until(imported, 90, what="every Shopify order imported")
    assert_converged(odoo, sim, setup, [TEE, MUG])
    sale_orders = odoo.call(
        "sale.order",
        "search_read",
        [("shopify_shop_id", "=", setup["shop"])],
        fields=["shopify_order_gid", "state", "order_line"],
    )
    gids = [so["shopify_order_gid"] for so in sale_orders]
    assert sorted(gids) == sorted(o.id for o in orders)  # each exactly once
    assert {so["state"] for so in sale_orders} == {"sale"}
    # each order reserved once, what it ordered, in the UK warehouse
    for order in orders:
        so = next(s for s in sale_orders if s["shopify_order_gid"] == order.id)
        moves = odoo.call(
            "stock.move",
            "search_read",
            [("sale_line_id", "in", so["order_line"]), ("state", "!=", "cancel")],
            fields=["product_id", "product_uom_qty", "quantity", "location_id"],
        )
        ordered = {}
        for line in order.lines:
            pid = setup["products"][line.variant.sku]
            ordered[pid] = ordered.get(pid, 0) + line.quantity
        reserved = {}
        for move in moves:
            assert move["location_id"][0] == setup["stock"][UK]
            assert move["quantity"] == move["product_uom_qty"]
            pid = move["product_id"][0]
            reserved[pid] = reserved.get(pid, 0) + move["product_uom_qty"]
        assert reserved == ordered, order.name


def test_server_log_has_no_rpc_deprecation_warning(odoo):
    """The harness, the tests and the tools speak JSON-2 with an API key."""
    assert odoo.log_path.exists()
    assert odoo.deprecation_warnings() == []
