"""The onboarding wizard against the simulator, from no shop to active mappings."""

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from ..shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator


@tagged("post_install", "-at_install")
class TestOnboarding(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = Simulator(fixture="demo").start()
        cls.addClassCleanup(cls.sim.stop)
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        Warehouse = cls.env["stock.warehouse"]
        Location = cls.env["stock.location"]
        nj_address = cls.env["res.partner"].create(
            {
                "name": "Harbor DC",
                "country_id": cls.env.ref("base.us").id,
                "state_id": cls.env.ref("base.state_us_25").id,  # New Jersey
                "zip": "07001",
                "city": "Elizabeth",
            }
        )
        cls.wh_nj = Warehouse.create(
            {"name": "Harbor DC", "code": "OHB", "partner_id": nj_address.id}
        )
        cls.wh_tx = Warehouse.create({"name": "Texas", "code": "OTX"})
        cls.wh_east = Warehouse.create({"name": "3PL East", "code": "OEA"})
        cls.wh_west = Warehouse.create({"name": "3PL West", "code": "OWE"})
        cls.quarantine = Location.create(
            {"name": "Quarantine", "location_id": cls.wh_nj.lot_stock_id.id}
        )
        cls.bin = Location.create(
            {"name": "Bin-1", "location_id": cls.wh_nj.lot_stock_id.id}
        )
        vendors = cls.env.ref("stock.stock_location_suppliers")
        cls.supplier_a, cls.supplier_b = Location.create(
            [
                {"name": "Drop A", "location_id": vendors.id, "usage": "supplier"},
                {"name": "Drop B", "location_id": vendors.id, "usage": "supplier"},
            ]
        )
        Product = cls.env["product.product"]
        for sku in ("SYN-TEE-BLK-M", "SYN-MUG-001", "SYN-ONLY-ODOO"):
            Product.create({"name": sku, "default_code": sku, "is_storable": True})
        Product.create({"name": "No reference", "is_storable": True})

    def _wizard(self, **vals):
        return self.env["shopify.onboarding"].create(
            {
                "name": "Onboarded",
                "shop_domain": DEMO_DOMAIN,
                # the legacy way: the demo store's static admin token
                "connect_method": "admin_token",
                "access_token": DEMO_TOKEN,
                "api_base_url": self.sim.base_url,
                **vals,
            }
        )

    def _mutations(self):
        return [e for e in self.sim.log if e.get("mutation")]

    def test_connect_errors_are_clear(self):
        with self.assertRaisesRegex(UserError, "not a shop domain"):
            self._wizard(shop_domain="acme.com").action_connect()
        with self.assertRaisesRegex(UserError, "refused the token"):
            self._wizard(access_token="shpat_wrong").action_connect()
        with self.assertRaisesRegex(UserError, f"belongs to {DEMO_DOMAIN}"):
            self._wizard(shop_domain="other-shop.myshopify.com").action_connect()
        shop = self.sim.shop()
        scopes = shop.scopes
        shop.scopes = ["read_products", "read_locations", "read_inventory"]
        try:
            with self.assertRaisesRegex(UserError, "write_inventory, read_orders"):
                self._wizard().action_connect()
        finally:
            shop.scopes = scopes
        self.assertFalse(
            self.env["shopify.shop"].search([("shop_domain", "=", DEMO_DOMAIN)])
        )

    def test_from_no_shop_to_active_mappings(self):
        wizard = self._wizard()
        wizard.action_connect()
        shop = wizard.shop_id
        self.assertEqual((shop.shop_domain, wizard.step), (DEMO_DOMAIN, "locations"))
        self.assertFalse(wizard.access_token)
        self.assertIn("write_inventory", wizard.connection_info)
        wizard.action_import_locations()
        lines = {p.shopify_location_id.name: p for p in wizard.proposal_ids}
        nj = lines["New Jersey Warehouse"]
        self.assertEqual(nj.pattern, "one_to_one")  # by address, not by name
        self.assertEqual(nj.source_location_ids, self.wh_nj.lot_stock_id)
        self.assertEqual(nj.excluded_location_ids, self.quarantine)
        self.assertIn("zip", nj.reason)
        self.assertEqual(
            lines["Texas Warehouse"].source_location_ids, self.wh_tx.lot_stock_id
        )
        pool = lines["3PL Pool"]
        self.assertEqual(pool.pattern, "pool")
        self.assertEqual(
            pool.source_location_ids,
            self.wh_east.lot_stock_id | self.wh_west.lot_stock_id,
        )
        drop = lines["Drop-ship Suppliers"]
        self.assertEqual((drop.pattern, drop.aggregation), ("drop_ship", "max"))
        self.assertEqual(drop.source_location_ids, self.supplier_a | self.supplier_b)
        uk = lines["UK Warehouse"]
        self.assertEqual((uk.pattern, uk.include), ("none", False))
        # edited on the way: another rule for TX, the pool dropped
        lines["Texas Warehouse"].aggregation = "min"
        pool.include = False
        wizard.action_create_mappings()
        mappings = shop.mapping_ids
        self.assertEqual(len(mappings), 3)
        self.assertEqual(set(mappings.mapped("state")), {"draft"})
        by_location = {m.shopify_location_id.name: m for m in mappings}
        self.assertEqual(by_location["Texas Warehouse"].aggregation, "min")
        self.assertEqual(
            by_location["New Jersey Warehouse"].excluded_location_ids, self.quarantine
        )
        wizard.action_bind_products()
        report = str(wizard.bind_report)
        self.assertIn("SYN-ONLY-ODOO", report)  # only in Odoo
        self.assertIn("SYN-HOODIE-GRY", report)  # only in Shopify
        self.assertIn("No reference", report)
        self.assertEqual(len(shop.binding_ids), 2)
        wizard.action_dry_run()
        self.assertEqual(wizard.run_id.state, "done")
        self.assertTrue(wizard.run_id.dry_run)
        self.assertEqual(self._mutations(), [], "nothing written before activation")
        wizard.action_activate()
        self.assertEqual(wizard.step, "done")
        self.assertEqual(set(mappings.mapped("state")), {"active"})
        # opened again on the configured shop: what is there
        again = (
            self.env["shopify.onboarding"]
            .with_context(active_model="shopify.shop", active_id=shop.id)
            .create({})
        )
        self.assertEqual(again.step, "mappings")
        existing = again.proposal_ids.filtered("mapping_id")
        self.assertEqual(existing.mapping_id, mappings)
        self.assertEqual(set(existing.mapped("pattern")), {"existing"})
        self.assertFalse(any(existing.mapped("include")))

    def test_opened_from_a_shop_with_locations(self):
        """From the shop's button: the proposals are there at once."""
        wizard = self._wizard()
        wizard.action_connect()
        wizard.shop_id.action_import_locations()
        again = (
            self.env["shopify.onboarding"]
            .with_context(active_model="shopify.shop", active_id=wizard.shop_id.id)
            .create({})
        )
        self.assertEqual(again.step, "mappings")
        nj = again.proposal_ids.filtered(
            lambda p: p.shopify_location_id.name == "New Jersey Warehouse"
        )
        self.assertTrue(nj.include)
        self.assertEqual(nj.source_location_ids, self.wh_nj.lot_stock_id)
