"""Bulk writes from the addon: a first sync above the shop's threshold (issue 13).

The first reconciliation of the simulated shop writes every mapped level
(Shopify holds the fixture's stale figures): above ``bulk_write_threshold``
it goes as one bulk operation, and levels Shopify changes while it runs are
re-read and written through the per-call path without losing a line.
"""

from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.synco_shopify.lib.shopify import ShopifyClient

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import SKUS, SimulatorCase

TEE = "SYN-TEE-BLK-M"
MUG = "SYN-MUG-001"
NJ, TX, POOL = "New Jersey Warehouse", "Texas Warehouse", "3PL Pool"


@tagged("post_install", "-at_install")
class TestBulkWrite(SimulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Quant = cls.env["stock.quant"]
        for index, sku in enumerate(SKUS):
            product = cls.products[sku]
            Quant._update_available_quantity(
                product, cls.wh_nj.lot_stock_id, 10 + index
            )
            Quant._update_available_quantity(product, cls.wh_east.lot_stock_id, 30)

    def expected(self, sku, location):
        return {NJ: 10 + SKUS.index(sku), TX: 0, POOL: 30}[location]

    def ops(self, name):
        return [e for e in self.sim.log if e.get("operation_name") == name]

    def reconcile(self):
        run = self.shop._create_run()
        run._job_run()
        self.assertEqual(run.state, "done", run.message)
        return run

    def test_first_sync_above_threshold_is_one_bulk_operation(self):
        self.shop.bulk_write_threshold = 10  # 8 products x 3 locations to write
        stage = ShopifyClient.stage_upload
        sold = [(TEE, NJ), (MUG, POOL)]

        def sales_meanwhile(client, *args, **kwargs):
            # Shopify sells 3 of two levels after the run read them (orders
            # Odoo can't find yet: committed rises): the compare-and-set of
            # their lines must fail and be resolved
            for sku, location in sold:
                self.sim.create_order(DEMO_DOMAIN, [(sku, 3)], location=location)
            return stage(client, *args, **kwargs)

        self.sim.set_faults(orders_search_lag=3600)
        self.sim.clear_log()
        with patch.object(ShopifyClient, "stage_upload", sales_meanwhile):
            run = self.reconcile()
        self.assertEqual(len(self.ops("BulkOperationRunMutation")), 1)
        self.assertEqual(len(self.ops("StagedUploadsCreate")), 1)
        # only the two stale lines went through the per-call path, once
        calls = self.ops("InventorySetQuantities")
        self.assertEqual([e["quantities"] for e in calls], [2])
        self.assertEqual(run.pushed_count, 3 * len(SKUS))
        self.assertEqual(run.failed_count, 0)
        for sku in SKUS:
            for location in (NJ, TX, POOL):
                # the units Shopify sold are kept out (held until imported)
                held = 3 if (sku, location) in sold else 0
                self.assertEqual(
                    self.shopify(sku, location),
                    self.expected(sku, location) - held,
                    (sku, location),
                )
        outcomes = {
            (line.sku, line.shopify_location_id.name): line.outcome
            for line in run.line_ids
            if line.action == "push"
        }
        self.assertEqual(len(outcomes), 3 * len(SKUS))
        self.assertEqual(
            {key for key, outcome in outcomes.items() if outcome == "stale_resolved"},
            set(sold),
        )
        self.assertEqual(
            {o for key, o in outcomes.items() if key not in sold}, {"applied"}
        )
        level = self.bindings[TEE].level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_nj
        )
        self.assertEqual(level.held_qty, 3)
        # our memory of Shopify is what it holds: nothing left to write
        self.sim.clear_log()
        again = self.reconcile()
        self.assertEqual(again.pushed_count, 0)
        self.assertEqual(self.ops("BulkOperationRunMutation"), [])

    def test_below_threshold_writes_250_per_call(self):
        self.shop.bulk_write_threshold = 1000
        self.sim.clear_log()
        run = self.reconcile()
        self.assertEqual(self.ops("BulkOperationRunMutation"), [])
        calls = self.ops("InventorySetQuantities")
        self.assertEqual([e["quantities"] for e in calls], [3 * len(SKUS)])
        self.assertEqual(run.pushed_count, 3 * len(SKUS))

    def test_zero_never_writes_in_bulk(self):
        self.shop.bulk_write_threshold = 0
        self.sim.clear_log()
        self.reconcile()
        self.assertEqual(self.ops("BulkOperationRunMutation"), [])
        self.assertEqual(self.shopify(TEE, NJ), self.expected(TEE, NJ))
