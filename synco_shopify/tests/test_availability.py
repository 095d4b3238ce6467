# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import SyncoCase


@tagged("post_install", "-at_install")
class TestAvailability(SyncoCase):
    """The guide's own numbers, computed by the real engine on real quants."""

    def test_one_to_one_counts_children(self):
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        self._stock(self.tee, self.wh_nj.lot_stock_id, 10)
        self._stock(self.tee, self.bin_a1, 7)
        self._stock(self.tee, self.wh_tx.lot_stock_id, 50)  # another warehouse
        self.assertEqual(self._available(mapping, self.tee), 17)
        self.assertEqual(mapping.pattern, "one_to_one")

    def test_pool_with_percent_buffer(self):
        """East holding 100 with a 5 % buffer shows 95."""
        mapping = self._mapping(
            self.loc_pool, self.wh_east.lot_stock_id | self.wh_west.lot_stock_id
        )
        self.env["shopify.buffer.rule"].create(
            {"shop_id": self.shop.id, "mapping_id": mapping.id, "buffer_percent": 5}
        )
        self._stock(self.tee, self.wh_east.lot_stock_id, 100)
        self.assertEqual(self._available(mapping, self.tee), 95)
        self._stock(self.tee, self.wh_west.lot_stock_id, 40)
        self.assertEqual(self._available(mapping, self.tee), 133)  # 140 − 7
        self.assertEqual(mapping.pattern, "many_to_one")

    def test_drop_ship_suppliers_are_never_summed(self):
        """6 units at supplier A and 4 at supplier B show 6, not 10."""
        mapping = self._mapping(
            self.loc_drop, self.supplier_a | self.supplier_b, aggregation="max"
        )
        self._stock(self.tee, self.supplier_a, 6)
        self._stock(self.tee, self.supplier_b, 4)
        self.assertEqual(self._available(mapping, self.tee), 6)

    def test_min_rule(self):
        mapping = self._mapping(
            self.loc_pool,
            self.wh_east.lot_stock_id | self.wh_west.lot_stock_id,
            aggregation="min",
        )
        self._stock(self.tee, self.wh_east.lot_stock_id, 12)
        self._stock(self.tee, self.wh_west.lot_stock_id, 5)
        self.assertEqual(self._available(mapping, self.tee), 5)

    def test_quarantine_move_lowers_the_figure(self):
        mapping = self._mapping(
            self.loc_nj,
            self.wh_nj.lot_stock_id,
            excluded=self.quarantine | self.safety_reserve,
        )
        self._stock(self.tee, self.bin_a1, 50)
        self._stock(self.tee, self.safety_reserve, 8)
        self.assertEqual(self._available(mapping, self.tee), 50)
        self._move(self.tee, self.bin_a1, self.quarantine, 20)
        self.assertEqual(self._available(mapping, self.tee), 30)
        self._move(self.tee, self.quarantine, self.bin_a2, 5)
        self.assertEqual(self._available(mapping, self.tee), 35)
        self.assertEqual(mapping.pattern, "one_to_many")

    def test_one_to_many_chosen_bins_only(self):
        mapping = self._mapping(self.loc_nj, self.bin_a1 | self.bin_a2)
        self._stock(self.tee, self.bin_a1, 3)
        self._stock(self.tee, self.bin_a2, 4)
        self._stock(self.tee, self.wh_nj.lot_stock_id, 100)  # not chosen
        self.assertEqual(self._available(mapping, self.tee), 7)

    def test_reserved_units_do_not_count(self):
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        self._stock(self.tee, self.bin_a1, 20)
        customers = self.env.ref("stock.stock_location_customers")
        picking = self._move(
            self.tee, self.wh_nj.lot_stock_id, customers, 6, validate=False
        )
        self.assertEqual(picking.state, "assigned")
        self.assertEqual(self._available(mapping, self.tee), 14)
        picking.do_unreserve()
        self.assertEqual(self._available(mapping, self.tee), 20)

    def test_negative_quant_never_yields_negative(self):
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        self._stock(self.tee, self.bin_a1, -5)
        self.assertEqual(self._available(mapping, self.tee), 0)
        self._stock(self.tee, self.bin_a2, 3)
        # the deficit is real: bin A2's 3 units are owed to bin A1's −5
        self.assertEqual(self._available(mapping, self.tee), 0)

    def test_a_count_not_applied_yet_holds_nothing(self):
        """A quant created by an inventory count and not applied yet has no
        quantity in the database (NULL): the figure is 0, not an error (the
        batch push of 30 freshly counted products failed on it)."""
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        quant = (
            self.env["stock.quant"]
            .with_context(inventory_mode=True)
            .create(
                {
                    "product_id": self.tee.id,
                    "location_id": self.bin_a1.id,
                    "inventory_quantity": 12,
                }
            )
        )
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT quantity FROM stock_quant WHERE id = %s", [quant.id]
        )
        self.assertIsNone(self.env.cr.fetchone()[0])
        self.assertEqual(self._available(mapping, self.tee), 0)
        quant.action_apply_inventory()
        self.assertEqual(self._available(mapping, self.tee), 12)

    def test_in_transit_counts_only_once_received(self):
        nj = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        tx = self._mapping(self.loc_tx, self.wh_tx.lot_stock_id)
        self._stock(self.tee, self.bin_a1, 30)
        self._move(self.tee, self.bin_a1, self.transit, 12)
        self.assertEqual(self._available(nj, self.tee), 18)
        self.assertEqual(self._available(tx, self.tee), 0)
        self._move(self.tee, self.transit, self.wh_tx.lot_stock_id, 12)
        self.assertEqual(self._available(tx, self.tee), 12)
        self.assertEqual(self._available(nj, self.tee), 18)

    def test_fractional_stock_is_floored(self):
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        self._stock(self.tee, self.bin_a1, 9.99)
        self.assertEqual(self._available(mapping, self.tee), 9)

    def test_bulk_read_is_one_query_whatever_the_catalogue(self):
        """Reconciliation computes tens of thousands of products: the number of
        queries must not grow with them."""
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        products = self.env["product.product"].create(
            [
                {"name": f"Bulk {i}", "default_code": f"BULK-{i}", "is_storable": True}
                for i in range(120)
            ]
        )
        for product in products:
            self._stock(product, self.bin_a1, 2)
        counts = []
        for batch in (products[:10], products):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            result = mapping._compute_shopify_available(batch)
            counts.append(self.cr.sql_log_count - before)
            self.assertEqual(len(result[mapping]), len(batch))
            self.assertEqual(set(result[mapping].values()), {2})
        self.assertEqual(counts[0], counts[1])


