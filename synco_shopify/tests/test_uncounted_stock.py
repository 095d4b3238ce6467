# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import SyncoCase


@tagged("post_install", "-at_install")
class TestUncountedStock(SyncoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Location = cls.env["stock.location"]
        tx_stock = cls.wh_tx.lot_stock_id
        cls.bin_b1 = Location.create(
            {"name": "Bin-B1", "location_id": tx_stock.id, "usage": "internal"}
        )
        cls.bin_b2 = Location.create(
            {"name": "Bin-B2", "location_id": tx_stock.id, "usage": "internal"}
        )

    def test_bins_only_mapping_warns_about_the_stock_location(self):
        tx_stock = self.wh_tx.lot_stock_id
        mapping = self._mapping(self.loc_tx, self.bin_b1 | self.bin_b2)
        self._stock(self.tee, tx_stock, 25)
        self._stock(self.mug, tx_stock, 8)
        self._stock(self.tee, self.bin_b1, 10)  # counted
        self._stock(self.mug, self.wh_nj.lot_stock_id, 5)  # not a TX warehouse
        self.assertEqual(self._available(mapping, self.tee), 10)
        self.assertEqual(
            (
                mapping.uncounted_qty,
                mapping.uncounted_product_count,
                mapping.uncounted_location_ids,
                mapping.uncounted_receipt_location_ids,
            ),
            (33, 2, tx_stock, tx_stock),
        )
        self.assertIn("33 units of 2 product(s)", mapping.uncounted_warning)
        self.assertIn(tx_stock.complete_name, mapping.uncounted_warning)
        self.assertIn("Receipts of Texas", mapping.uncounted_warning)
        # the shop adds up its active mappings
        self.assertEqual(
            (self.shop.uncounted_qty, self.shop.uncounted_location_ids),
            (33, tx_stock),
        )
        self.assertIn("no active mapping", self.shop.uncounted_warning)
        action = mapping.action_view_uncounted_quants()
        self.assertEqual(action["res_model"], "stock.quant")
        quants = self.env["stock.quant"].search(action["domain"])
        self.assertEqual(sum(quants.mapped("quantity")), 33)
        # reserved units aren't offered anywhere: they don't count as missing
        self.env["stock.quant"]._update_reserved_quantity(self.mug, tx_stock, 8)
        mapping.invalidate_recordset()
        self.assertEqual(
            (mapping.uncounted_qty, mapping.uncounted_product_count), (25, 1)
        )

    def test_no_warning_when_everything_is_counted(self):
        # receipts land in a counted bin, stock sits in the bins
        self.wh_tx.in_type_id.default_location_dest_id = self.bin_b1
        mapping = self._mapping(self.loc_tx, self.bin_b1 | self.bin_b2)
        self._stock(self.tee, self.bin_b1, 10)
        self._stock(self.tee, self.bin_b2, 4)
        self.assertFalse(mapping.uncounted_warning)
        self.assertEqual(mapping.uncounted_qty, 0)
        # the warehouse as a source counts its bins; excluded stock is a choice
        nj = self._mapping(
            self.loc_nj, self.wh_nj.lot_stock_id, excluded=self.quarantine
        )
        self._stock(self.tee, self.quarantine, 6)
        self._stock(self.tee, self.wh_nj.lot_stock_id, 3)
        self.assertFalse(nj.uncounted_warning)
        self.assertFalse(self.shop.uncounted_warning)

    def test_stock_counted_by_another_mapping_is_not_uncounted(self):
        # one warehouse split between two Shopify locations
        self.wh_tx.in_type_id.default_location_dest_id = self.bin_b1
        front = self._mapping(self.loc_tx, self.bin_b1)
        back = self._mapping(self.loc_pool, self.bin_b2)
        self._stock(self.tee, self.bin_b2, 7)
        self.assertFalse(front.uncounted_warning)
        self.assertFalse(back.uncounted_warning)
        # a draft doesn't count anything yet
        back.action_draft()
        front.invalidate_recordset()
        self.assertEqual(front.uncounted_qty, 7)
