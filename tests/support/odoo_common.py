"""Odoo test cases that talk to the Shopify simulator.

These live beside the simulator, outside the addon, because the addon ships
without it.  They are ordinary ``TransactionCase`` classes run by pytest-odoo
against the harness's database; each class starts its own simulator on a free
loopback port with the ``demo`` store (five locations, eight SKUs).
"""

from odoo.tests.common import TransactionCase

from ..shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator
from ..shopify_simulator.fixtures import DEMO_PRODUCTS

SKUS = [sku for _title, skus, _price in DEMO_PRODUCTS for sku in skus]


class SimulatorCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = Simulator(fixture="demo").start()
        cls.addClassCleanup(cls.sim.stop)
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        Warehouse = cls.env["stock.warehouse"]
        cls.wh_nj = Warehouse.create({"name": "Sim NJ", "code": "QNJ"})
        cls.wh_tx = Warehouse.create({"name": "Sim TX", "code": "QTX"})
        cls.wh_east = Warehouse.create({"name": "Sim East", "code": "QEA"})
        cls.wh_west = Warehouse.create({"name": "Sim West", "code": "QWE"})
        Location = cls.env["stock.location"]
        cls.quarantine = Location.create(
            {"name": "Quarantine", "location_id": cls.wh_nj.lot_stock_id.id}
        )
        cls.bin_b1 = Location.create(
            {"name": "Bin-B1", "location_id": cls.wh_tx.lot_stock_id.id}
        )
        cls.bin_b2 = Location.create(
            {"name": "Bin-B2", "location_id": cls.wh_tx.lot_stock_id.id}
        )
        cls.products = {
            sku: cls.env["product.product"].create(
                {"name": sku, "default_code": sku, "is_storable": True}
            )
            for sku in SKUS
        }
        cls.shop = cls.env["shopify.shop"].create(
            {
                "name": "Simulated",
                "shop_domain": DEMO_DOMAIN,
                "access_token": DEMO_TOKEN,
                "api_base_url": cls.sim.base_url,
            }
        )
        cls.shop.action_import_locations()
        cls.shop.action_bind_products()
        locations = {loc.name: loc for loc in cls.shop.location_ids}
        cls.loc_nj = locations["New Jersey Warehouse"]
        cls.loc_tx = locations["Texas Warehouse"]
        cls.loc_pool = locations["3PL Pool"]
        Mapping = cls.env["shopify.location.mapping"]

        def mapping(location, sources, **vals):
            return Mapping.create(
                {
                    "shop_id": cls.shop.id,
                    "shopify_location_id": location.id,
                    "state": "active",
                    "source_ids": [(0, 0, {"location_id": s.id}) for s in sources],
                    **vals,
                }
            )

        cls.map_nj = mapping(
            cls.loc_nj,
            cls.wh_nj.lot_stock_id,
            excluded_location_ids=[(6, 0, cls.quarantine.ids)],
        )
        cls.map_tx = mapping(cls.loc_tx, cls.bin_b1 | cls.bin_b2)
        cls.map_pool = mapping(
            cls.loc_pool, cls.wh_east.lot_stock_id | cls.wh_west.lot_stock_id
        )
        cls.bindings = {b.sku: b for b in cls.shop.binding_ids}

    def setUp(self):
        super().setUp()
        # Odoo rolls back after each test; the simulator must start over too
        # (a fresh store gives the fixture the same GIDs)
        self.sim.reset("demo")
        # the pushes the fixture's configuration asked for wait in the
        # cursor's precommit until a flush stores them; stored, then dropped:
        # a push job a test runs would take them over (bursts) and push every
        # product, and a test counting jobs would count them
        self.env.cr.flush()
        self.env["queue.job"].search(
            [("method_name", "=", "_job_push_inventory"), ("state", "=", "pending")]
        ).unlink()

    def stock(self, sku, location, quantity):
        self.env["stock.quant"]._update_available_quantity(
            self.products[sku], location, quantity
        )

    def shopify(self, sku, location_name):
        return self.sim.level(DEMO_DOMAIN, sku, location_name)["available"]

    def unstock(self, sku, location_name):
        """The item is not stocked at that Shopify location any more."""
        with self.sim.lock:
            shop = self.sim.store.shop(DEMO_DOMAIN)
            item = shop.item_for(sku)
            location = shop.location_named(location_name)
            item.levels.pop(location.number)
            location.levels.pop(item.number)

    def writes(self):
        """inventorySetQuantities calls the simulator answered so far."""
        return [
            e
            for e in self.sim.log
            if "inventorySetQuantities" in e.get("root_fields", [])
        ]


class ThirtyTeesAtNewJerseyCase(SimulatorCase):
    """Odoo ships from New Jersey, which holds 30 tees, pushed to Shopify."""

    TEE = "SYN-TEE-BLK-M"
    NJ = "New Jersey Warehouse"

    def setUp(self):
        super().setUp()
        self.shop.default_warehouse_id = self.wh_nj
        self.stock(self.TEE, self.wh_nj.lot_stock_id, 30)
        self.env.cr.flush()
        self.bindings[self.TEE]._job_push_inventory()
        self.assertEqual(self.shopify(self.TEE, self.NJ), 30)

    def level(self, sku=TEE):
        """The New Jersey level of ``sku``."""
        return self.bindings[sku].level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_nj
        )
