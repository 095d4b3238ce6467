# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestUiWhy(HttpCase):
    """ "Why this number?" in a browser: a pooled tee with a buffer and an
    excluded quarantine, from its product form."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        Warehouse = env["stock.warehouse"]
        wh_nj = Warehouse.create({"name": "Tour New Jersey", "code": "TNJ"})
        wh_tx = Warehouse.create({"name": "Tour Texas", "code": "TTX"})
        Location = env["stock.location"]
        bin_a1 = Location.create(
            {"name": "Bin-A1", "location_id": wh_nj.lot_stock_id.id}
        )
        quarantine = Location.create(
            {"name": "Quarantine", "location_id": wh_nj.lot_stock_id.id}
        )
        apparel = env["product.category"].create({"name": "Apparel"})
        tees = env["product.category"].create({"name": "Tees", "parent_id": apparel.id})
        cls.tee = env["product.product"].create(
            {
                "name": "Tour Tee",
                "default_code": "TOUR-TEE",
                "is_storable": True,
                "categ_id": tees.id,
            }
        )
        shop = env["shopify.shop"].create(
            {"name": "Why Shop", "shop_domain": "why-shop.myshopify.com"}
        )
        pool = env["shopify.location"].create(
            {
                "name": "Tour Pool",
                "shop_id": shop.id,
                "shopify_gid": "gid://shopify/Location/88",
            }
        )
        env["shopify.location.mapping"].create(
            {
                "shop_id": shop.id,
                "shopify_location_id": pool.id,
                "state": "active",
                "source_ids": [
                    (0, 0, {"location_id": wh_nj.lot_stock_id.id}),
                    (0, 0, {"location_id": wh_tx.lot_stock_id.id}),
                ],
                "excluded_location_ids": [(6, 0, quarantine.ids)],
            }
        )
        env["shopify.product.binding"].create(
            {
                "shop_id": shop.id,
                "product_id": cls.tee.id,
                "sku": "TOUR-TEE",
                "shopify_inventory_item_gid": "gid://shopify/InventoryItem/88",
            }
        )
        Rule = env["shopify.buffer.rule"]
        Rule.create(
            {"shop_id": shop.id, "product_categ_id": apparel.id, "buffer_units": 20}
        )
        Rule.create(
            {
                "shop_id": shop.id,
                "product_categ_id": tees.id,
                "buffer_percent": 10,
                "buffer_units": 1,
            }
        )
        Quant = env["stock.quant"]
        Quant._update_available_quantity(cls.tee, bin_a1, 30)
        Quant._update_available_quantity(cls.tee, quarantine, 8)
        Quant._update_available_quantity(cls.tee, wh_tx.lot_stock_id, 12)
        Quant._update_reserved_quantity(cls.tee, bin_a1, 5)

    def test_why_tour(self):
        self.start_tour(
            f"/odoo/action-stock.product_template_action_product/"
            f"{self.tee.product_tmpl_id.id}",
            "synco_shopify_why_tour",
            login="admin",
        )
