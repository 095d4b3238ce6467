# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A kit as Odoo makes it (goods, *Track Inventory* off) binds and pushes.

The binding and the push run against the Shopify simulator, which lives in the
repository's tests/ (the addon ships without it): this module's simulator case
exists when that package is importable, as under ``tests/harness.py``.
"""

from odoo.tests import tagged

from odoo.addons.synco_shopify.tests.common import SyncoCase

try:
    from tests.shopify_simulator import DEMO_DOMAIN
    from tests.support.odoo_common import SimulatorCase
except ImportError:  # the addon alone, without the repository's tests/
    SimulatorCase = None


@tagged("post_install", "-at_install")
class TestKitRefusals(SyncoCase):
    def test_kits_are_synced_whatever_their_track_inventory(self):
        Product = self.env["product.product"]
        part = self._product("SYN-PART")
        kit, bag, service = Product.create(
            [
                {"name": "Kit", "default_code": "SYN-K", "type": "consu"},
                {"name": "Bag", "default_code": "SYN-BAG", "type": "consu"},
                {"name": "Fitting", "default_code": "SYN-FIT", "type": "service"},
            ]
        )
        self.env["mrp.bom"].create(
            {
                "product_tmpl_id": kit.product_tmpl_id.id,
                "type": "phantom",
                "bom_line_ids": [(0, 0, {"product_id": part.id, "product_qty": 2})],
            }
        )
        self.assertFalse(kit.is_storable)  # as Odoo makes a kit
        products = part | kit | bag | service
        refusals = products._synco_sync_refusals()
        self.assertEqual(set(refusals), {bag, service})
        self.assertIn("Track Inventory is off", refusals[bag])
        self.assertIn("a service", refusals[service])
        self.assertEqual(products._synco_syncable_products(), part | kit)
        # a normal (manufacturing) BoM does not make a kit
        self.env["mrp.bom"].create(
            {
                "product_tmpl_id": bag.product_tmpl_id.id,
                "type": "normal",
                "bom_line_ids": [(0, 0, {"product_id": part.id})],
            }
        )
        self.assertIn(bag, products._synco_sync_refusals())


if SimulatorCase is not None:
    # not a standard test of the addon (which ships without the simulator);
    # a standard one would also get Odoo's guard on outgoing requests, which
    # doesn't take the client's (connect, read) timeout
    @tagged("post_install", "-at_install", "-standard")
    class TestKitBindAndPush(SimulatorCase):
        def test_a_kit_as_odoo_makes_it_binds_and_pushes_what_it_builds(self):
            self.sim.add_product(DEMO_DOMAIN, "Tee Kit", ["SYN-KIT-TEE"])
            self.sim.add_product(DEMO_DOMAIN, "Gift Bag", ["SYN-GIFT-BAG"])
            Product = self.env["product.product"]
            kit = Product.create(
                {"name": "Tee Kit", "default_code": "SYN-KIT-TEE", "type": "consu"}
            )
            bag = Product.create(
                {"name": "Gift Bag", "default_code": "SYN-GIFT-BAG", "type": "consu"}
            )
            tee, mug = self.products["SYN-TEE-BLK-M"], self.products["SYN-MUG-001"]
            self.env["mrp.bom"].create(
                {
                    "product_tmpl_id": kit.product_tmpl_id.id,
                    "type": "phantom",
                    "bom_line_ids": [
                        (0, 0, {"product_id": tee.id, "product_qty": 2}),
                        (0, 0, {"product_id": mug.id, "product_qty": 1}),
                    ],
                }
            )
            self.assertFalse(kit.is_storable)
            action = self.shop.action_bind_products()
            binding = self.shop.binding_ids.filtered(lambda b: b.product_id == kit)
            self.assertEqual(binding.sku, "SYN-KIT-TEE")
            self.assertFalse(
                self.shop.binding_ids.filtered(lambda b: b.product_id == bag)
            )
            message = action["params"]["message"]
            self.assertIn("1 new bindings", message)
            self.assertIn("SYN-GIFT-BAG: Track Inventory is off", message)
            self.stock("SYN-TEE-BLK-M", self.wh_nj.lot_stock_id, 9)
            self.stock("SYN-MUG-001", self.wh_nj.lot_stock_id, 3)
            binding._job_push_inventory()
            # min(9 // 2, 3 // 1): the kits New Jersey's components build
            self.assertEqual(self.shopify("SYN-KIT-TEE", "New Jersey Warehouse"), 3)
            self.assertEqual(self.shopify("SYN-KIT-TEE", "Texas Warehouse"), 0)
