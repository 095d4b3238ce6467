"""Withheld stock shown in Shopify's unavailable states (issue 22).

With *Show Withheld Stock in Shopify* on the New Jersey mapping, the units
its quarantine zone holds go to ``quality_control`` (``damaged`` if chosen
on the zone) and the units its buffer withholds to ``safety_stock``, after
``available`` is written; through the same event path (a stock change, a
configuration change) and the reconciliation.  Off (the default), nothing
but ``available`` is written; switched off, what Synco set goes back to 0.
"""

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import SimulatorCase

TEE = "SYN-TEE-BLK-M"
NJ = "New Jersey Warehouse"


@tagged("post_install", "-at_install")
class TestWithheldStates(SimulatorCase):
    def setUp(self):
        super().setUp()
        self.stock(TEE, self.wh_nj.lot_stock_id, 90)
        self.stock(TEE, self.quarantine, 25)
        self.env.cr.flush()

    def states(self):
        return self.sim.level(DEMO_DOMAIN, TEE, NJ)

    def commit(self, change):
        """Make ``change``, enqueue as the commit would, run the jobs."""
        with trap_jobs() as trap:
            change()
            self.env.cr.flush()  # runs the precommit hooks
            jobs = list(trap.enqueued_jobs)
            trap.perform_enqueued_jobs()
        self.assertEqual({job.method_name for job in jobs}, {"_job_push_inventory"})

    def adjustments(self):
        return [
            e
            for e in self.sim.log
            if e.get("operation_name") == "InventoryAdjustQuantities"
        ]

    def test_off_by_default_only_available(self):
        self.assertFalse(self.map_nj.show_withheld_stock)
        self.sim.clear_log()
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual(
            self.states(), {"available": 90, "committed": 0, "on_hand": 90}
        )
        self.assertEqual(self.adjustments(), [])

    def test_quarantine_buffer_and_a_move_out_of_quarantine(self):
        self.commit(lambda: self.map_nj.write({"show_withheld_stock": True}))
        # 90 counted, 25 in quarantine at New Jersey
        self.assertEqual(
            self.states(),
            {"available": 90, "committed": 0, "on_hand": 115, "quality_control": 25},
        )
        level = self.bindings[TEE].level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_nj
        )
        self.assertEqual(level.shopify_quality_control, 25)
        # a 10-unit buffer: safety_stock 10, available 80
        self.commit(
            lambda: self.env["shopify.buffer.rule"].create(
                {
                    "shop_id": self.shop.id,
                    "product_id": self.products[TEE].id,
                    "buffer_units": 10,
                }
            )
        )
        self.assertEqual(
            self.states(),
            {
                "available": 80,
                "committed": 0,
                "on_hand": 115,
                "quality_control": 25,
                "safety_stock": 10,
            },
        )
        # the buffer removed: back to 90 / 25, safety stock cleared
        self.commit(self.env["shopify.buffer.rule"].search([]).unlink)
        self.assertEqual(
            self.states(),
            {"available": 90, "committed": 0, "on_hand": 115, "quality_control": 25},
        )

        # moving 5 units out of quarantine: the stock change's push
        def move():
            self.stock(TEE, self.quarantine, -5)
            self.stock(TEE, self.wh_nj.lot_stock_id, 5)

        self.commit(move)
        self.assertEqual(
            self.states(),
            {"available": 95, "committed": 0, "on_hand": 115, "quality_control": 20},
        )
        # a receipt into quarantine alone: the zone is watched too
        self.commit(lambda: self.stock(TEE, self.quarantine, 3))
        self.assertEqual(
            self.states(),
            {"available": 95, "committed": 0, "on_hand": 118, "quality_control": 23},
        )
        # every state write carries a ledger document of Odoo's (never a
        # Shopify gid) and a reference back to the Odoo record
        with self.sim.lock:
            groups = list(self.sim.store.shop(DEMO_DOMAIN).adjustment_groups.values())
        changes = [
            (group, change)
            for group in groups
            for change in group.changes
            if change.name in ("quality_control", "safety_stock", "damaged")
        ]
        self.assertTrue(changes)
        for group, change in changes:
            self.assertIn("/odoo/shopify.location.mapping/", change.ledger_document_uri)
            self.assertIn("/odoo/", group.reference_document_uri)
        self.assertTrue(all(e["idempotency_key"] for e in self.adjustments()))
        # switched off: what Synco set goes back to 0
        self.commit(lambda: self.map_nj.write({"show_withheld_stock": False}))
        self.assertEqual(
            self.states(), {"available": 95, "committed": 0, "on_hand": 95}
        )

    def test_damaged_zone_and_the_reconciliation(self):
        self.quarantine.shopify_withheld_state = "damaged"
        self.map_nj.show_withheld_stock = True
        self.env.cr.flush()
        run = self.shop._create_run()
        run._job_run()
        self.assertEqual(run.state, "done")
        self.assertEqual(
            self.states(),
            {"available": 90, "committed": 0, "on_hand": 115, "damaged": 25},
        )
