"""Two pushes of one product that overlap, in two real transactions.

A push job runs while a stock change enqueues another push of the same
product, which the second worker starts before the first one commits.  The
later push must not take the earlier one's write for a Shopify sale (it did:
Odoo 6, Shopify 2); it must stop before calling Shopify and, retried on
fresh data, set Odoo's figure.  It commits, on the test database, and
deletes what it made; the simulator runs in this process.
"""

import contextlib
import datetime
import time

import psycopg2
import pytest

import odoo
from odoo.modules.registry import Registry

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import PENDING, Job

from ..shopify_simulator import Simulator

# commits into the test database from this process (tests/support/shards.py)
pytestmark = pytest.mark.database

DOMAIN = "synco-race.myshopify.com"
TOKEN = "shpat_race"
SKU = "SYN-RACE-001"
WAREHOUSE = "Race Warehouse"


@pytest.fixture(scope="module")
def sim():
    simulator = Simulator().start()
    shop = simulator.add_shop(DOMAIN, token=TOKEN)
    simulator.add_location(shop, WAREHOUSE)
    simulator.add_product(shop, "Race", [SKU], stock={WAREHOUSE: 50})
    yield simulator
    simulator.stop()


@contextlib.contextmanager
def transaction(registry):
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


def shopify(sim):
    return sim.level(DOMAIN, SKU, WAREHOUSE)["available"]


@pytest.fixture
def registry():
    """The test database's registry, and a clean-up of what the test made."""
    db_name = odoo.tools.config["db_name"]
    registry = Registry(db_name[0] if isinstance(db_name, list) else db_name)
    yield registry
    for attempt in range(5):  # the job runner of this process may touch a job
        try:
            with transaction(registry) as env:
                _clean_up(env)
            break
        except psycopg2.errors.SerializationFailure:
            if attempt == 4:
                raise
            time.sleep(1)


def _race_shop(env, sim):
    """The shop the racing transactions work on, on the simulator."""
    return env["shopify.shop"].create(
        {
            "name": "Race",
            "shop_domain": DOMAIN,
            "access_token": TOKEN,
            "api_base_url": sim.base_url,
        }
    )


def _clean_up(env):
    shops = env["shopify.shop"].search([("shop_domain", "=", DOMAIN)])
    # its jobs too: left behind, they fail on the deleted binding and later
    # tests of the database (end-to-end clones) see a failed push
    channels = [shop._job_channel() for shop in shops]
    env["queue.job"].search([("channel", "in", channels)]).unlink()
    products = env["product.product"].search([("default_code", "=", SKU)])
    orders = env["sale.order"].search([("order_line.product_id", "in", products.ids)])
    orders.filtered(lambda o: o.state == "sale")._action_cancel()
    orders.unlink()
    shops.unlink()
    products.unlink()


def test_overlapping_pushes_of_one_product_converge(sim, registry):
    sim_shop = sim.shop(DOMAIN)
    with transaction(registry) as env:
        shop = _race_shop(env, sim)
        location = env["shopify.location"].create(
            {
                "name": WAREHOUSE,
                "shop_id": shop.id,
                "shopify_gid": sim_shop.location_named(WAREHOUSE).id,
            }
        )
        product = env["product.product"].create(
            {"name": "Race", "default_code": SKU, "is_storable": True}
        )
        binding = env["shopify.product.binding"].create(
            {
                "shop_id": shop.id,
                "product_id": product.id,
                "sku": SKU,
                "shopify_inventory_item_gid": sim_shop.item_for(SKU).id,
            }
        )
        shop._push_levels({binding: {location: 10}})
        ids = shop.id, location.id, binding.id
    assert shopify(sim) == 10

    def push(env, quantity):
        shop = env["shopify.shop"].browse(ids[0])
        location = env["shopify.location"].browse(ids[1])
        binding = env["shopify.product.binding"].browse(ids[2])
        return shop._push_levels({binding: {location: quantity}})

    with transaction(registry) as env_b:
        env_b.cr.execute("SELECT 1")  # the later push's snapshot is taken
        with transaction(registry) as env_a:
            push(env_a, 7)  # the earlier push commits meanwhile
        assert shopify(sim) == 7
        sim.clear_log()
        # queue_job runs it again on fresh data, without spending a retry
        with pytest.raises(RetryableJobError) as raised:
            push(env_b, 6)
        assert raised.value.ignore_retry
        env_b.cr.rollback()
    assert sim.log == [], "the stale push stopped before calling Shopify"
    assert shopify(sim) == 7
    with transaction(registry) as env_retry:  # queue_job's retry
        push(env_retry, 6)
    assert shopify(sim) == 6


