"""Browser tours that need the Shopify simulator (Chromium, via HttpCase)."""

from odoo.tests import HttpCase, tagged

from ..shopify_simulator import DEMO_DOMAIN, Simulator


@tagged("post_install", "-at_install")
class TestOnboardingTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = Simulator(fixture="demo").start()
        cls.addClassCleanup(cls.sim.stop)
        # the assistant reaches the simulator instead of myshopify.com
        cls.env["ir.default"].set(
            "shopify.onboarding", "api_base_url", cls.sim.base_url
        )
        Warehouse = cls.env["stock.warehouse"]
        nj_address = cls.env["res.partner"].create(
            {
                "name": "Harbor DC",
                "country_id": cls.env.ref("base.us").id,
                "state_id": cls.env.ref("base.state_us_25").id,
                "zip": "07001",
                "city": "Elizabeth",
            }
        )
        cls.wh_nj = Warehouse.create(
            {"name": "Harbor DC", "code": "UHB", "partner_id": nj_address.id}
        )
        cls.env["stock.location"].create(
            {"name": "Quarantine", "location_id": cls.wh_nj.lot_stock_id.id}
        )
        Warehouse.create({"name": "Texas", "code": "UTX"})
        Warehouse.create({"name": "3PL East", "code": "UEA"})
        Warehouse.create({"name": "3PL West", "code": "UWE"})
        for sku in ("SYN-TEE-BLK-M", "SYN-ONLY-ODOO"):
            cls.env["product.product"].create(
                {"name": sku, "default_code": sku, "is_storable": True}
            )

    def test_onboarding_tour(self):
        self.assertFalse(self.env["shopify.shop"].search([]))
        self.start_tour(
            "/odoo/action-synco_shopify.shopify_shop_action",
            "synco_shopify_onboarding_tour",
            login="admin",
        )
        shop = self.env["shopify.shop"].search([("shop_domain", "=", DEMO_DOMAIN)])
        self.assertEqual(len(shop), 1)
        # connected with the client ID and secret: the token obtained by the
        # client-credentials grant, once, kept in the shop's token row
        self.assertEqual(shop.connect_method, "client_credentials")
        self.assertEqual(shop.client_id, "synco-demo-client-id")
        self.assertFalse(shop.access_token)
        grants = self.sim.oauth_stats()["grants"]
        self.assertEqual(sum(g["count"] for g in grants), 1, grants)
        self.assertEqual(shop.token_fetch_count, 1)
        mappings = shop.mapping_ids
        self.assertEqual(
            sorted(mappings.shopify_location_id.mapped("name")),
            ["New Jersey Warehouse", "Texas Warehouse"],
        )
        self.assertEqual(set(mappings.mapped("state")), {"active"})
        self.assertEqual(len(shop.binding_ids), 1)
