"""The push job against the simulator: values, skips, compare-and-set, faults."""

from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import SimulatorCase

TEE = "SYN-TEE-BLK-M"


@tagged("post_install", "-at_install")
class TestShopActions(SimulatorCase):
    def test_connection_locations_and_bindings(self):
        action = self.shop.action_test_connection()
        self.assertEqual(action["params"]["title"], "Connected to Synco Demo Store")
        self.assertIn("API 2026-07", action["params"]["message"])
        self.assertEqual(len(self.shop.location_ids), 6)
        self.assertFalse(self.loc_pool.fulfills_online_orders)
        self.assertEqual(self.loc_nj.zip, "07001")
        self.assertEqual(len(self.shop.binding_ids), 8)
        binding = self.bindings[TEE]
        self.assertEqual(binding.product_id, self.products[TEE])
        self.assertTrue(
            binding.shopify_inventory_item_gid.startswith(
                "gid://shopify/InventoryItem/"
            )
        )
        # importing again updates, it does not duplicate
        self.shop.action_import_locations()
        self.shop.action_bind_products()
        self.assertEqual(len(self.shop.location_ids), 6)
        self.assertEqual(len(self.shop.binding_ids), 8)

    def test_wrong_token_is_a_clear_error(self):
        self.shop.access_token = "shpat_wrong"
        with self.assertRaisesRegex(Exception, "Shopify answered with an error"):
            self.shop.action_test_connection()


