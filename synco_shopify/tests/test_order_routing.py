# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..lib.shopify import parse_ranges, zip_matches
from .common import SyncoCase


@tagged("post_install", "-at_install")
class TestOrderRouting(SyncoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wh_uk = cls.env["stock.warehouse"].create({"name": "UK", "code": "SUK"})
        cls.wh_default = cls.wh_east
        cls.shop.default_warehouse_id = cls.wh_default
        cls.us = cls.env.ref("base.us")
        cls.gb = cls.env.ref("base.uk")
        Route = cls.env["shopify.order.route"]
        cls.rule_nj = Route.create(
            {
                "name": "East coast",
                "sequence": 10,
                "shop_id": cls.shop.id,
                "country_ids": [(6, 0, cls.us.ids)],
                "zip_ranges": "07000-08999, 10000-14999",
                "warehouse_id": cls.wh_nj.id,
            }
        )
        cls.rule_tx = Route.create(
            {
                "name": "South",
                "sequence": 20,
                "shop_id": cls.shop.id,
                "country_ids": [(6, 0, cls.us.ids)],
                "zip_prefixes": "733, 75, 76, 77, 78, 79",
                "warehouse_id": cls.wh_tx.id,
            }
        )
        cls.rule_uk = Route.create(
            {
                "name": "United Kingdom",
                "sequence": 30,
                "shop_id": cls.shop.id,
                "country_ids": [(6, 0, cls.gb.ids)],
                "warehouse_id": cls.wh_uk.id,
            }
        )

    def _route(self, country, zip_code, state=None, locations=()):
        data = {
            "shipping": {"country_code": country, "zip": zip_code, "state_code": state},
            "location_gids": list(locations),
        }
        return self.shop._synco_route_order(data)

    def test_nj_and_tx_split_by_zip(self):
        self.assertEqual(self._route("US", "07001"), (self.wh_nj, self.rule_nj))
        self.assertEqual(self._route("US", "08999-1234"), (self.wh_nj, self.rule_nj))
        self.assertEqual(self._route("US", "12207"), (self.wh_nj, self.rule_nj))
        self.assertEqual(self._route("US", "73301"), (self.wh_tx, self.rule_tx))
        self.assertEqual(self._route("US", "77002"), (self.wh_tx, self.rule_tx))

    def test_uk_by_country(self):
        self.assertEqual(self._route("GB", "E16 1AA"), (self.wh_uk, self.rule_uk))
        self.assertEqual(self._route("gb", None), (self.wh_uk, self.rule_uk))

    def test_default_fallback(self):
        empty = self.env["shopify.order.route"]
        self.assertEqual(self._route("US", "90210"), (self.wh_default, empty))
        self.assertEqual(self._route("FR", "75001"), (self.wh_default, empty))
        self.assertEqual(self._route(None, None), (self.wh_default, empty))

    def test_sequence_state_and_location(self):
        """The first matching rule wins; state and fulfilment location filter."""
        Route = self.env["shopify.order.route"]
        ca = self.env["res.country.state"].search(
            [("country_id", "=", self.us.id), ("code", "=", "CA")]
        )
        by_state = Route.create(
            {
                "name": "California",
                "sequence": 1,
                "shop_id": self.shop.id,
                "state_ids": [(6, 0, ca.ids)],
                "warehouse_id": self.wh_west.id,
            }
        )
        by_location = Route.create(
            {
                "name": "Assigned to TX",
                "sequence": 2,
                "shop_id": self.shop.id,
                "shopify_location_id": self.loc_tx.id,
                "warehouse_id": self.wh_tx.id,
            }
        )
        self.assertEqual(self._route("US", "90210", "CA"), (self.wh_west, by_state))
        self.assertEqual(
            self._route("US", "07001", locations=[self.loc_tx.shopify_gid]),
            (self.wh_tx, by_location),
        )
        self.assertEqual(self._route("US", "07001"), (self.wh_nj, self.rule_nj))

    def test_bad_range_refused(self):
        with self.assertRaises(ValidationError):
            self.rule_nj.zip_ranges = "07000-089"
        with self.assertRaises(ValidationError):
            self.rule_nj.zip_ranges = "08999-07000"

    def test_zip_arithmetic(self):
        ranges = parse_ranges("07000-08999")
        self.assertTrue(zip_matches("07001-1234", (), ranges))
        self.assertFalse(zip_matches("0699", (), ranges))
        self.assertFalse(zip_matches("", ("07",), ()))
        self.assertTrue(zip_matches("e16 1aa", ("E1",), ()))
        self.assertTrue(zip_matches(None, (), ()))

    def test_store_orders_by_delivery_method(self):
        """Counter sales, pickups and local deliveries go to the store."""
        store_wh = self.env["stock.warehouse"].create({"name": "Store", "code": "SSTO"})
        store = self._shopify_location("Brooklyn Store", 6)
        self._mapping(store, store_wh.lot_stock_id)
        nj_address = {"country_code": "US", "zip": "07102", "state_code": "NJ"}

        def route(**data):
            return self.shop._synco_route_order(
                {"shipping": nj_address, "location_gids": [], **data}
            )

        pickup = {"method": "PICK_UP", "location_gid": store.shopify_gid}
        local = {"method": "LOCAL", "location_gid": store.shopify_gid}
        retail = {"method": "RETAIL", "location_gid": store.shopify_gid}
        # not flagged as a retail store: a pickup falls back, address rules
        # skipped (they route SHIPPING only)
        self.assertEqual(
            route(fulfillment_methods=[pickup]),
            (self.wh_default, self.rule_nj.browse()),
        )
        # a counter sale needs no flag: any mapped location that sold it
        self.assertEqual(route(fulfillment_methods=[retail])[0], store_wh)
        self.assertEqual(
            route(source_name="pos", retail_location_gid=store.shopify_gid)[0],
            store_wh,
        )
        store.retail_store = True
        self.assertEqual(route(fulfillment_methods=[pickup])[0], store_wh)
        self.assertEqual(route(fulfillment_methods=[local])[0], store_wh)
        shipping = {"method": "SHIPPING", "location_gid": store.shopify_gid}
        self.assertEqual(
            route(fulfillment_methods=[shipping]), (self.wh_nj, self.rule_nj)
        )