@tagged("post_install", "-at_install")
class TestBuffers(SyncoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mapping = cls._mapping(cls.loc_nj, cls.wh_nj.lot_stock_id)
        cls.other = cls._mapping(cls.loc_tx, cls.wh_tx.lot_stock_id)
        cls.Rule = cls.env["shopify.buffer.rule"]

    def setUp(self):
        super().setUp()
        self._stock(self.tee, self.bin_a1, 100)
        self._stock(self.mug, self.bin_a1, 100)
        self._stock(self.tee, self.wh_tx.lot_stock_id, 100)

    def _rule(self, **vals):
        return self.Rule.create({"shop_id": self.shop.id, **vals})

    def test_percent_then_units(self):
        """Documented order: the percentage first, then the units."""
        self._rule(buffer_percent=10, buffer_units=3)
        self.assertEqual(self._available(self.mapping, self.tee), 87)

    def test_most_specific_rule_wins(self):
        self._rule(buffer_percent=10)
        self.assertEqual(self._available(self.mapping, self.tee), 90)
        self._rule(mapping_id=self.mapping.id, buffer_percent=20)
        self.assertEqual(self._available(self.mapping, self.tee), 80)
        self.assertEqual(self._available(self.other, self.tee), 90)
        self._rule(product_categ_id=self.categ_apparel.id, buffer_units=4)
        self.assertEqual(self._available(self.mapping, self.tee), 96)  # category
        self.assertEqual(self._available(self.mapping, self.mug), 80)  # mapping
        self._rule(product_categ_id=self.categ_tees.id, buffer_units=6)
        self.assertEqual(self._available(self.mapping, self.tee), 94)  # nearest
        self._rule(product_id=self.tee.id, buffer_units=1)
        self.assertEqual(self._available(self.mapping, self.tee), 99)
        self.assertEqual(self._available(self.other, self.tee), 99)
        self._rule(product_id=self.tee.id, mapping_id=self.other.id, buffer_percent=50)
        self.assertEqual(self._available(self.other, self.tee), 50)
        self.assertEqual(self._available(self.mapping, self.tee), 99)

    def test_archived_rule_is_ignored(self):
        rule = self._rule(buffer_percent=30)
        rule.active = False
        self.assertEqual(self._available(self.mapping, self.tee), 100)

    def test_buffer_larger_than_stock_gives_zero(self):
        self._rule(product_id=self.tee.id, buffer_units=150)
        self.assertEqual(self._available(self.mapping, self.tee), 0)
