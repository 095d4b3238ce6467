# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import Form, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SyncoCase


@tagged("post_install", "-at_install")
class TestPushEvents(SyncoCase):
    """Every way Odoo changes sellable stock enqueues one push per product."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.nj = cls._mapping(
            cls.loc_nj,
            cls.wh_nj.lot_stock_id,
            excluded=cls.quarantine | cls.safety_reserve,
        )
        cls.tx = cls._mapping(cls.loc_tx, cls.wh_tx.lot_stock_id)
        cls.tee_binding = cls._binding(cls.tee, 11)
        cls.mug_binding = cls._binding(cls.mug, 12)
        cls.bolt = cls._product("SYN-TEST-BOLT")  # never bound
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.suppliers = cls.env.ref("stock.stock_location_suppliers")
        cls.env["stock.quant"]._update_available_quantity(cls.tee, cls.bin_a1, 40)
        cls.env["stock.quant"]._update_available_quantity(cls.mug, cls.bin_a1, 40)
        cls.env.cr.flush()  # the fixture's own stock is not under test

    @classmethod
    def _binding(cls, product, number):
        return cls.env["shopify.product.binding"].create(
            {
                "shop_id": cls.shop.id,
                "product_id": product.id,
                "sku": product.default_code,
                "shopify_inventory_item_gid": f"gid://shopify/InventoryItem/{number}",
            }
        )

    def _jobs(self, func):
        """Run ``func`` and end the transaction's work as a commit would."""
        with trap_jobs() as trap:
            func()
            self.env.cr.flush()  # runs the precommit hooks
        return trap

    def _pushed_bindings(self, trap):
        return {job.recordset for job in trap.enqueued_jobs}

    def assertPushes(self, trap, *bindings):
        self.assertEqual(
            sorted(job.method_name for job in trap.enqueued_jobs),
            ["_job_push_inventory"] * len(bindings),
        )
        self.assertEqual(self._pushed_bindings(trap), set(bindings))

    def test_receipt(self):
        trap = self._jobs(lambda: self._move(self.tee, self.suppliers, self.bin_a2, 10))
        self.assertPushes(trap, self.tee_binding)
        job = trap.enqueued_jobs[0]
        self.assertEqual(job.channel, f"root.synco_shopify.shop_{self.shop.id}")
        self.assertEqual(job.identity_key, f"synco_shopify.push:{self.tee_binding.id}")

    def test_delivery(self):
        trap = self._jobs(lambda: self._move(self.tee, self.bin_a1, self.customers, 5))
        self.assertPushes(trap, self.tee_binding)

    def test_move_into_and_out_of_an_excluded_zone(self):
        trap = self._jobs(lambda: self._move(self.tee, self.bin_a1, self.quarantine, 5))
        self.assertPushes(trap, self.tee_binding)
        trap = self._jobs(lambda: self._move(self.tee, self.quarantine, self.bin_a2, 5))
        self.assertPushes(trap, self.tee_binding)

    def test_inventory_adjustment(self):
        def count():
            quant = self.env["stock.quant"].search(
                [("product_id", "=", self.mug.id), ("location_id", "=", self.bin_a1.id)]
            )
            quant.inventory_quantity = 33
            quant.action_apply_inventory()

        self.assertPushes(self._jobs(count), self.mug_binding)

    def test_sale_order_reservation_and_unreservation(self):
        partner = self.env["res.partner"].create({"name": "Buyer"})
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "warehouse_id": self.wh_nj.id,
                "order_line": [
                    (0, 0, {"product_id": self.tee.id, "product_uom_qty": 3})
                ],
            }
        )
        trap = self._jobs(order.action_confirm)
        self.assertPushes(trap, self.tee_binding)
        self.assertEqual(order.picking_ids.state, "assigned")
        self.assertEqual(self._available(self.nj, self.tee), 37)
        trap = self._jobs(order.picking_ids.do_unreserve)
        self.assertPushes(trap, self.tee_binding)
        self.assertEqual(self._available(self.nj, self.tee), 40)

    def test_scrap(self):
        def scrap():
            scrap = self.env["stock.scrap"].create(
                {
                    "product_id": self.tee.id,
                    "scrap_qty": 2,
                    "location_id": self.bin_a1.id,
                }
            )
            scrap.action_validate()

        self.assertPushes(self._jobs(scrap), self.tee_binding)
        self.assertEqual(self._available(self.nj, self.tee), 38)

    def test_one_job_per_product_for_a_big_picking(self):
        """30 lines over 2 products: 2 jobs, not 30."""

        def picking():
            with Form(self.env["stock.picking"]) as form:
                form.picking_type_id = self.wh_nj.int_type_id
                form.location_id = self.bin_a1
                form.location_dest_id = self.bin_a2
            picking = form.save()
            self.env["stock.move"].create(
                [
                    {
                        "picking_id": picking.id,
                        "product_id": product.id,
                        "product_uom_qty": 1,
                        "location_id": self.bin_a1.id,
                        "location_dest_id": self.bin_a2.id,
                    }
                    for product in [self.tee, self.mug] * 15
                ]
            )
            picking.action_confirm()
            picking.action_assign()
            picking.move_ids.picked = True
            picking.button_validate()
            self.assertEqual(picking.state, "done")

        self.assertPushes(self._jobs(picking), self.tee_binding, self.mug_binding)

    def test_big_commit_pushes_in_batches(self):
        """Above the threshold, one job carries many products (≤ 250 levels)."""
        products = self.env["product.product"].create(
            [
                {
                    "name": f"Batch {i}",
                    "default_code": f"BATCH-{i}",
                    "is_storable": True,
                }
                for i in range(45)
            ]
        )
        bindings = self.env["shopify.product.binding"].browse(
            [self._binding(p, 100 + i).id for i, p in enumerate(products)]
        )
        self.env["ir.config_parameter"].set_param(
            "synco_shopify.push_batch_threshold", "20"
        )

        def receive():
            for product in products:
                self._stock(product, self.bin_a1, 3)

        trap = self._jobs(receive)
        self.assertEqual(len(trap.enqueued_jobs), 1)  # 45 products x 2 mappings
        job = trap.enqueued_jobs[0]
        self.assertEqual(job.method_name, "_job_push_inventory")
        self.assertEqual(job.recordset, bindings)
        self.assertTrue(job.identity_key.startswith("synco_shopify.push_batch:"))
        self.env["ir.config_parameter"].set_param(
            "synco_shopify.push_batch_threshold", "50"
        )
        self.assertPushes(self._jobs(receive), *bindings)

    def test_unmapped_location_and_unbound_product(self):
        self.assertPushes(
            self._jobs(lambda: self._stock(self.tee, self.wh_east.lot_stock_id, 5))
        )
        self.assertPushes(self._jobs(lambda: self._stock(self.bolt, self.bin_a1, 5)))

    def test_frozen_shop_and_paused_pushes_enqueue_nothing(self):
        self.shop.sync_frozen = True
        self.assertPushes(self._jobs(lambda: self._stock(self.tee, self.bin_a1, 1)))
        self.shop.sync_frozen = False
        self.env["ir.config_parameter"].set_param("synco_shopify.push_paused", "1")
        self.assertPushes(self._jobs(lambda: self._stock(self.tee, self.bin_a1, 1)))

    def test_draft_or_paused_mapping_is_not_watched(self):
        # pausing pushes every product once (its location goes out of sale)
        self.assertPushes(
            self._jobs(self.tx.action_pause), self.tee_binding, self.mug_binding
        )
        self.assertPushes(
            self._jobs(lambda: self._stock(self.tee, self.wh_tx.lot_stock_id, 4))
        )
        self.assertPushes(
            self._jobs(self.tx.action_activate), self.tee_binding, self.mug_binding
        )
        self.assertPushes(
            self._jobs(lambda: self._stock(self.tee, self.wh_tx.lot_stock_id, 4)),
            self.tee_binding,
        )

    def test_new_bin_under_a_mapped_warehouse_is_watched(self):
        new_bin = self.env["stock.location"].create(
            {"name": "Bin-Z9", "location_id": self.wh_tx.lot_stock_id.id}
        )
        self.assertPushes(
            self._jobs(lambda: self._stock(self.mug, new_bin, 2)), self.mug_binding
        )

    def test_jobs_are_stored_in_bulk_and_collapse_while_pending(self):
        """Untrapped: the commit stores real jobs, one per product, once."""

        def jobs():
            return self.env["queue.job"].search(
                [("identity_key", "like", "synco_shopify.push:")]
            )

        def commit_stock(*products):
            for product in products:
                self._stock(product, self.bin_a1, 1)
            self.env.cr.flush()  # runs the precommit hooks

        commit_stock(self.tee, self.mug, self.tee)
        stored = jobs()
        self.assertEqual(len(stored), 2)
        self.assertEqual(
            {job.records for job in stored}, {self.tee_binding, self.mug_binding}
        )
        tee_job = stored.filtered(lambda j: j.records == self.tee_binding)
        self.assertRecordValues(
            tee_job,
            [
                {
                    "state": "pending",
                    "method_name": "_job_push_inventory",
                    "channel": f"root.synco_shopify.shop_{self.shop.id}",
                    "identity_key": f"synco_shopify.push:{self.tee_binding.id}",
                    "name": "Shopify push: SYN-TEST-TEE to Test Shop",
                }
            ],
        )
        commit_stock(self.tee, self.mug)  # both still pending: nothing new
        self.assertEqual(jobs(), stored)
        # the runner took the tee's job: it may read the stock before our
        # commit, so the change needs a job of its own
        tee_job.state = "enqueued"
        commit_stock(self.tee, self.mug)
        self.assertEqual(len(jobs() - stored), 1)
        self.assertEqual((jobs() - stored).records, self.tee_binding)

    def test_rolled_back_changes_enqueue_nothing(self):
        with trap_jobs() as trap:
            self._stock(self.tee, self.bin_a1, 7)
            self.env.cr.precommit.clear()  # what a rollback does to the hooks
            self.env.cr.flush()
        trap.assert_jobs_count(0)
