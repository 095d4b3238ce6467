# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestUi(HttpCase):
    """The screens staff use, driven in a real browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = cls.env["shopify.shop"].create(
            {"name": "Tour Shop", "shop_domain": "tour-shop.myshopify.com"}
        )
        location = cls.env["shopify.location"].create(
            {
                "name": "Tour NJ",
                "shop_id": cls.shop.id,
                "shopify_gid": "gid://shopify/Location/77",
            }
        )
        warehouse = cls.env["stock.warehouse"].search([], limit=1)
        cls.env["shopify.location.mapping"].create(
            {
                "shop_id": cls.shop.id,
                "shopify_location_id": location.id,
                "source_ids": [(0, 0, {"warehouse_id": warehouse.id})],
            }
        )

    def test_shop_form_tour(self):
        self.start_tour(
            "/odoo/action-synco_shopify.shopify_shop_action",
            "synco_shopify_shop_tour",
            login="admin",
        )
        self.assertTrue(self.shop.sync_frozen)

    def test_settings_tour(self):
        self.start_tour(
            "/odoo/settings#stock", "synco_shopify_settings_tour", login="admin"
        )
