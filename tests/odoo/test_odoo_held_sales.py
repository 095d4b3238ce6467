"""Units Shopify sold stay out of its offer until Odoo has the order.

The order's webhook is lost (nothing is subscribed here) and Shopify's order
search lags behind (the simulator's ``orders_search_lag`` fault), so Odoo
learns of the sale only from Shopify's level: pushes, a reconciliation and a
poll that finds nothing must all keep those units out.  When the order
arrives, figures agree with no double count.
"""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import ThirtyTeesAtNewJerseyCase

TEE = "SYN-TEE-BLK-M"
MUG = "SYN-MUG-001"
NJ = "New Jersey Warehouse"


@tagged("post_install", "-at_install")
class TestHeldSales(ThirtyTeesAtNewJerseyCase):
    def odoo_figure(self, sku=TEE):
        product = self.products[sku]
        return self.map_nj._compute_shopify_available(product)[self.map_nj][product.id]

    def push(self, sku=TEE, **kwargs):
        """Push and return the jobs the push enqueued (the order poll)."""
        with trap_jobs() as trap:
            self.bindings[sku]._job_push_inventory(**kwargs)
        return trap.enqueued_jobs

    def change_stock(self, quantity):
        self.stock(TEE, self.wh_nj.lot_stock_id, quantity)
        self.env.cr.flush()
        return self.push()

    def run_jobs(self, func):
        """Run ``func``, enqueue as a commit would, run the jobs; return them."""
        with trap_jobs() as trap:
            func()
            self.env.cr.flush()
            jobs = list(trap.enqueued_jobs)
            trap.perform_enqueued_jobs()
        return jobs

    def test_lost_order_stays_out_until_it_arrives(self):
        self.sim.set_faults(orders_search_lag=3600)
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 2)], location=NJ)
        self.assertEqual(self.shopify(TEE, NJ), 28)
        # 1st push: the compare-and-set conflict shows the sale; an order
        # poll is enqueued at once (in a minute: the search lags)
        jobs = self.change_stock(5)
        self.assertEqual(self.shopify(TEE, NJ), 33)  # 35 in Odoo, 2 sold
        self.assertEqual(self.level().held_qty, 2)
        self.assertEqual([job.method_name for job in jobs], ["_job_poll_orders"])
        self.assertTrue(jobs[0].eta)
        # 2nd and 3rd pushes compare with what Shopify holds, and still
        # keep the 2 units out (they used to be offered again here)
        self.change_stock(1)
        self.assertEqual(self.shopify(TEE, NJ), 34)
        self.change_stock(-4)
        self.assertEqual(self.shopify(TEE, NJ), 30)
        self.assertEqual(self.level().held_qty, 2)
        # the order poll runs: the order is not searchable yet, the hold is
        # recent, so it stays
        self.shop._job_poll_orders()
        self.assertEqual(self.level().held_qty, 2)
        # a reconciliation polls first (nothing yet) and sees no drift
        self.shop.reconcile_keep_in_sync_lines = True  # to read its line
        run = self.shop._create_run()
        run._job_run()
        line = run.line_ids.filtered(
            lambda lvl: lvl.sku == TEE and lvl.shopify_location_id == self.loc_nj
        )
        self.assertEqual((line.expected, line.shopify_before), (30, 30))
        self.assertEqual(line.action, "in_sync")
        self.assertEqual(self.shopify(TEE, NJ), 30)
        # the order becomes visible: the poll imports it, Odoo reserves 2
        # in NJ, the hold is released, and the push counts the sale once
        self.sim.set_faults(orders_search_lag=0)
        jobs = self.run_jobs(self.shop._job_poll_orders)
        order = self.env["sale.order"].search([("shopify_shop_id", "=", self.shop.id)])
        self.assertEqual(len(order), 1)
        self.assertEqual(order.warehouse_id, self.wh_nj)
        self.assertIn(self.bindings[TEE], {job.recordset for job in jobs})
        self.assertEqual(self.level().held_qty, 0)
        self.assertEqual(self.odoo_figure(), 30)  # 32 on hand, 2 reserved
        self.assertEqual(self.shopify(TEE, NJ), 30)
        # and later pushes go on from there
        self.change_stock(3)
        self.assertEqual(self.shopify(TEE, NJ), 33)
        self.assertEqual(self.odoo_figure(), 33)

    def test_redelivered_order_releases_the_hold(self):
        self.sim.set_faults(orders_search_lag=3600)
        order = self.sim.create_order(DEMO_DOMAIN, [(TEE, 4)], location=NJ)
        self.change_stock(2)
        self.assertEqual(self.shopify(TEE, NJ), 28)
        self.assertEqual(self.level().held_qty, 4)
        # the webhook comes back (Shopify's retry): same import path
        self.sim.set_faults(orders_search_lag=0)
        node = next(
            n
            for n in self.shop._get_client().iter_orders()
            if n["id"].endswith(f"/{order.number}")
        )
        from odoo.addons.synco_shopify.lib.shopify import normalize_order

        self.run_jobs(
            lambda: self.env["shopify.order.import"]._sync(
                self.shop, normalize_order(node), origin="webhook"
            )
        )
        self.assertEqual(self.level().held_qty, 0)
        self.assertEqual(self.odoo_figure(), 28)
        self.assertEqual(self.shopify(TEE, NJ), 28)

    def test_our_own_lost_write_is_not_taken_for_a_sale(self):
        """A push applied in Shopify whose transaction died (server killed)."""
        self.stock(TEE, self.wh_nj.lot_stock_id, -5)  # Odoo now says 25 ...
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 25)  # ... and so did we
        self.env.cr.flush()
        self.assertEqual(self.level().shopify_available, 30)  # not recorded
        jobs = self.push()
        self.assertEqual(self.shopify(TEE, NJ), 25)
        self.assertEqual(self.level().held_qty, 0)
        self.assertEqual(self.level().shopify_available, 25)
        self.assertEqual(jobs, [])  # no order poll: no sale to look for

    def test_a_recent_hold_gets_a_poll_of_its_own(self):
        self.sim.set_faults(orders_search_lag=3600)
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 5)], location=NJ)
        self.change_stock(1)
        self.assertEqual(self.level().held_qty, 5)
        # a poll running right away can't judge it yet: it asks for another
        with trap_jobs() as trap:
            self.shop._job_poll_orders()
        self.assertEqual(self.level().held_qty, 5)
        self.assertEqual(
            [j.method_name for j in trap.enqueued_jobs], ["_job_poll_orders"]
        )
        self.assertGreater(trap.enqueued_jobs[0].eta, self.level().held_date)

    def test_a_poll_without_the_order_releases_the_hold(self):
        # Shopify committed units (a sale) whose order a poll can't find
        self.sim.set_faults(orders_search_lag=3600)
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 5)], location=NJ)
        self.change_stock(1)
        self.assertEqual(self.level().held_qty, 5)
        self.assertEqual(self.shopify(TEE, NJ), 26)
        # a minute later the poll finds no order: Odoo's figure is pushed
        self.level().held_date = fields.Datetime.now() - timedelta(minutes=2)
        self.run_jobs(self.shop._job_poll_orders)
        self.assertEqual(self.level().held_qty, 0)
        self.assertEqual(self.shopify(TEE, NJ), 31)

    def test_push_all_reads_shopify_first(self):
        self.stock(MUG, self.wh_nj.lot_stock_id, 12)
        self.env.cr.flush()
        self.shop.binding_ids._job_push_inventory()
        self.assertEqual(self.shopify(MUG, NJ), 12)
        # Shopify changed outside Odoo: the simulator restarts on its fixture
        self.sim.reset("demo")
        self.assertEqual(self.shopify(TEE, NJ), 50)
        self.sim.clear_log()
        with trap_jobs() as trap:
            self.shop.action_push_all()
        self.assertTrue(trap.enqueued_jobs)
        self.assertTrue(
            all(job.kwargs == {"refresh": True} for job in trap.enqueued_jobs)
        )
        trap.perform_enqueued_jobs()
        self.assertEqual(self.shopify(TEE, NJ), 30)
        self.assertEqual(self.shopify(MUG, NJ), 12)
        self.assertEqual(self.shopify(MUG, "Texas Warehouse"), 0)
        for binding in self.shop.binding_ids:
            for level in binding.level_ids:
                self.assertEqual(
                    level.shopify_available, level.expected_qty, binding.sku
                )

    # ------------------------------------------------ issue 24: never written over
    def test_a_drift_webhook_does_not_write_over_a_lost_sale(self):
        """The level webhook of a sale whose order webhook was lost: the
        corrective push reads the level first and must hold the sale (its
        committed rose), not write Odoo's figure over it."""
        self.shop.correct_drift_on_webhook = True
        self.sim.set_faults(orders_search_lag=3600)
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 2)], location=NJ)
        self.assertEqual(self.shopify(TEE, NJ), 28)
        jobs = self.run_jobs(
            lambda: self.shop._synco_check_level(
                self.bindings[TEE].shopify_inventory_item_gid,
                self.loc_nj.shopify_gid,
                28,
            )
        )
        self.assertIn(self.bindings[TEE], {job.recordset for job in jobs})
        self.assertEqual(self.shopify(TEE, NJ), 28)  # 30 before issue 24
        self.assertEqual(self.level().held_qty, 2)
        self.assertEqual(self.level().drop_sold_qty, 2)
        # a hand edit the same way is still written over (committed unchanged)
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 26)
        self.run_jobs(
            lambda: self.shop._synco_check_level(
                self.bindings[TEE].shopify_inventory_item_gid,
                self.loc_nj.shopify_gid,
                26,
            )
        )
        self.assertEqual(self.shopify(TEE, NJ), 28)
        self.assertEqual(self.level().held_qty, 2)
        self.assertEqual(self.level().drop_edited_qty, 2)

    def test_an_imported_order_does_not_write_over_a_lost_one(self):
        """Order B's webhook is lost; order A of the same product arrives:
        its import and its location alignment refresh the levels, and B's
        units must stay out (Odoo reserves A's only)."""
        from odoo.addons.synco_shopify.lib.shopify import normalize_order

        from ..shopify_simulator.webhooks import order_payload

        self.sim.set_faults(orders_search_lag=3600)
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 2)], location=NJ)  # B, lost
        order_a = self.sim.create_order(DEMO_DOMAIN, [(TEE, 1)], location=NJ)
        self.assertEqual(self.shopify(TEE, NJ), 27)
        data = normalize_order(order_payload(self.sim.shop(DEMO_DOMAIN), order_a))
        self.run_jobs(
            lambda: self.env["shopify.order.import"]._sync(
                self.shop, data, origin="webhook"
            )
        )
        orders = self.env["sale.order"].search([("shopify_shop_id", "=", self.shop.id)])
        self.assertEqual(len(orders), 1)  # A only
        self.assertEqual(self.odoo_figure(), 29)  # 30 on hand, 1 reserved
        # Odoo's 29 less B's 2 (29 was written before issue 24)
        self.assertEqual(self.shopify(TEE, NJ), 27)
        self.assertEqual(self.level().held_qty, 2)
        # B arrives: released, each unit counted once
        self.sim.set_faults(orders_search_lag=0)
        self.run_jobs(self.shop._job_poll_orders)
        self.assertEqual(self.level().held_qty, 0)
        self.assertEqual(self.odoo_figure(), 27)
        self.assertEqual(self.shopify(TEE, NJ), 27)

    def test_a_count_as_large_as_a_lost_sale_is_no_write_over(self):
        """Odoo's figure falls by 2 while Shopify sells 2 on a lost order:
        the compare-and-set conflict finds Shopify at Odoo's figure, but
        committed rose: the sale is held and the lower figure written."""
        self.sim.set_faults(orders_search_lag=3600)
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 2)], location=NJ)
        jobs = self.change_stock(-2)  # Odoo 28, Shopify 28 (30 - 2 sold)
        self.assertEqual(self.shopify(TEE, NJ), 26)
        self.assertEqual(self.level().held_qty, 2)
        self.assertEqual([job.method_name for job in jobs], ["_job_poll_orders"])

    def test_a_counter_sale_is_held_not_written_over(self):
        """At a retail store a sale leaves through the till, fulfilled at
        once: committed never moves, so it looks like an edit.  A drop there
        is held until its order is imported, never written over."""
        self.loc_nj.retail_store = True
        self.sim.set_faults(orders_search_lag=3600)
        self.sim.sell_at_counter(DEMO_DOMAIN, [(TEE, 2)], NJ)
        self.assertEqual(self.sim.level(DEMO_DOMAIN, TEE, NJ)["committed"], 0)
        jobs = self.change_stock(1)  # Odoo 31
        self.assertEqual(self.shopify(TEE, NJ), 29)  # 31 before issue 24
        self.assertEqual(self.level().held_qty, 2)
        self.assertEqual([job.method_name for job in jobs], ["_job_poll_orders"])

    def test_an_import_releases_only_where_shopify_took_the_order(self):
        """B's webhook is lost at Texas (held there); order C is taken at New
        Jersey and imported: its release must not take B's hold at Texas
        (Shopify would then offer B's units again)."""
        from odoo.addons.synco_shopify.lib.shopify import normalize_order

        from ..shopify_simulator.webhooks import order_payload

        tx = "Texas Warehouse"
        self.stock(TEE, self.bin_b1, 10)
        self.env.cr.flush()
        self.push()
        self.assertEqual(self.shopify(TEE, tx), 10)
        self.sim.set_faults(orders_search_lag=3600)
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 2)], location=tx)  # B, lost
        self.stock(TEE, self.bin_b1, 1)
        self.env.cr.flush()
        self.push()
        level_tx = self.bindings[TEE].level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_tx
        )
        self.assertEqual((self.shopify(TEE, tx), level_tx.held_qty), (9, 2))
        order_c = self.sim.create_order(DEMO_DOMAIN, [(TEE, 1)], location=NJ)
        data = dict(
            normalize_order(order_payload(self.sim.shop(DEMO_DOMAIN), order_c)),
            location_gids=[self.loc_nj.shopify_gid],
        )
        self.run_jobs(
            lambda: self.env["shopify.order.import"]._sync(
                self.shop, data, origin="webhook"
            )
        )
        self.assertEqual(level_tx.held_qty, 2)  # 1 before issue 24
        self.assertEqual(self.shopify(TEE, tx), 9)  # 10 before issue 24
        self.assertEqual(self.shopify(TEE, NJ), 29)  # C taken, Odoo 29

    def test_an_order_in_exception_keeps_its_units_held(self):
        """An order with a line Odoo can't bind is held in exception, not
        confirmed: Shopify promised its bound units to a customer.  A poll
        keeps them out of the offer (it used to write Odoo's figure over
        them a minute later); the cancellation gives them back."""
        from odoo.addons.synco_shopify.lib.shopify import normalize_order

        from ..shopify_simulator.webhooks import order_payload

        self.sim.add_product(
            DEMO_DOMAIN, "Unbound cap", ["SYN-CAP-UNBOUND"], stock={NJ: 5}
        )
        order = self.sim.create_order(
            DEMO_DOMAIN, [(TEE, 2), ("SYN-CAP-UNBOUND", 1)], location=NJ
        )

        def sync():
            node = order_payload(self.sim.shop(DEMO_DOMAIN), order)
            self.run_jobs(
                lambda: self.env["shopify.order.import"]._sync(
                    self.shop, normalize_order(node), origin="webhook"
                )
            )

        sync()
        so = self.env["sale.order"].search([("shopify_shop_id", "=", self.shop.id)])
        self.assertEqual((so.state, so.shopify_state), ("draft", "exception"))
        self.change_stock(1)  # Odoo 31: Shopify's 2 sold units stay out
        self.assertEqual((self.shopify(TEE, NJ), self.level().held_qty), (29, 2))
        # the poll a while later: the order explains the hold, it stays
        self.level().held_date = fields.Datetime.now() - timedelta(minutes=2)
        with trap_jobs() as trap:
            self.shop._job_poll_orders()
            self.env.cr.flush()
        self.assertEqual(self.level().held_qty, 2)
        self.assertEqual(trap.enqueued_jobs, [])  # no push, no poll again
        self.assertEqual(self.shopify(TEE, NJ), 29)
        # Shopify cancels it (restocking 2): released, Odoo's figure again
        self.sim.cancel_order(order.id)
        sync()
        self.assertEqual(so.shopify_state, "cancelled")
        self.assertEqual(self.level().held_qty, 0)
        self.assertEqual(self.shopify(TEE, NJ), 31)
