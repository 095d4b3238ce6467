# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Fixtures shared by the addon's tests: the guide's warehouses, in miniature.

Every test builds its own data (no demo data): two warehouses (NJ, TX) with
bins, a quarantine and a safety-reserve zone under NJ/Stock, a 3PL pair
(East/West) and two drop-ship supplier locations, one shop with a Shopify
location per pattern.
"""

from odoo.tests.common import TransactionCase


class SyncoCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        Warehouse = cls.env["stock.warehouse"]
        Location = cls.env["stock.location"]
        cls.company = cls.env.company
        cls.wh_nj = Warehouse.create({"name": "New Jersey", "code": "SNJ"})
        cls.wh_tx = Warehouse.create({"name": "Texas", "code": "STX"})
        cls.wh_east = Warehouse.create({"name": "3PL East", "code": "SEA"})
        cls.wh_west = Warehouse.create({"name": "3PL West", "code": "SWE"})
        nj_stock = cls.wh_nj.lot_stock_id

        def internal(name, parent):
            return Location.create(
                {"name": name, "location_id": parent.id, "usage": "internal"}
            )

        cls.bin_a1 = internal("Bin-A1", nj_stock)
        cls.bin_a2 = internal("Bin-A2", nj_stock)
        cls.quarantine = internal("Quarantine", nj_stock)
        cls.safety_reserve = internal("Safety-Reserve", nj_stock)
        vendors = cls.env.ref("stock.stock_location_suppliers")
        cls.supplier_a = Location.create(
            {"name": "Drop-ship A", "location_id": vendors.id, "usage": "supplier"}
        )
        cls.supplier_b = Location.create(
            {"name": "Drop-ship B", "location_id": vendors.id, "usage": "supplier"}
        )
        cls.transit = cls.company.internal_transit_location_id
        cls.categ_apparel = cls.env["product.category"].create({"name": "Apparel"})
        cls.categ_tees = cls.env["product.category"].create(
            {"name": "Tees", "parent_id": cls.categ_apparel.id}
        )
        cls.tee = cls._product("SYN-TEST-TEE", cls.categ_tees)
        cls.mug = cls._product("SYN-TEST-MUG")
        cls.shop = cls.env["shopify.shop"].create(
            {
                "name": "Test Shop",
                "shop_domain": "synco-test.myshopify.com",
                "access_token": "shpat_test",
                "webhook_secret": "test-secret",
            }
        )
        cls.loc_nj = cls._shopify_location("New Jersey Warehouse", 1)
        cls.loc_tx = cls._shopify_location("Texas Warehouse", 2)
        cls.loc_pool = cls._shopify_location("3PL Pool", 4)
        cls.loc_drop = cls._shopify_location("Drop-ship Suppliers", 5)

    @classmethod
    def _product(cls, code, categ=None):
        vals = {"name": code, "default_code": code, "is_storable": True}
        if categ:
            vals["categ_id"] = categ.id
        return cls.env["product.product"].create(vals)

    @classmethod
    def _shopify_location(cls, name, number, shop=None):
        return cls.env["shopify.location"].create(
            {
                "name": name,
                "shop_id": (shop or cls.shop).id,
                "shopify_gid": f"gid://shopify/Location/{number}",
            }
        )

    @classmethod
    def _mapping(cls, shopify_location, sources, excluded=(), **vals):
        return cls.env["shopify.location.mapping"].create(
            {
                "shop_id": shopify_location.shop_id.id,
                "shopify_location_id": shopify_location.id,
                "state": "active",
                "source_ids": [(0, 0, {"location_id": s.id}) for s in sources],
                "excluded_location_ids": [(6, 0, [e.id for e in excluded])],
                **vals,
            }
        )

    def _stock(self, product, location, quantity):
        self.env["stock.quant"]._update_available_quantity(product, location, quantity)

    def _available(self, mapping, product):
        return mapping._compute_shopify_available(product)[mapping][product.id]

    def _move(self, product, source, dest, quantity, validate=True):
        """A one-line transfer from ``source`` to ``dest``, validated."""
        picking_type = self.wh_nj.int_type_id
        if source.usage == "customer" or dest.usage == "customer":
            picking_type = self.wh_nj.out_type_id
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "location_id": source.id,
                "location_dest_id": dest.id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "location_id": source.id,
                            "location_dest_id": dest.id,
                        },
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        if validate:
            picking.move_ids.quantity = quantity
            picking.move_ids.picked = True
            picking.button_validate()
        return picking
