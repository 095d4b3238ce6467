"""Two pushes of one product that overlap, in two real transactions.

A push job runs while a stock change enqueues another push of the same
product, which the second worker starts before the first one commits.  The
later push must not take the earlier one's write for a Shopify sale (it did:
Odoo 6, Shopify 2); it must stop before calling Shopify and, retried on
fresh data, set Odoo's figure.  It commits, on the test database, and
deletes what it made; the simulator runs in this process.
"""

import contextlib

import psycopg2
import pytest

import odoo
from odoo.modules.registry import Registry

from odoo.addons.queue_job.job import PENDING, Job

from .shopify_simulator import Simulator

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
    with transaction(registry) as env:
        shops = env["shopify.shop"].search([("shop_domain", "=", DOMAIN)])
        # its jobs too: left behind, they fail on the deleted binding and
        # later tests of the database (end-to-end clones) see a failed push
        channels = [shop._job_channel() for shop in shops]
        env["queue.job"].search([("channel", "in", channels)]).unlink()
        shops.unlink()
        env["product.product"].search([("default_code", "=", SKU)]).unlink()


def test_overlapping_pushes_of_one_product_converge(sim, registry):
    sim_shop = sim.shop(DOMAIN)
    with transaction(registry) as env:
        shop = env["shopify.shop"].create(
            {
                "name": "Race",
                "shop_domain": DOMAIN,
                "access_token": TOKEN,
                "api_base_url": sim.base_url,
            }
        )
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
        with pytest.raises(psycopg2.errors.SerializationFailure):
            push(env_b, 6)
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
        job = Job(env["shopify.product.binding"]._push_inventory, identity_key=key)
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