def test_a_push_never_takes_over_a_job_a_later_change_collapsed_into(registry):
    """The burst take-over and the collapse of a change, in two transactions.

    A push starts (its snapshot taken), then a stock change commits and
    collapses into a pending push of its product.  The running push must
    leave that job to the runner: taken over, it would push stock read
    before the change, and the change would never reach Shopify (bench
    push --parts burst saw 10 of 5 000 changes lost that way).
    """
    key = "synco_shopify.push:take-over-race"
    with transaction(registry) as env:
        # not due before 2099: the job runner of this process leaves it alone
        job = Job(
            env["shopify.product.binding"]._job_push_inventory,
            identity_key=key,
            eta=datetime.datetime(2099, 1, 1),
        )
        job.store()
        job_id = env["queue.job"].search([("uuid", "=", job.uuid)]).id
    try:
        with transaction(registry) as push, transaction(registry) as change:
            # the push's snapshot begins before the change commits
            push.cr.execute("SELECT id FROM queue_job WHERE id = %s", [job_id])
            collapsed = change["shopify.product.binding"]._lock_pending_pushes([key])
            assert collapsed == {key}, "the change collapses into the pending job"
            change.cr.commit()
            taken = push["shopify.product.binding"]._lock_pending_jobs([job_id])
            assert taken == [], "the job is left to the runner, not taken over"
        with transaction(registry) as env:
            state = env["queue.job"].browse(job_id).state
            assert state == PENDING, "still pending: the runner will run it"
    finally:
        with transaction(registry) as env:
            env["queue.job"].browse(job_id).unlink()


def test_order_import_leaves_the_levels_to_a_running_push(sim, registry):
    """The storm's 17 serialization failures, one by one.

    A push holds a product's levels (locked and written, not committed: its
    Shopify calls take time) when an order of that product is imported.  The
    import used to write the same rows (held units released, level
    forgotten), wait for the push, then fail to serialize and run again.  It
    now tries them without waiting: held, it commits at once, and the push
    it enqueues settles the levels once it holds their locks.
    """
    sim_shop = sim.shop(DOMAIN)
    with transaction(registry) as env:
        last_job = env["queue.job"].search([], order="id desc", limit=1).id or 0
        shop = _race_shop(env, sim)
        location = env["shopify.location"].create(
            {
                "name": WAREHOUSE,
                "shop_id": shop.id,
                "shopify_gid": sim_shop.location_named(WAREHOUSE).id,
            }
        )
        env["shopify.location.mapping"].create(
            {
                "shop_id": shop.id,
                "shopify_location_id": location.id,
                "state": "active",
                "source_ids": [
                    (0, 0, {"location_id": env.ref("stock.stock_location_stock").id})
                ],
            }
        )
        product = env["product.product"].create(
            {"name": "Race", "default_code": SKU, "is_storable": True}
        )
        binding = env["shopify.product.binding"].create(
            {
                "shop_id": shop.id,
                "product_id": product.id,
                "sku": SKU,
                "shopify_inventory_item_gid": sim_shop.item_for(SKU).id,
            }
        )
        shop._push_levels({binding: {location: 5}})
        # Shopify sold 2 before Odoo had the order: held on the level
        sim.set_available(DOMAIN, SKU, WAREHOUSE, 3)
        binding.level_ids.write({"held_qty": 2, "held_date": "2026-07-01 10:00:00"})
        partner = env["res.partner"].create({"name": "Race Buyer"})
        order = env["sale.order"].create(
            {
                "partner_id": partner.id,
                "shopify_shop_id": shop.id,
                "shopify_order_gid": "gid://shopify/Order/424242",
                "order_line": [
                    (0, 0, {"product_id": product.id, "product_uom_qty": 2})
                ],
            }
        )
        ids = order.id, binding.id, product.id
    try:
        with transaction(registry) as env_push:
            binding = env_push["shopify.product.binding"].browse(ids[1])
            levels = binding.shop_id._prepare_levels(
                {binding: {binding.level_ids.shopify_location_id: 0}}
            )
            for level in levels.values():
                level.last_message = "push in flight"
            env_push.flush_all()
            with transaction(registry) as env_import:
                # a wait on the push's rows fails at once instead of hanging
                env_import.cr.execute("SET LOCAL lock_timeout = '2s'")
                order = env_import["sale.order"].browse(ids[0])
                settled_now = env_import["shopify.order.import"]._forget_levels(order)
                env_import.flush_all()
                # run below by the test, not by the runner of this process
                env_import["queue.job"].search(
                    [("id", ">", last_job), ("method_name", "=", "_job_push_inventory")]
                ).write({"eta": "2099-01-01 00:00:00"})
            # the import committed while the push still holds the levels
            assert settled_now is False, "left to a push"
        with transaction(registry) as env_job:
            jobs = env_job["queue.job"].search(
                [("id", ">", last_job), ("method_name", "=", "_job_push_inventory")]
            )
            settle = jobs.filtered(lambda job: job.kwargs.get("settle"))
            assert len(settle) == 1
            assert settle.kwargs["settle"]["release"] == [[ids[2], 2.0]]
            job = Job.load(env_job, settle.uuid)
            job.perform()
            job.set_done()
            job.store()
            level = env_job["shopify.product.binding"].browse(ids[1]).level_ids
            assert level.held_qty == 0, "the order explains the held units"
            assert (level.shopify_known, level.shopify_available) == (True, 0)
        assert shopify(sim) == 0  # Odoo's figure: no stock, nothing held
    finally:
        with transaction(registry) as env:
            env["sale.order"].browse(ids[0]).unlink()
            # the pushes held back above; the runner never takes those
            env["queue.job"].search(
                [("id", ">", last_job), ("eta", "=", "2099-01-01 00:00:00")]
            ).unlink()


