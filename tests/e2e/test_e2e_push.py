"""End to end: a real Odoo server, its job runner, PostgreSQL and the simulator.

Stock changed over RPC (an inventory count, a delivery, a move into quarantine)
reaches the simulator through the quant hooks, queue_job and the push job,
with nothing polling.  Then the server is killed in the middle of a push and
restarted: the job runs again (at least once) and the level converges, because
pushes are compare-and-set and idempotent.
"""

import pytest

from ..shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator
from ..shopify_simulator.fixtures import DEMO_PRODUCTS
from ..support.e2e_stack import connect_shop, create_products
from ..support.odoo_server import OdooServer, wait_until

# runs Odoo servers of its own: the harness's server shard (tests/support/shards.py)
pytestmark = pytest.mark.server

SKUS = [sku for _title, skus, _price in DEMO_PRODUCTS for sku in skus]
TEE = "SYN-TEE-BLK-M"
MUG = "SYN-MUG-001"
NJ = "New Jersey Warehouse"


@pytest.fixture(scope="module")
def sim():
    simulator = Simulator(fixture="demo").start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def odoo(sim):
    server = OdooServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def setup(odoo, sim):
    """Configure the shop over RPC, as an integrator would."""
    products = create_products(odoo, SKUS)
    warehouse = odoo.call("stock.warehouse", "search_read", [], fields=["lot_stock_id"])
    stock_location = warehouse[0]["lot_stock_id"][0]
    quarantine = odoo.call(
        "stock.location",
        "create",
        {"name": "Quarantine", "location_id": stock_location},
    )
    shop, _locations = connect_shop(
        odoo,
        sim,
        {"name": "E2E", "shop_domain": DEMO_DOMAIN, "access_token": DEMO_TOKEN},
        {NJ: stock_location},
        excluded={NJ: [quarantine]},
    )
    return {
        "shop": shop,
        "products": products,
        "stock": stock_location,
        "quarantine": quarantine,
        "customers": odoo.ref("stock.stock_location_customers"),
        "picking_types": odoo.call(
            "stock.warehouse",
            "read",
            [warehouse[0]["id"]],
            ["out_type_id", "int_type_id"],
        )[0],
    }


def count_inventory(odoo, setup, sku, quantity):
    quant = odoo.call(
        "stock.quant",
        "create",
        {
            "product_id": setup["products"][sku],
            "location_id": setup["stock"],
            "inventory_quantity": quantity,
        },
        context={"inventory_mode": True},
    )
    odoo.call("stock.quant", "action_apply_inventory", [quant])


def transfer(odoo, setup, sku, quantity, dest, picking_type):
    picking = odoo.call(
        "stock.picking",
        "create",
        {
            "picking_type_id": setup["picking_types"][picking_type][0],
            "location_id": setup["stock"],
            "location_dest_id": dest,
            "move_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": setup["products"][sku],
                        "product_uom_qty": quantity,
                        "location_id": setup["stock"],
                        "location_dest_id": dest,
                    },
                )
            ],
        },
    )
    odoo.call("stock.picking", "action_confirm", [picking])
    odoo.call("stock.picking", "action_assign", [picking])
    return picking


def validate(odoo, picking):
    moves = odoo.call("stock.move", "search", [("picking_id", "=", picking)])
    odoo.call("stock.move", "write", moves, {"picked": True})
    odoo.call("stock.picking", "button_validate", [picking])
    state = odoo.call("stock.picking", "read", [picking], ["state"])[0]["state"]
    assert state == "done"


def shopify(sim, sku):
    return sim.level(DEMO_DOMAIN, sku, NJ)["available"]


def diagnose(odoo, sim):
    """What the jobs and the simulator say, for a failure message."""
    jobs = odoo.call(
        "queue.job",
        "search_read",
        [],
        fields=["name", "state", "retry", "exc_info", "result", "date_started"],
    )
    levels = odoo.call(
        "shopify.inventory.level",
        "search_read",
        [],
        fields=["product_id", "shopify_location_id", "expected_qty", "last_outcome"],
    )
    shop = sim.store.shop(DEMO_DOMAIN)
    item = shop.item_for(TEE)
    return (
        f"jobs: {jobs}\nlevels: {levels}\nsimulator {TEE} item {item.number}: "
        f"{ {n: lvl.as_dict() for n, lvl in item.levels.items()} }\n"
        f"simulator log: {sim.log[-5:]}"
    )


