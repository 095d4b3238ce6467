# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .test_kits import KitCase


@tagged("post_install", "-at_install")
class TestKitExplanation(KitCase):
    def test_why_names_the_limiting_component(self):
        mapping = self._mapping(
            self.loc_pool, self.wh_nj.lot_stock_id | self.wh_tx.lot_stock_id
        )
        self._stock(self.part_a, self.bin_a1, 9)  # 4 kits
        self._stock(self.part_b, self.bin_a2, 3)  # 3 kits: B limits at NJ
        self._stock(self.part_a, self.wh_tx.lot_stock_id, 2)  # 1 kit: A limits
        self._stock(self.part_b, self.wh_tx.lot_stock_id, 5)
        line = self.env["shopify.figure.explanation"].create(
            {"product_id": self.kit.id, "shopify_location_id": self.loc_pool.id}
        )
        why = line._synco_explain()
        self.assertEqual([s["free"] for s in why["sources"]], [3, 1])
        self.assertEqual(why["steps"]["available"], 4)
        self.assertEqual(line.odoo_qty, self._available(mapping, self.kit))
        nj, tx = why["notes"]
        self.assertIn("SYN-PART-B", nj)
        self.assertIn("= 3 kits", nj)
        self.assertIn("SYN-PART-A", tx)
        self.assertIn("2 free ÷ 2 per kit = 1 kits", tx)
