"""A sale told from an edit, by Shopify's own inventory states (issue 22).

A sale moves units from ``available`` to ``committed``; an edit in Shopify's
admin changes ``available`` and ``on_hand`` and leaves ``committed`` alone.
Every level read asks for the three: a drop below our last write is held
only as far as ``committed`` rose since (units on orders Odoo hasn't
imported); the rest is an edit, written over with Odoo's figure by the job
or run that finds it.
"""

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import ThirtyTeesAtNewJerseyCase

TEE = "SYN-TEE-BLK-M"
NJ = "New Jersey Warehouse"


@tagged("post_install", "-at_install")
class TestSaleOrEdit(ThirtyTeesAtNewJerseyCase):
    def setUp(self):
        super().setUp()
        # the first push read the level's states: committed is remembered
        self.assertTrue(self.level().shopify_committed_known)
        self.assertEqual(self.level().shopify_committed, 0)

    def states(self):
        return self.sim.level(DEMO_DOMAIN, TEE, NJ)

    def odoo_figure(self):
        product = self.products[TEE]
        return self.map_nj._compute_shopify_available(product)[self.map_nj][product.id]

    def change_stock(self, quantity, **kwargs):
        """Move Odoo's stock and push; return the jobs the push enqueued."""
        if quantity:
            self.stock(TEE, self.wh_nj.lot_stock_id, quantity)
        self.env.cr.flush()
        with trap_jobs() as trap:
            self.bindings[TEE]._job_push_inventory(**kwargs)
        return trap.enqueued_jobs

    def webhook(self):
        """What an ``inventory_levels/update`` webhook would report now."""
        binding = self.bindings[TEE]
        self.shop._synco_check_level(
            binding.shopify_inventory_item_gid,
            self.loc_nj.shopify_gid,
            self.shopify(TEE, NJ),
        )
        return self.env["shopify.drift"].search(
            [
                ("binding_id", "=", binding.id),
                ("shopify_location_id", "=", self.loc_nj.id),
            ]
        )

    def reconcile(self):
        self.shop.reconcile_keep_in_sync_lines = True  # every level's line
        run = self.shop._create_run()
        run._job_run()
        line = run.line_ids.filtered(
            lambda lvl: lvl.sku == TEE and lvl.shopify_location_id == self.loc_nj
        )
        return run, line

    def test_manual_decrease_is_written_over_by_the_next_push(self):
        # an admin lowers the count by hand: on_hand down, committed unchanged
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 25)
        self.assertEqual(
            self.states(), {"available": 25, "committed": 0, "on_hand": 25}
        )
        # the next push (a stock move in Odoo) meets the compare-and-set
        # conflict, re-reads the three states: an edit, written over
        jobs = self.change_stock(1)
        self.assertEqual(self.shopify(TEE, NJ), 31)
        level = self.level()
        self.assertEqual(level.held_qty, 0)
        self.assertEqual((level.drop_sold_qty, level.drop_edited_qty), (0, 5))
        self.assertEqual(level.last_outcome, "stale_resolved")
        self.assertIn("edit in Shopify", level.last_message)
        self.assertEqual(jobs, [])  # no order poll: there is no sale to look for
        # Push All reads first: the same edit is written over at once
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 20)
        self.change_stock(0, refresh=True)
        self.assertEqual(self.shopify(TEE, NJ), 31)
        self.assertEqual(self.level().held_qty, 0)
        self.assertEqual(self.level().drop_edited_qty, 11)

    def test_manual_decrease_is_written_over_by_the_reconciliation(self):
        # the case: 152 → 149 by hand; here 30 → 27
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 27)
        drift = self.webhook()
        self.assertEqual(
            (drift.state, drift.shopify_qty, drift.expected_qty), ("open", 27, 30)
        )
        run, line = self.reconcile()
        self.assertEqual(run.state, "done")
        self.assertEqual((line.expected, line.shopify_before), (30, 27))
        self.assertEqual((line.action, line.outcome), ("push", "applied"))
        self.assertIn("edit in Shopify", line.message)
        # written in the run that found it, not after an order poll
        self.assertEqual(self.shopify(TEE, NJ), 30)
        self.assertEqual(self.level().held_qty, 0)
        drift.invalidate_recordset()
        self.assertEqual(drift.cause, "edit")
        self.assertEqual(drift.state, "resolved")
        why = (
            self.env["shopify.figure.explanation"]
            .create(
                {
                    "product_id": self.products[TEE].id,
                    "shopify_location_id": self.loc_nj.id,
                }
            )
            ._synco_explain()
        )
        self.assertIn("3 unit(s) removed by an edit in Shopify", why["last_drop"])

    def test_dropped_order_stays_held_until_imported(self):
        # orders/create is lost and Shopify's order search lags behind
        self.sim.set_faults(orders_search_lag=3600)
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 2)], location=NJ)
        self.assertEqual(
            self.states(), {"available": 28, "committed": 2, "on_hand": 30}
        )
        drift = self.webhook()
        jobs = self.change_stock(5)  # Odoo 35
        self.assertEqual(self.shopify(TEE, NJ), 33)
        level = self.level()
        self.assertEqual(level.held_qty, 2)
        self.assertEqual((level.drop_sold_qty, level.drop_edited_qty), (2, 0))
        self.assertEqual(level.shopify_committed, 2)
        self.assertEqual([job.method_name for job in jobs], ["_job_poll_orders"])
        drift.invalidate_recordset()
        self.assertEqual(drift.cause, "sale")
        # later pushes keep it out
        self.change_stock(1)
        self.assertEqual(self.shopify(TEE, NJ), 34)
        self.change_stock(0, refresh=True)  # Push All reads: no new drop
        self.assertEqual(self.shopify(TEE, NJ), 34)
        self.assertEqual(self.level().held_qty, 2)
        # a reconciliation (its poll finds nothing yet) keeps it out too
        _run, line = self.reconcile()
        self.assertEqual(
            (line.expected, line.shopify_before, line.action), (34, 34, "in_sync")
        )
        self.assertEqual(self.shopify(TEE, NJ), 34)
        self.assertEqual(self.level().held_qty, 2)
        # the order is imported: the hold is released, counted once
        self.sim.set_faults(orders_search_lag=0)
        with trap_jobs() as trap:
            self.shop._job_poll_orders()
            self.env.cr.flush()
            trap.perform_enqueued_jobs()
        self.assertEqual(
            len(
                self.env["sale.order"].search([("shopify_shop_id", "=", self.shop.id)])
            ),
            1,
        )
        self.assertEqual(self.level().held_qty, 0)
        self.assertEqual(self.odoo_figure(), 34)  # 36 on hand, 2 reserved
        self.assertEqual(self.shopify(TEE, NJ), 34)
        self.change_stock(2)
        self.assertEqual(self.shopify(TEE, NJ), 36)
        self.assertEqual(self.level().held_qty, 0)

    def test_a_sale_and_an_edit_between_two_pushes(self):
        self.sim.set_faults(orders_search_lag=3600)
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 3)], location=NJ)  # 27 / 3
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 25)  # and 2 edited away
        self.assertEqual(
            self.states(), {"available": 25, "committed": 3, "on_hand": 28}
        )
        drift = self.webhook()
        jobs = self.change_stock(1)  # Odoo 31
        # the 3 sold are held, the 2 edited are written over: 31 - 3
        self.assertEqual(self.shopify(TEE, NJ), 28)
        level = self.level()
        self.assertEqual(level.held_qty, 3)
        self.assertEqual((level.drop_sold_qty, level.drop_edited_qty), (3, 2))
        self.assertEqual([job.method_name for job in jobs], ["_job_poll_orders"])
        drift.invalidate_recordset()
        self.assertEqual(drift.cause, "both")
        # the same in a reconciliation: another sale of 1 and an edit of 4
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 1)], location=NJ)  # 27 / 4
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 23)
        _run, line = self.reconcile()
        self.assertEqual((line.shopify_before, line.action), (23, "push"))
        self.assertEqual(self.shopify(TEE, NJ), 27)  # 31 - 4 held
        self.assertEqual(self.level().held_qty, 4)
        self.assertEqual(
            (self.level().drop_sold_qty, self.level().drop_edited_qty), (1, 4)
        )
        # both orders imported: each unit counted once
        self.sim.set_faults(orders_search_lag=0)
        with trap_jobs() as trap:
            self.shop._job_poll_orders()
            self.env.cr.flush()
            trap.perform_enqueued_jobs()
        self.assertEqual(self.level().held_qty, 0)
        self.assertEqual(self.odoo_figure(), 27)  # 31 on hand, 4 reserved
        self.assertEqual(self.shopify(TEE, NJ), 27)
