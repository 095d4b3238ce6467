"""Several shops on the same warehouses (issue 13, item 5).

A US and a UK storefront both sell New Jersey's stock: the US shop is the
simulated demo store, the UK shop a second shop of the same simulator (its
own token, locations, catalogue and leaky bucket).  One stock change in NJ
pushes to both, one job per shop, each in its shop's queue_job channel, each
call metered on its own shop's bucket.
"""

import json
from collections import Counter

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.synco_shopify.models.shopify_throttle_state import (
    DatabaseThrottleStore,
)

from ..shopify_simulator import DEMO_DOMAIN
from ..shopify_simulator.fixtures import DEMO_PRODUCTS
from ..support.odoo_common import SKUS, SimulatorCase

TEE = "SYN-TEE-BLK-M"
MUG = "SYN-MUG-001"
NJ = "New Jersey Warehouse"
UK_DOMAIN = "synco-uk.myshopify.com"
UK_TOKEN = "shpat_synco_uk_token"
UK_NJ = "NJ fulfilment (UK store)"


def add_uk_shop(sim):
    """The UK storefront: same SKUs, one location fulfilled from New Jersey."""
    sim.add_shop(UK_DOMAIN, name="Synco UK", token=UK_TOKEN, currency="GBP")
    sim.add_location(UK_DOMAIN, UK_NJ)
    for title, skus, _price in DEMO_PRODUCTS:
        sim.add_product(UK_DOMAIN, title, skus, stock={UK_NJ: 5})


@tagged("post_install", "-at_install")
class TestTwoShopsOneWarehouse(SimulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        add_uk_shop(cls.sim)
        cls.uk = cls.env["shopify.shop"].create(
            {
                "name": "Synco UK",
                "shop_domain": UK_DOMAIN,
                "access_token": UK_TOKEN,
                "api_base_url": cls.sim.base_url,
            }
        )
        cls.uk.action_import_locations()
        cls.uk.action_bind_products()
        cls.uk_nj = cls.uk.location_ids.filtered(lambda loc: loc.name == UK_NJ)
        cls.env["shopify.location.mapping"].create(
            {
                "shop_id": cls.uk.id,
                "shopify_location_id": cls.uk_nj.id,
                "state": "active",
                "source_ids": [(0, 0, {"location_id": cls.wh_nj.lot_stock_id.id})],
                "excluded_location_ids": [(6, 0, cls.quarantine.ids)],
            }
        )

    def setUp(self):
        super().setUp()  # the simulator starts over from the demo store
        add_uk_shop(self.sim)

    def uk_level(self, sku):
        return self.sim.level(UK_DOMAIN, sku, UK_NJ)["available"]

    def test_a_stock_change_pushes_each_shop_in_its_own_channel(self):
        for domain in (DEMO_DOMAIN, UK_DOMAIN):  # forget what earlier tests learnt
            with DatabaseThrottleStore(self.env.cr.dbname).locked(domain) as state:
                state.clear()
        self.sim.clear_log()
        with trap_jobs() as trap:
            self.stock(TEE, self.wh_nj.lot_stock_id, 17)
            self.stock(TEE, self.quarantine, 4)  # excluded by both mappings
            self.env.cr.flush()  # the precommit hook enqueues the pushes
            jobs = [
                j for j in trap.enqueued_jobs if j.method_name == "_job_push_inventory"
            ]
            trap.perform_enqueued_jobs()
        # exactly one job per shop, each in its shop's channel
        self.assertEqual(len(jobs), 2)
        self.assertEqual(
            {(job.recordset.shop_id, job.channel) for job in jobs},
            {
                (self.shop, self.shop._job_channel()),
                (self.uk, self.uk._job_channel()),
            },
        )
        self.assertNotEqual(self.shop._job_channel(), self.uk._job_channel())
        self.assertEqual({len(job.recordset) for job in jobs}, {1})
        # both storefronts show New Jersey's figure
        self.assertEqual(self.shopify(TEE, NJ), 17)
        self.assertEqual(self.uk_level(TEE), 17)
        self.assertEqual(self.uk_level(MUG), 5)  # untouched product
        # each shop's calls went to its own shop (selected by its token)
        writes = Counter(e["shop"] for e in self.writes())
        self.assertEqual(writes, {DEMO_DOMAIN: 1, UK_DOMAIN: 1})
        # ... and each drew on its own bucket, in Shopify and in Odoo's estimate
        for domain in (DEMO_DOMAIN, UK_DOMAIN):
            spent = [e["actual_cost"] for e in self.sim.log if e["shop"] == domain]
            self.assertTrue(spent and all(spent))
            with DatabaseThrottleStore(self.env.cr.dbname).locked(domain) as state:
                # the estimate learnt this shop's write cost from its answers
                self.assertIn("InventorySetQuantities", json.dumps(state), domain)

    def test_a_frozen_shop_is_left_out_the_other_still_pushes(self):
        self.uk.sync_frozen = True
        self.env.cr.flush()
        with trap_jobs() as trap:
            self.stock(TEE, self.wh_nj.lot_stock_id, 9)
            self.env.cr.flush()
            jobs = [
                j for j in trap.enqueued_jobs if j.method_name == "_job_push_inventory"
            ]
            trap.perform_enqueued_jobs()
        self.assertEqual({job.recordset.shop_id for job in jobs}, {self.shop})
        self.assertEqual(self.shopify(TEE, NJ), 9)
        self.assertEqual(self.uk_level(TEE), 5)

    def test_each_shop_binds_its_own_items(self):
        us = {b.sku: b.shopify_inventory_item_gid for b in self.shop.binding_ids}
        uk = {b.sku: b.shopify_inventory_item_gid for b in self.uk.binding_ids}
        self.assertEqual(set(us), set(SKUS))
        self.assertEqual(set(uk), set(SKUS))
        self.assertFalse(set(us.values()) & set(uk.values()))
