# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import random

from odoo.tests import tagged

from .common import SyncoCase


@tagged("post_install", "-at_install")
class TestFigureExplanation(SyncoCase):
    """ "Why this number?" reads the push's own steps, and agrees with it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Explanation = cls.env["shopify.figure.explanation"]
        cls.binding = cls.env["shopify.product.binding"].create(
            {
                "shop_id": cls.shop.id,
                "product_id": cls.tee.id,
                "sku": "SYN-TEST-TEE",
                "shopify_inventory_item_gid": "gid://shopify/InventoryItem/1",
            }
        )

    def _explain(self, product, location):
        line = self.Explanation.create(
            {"product_id": product.id, "shopify_location_id": location.id}
        )
        return line, line._synco_explain()

    def test_pool_with_buffer_and_exclusion(self):
        """NJ (quarantine excluded) pooled with TX, the nearest category rule."""
        mapping = self._mapping(
            self.loc_pool,
            self.wh_nj.lot_stock_id | self.wh_tx.lot_stock_id,
            excluded=self.quarantine,
        )
        Rule = self.env["shopify.buffer.rule"]
        shop_rule = Rule.create({"shop_id": self.shop.id, "buffer_percent": 50})
        apparel = Rule.create(
            {
                "shop_id": self.shop.id,
                "product_categ_id": self.categ_apparel.id,
                "buffer_units": 20,
            }
        )
        tees = Rule.create(
            {
                "shop_id": self.shop.id,
                "product_categ_id": self.categ_tees.id,
                "buffer_percent": 10,
                "buffer_units": 1,
            }
        )
        self._stock(self.tee, self.bin_a1, 30)
        self._stock(self.tee, self.quarantine, 8)
        self._stock(self.tee, self.wh_tx.lot_stock_id, 12)
        self._move(self.tee, self.bin_a1, self.bin_a2, 5, validate=False)  # reserves
        line, why = self._explain(self.tee, self.loc_pool)
        self.assertEqual(why["mapping"], mapping)
        nj, tx = why["sources"]
        self.assertEqual((nj["quantity"], nj["reserved"], nj["free"]), (30, 5, 25))
        self.assertEqual(
            [(q["location"], q["free"]) for q in nj["quants"]], [(self.bin_a1, 25)]
        )
        self.assertEqual(tx["free"], 12)
        self.assertEqual(why["excluded"][0]["zone"], self.quarantine)
        self.assertEqual(why["excluded"][0]["quantity"], 8)
        steps = why["steps"]
        self.assertEqual(steps["aggregated"], 37)
        self.assertEqual(why["buffer"]["rule"], tees)
        reasons = dict(why["buffer"]["others"])
        self.assertEqual(set(reasons), {shop_rule, apparel})
        self.assertIn("nearer", reasons[apparel])
        self.assertAlmostEqual(steps["buffered"], 37 - 3.7 - 1)
        self.assertEqual(steps["available"], 32)
        self.assertEqual(line.odoo_qty, self._available(mapping, self.tee))
        self.assertEqual(line.target_qty, 32)
        html = str(line.explanation_html)
        for text in ("Quarantine", "32", "nearer"):
            self.assertIn(text, html)

    def test_held_sales_and_product_rule(self):
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        self.env["shopify.buffer.rule"].create(
            {"shop_id": self.shop.id, "mapping_id": mapping.id, "buffer_units": 1}
        )
        product_rule = self.env["shopify.buffer.rule"].create(
            {"shop_id": self.shop.id, "product_id": self.tee.id, "buffer_units": 2}
        )
        self._stock(self.tee, self.bin_a1, 10)
        self.env["shopify.inventory.level"].create(
            {
                "binding_id": self.binding.id,
                "shopify_location_id": self.loc_nj.id,
                "held_qty": 3,
                "shopify_available": 5,
                "shopify_known": True,
            }
        )
        line, why = self._explain(self.tee, self.loc_nj)
        self.assertEqual(why["buffer"]["rule"], product_rule)
        self.assertIn("product itself", why["buffer"]["others"][0][1])
        self.assertEqual((line.odoo_qty, line.held_qty, line.target_qty), (8, 3, 5))
        self.assertEqual(line.shopify_qty, 5)

    def test_clamped_and_paused(self):
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        self._stock(self.tee, self.bin_a1, -4)
        line, why = self._explain(self.tee, self.loc_nj)
        self.assertTrue(why["steps"]["clamped"])
        self.assertEqual((why["steps"]["floored"], line.odoo_qty), (-4, 0))
        mapping.action_pause()
        line, why = self._explain(self.tee, self.loc_nj)
        self.assertEqual((line.status, line.odoo_qty), ("paused", 0))
        line, why = self._explain(self.tee, self.loc_tx)
        self.assertEqual((line.status, why["sources"]), ("none", []))

    def test_agrees_with_the_engine(self):
        """Every pattern, random stock and buffers: the explained figure is
        the one ``_compute_shopify_available`` gives, step by step."""
        rng = random.Random(14)
        Rule = self.env["shopify.buffer.rule"]
        mappings = (
            self._mapping(
                self.loc_nj, self.wh_nj.lot_stock_id, excluded=self.safety_reserve
            )
            | self._mapping(self.loc_tx, self.wh_tx.lot_stock_id, aggregation="min")
            | self._mapping(
                self.loc_pool, self.wh_east.lot_stock_id | self.wh_west.lot_stock_id
            )
            | self._mapping(
                self.loc_drop, self.supplier_a | self.supplier_b, aggregation="max"
            )
        )
        Rule.create({"shop_id": self.shop.id, "buffer_percent": 7})
        Rule.create(
            {
                "shop_id": self.shop.id,
                "mapping_id": mappings[2].id,
                "product_categ_id": self.categ_apparel.id,
                "buffer_percent": 3,
                "buffer_units": 2,
            }
        )
        Rule.create(
            {"shop_id": self.shop.id, "product_id": self.mug.id, "buffer_units": 1.5}
        )
        locations = [
            self.bin_a1,
            self.bin_a2,
            self.safety_reserve,
            self.wh_tx.lot_stock_id,
            self.wh_east.lot_stock_id,
            self.wh_west.lot_stock_id,
            self.supplier_a,
            self.supplier_b,
        ]
        for product in self.tee | self.mug:
            for location in locations:
                self._stock(product, location, rng.choice([1.5, 3, 17, 40]))
        engine = mappings._compute_shopify_available(self.tee | self.mug)
        for mapping in mappings:
            for product in self.tee | self.mug:
                line, why = self._explain(product, mapping.shopify_location_id)
                figure = engine[mapping][product.id]
                self.assertEqual(why["steps"]["available"], figure)
                self.assertEqual(line.odoo_qty, figure)
                for source in why["sources"]:
                    self.assertAlmostEqual(
                        source["free"], sum(q["free"] for q in source["quants"])
                    )

    def test_entry_points(self):
        self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        self._mapping(self.loc_tx, self.wh_tx.lot_stock_id)
        self._stock(self.tee, self.bin_a1, 4)
        action = self.tee.product_tmpl_id.action_synco_shopify_figures()
        lines = self.Explanation.search(action["domain"])
        self.assertEqual(lines.shopify_location_id, self.loc_nj | self.loc_tx)
        self.assertEqual(
            lines.filtered(lambda x: x.shopify_location_id == self.loc_nj).odoo_qty, 4
        )
        self.assertEqual(self.tee.product_tmpl_id.synco_binding_count, 1)
        level = self.env["shopify.inventory.level"].create(
            {"binding_id": self.binding.id, "shopify_location_id": self.loc_nj.id}
        )
        action = level.action_synco_explain()
        self.assertEqual(action["res_model"], "shopify.figure.explanation")
        line = self.Explanation.browse(action["res_id"])
        self.assertEqual((line.product_id, line.odoo_qty), (self.tee, 4))
