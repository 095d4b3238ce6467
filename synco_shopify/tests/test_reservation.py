# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..lib.shopify import normalize_order
from .common import SyncoCase
from .test_order_import import order_payload


@tagged("post_install", "-at_install")
class TestReservation(SyncoCase):
    """What counts is what can be reserved.

    NJ counts NJ/Stock minus Quarantine and Safety-Reserve.  The quarantine
    holds the oldest stock, so plain FIFO would take it first.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.map_nj = cls._mapping(
            cls.loc_nj,
            cls.wh_nj.lot_stock_id,
            excluded=cls.quarantine | cls.safety_reserve,
        )
        cls.tee_binding = cls.env["shopify.product.binding"].create(
            {
                "shop_id": cls.shop.id,
                "product_id": cls.tee.id,
                "sku": cls.tee.default_code,
                "shopify_variant_gid": "gid://shopify/ProductVariant/11",
                "shopify_inventory_item_gid": "gid://shopify/InventoryItem/21",
            }
        )
        cls.shop.default_warehouse_id = cls.wh_nj
        cls.customers = cls.env.ref("stock.stock_location_customers")
        Quant = cls.env["stock.quant"]
        for location, quantity, in_date in (
            (cls.quarantine, 7, datetime(2020, 1, 1)),  # oldest: FIFO's pick
            (cls.bin_a2, 3, datetime(2021, 1, 1)),
            (cls.bin_a1, 5, datetime(2023, 1, 1)),
        ):
            Quant._update_available_quantity(
                cls.tee, location, quantity, in_date=in_date
            )
        cls.env.cr.flush()

    def _reserved(self, location):
        quants = self.env["stock.quant"].search(
            [("product_id", "=", self.tee.id), ("location_id", "=", location.id)]
        )
        return sum(quants.mapped("reserved_quantity"))

    def _reserved_by_location(self, picking):
        result = {}
        for line in picking.move_line_ids:
            result[line.location_id] = result.get(line.location_id, 0) + line.quantity
        return result

    def _order(self, number, quantity):
        """Import a Shopify order of tees, routed to NJ; (order, trap)."""
        payload = order_payload(number, [("SYN-TEST-TEE", 11, quantity, "24.00")])
        with trap_jobs() as trap:
            order, _message, _created = self.env["shopify.order.import"]._sync(
                self.shop, normalize_order(payload)
            )
            self.env.cr.flush()  # runs the precommit hook that enqueues
        return order, trap

    def _delivery(self, quantity):
        """A manual delivery from NJ/Stock, reserved; (picking, trap)."""
        with trap_jobs() as trap:
            picking = self._move(
                self.tee,
                self.wh_nj.lot_stock_id,
                self.customers,
                quantity,
                validate=False,
            )
            self.env.cr.flush()
        return picking, trap

    def assertPushed(self, trap):
        # (an imported order also enqueues its fulfilment location check)
        self.assertEqual(
            [
                (job.method_name, job.recordset)
                for job in trap.enqueued_jobs
                if job.method_name != "_job_shopify_align_location"
            ],
            [("_job_push_inventory", self.tee_binding)],
        )

    def test_shopify_order_reserves_counted_stock_only(self):
        self.assertEqual(self._available(self.map_nj, self.tee), 8)  # 3 + 5
        order, trap = self._order(7001, 4)
        picking = order.picking_ids
        self.assertEqual(order.warehouse_id, self.wh_nj)
        self.assertEqual(picking.state, "assigned")
        # FIFO inside what counts: Bin-A2 (2021) before Bin-A1 (2023)
        self.assertEqual(
            self._reserved_by_location(picking), {self.bin_a2: 3, self.bin_a1: 1}
        )
        self.assertEqual(self._reserved(self.quarantine), 0)
        # on hand counted 8, reserved 4: Shopify shows 4, counted once
        self.assertEqual(self._available(self.map_nj, self.tee), 4)
        self.assertPushed(trap)
        self.assertFalse(picking.synco_reservation_warning)
        self.assertFalse(order.synco_reservation_warning)

    def test_shopify_order_restricted_with_setting_off(self):
        self.shop.reserve_counted_stock_only = False
        order, trap = self._order(7002, 6)
        self.assertEqual(
            self._reserved_by_location(order.picking_ids),
            {self.bin_a2: 3, self.bin_a1: 3},
        )
        self.assertEqual(self._reserved(self.quarantine), 0)
        self.assertEqual(self._available(self.map_nj, self.tee), 2)
        self.assertPushed(trap)

    def test_manual_delivery_skips_excluded_zones(self):
        self.assertTrue(self.shop.reserve_counted_stock_only)  # the default
        picking, trap = self._delivery(4)
        self.assertEqual(picking.state, "assigned")
        self.assertEqual(
            self._reserved_by_location(picking), {self.bin_a2: 3, self.bin_a1: 1}
        )
        self.assertEqual(self._reserved(self.quarantine), 0)
        self.assertEqual(self._available(self.map_nj, self.tee), 4)
        self.assertPushed(trap)

    def test_manual_delivery_standard_with_setting_off(self):
        self.shop.reserve_counted_stock_only = False
        picking, trap = self._delivery(4)
        # standard FIFO: the oldest stock, in quarantine
        self.assertEqual(self._reserved_by_location(picking), {self.quarantine: 4})
        self.assertEqual(self._reserved(self.quarantine), 4)
        # only uncounted stock was reserved: Shopify's figure is unchanged
        # and right, and there is nothing to push
        self.assertEqual(self._available(self.map_nj, self.tee), 8)
        self.assertEqual(trap.enqueued_jobs, [])
        # a Shopify order still skips the quarantine's 3 free units
        order, _trap = self._order(7003, 2)
        self.assertEqual(
            self._reserved_by_location(order.picking_ids), {self.bin_a2: 2}
        )
        self.assertEqual(self._reserved(self.quarantine), 4)
        self.assertEqual(self._available(self.map_nj, self.tee), 6)

    def test_move_out_of_the_excluded_zone_is_honoured(self):
        # releasing quarantine into a bin names the zone as its source
        picking = self._move(self.tee, self.quarantine, self.bin_a1, 7, validate=False)
        self.assertEqual(picking.state, "assigned")
        self.assertEqual(self._reserved(self.quarantine), 7)
        self.assertEqual(self._available(self.map_nj, self.tee), 8)

    def test_shortage_is_partially_reserved_and_explained(self):
        order, trap = self._order(7004, 10)
        picking = order.picking_ids
        self.assertEqual(order.state, "sale")
        self.assertEqual(picking.state, "assigned")  # partial, as Odoo allows
        self.assertEqual(picking.move_ids.state, "partially_available")
        self.assertEqual(picking.move_ids.quantity, 8)
        self.assertEqual(self._reserved(self.quarantine), 0)
        self.assertEqual(self._available(self.map_nj, self.tee), 0)
        self.assertPushed(trap)
        warning = picking.synco_reservation_warning
        self.assertIn("8 of 10", warning)
        self.assertIn("7 more", warning)
        self.assertIn(self.quarantine.display_name, warning)
        self.assertIn("never picked for Shopify orders", warning)
        self.assertEqual(order.synco_reservation_warning, warning)
        self.assertIn(self.quarantine.display_name, order.message_ids[0].body)

    def test_manual_shortage_is_explained(self):
        picking, _trap = self._delivery(10)
        self.assertEqual(picking.move_ids.quantity, 8)
        self.assertEqual(self._reserved(self.quarantine), 0)
        warning = picking.synco_reservation_warning
        self.assertIn("7 more", warning)
        self.assertIn("Never Pick Excluded Zones", warning)
        # the setting off, the same transfer reserves the quarantine too
        picking.do_unreserve()
        self.shop.reserve_counted_stock_only = False
        picking.action_assign()
        self.assertEqual(picking.move_ids.quantity, 10)
        self.assertEqual(self._reserved(self.quarantine), 7)
        self.assertFalse(picking.synco_reservation_warning)

    def test_shopify_order_takes_only_counted_sources(self):
        # NJ counts Bin-A1 alone: no excluded zone, Bin-A2 simply not counted
        self.map_nj.write(
            {
                "source_ids": [(5, 0, 0), (0, 0, {"location_id": self.bin_a1.id})],
                "excluded_location_ids": [(5, 0, 0)],
            }
        )
        self.assertEqual(self._available(self.map_nj, self.tee), 5)
        order, trap = self._order(7005, 4)
        self.assertEqual(
            self._reserved_by_location(order.picking_ids), {self.bin_a1: 4}
        )
        self.assertEqual(self._available(self.map_nj, self.tee), 1)
        self.assertPushed(trap)
        # no excluded zone: a manual delivery reserves as standard Odoo (FIFO)
        picking, _trap = self._delivery(2)
        self.assertEqual(self._reserved_by_location(picking), {self.quarantine: 2})
