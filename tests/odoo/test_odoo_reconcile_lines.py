"""What a reconciliation stores: a line for every level a merchant reads, the
levels found in sync as counts (issue 24), every line when the shop asks."""

from odoo.tests import tagged

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import SKUS, SimulatorCase

TEE = "SYN-TEE-BLK-M"
MUG = "SYN-MUG-001"
NJ, TX, POOL = "New Jersey Warehouse", "Texas Warehouse", "3PL Pool"
COUNTS = ("checked_count", "in_sync_count", "drifted_count", "written_count")


@tagged("post_install", "-at_install")
class TestReconcileLines(SimulatorCase):
    def setUp(self):
        super().setUp()
        for sku in SKUS:
            self.stock(sku, self.wh_nj.lot_stock_id, 10)
        self.run_once()  # every level written: Shopify now agrees
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 60)  # a drift
        self.sim.set_available(DEMO_DOMAIN, MUG, TX, 3)  # another

    def run_once(self, **vals):
        run = self.shop._create_run(**vals)
        run._job_run()
        return run

    def story(self, run):
        """The run's totals, its counts per location, and its lines (but
        the in-sync ones)."""
        totals = tuple(
            run[f]
            for f in (
                "checked_count",
                "in_sync_count",
                "drifted_count",
                "pushed_count",
                "failed_count",
                "drift_percent",
            )
        )
        stats = {
            s.shopify_location_id.name: tuple(s[f] for f in COUNTS)
            for s in run.location_stat_ids
        }
        lines = sorted(
            (line.sku, line.shopify_location_id.name)
            + (line.expected, line.shopify_before, line.action, line.outcome)
            for line in run.line_ids
            if line.action != "in_sync"
        )
        return totals, stats, lines

    def test_in_sync_levels_are_counted_without_a_line(self):
        run = self.run_once()
        self.assertFalse(self.shop.reconcile_keep_in_sync_lines)  # the default
        self.assertFalse(run.in_sync_lines)
        self.assertNotIn("in_sync", run.line_ids.mapped("action"))
        checked = 3 * len(SKUS)
        self.assertEqual(
            (run.checked_count, run.in_sync_count, run.drifted_count),
            (checked, checked - 2, 2),
        )
        self.assertIn(f"{checked - 2} in sync", run.message)
        # the drifted levels have their lines, written
        pushed = run.line_ids.filtered(lambda line: line.action == "push")
        self.assertEqual(
            sorted(
                (ln.sku, ln.shopify_location_id.name, ln.shopify_before)
                for ln in pushed
            ),
            sorted([(TEE, NJ, 60), (MUG, TX, 3)]),
        )
        self.assertEqual(set(pushed.mapped("outcome")), {"applied"})
        # the levels of the unmapped locations are still listed
        self.assertIn("unmapped", run.line_ids.mapped("action"))
        stats = {s.shopify_location_id.name: s for s in run.location_stat_ids}
        self.assertEqual(
            tuple(stats[NJ][f] for f in COUNTS), (len(SKUS), len(SKUS) - 1, 1, 1)
        )
        self.assertEqual(
            tuple(stats[TX][f] for f in COUNTS), (len(SKUS), len(SKUS) - 1, 1, 1)
        )
        self.assertEqual(
            sum(run.location_stat_ids.mapped("in_sync_count")), run.in_sync_count
        )
        # the in-sync levels were remembered as read all the same
        level = self.bindings[TEE].level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_tx
        )
        self.assertEqual((level.shopify_known, level.shopify_available), (True, 0))

    def test_keep_in_sync_lines_stores_every_level(self):
        self.shop.reconcile_keep_in_sync_lines = True
        run = self.run_once()
        self.assertTrue(run.in_sync_lines)
        in_sync = run.line_ids.filtered(lambda line: line.action == "in_sync")
        self.assertEqual(len(in_sync), run.in_sync_count)
        self.assertEqual(run.in_sync_count, 3 * len(SKUS) - 2)
        self.assertTrue(all(ln.expected == ln.shopify_before for ln in in_sync))
        mapped = run.line_ids.filtered("mapping_id")
        self.assertEqual(len(mapped), run.checked_count)

    def test_the_story_is_the_same_either_way(self):
        """Totals, counts per location and every line but the in-sync ones
        are the same with the setting on or off (dry runs, same state)."""
        counted = self.run_once(dry_run=True)
        self.shop.reconcile_keep_in_sync_lines = True
        listed = self.run_once(dry_run=True)
        self.assertEqual(self.story(counted), self.story(listed))
        self.assertEqual(
            len(listed.line_ids) - len(counted.line_ids), counted.in_sync_count
        )
        self.assertGreater(counted.in_sync_count, 0)
        # and a real run after either writes the same two levels
        written = self.run_once()
        self.assertEqual((written.drifted_count, written.pushed_count), (2, 2))
        self.assertEqual(self.shopify(TEE, NJ), 10)