def test_stock_changes_reach_shopify_without_polling(odoo, sim, setup):
    count_inventory(odoo, setup, TEE, 40)
    wait_until(
        lambda: shopify(sim, TEE) == 40,
        60,
        what="count pushed",
        explain=lambda: diagnose(odoo, sim),
    )

    delivery = transfer(odoo, setup, TEE, 5, setup["customers"], "out_type_id")
    wait_until(lambda: shopify(sim, TEE) == 35, 60, what="reservation pushed")
    validate(odoo, delivery)

    to_quarantine = transfer(odoo, setup, TEE, 10, setup["quarantine"], "int_type_id")
    validate(odoo, to_quarantine)
    wait_until(lambda: shopify(sim, TEE) == 25, 60, what="quarantine pushed")

    jobs = odoo.call(
        "queue.job",
        "search_read",
        [("method_name", "=", "_job_push_inventory")],
        fields=["state", "channel"],
    )
    assert jobs and all(j["channel"].startswith("root.synco_shopify") for j in jobs)
    wait_until(
        lambda: odoo.jobs_done("_job_push_inventory"),
        60,
        what="every push job done",
        explain=lambda: odoo.jobs_report("_job_push_inventory"),
    )
    # the untouched product was pushed once, when its mapping became active
    # (Odoo has none of it), never by the tee's moves
    assert shopify(sim, MUG) == 0


def test_buffer_rule_reaches_shopify_without_a_stock_move(odoo, sim, setup):
    """A configuration change is pushed at its commit, like a stock change."""
    wait_until(
        lambda: odoo.jobs_done("_job_push_inventory"),
        60,
        what="pushes done",
        explain=lambda: odoo.jobs_report("_job_push_inventory"),
    )
    before = shopify(sim, TEE)
    assert before > 5
    rule = odoo.call(
        "shopify.buffer.rule",
        "create",
        {
            "shop_id": setup["shop"],
            "product_id": setup["products"][TEE],
            "buffer_units": 5,
        },
    )
    wait_until(
        lambda: shopify(sim, TEE) == before - 5,
        60,
        what="buffer pushed",
        explain=lambda: diagnose(odoo, sim),
    )
    odoo.call("shopify.buffer.rule", "unlink", [rule])
    wait_until(lambda: shopify(sim, TEE) == before, 60, what="buffer removal pushed")


def test_killed_mid_job_converges_after_restart(odoo, sim, setup):
    sim.set_faults(latency=6.0)  # every Shopify call now hangs for 6 s
    count_inventory(odoo, setup, MUG, 77)

    def started():
        return odoo.call(
            "queue.job",
            "search_read",
            [("method_name", "=", "_job_push_inventory"), ("state", "=", "started")],
            fields=["uuid", "date_enqueued"],
        )

    job = wait_until(started, 60, what="push job started")[0]
    odoo.kill()  # workers and runner die with the job in flight
    sim.clear_faults()
    # the runner requeues a dead job 10 s after it was enqueued
    odoo.restart_after_kill([job])
    wait_until(lambda: shopify(sim, MUG) == 77, 90, what="level converged")
    final = wait_until(
        lambda: odoo.call(
            "queue.job",
            "search_read",
            [("uuid", "=", job["uuid"]), ("state", "=", "done")],
            fields=["retry"],
        ),
        60,
        what="interrupted job done",
    )
    assert final[0]["retry"] >= 1  # it did run a second time
    writes = [
        e
        for e in sim.log
        if "inventorySetQuantities" in e.get("root_fields", [])
        and not e.get("idempotent_replay")
    ]
    assert writes, "the push reached the simulator"
    assert shopify(sim, MUG) == 77


def test_server_log_has_no_rpc_deprecation_warning(odoo):
    """The harness, the tests and the tools speak JSON-2 with an API key."""
    assert odoo.log_path.exists()
    assert odoo.deprecation_warnings() == []
