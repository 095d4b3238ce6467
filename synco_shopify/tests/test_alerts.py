# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import SyncoCase


@tagged("post_install", "-at_install")
class TestAlerts(SyncoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Binding = cls.env["shopify.product.binding"]
        cls.tee_binding = Binding.create(
            {
                "shop_id": cls.shop.id,
                "product_id": cls.tee.id,
                "sku": cls.tee.default_code,
                "shopify_inventory_item_gid": "gid://shopify/InventoryItem/31",
            }
        )
        cls.mug_binding = Binding.create(
            {
                "shop_id": cls.shop.id,
                "product_id": cls.mug.id,
                "sku": cls.mug.default_code,
                "shopify_inventory_item_gid": "gid://shopify/InventoryItem/32",
            }
        )
        cls.map_nj = cls._mapping(cls.loc_nj, cls.wh_nj.lot_stock_id)
        cls.map_tx = cls._mapping(cls.loc_tx, cls.wh_tx.lot_stock_id)
        cls.shop.alert_user_id = cls.env.user
        cls.Alert = cls.env["shopify.alert"]
        cls.customers = cls.env.ref("stock.stock_location_customers")

    def alerts(self, kind, **domain):
        return self.Alert.search(
            [("shop_id", "=", self.shop.id), ("kind", "=", kind)]
            + [(name, "=", value) for name, value in domain.items()]
        )

    def check(self, read=None, left=None, velocity=False):
        self.Alert._synco_check_levels(
            self.shop, read=read, left=left, velocity=velocity
        )

    def shop_posts(self):
        return self.shop.message_ids.filtered(lambda m: "Shopify alert" in m.body)

    def test_negative_level_dedup_resolve_acknowledge(self):
        key = (self.tee_binding, self.loc_nj)
        self.check(read={key: (None, -3)})
        alert = self.alerts("negative_level")
        self.assertEqual(len(alert), 1)
        self.assertEqual(
            (alert.state, alert.severity, alert.product_id, alert.shopify_qty),
            ("open", "immediate", self.tee, -3),
        )
        # opening notifies: an activity for the responsible, a post on the shop
        self.assertEqual(alert.activity_ids.user_id, self.env.user)
        self.assertEqual(len(self.shop_posts()), 1)
        # a repeat updates the alert and tells nobody again
        self.check(read={key: (None, -5)})
        self.assertEqual(self.alerts("negative_level"), alert)
        self.assertEqual((alert.occurrences, alert.shopify_qty), (2, -5))
        self.assertEqual(len(alert.activity_ids), 1)
        self.assertEqual(len(self.shop_posts()), 1)
        # another level of the same product is another alert; a check of
        # the mug says nothing about the tee
        self.check(read={(self.tee_binding, self.loc_tx): (None, -1)})
        self.check(read={(self.mug_binding, self.loc_nj): (None, 4)})
        self.assertEqual(len(self.alerts("negative_level", state="open")), 2)
        # acknowledged: silenced, still updated
        alert.action_acknowledge()
        self.assertEqual(alert.state, "acknowledged")
        self.assertFalse(alert.activity_ids)
        self.check(read={key: (None, -6)})
        self.assertEqual(
            (alert.state, alert.occurrences, alert.shopify_qty),
            ("acknowledged", 3, -6),
        )
        self.assertEqual(len(self.shop_posts()), 2)  # the TX one only
        # the condition gone: resolved; back again: a new alert, notified
        self.check(read={key: (None, 0)})
        self.assertEqual(alert.state, "resolved")
        self.assertTrue(alert.date_resolved)
        self.check(read={key: (None, -2)})
        again = self.alerts("negative_level", state="open").filtered(
            lambda a: a.shopify_location_id == self.loc_nj
        )
        self.assertTrue(again)
        self.assertNotEqual(again, alert)
        self.assertEqual(again.occurrences, 1)
        self.assertTrue(again.activity_ids)
        self.assertEqual(len(self.shop_posts()), 3)

    def test_oversell_risk(self):
        key = (self.mug_binding, self.loc_tx)
        self.check(left={key: (0, 7)})
        alert = self.alerts("oversell_risk")
        self.assertEqual((alert.odoo_qty, alert.shopify_qty), (0, 7))
        # Odoo has stock: no risk; Shopify at 0 as well
        self.check(left={(self.tee_binding, self.loc_tx): (5, 7)})
        self.check(left={(self.tee_binding, self.loc_nj): (0, 0)})
        self.assertEqual(len(self.alerts("oversell_risk")), 1)
        self.check(left={key: (0, 0)})
        self.assertEqual(alert.state, "resolved")

    def _deliver(self, product, quantity):
        self._stock(product, self.wh_nj.lot_stock_id, quantity)
        self._move(product, self.wh_nj.lot_stock_id, self.customers, quantity)

    def test_velocity_from_done_deliveries(self):
        # 50 a day over 28 days for the tee, 5 a day for the mug, from NJ
        self._deliver(self.tee, 50 * 28)
        self._deliver(self.mug, 5 * 28)
        # a delivery from TX counts for TX only; an internal move not at all
        self._stock(self.tee, self.wh_tx.lot_stock_id, 30)
        self._move(self.tee, self.wh_tx.lot_stock_id, self.customers, 28)
        self._stock(self.tee, self.wh_nj.lot_stock_id, 100)
        self._move(self.tee, self.wh_nj.lot_stock_id, self.bin_a1, 100)
        velocity = (self.map_nj | self.map_tx)._synco_velocity(self.tee | self.mug, 28)
        self.assertAlmostEqual(velocity[self.map_nj][self.tee.id], 50.0)
        self.assertAlmostEqual(velocity[self.map_nj][self.mug.id], 5.0)
        self.assertAlmostEqual(velocity[self.map_tx][self.tee.id], 1.0)
        self.assertFalse(velocity[self.map_tx].get(self.mug.id))
        # 30 % drift on both: only the fast seller alerts
        read = {
            (self.tee_binding, self.loc_nj): (100, 70),
            (self.mug_binding, self.loc_nj): (100, 70),
        }
        self.check(read=read, velocity=True)
        alert = self.alerts("velocity_drift")
        self.assertEqual(alert.product_id, self.tee)
        self.assertAlmostEqual(alert.velocity, 50.0)
        self.assertAlmostEqual(alert.drift_percent, 30.0)
        # 10 % is within the limit: resolved
        read[self.tee_binding, self.loc_nj] = (100, 90)
        self.check(read=read, velocity=True)
        self.assertEqual(alert.state, "resolved")

    def test_velocity_queries_do_not_grow_with_the_catalogue(self):
        def products(count, start):
            return self.env["product.product"].create(
                [
                    {"name": f"V{i}", "default_code": f"V{i}", "is_storable": True}
                    for i in range(start, start + count)
                ]
            )

        mappings = self.map_nj | self.map_tx
        small, large = products(5, 0), products(300, 5)
        for product in (small | large)[::7]:
            self._deliver(product, 3)
        self.env.invalidate_all()
        mappings._synco_velocity(small, 28)  # warm the location cache
        counts = []
        for batch in (small, large):
            self.env.invalidate_all()
            queries = self.cr.sql_log_count
            mappings._synco_velocity(batch, 28)
            counts.append(self.cr.sql_log_count - queries)
        self.assertEqual(counts[0], counts[1], counts)
        self.assertLessEqual(counts[1], 10, counts)
