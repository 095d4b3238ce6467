"""Units Shopify gives back (a cancellation, an order edit) never hide a sale.

A sale moves units from ``available`` to ``committed``; a cancellation or an
order edit that restocks moves them back.  Between two reads of a level the
two net out: ``committed`` unchanged reads as an edit, and Odoo's figure was
written over a sale whose order Odoo lacks (seed 2 of the soak: "removed by
an edit in Shopify (committed unchanged)" beside an order not imported).  A
cancellation or edit Odoo applies is now taken into what it remembers of
the level, where Shopify holds the order, unless a read since saw it; a
cancellation of an imported order releases no other order's hold.
"""

from datetime import timedelta

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import ThirtyTeesAtNewJerseyCase

TEE = "SYN-TEE-BLK-M"
NJ = "New Jersey Warehouse"


@tagged("post_install", "-at_install")
class TestGivenBack(ThirtyTeesAtNewJerseyCase):
    def odoo_figure(self):
        product = self.products[TEE]
        return self.map_nj._compute_shopify_available(product)[self.map_nj][product.id]

    def run_jobs(self, func):
        """Run ``func``, enqueue as a commit would, run the jobs."""
        with trap_jobs() as trap:
            func()
            self.env.cr.flush()
            trap.perform_enqueued_jobs()

    def sync(self, order, event_at=None):
        """Odoo applies Shopify's order as it is now (a webhook)."""
        from odoo.addons.synco_shopify.lib.shopify import normalize_order

        from ..shopify_simulator.webhooks import order_payload

        data = normalize_order(order_payload(self.sim.shop(DEMO_DOMAIN), order))
        self.run_jobs(
            lambda: self.env["shopify.order.import"]._sync(
                self.shop, data, origin="webhook", event_at=event_at
            )
        )
        return self.env["sale.order"].search([("shopify_order_gid", "=", order.id)])

    def imported(self, units):
        """An order of ``units`` at NJ, imported and pushed."""
        order = self.sim.create_order(DEMO_DOMAIN, [(TEE, units)], location=NJ)
        sale = self.sync(order)
        self.assertEqual((sale.state, sale.shopify_location_id), ("sale", self.loc_nj))
        self.assertEqual(self.shopify(TEE, NJ), self.odoo_figure())
        return order, sale

    def lost_sale(self, units):
        """A Shopify order whose webhook was lost, not searchable yet."""
        self.sim.set_faults(orders_search_lag=3600)
        return self.sim.create_order(DEMO_DOMAIN, [(TEE, units)], location=NJ)

    def test_a_cancellation_beside_a_lost_sale_is_held(self):
        order, _sale = self.imported(2)  # 28, committed 2
        self.lost_sale(2)  # 26, committed 4
        self.sim.cancel_order(order.id)  # 28, committed 2: nets out
        self.assertEqual(self.shopify(TEE, NJ), 28)
        self.assertEqual(self.sim.level(DEMO_DOMAIN, TEE, NJ)["committed"], 2)
        sale = self.sync(order)
        self.assertEqual(sale.state, "cancel")
        self.assertEqual(self.odoo_figure(), 30)
        # the lost order's 2 units stay out (30 was written before)
        self.assertEqual(self.shopify(TEE, NJ), 28)
        self.assertEqual(self.level().held_qty, 2)

    def test_an_edit_beside_a_lost_sale_is_held(self):
        order, sale = self.imported(3)  # 27, committed 3
        self.lost_sale(1)  # 26, committed 4
        self.sim.edit_order(order.id, {TEE: 2})  # 27, committed 3: nets out
        self.assertEqual(self.shopify(TEE, NJ), 27)
        self.sync(order)
        self.assertEqual(sale.order_line.product_uom_qty, 2)
        self.assertEqual(self.odoo_figure(), 28)
        # the lost order's unit stays out (28 was written before)
        self.assertEqual(self.shopify(TEE, NJ), 27)
        self.assertEqual(self.level().held_qty, 1)

    def test_a_cancellation_keeps_another_orders_hold(self):
        """A cancelled order was released when imported: its cancellation
        must not release the hold of a sale whose order Odoo still lacks."""
        order, _sale = self.imported(1)  # 29
        self.lost_sale(2)  # 27
        self.stock(TEE, self.wh_nj.lot_stock_id, 1)  # Odoo 30: the push holds 2
        self.env.cr.flush()
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual((self.shopify(TEE, NJ), self.level().held_qty), (28, 2))
        self.sim.cancel_order(order.id)  # 29
        self.sync(order)
        self.assertEqual(self.odoo_figure(), 31)
        self.assertEqual(self.level().held_qty, 2)  # 1 before
        self.assertEqual(self.shopify(TEE, NJ), 29)  # 30 before

    def test_a_cancellation_read_since_is_not_taken_in_twice(self):
        """A level read after Shopify's cancellation (its level webhook's
        corrective push) already holds it: taken in again, another open
        order's committed units would read as a sale (a false hold)."""
        self.shop.correct_drift_on_webhook = True
        self.imported(1)  # C stays open: committed 1
        order, sale = self.imported(2)  # 27, committed 3
        self.sim.cancel_order(order.id)  # 29, committed 1
        binding = self.bindings[TEE]
        self.run_jobs(
            lambda: self.shop._synco_check_level(
                binding.shopify_inventory_item_gid, self.loc_nj.shopify_gid, 29
            )
        )
        # Odoo still reserves the 2: its 27 is written (the cancellation is
        # applied below), and the read remembered committed 1
        self.assertEqual(self.shopify(TEE, NJ), 27)
        self.assertEqual(self.level().shopify_committed, 1)
        # the cancellation, stamped before that read began (and after the
        # order's import)
        read = self.level().shopify_committed_date
        sale.shopify_updated_at = read - timedelta(minutes=1)
        self.sync(order, event_at=read - timedelta(seconds=5))
        self.assertEqual(self.odoo_figure(), 29)
        self.assertEqual(self.level().held_qty, 0)
        self.assertEqual(self.shopify(TEE, NJ), 29)
