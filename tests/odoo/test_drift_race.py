"""Two jobs observing one level's drift at once, in two real transactions.

The second one's upsert waits for the first and, under repeatable read,
fails to serialize once the first commits.  That observation is dropped
(the first's drift stands) instead of failing the job, which queue_job
would run again with its Shopify calls (the short soak saw one).  It
commits on the test database and deletes what it made.
"""

import contextlib

import pytest

import odoo
from odoo.modules.registry import Registry

# commits into the test database from this process (tests/support/shards.py)
pytestmark = pytest.mark.database

DOMAIN = "synco-drift-race.myshopify.com"
SKU = "SYN-DRIFT-RACE"


@contextlib.contextmanager
def transaction(registry):
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


@pytest.fixture
def setup():
    db_name = odoo.tools.config["db_name"]
    registry = Registry(db_name[0] if isinstance(db_name, list) else db_name)
    with transaction(registry) as env:
        # nothing to push: no job left behind for later tests to meet
        env = env(context={"synco_shopify_no_tracking": True})
        shop = env["shopify.shop"].create(
            {"name": "Drift race", "shop_domain": DOMAIN, "access_token": "shpat_x"}
        )
        location = env["shopify.location"].create(
            {"shop_id": shop.id, "name": "Race", "shopify_gid": "9901"}
        )
        product = env["product.product"].create(
            {"name": SKU, "default_code": SKU, "is_storable": True}
        )
        binding = env["shopify.product.binding"].create(
            {
                "shop_id": shop.id,
                "product_id": product.id,
                "sku": SKU,
                "shopify_inventory_item_gid": "9902",
            }
        )
        ids = shop.id, location.id, binding.id, product.id
    yield registry, ids
    with transaction(registry) as env:
        shop = env["shopify.shop"].browse(ids[0])
        env["queue.job"].search([("channel", "=", shop._job_channel())]).unlink()
        env["shopify.drift"].search([("shop_id", "=", ids[0])]).unlink()
        env["shopify.shop"].browse(ids[0]).unlink()
        env["product.product"].browse(ids[3]).unlink()


def test_a_drift_racing_another_is_dropped_not_failed(setup):
    registry, (shop_id, location_id, binding_id, _product) = setup
    with transaction(registry) as first, transaction(registry) as second:
        Drift2 = second["shopify.drift"]
        # the second job's snapshot begins before the first commits
        second.cr.execute("SELECT 1 FROM shopify_drift LIMIT 1")
        first["shopify.drift"]._synco_observe(
            first["shopify.shop"].browse(shop_id),
            [(binding_id, location_id, 10, 7)],
            "webhook",
        )
        first.cr.commit()
        unresolved, _resolved = Drift2._synco_observe(
            second["shopify.shop"].browse(shop_id),
            [(binding_id, location_id, 10, 6)],
            "push",
        )
        assert not unresolved  # dropped, and the transaction goes on
        second.cr.execute("SELECT 1")
    with transaction(registry) as env:
        drift = env["shopify.drift"].search([("shop_id", "=", shop_id)])
        assert len(drift) == 1
        assert (drift.shopify_qty, drift.occurrences) == (7, 1)