@tagged("post_install", "-at_install")
class TestPushJob(SimulatorCase):
    def test_push_carries_every_location(self):
        self.stock(TEE, self.wh_nj.lot_stock_id, 40)
        self.stock(TEE, self.quarantine, 6)
        self.stock(TEE, self.bin_b1, 11)
        self.stock(TEE, self.bin_b2, 14)
        self.stock(TEE, self.wh_east.lot_stock_id, 100)
        self.stock(TEE, self.wh_west.lot_stock_id, 3)
        self.sim.clear_log()
        summary = self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.shopify(TEE, "New Jersey Warehouse"), 40)
        self.assertEqual(self.shopify(TEE, "Texas Warehouse"), 25)
        self.assertEqual(self.shopify(TEE, "3PL Pool"), 103)
        # unmapped Shopify locations are left alone
        self.assertEqual(self.shopify(TEE, "UK Warehouse"), 50)
        writes = self.writes()
        self.assertEqual(len(writes), 1, "one call for all the product's locations")
        self.assertEqual(writes[0]["quantities"], 3)
        self.assertTrue(writes[0]["idempotency_key"])
        self.assertIn("3 level(s) pushed", summary)
        levels = self.bindings[TEE].level_ids
        self.assertEqual(set(levels.mapped("last_outcome")), {"applied"})
        self.assertEqual(sorted(levels.mapped("shopify_available")), [25, 40, 103])

    def test_levels_created_by_a_concurrent_push_mean_a_retry(self):
        """Two pushes of one product at once (two commits in a row): the one
        whose snapshot missed the other's new level records retries."""
        self.stock(TEE, self.wh_nj.lot_stock_id, 30)
        self.bindings[TEE]._job_push_inventory()
        levels = self.bindings[TEE].level_ids
        self.assertEqual(len(levels), 3)
        Level = type(self.env["shopify.inventory.level"])
        with (
            patch.object(Level, "search", lambda self, *a, **kw: self.browse()),
            self.assertRaises(RetryableJobError),
        ):
            self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.bindings[TEE].level_ids, levels)
        self.assertEqual(self.shopify(TEE, "New Jersey Warehouse"), 30)

    def test_a_batch_of_products_is_written_in_one_call(self):
        self.stock(TEE, self.wh_nj.lot_stock_id, 12)
        self.sim.clear_log()
        summary = self.shop.binding_ids._job_push_inventory()
        writes = self.writes()
        self.assertEqual(len(writes), 1)
        self.assertEqual(writes[0]["quantities"], 8 * 3)
        self.assertIn("24 level(s) pushed", summary)
        self.assertEqual(self.shopify(TEE, "New Jersey Warehouse"), 12)
        self.assertEqual(self.shopify("SYN-MUG-001", "3PL Pool"), 0)

    def test_unchanged_total_pushes_nothing_new(self):
        self.stock(TEE, self.bin_b1, 20)
        self.bindings[TEE]._job_push_inventory()
        self.sim.clear_log()
        # stock moves between the two sources of the Texas mapping
        self.stock(TEE, self.bin_b1, -8)
        self.stock(TEE, self.bin_b2, 8)
        summary = self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.writes(), [])
        self.assertIn("0 level(s) pushed, 3 unchanged", summary)
        self.assertEqual(self.shopify(TEE, "Texas Warehouse"), 20)

    def test_shopify_sale_between_pushes_is_not_overwritten(self):
        self.stock(TEE, self.wh_nj.lot_stock_id, 30)
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.shopify(TEE, "New Jersey Warehouse"), 30)
        # a customer buys 2 in Shopify; Odoo has not seen the order yet
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 2)], location="New Jersey Warehouse")
        self.stock(TEE, self.wh_nj.lot_stock_id, 10)  # a receipt in Odoo
        self.bindings[TEE]._job_push_inventory()
        # 40 in Odoo, minus the 2 sold that Odoo will reserve on import
        self.assertEqual(self.shopify(TEE, "New Jersey Warehouse"), 38)
        level = self.bindings[TEE].level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_nj
        )
        self.assertEqual(level.last_outcome, "stale_resolved")
        self.assertEqual((level.expected_qty, level.shopify_available), (40, 38))

    def test_push_resolves_drift(self):
        self.stock(TEE, self.wh_nj.lot_stock_id, 30)
        self.bindings[TEE]._job_push_inventory()
        # Shopify reports 45 (an edit in its admin): a drift, twice reported
        self.sim.set_available(DEMO_DOMAIN, TEE, "New Jersey Warehouse", 45)
        item = self.bindings[TEE].shopify_inventory_item_gid
        for _ in range(2):
            self.shop._synco_check_level(item, self.loc_nj.shopify_gid, 45)
        drift = self.env["shopify.drift"].search(
            [("binding_id", "=", self.bindings[TEE].id)]
        )
        self.assertEqual((len(drift), drift.state, drift.occurrences), (1, "open", 2))
        # the next push writes Odoo's figure and sees them agree
        self.stock(TEE, self.wh_nj.lot_stock_id, 1)
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.shopify(TEE, "New Jersey Warehouse"), 31)
        self.assertEqual((drift.state, drift.resolved_by), ("resolved", "push"))
        self.assertTrue(drift.date_resolved)

    def test_manual_increase_in_shopify_is_overruled(self):
        self.stock(TEE, self.wh_nj.lot_stock_id, 30)
        self.bindings[TEE]._job_push_inventory()
        self.sim.set_available(DEMO_DOMAIN, TEE, "New Jersey Warehouse", 500)
        self.stock(TEE, self.wh_nj.lot_stock_id, 1)
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.shopify(TEE, "New Jersey Warehouse"), 31)

    def test_item_not_stocked_is_activated(self):
        self.unstock(TEE, "Texas Warehouse")
        self.stock(TEE, self.bin_b1, 9)
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.shopify(TEE, "Texas Warehouse"), 9)
        level = self.bindings[TEE].level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_tx
        )
        self.assertEqual(level.last_outcome, "activated")

    def test_failing_api_is_retried_later(self):
        self.stock(TEE, self.wh_nj.lot_stock_id, 30)
        self.sim.fail_next("503", count=50)
        with self.assertRaises(RetryableJobError):
            self.bindings[TEE].with_context()._job_push_inventory()
        self.sim.clear_faults()

    def test_frozen_shop_writes_nothing(self):
        self.stock(TEE, self.wh_nj.lot_stock_id, 30)
        self.shop.sync_frozen = True
        self.sim.clear_log()
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.sim.log, [])
        self.assertEqual(self.shopify(TEE, "New Jersey Warehouse"), 50)
