"""Reconciliation retention: in-sync detail for days, the run's story for good."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import SKUS, SimulatorCase

TEE = "SYN-TEE-BLK-M"
NJ, TX, POOL = "New Jersey Warehouse", "Texas Warehouse", "3PL Pool"


@tagged("post_install", "-at_install")
class TestRetention(SimulatorCase):
    def setUp(self):
        super().setUp()
        # retention is of the in-sync lines a shop keeps (issue 24)
        self.shop.reconcile_keep_in_sync_lines = True

    def run_once(self):
        run = self.shop._create_run()
        run._job_run()
        return run

    def test_counts_per_location_outlive_the_in_sync_lines(self):
        for sku in SKUS:
            self.stock(sku, self.wh_nj.lot_stock_id, 10)
        first = self.run_once()  # every level written (Shopify held 50)
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 60)  # one drift
        run = self.run_once()
        stats = {s.shopify_location_id.name: s for s in run.location_stat_ids}
        self.assertEqual(
            set(stats),
            {NJ, TX, POOL, "UK Warehouse", "Drop-ship Suppliers", "Brooklyn Store"},
        )
        self.assertEqual(
            (
                stats[NJ].checked_count,
                stats[NJ].in_sync_count,
                stats[NJ].drifted_count,
                stats[NJ].written_count,
            ),
            (len(SKUS), len(SKUS) - 1, 1, 1),
        )
        self.assertEqual(stats["UK Warehouse"].checked_count, 0)  # unmapped
        self.assertEqual(
            sum(s.checked_count for s in run.location_stat_ids), run.checked_count
        )
        lines_before = len(run.line_ids)
        # a week and a day later, the daily cron purges the in-sync detail
        old = fields.Datetime.now() - timedelta(days=8)
        (first | run).write({"date_end": old})
        recent = self.run_once()
        purged = self.env["shopify.shop"]._cron_purge_reconciliation_lines()
        run.invalidate_recordset()
        self.assertEqual(purged, 3 * len(SKUS) - 1)  # the first run wrote all
        self.assertTrue(run.in_sync_purged)
        self.assertEqual(set(run.line_ids.mapped("action")), {"push", "unmapped"})
        self.assertEqual(len(run.line_ids), lines_before - (3 * len(SKUS) - 1))
        drifted = run.line_ids.filtered(lambda line: line.action == "push")
        self.assertEqual((drifted.sku, drifted.shopify_before), (TEE, 60))
        # the counts stay, and the recent run keeps every line
        self.assertEqual(stats[NJ].in_sync_count, len(SKUS) - 1)
        self.assertFalse(recent.in_sync_purged)
        self.assertIn("in_sync", recent.line_ids.mapped("action"))
        # purging again deletes nothing
        self.assertEqual(self.env["shopify.shop"]._cron_purge_reconciliation_lines(), 0)

    def test_zero_days_keeps_everything(self):
        self.shop.reconcile_keep_days = 0
        self.run_once()
        run = self.run_once()  # Shopify now agrees: in-sync lines
        run.date_end = fields.Datetime.now() - timedelta(days=400)
        self.assertEqual(self.env["shopify.shop"]._cron_purge_reconciliation_lines(), 0)
        self.assertIn("in_sync", run.line_ids.mapped("action"))
