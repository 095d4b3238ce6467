# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.synco_shopify.tests.common import SyncoCase


@tagged("post_install", "-at_install")
class TestExpiredLots(SyncoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.milk = cls.env["product.product"].create(
            {
                "name": "SYN-MILK",
                "default_code": "SYN-MILK",
                "is_storable": True,
                "tracking": "lot",
                "use_expiration_date": True,
            }
        )
        now = fields.Datetime.now()
        cls.expired = cls._lot("EXPIRED", now - timedelta(days=3))
        cls.fresh = cls._lot("FRESH", now + timedelta(days=20))
        cls.mapping = cls._mapping(cls.loc_nj, cls.wh_nj.lot_stock_id)

    @classmethod
    def _lot(cls, name, removal_date):
        return cls.env["stock.lot"].create(
            {
                "name": name,
                "product_id": cls.milk.id,
                "expiration_date": removal_date,
                "removal_date": removal_date,
            }
        )

    def _stock_lot(self, lot, location, quantity):
        self.env["stock.quant"]._update_available_quantity(
            self.milk, location, quantity, lot_id=lot
        )

    def test_expired_lot_does_not_count(self):
        self.assertLess(self.expired.removal_date, fields.Datetime.now())
        self._stock_lot(self.expired, self.bin_a1, 7)
        self.assertEqual(self._available(self.mapping, self.milk), 0)
        self._stock_lot(self.fresh, self.bin_a2, 5)
        self.assertEqual(self._available(self.mapping, self.milk), 5)
        # what Odoo itself can still sell
        free_qty = self.milk.with_context(location=self.wh_nj.lot_stock_id.id).free_qty
        self.assertEqual(free_qty, 5)

    def test_lot_crossing_its_removal_date_stops_counting(self):
        self._stock_lot(self.fresh, self.bin_a1, 5)
        self.assertEqual(self._available(self.mapping, self.milk), 5)
        self.fresh.removal_date = fields.Datetime.now() - timedelta(hours=1)
        self.assertEqual(self._available(self.mapping, self.milk), 0)

    def test_products_without_expiration_dates_are_unaffected(self):
        """Odoo reserves their lots whatever date they carry."""
        flour = self.env["product.product"].create(
            {
                "name": "SYN-FLOUR",
                "default_code": "SYN-FLOUR",
                "is_storable": True,
                "tracking": "lot",
            }
        )
        lot = self.env["stock.lot"].create({"name": "FLOUR-1", "product_id": flour.id})
        # a date left over from when the product used expiration dates
        lot.removal_date = fields.Datetime.now() - timedelta(days=3)
        self.env["stock.quant"]._update_available_quantity(
            flour, self.bin_a1, 4, lot_id=lot
        )
        self._stock(flour, self.bin_a2, 3)
        self.assertEqual(self._available(self.mapping, flour), 7)

    def test_daily_cron_pushes_the_products_of_lots_just_expired(self):
        binding = self.env["shopify.product.binding"].create(
            {
                "shop_id": self.shop.id,
                "product_id": self.milk.id,
                "sku": "SYN-MILK",
                "shopify_inventory_item_gid": "gid://shopify/InventoryItem/31",
            }
        )
        self._stock_lot(self.fresh, self.bin_a1, 5)
        self.env.cr.flush()
        self.fresh.removal_date = fields.Datetime.now() - timedelta(hours=1)
        with trap_jobs() as trap:
            self.env["stock.lot"]._synco_cron_push_expired_lots()
            self.env.cr.flush()  # runs the precommit hooks
        self.assertEqual(
            [(job.method_name, job.recordset) for job in trap.enqueued_jobs],
            [("_job_push_inventory", binding)],
        )
        # a lot expired long ago was pushed by an earlier run
        with trap_jobs() as trap:
            self.env["stock.lot"].with_context(
                lastcall=fields.Datetime.now() - timedelta(minutes=5)
            )._synco_cron_push_expired_lots()
            self.env.cr.flush()
        trap.assert_jobs_count(0)