def test_an_order_import_never_waits_on_quants_another_job_reserves(registry):
    """Two imports reserving the same product's stock, side by side.

    The second used to wait on the first one's quants, then fail to
    serialize in Odoo's reservation (an ERROR with its SQL in the server log)
    and run again from the start, spending a retry.  It now finds them
    locked before confirming and runs again shortly, spending none.
    """
    sku = "SYN-RACE-QUANT"
    with transaction(registry) as env:
        product = env["product.product"].create(
            {"name": "Race quant", "default_code": sku, "is_storable": True}
        )
        stock = env.ref("stock.stock_location_stock")
        env["stock.quant"]._update_available_quantity(product, stock, 5)
        order = env["sale.order"].create(
            {
                "partner_id": env["res.partner"].create({"name": "Quant race"}).id,
                "client_order_ref": sku,
                "order_line": [(0, 0, {"product_id": product.id})],
            }
        )
        order_id, product_id, partner = order.id, product.id, order.partner_id.id
    try:
        with transaction(registry) as other, transaction(registry) as importing:
            other.cr.execute(
                "SELECT id FROM stock_quant WHERE product_id = %s FOR UPDATE",
                [product_id],
            )
            importing.cr.execute("SET LOCAL lock_timeout = '2s'")
            order = importing["sale.order"].browse(order_id)
            with pytest.raises(RetryableJobError) as raised:
                importing["shopify.order.import"]._lock_quants(order)
            assert raised.value.ignore_retry, "running again spends no retry"
            # a cancellation and an edit unreserve: they wait their turn too,
            # before they change anything
            with pytest.raises(RetryableJobError):
                importing["shopify.order.import"]._cancel(order)
            # (an edit that changes a line: one changing nothing locks nothing)
            added = {"gid": "gid://shopify/LineItem/1", "quantity": 1}
            with pytest.raises(RetryableJobError):
                importing["shopify.order.import"]._apply_edits(
                    order, importing["shopify.shop"], {"lines": [added]}
                )
            assert (
                importing["shopify.order.import"]._apply_edits(
                    order, importing["shopify.shop"], {"lines": []}
                )
                == "Order already imported; no line changed."
            )
            assert order.state == "draft"
        with transaction(registry) as env:
            # free again: the lock is taken, nothing raised
            env["shopify.order.import"]._lock_quants(env["sale.order"].browse(order_id))
    finally:
        with transaction(registry) as env:
            env["sale.order"].browse(order_id).unlink()
            env.cr.execute(
                "DELETE FROM stock_quant WHERE product_id = %s", [product_id]
            )
            env["product.product"].browse(product_id).unlink()
            env["res.partner"].browse(partner).unlink()


def test_order_polls_of_one_shop_take_turns(sim, registry):
    """A poll beside another, or begun before the other's watermark was
    committed, runs again shortly on fresh data, spending no retry."""
    with transaction(registry) as env:
        shop = _race_shop(env, sim)
        shop_id = shop.id
    with transaction(registry) as later:
        later.cr.execute("SELECT 1")  # the later poll's snapshot is taken
        with transaction(registry) as first, transaction(registry) as beside:
            first["shopify.shop"].browse(shop_id)._synco_poll_lock()
            with pytest.raises(RetryableJobError) as raised:
                beside["shopify.shop"].browse(shop_id)._synco_poll_lock()
            assert raised.value.ignore_retry, "running again spends no retry"
            polled = first["shopify.shop"].browse(shop_id)
            polled.orders_polled_until = datetime.datetime(2026, 12, 2, 12, 0)
            polled.flush_recordset()
        # the first poll committed its watermark after the later one began
        with pytest.raises(RetryableJobError) as raised:
            later["shopify.shop"].browse(shop_id)._synco_poll_lock()
        assert "changed since this poll began" in str(raised.value)
    with transaction(registry) as env, transaction(registry) as writer:
        # on fresh data the lock is taken, nothing raised; and the check left
        # no lock on the shop's row: others write it meanwhile, unblocked
        env["shopify.shop"].browse(shop_id)._synco_poll_lock()
        writer.cr.execute("SET LOCAL lock_timeout = '1s'")
        shop = writer["shopify.shop"].browse(shop_id)
        shop.orders_polled_until = datetime.datetime(2026, 12, 2, 13, 0)
        shop.flush_recordset()
