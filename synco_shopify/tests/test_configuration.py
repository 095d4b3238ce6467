# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64
import json

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import SyncoCase


@tagged("post_install", "-at_install")
class TestMisconfiguration(SyncoCase):
    """A wrong mapping is refused with a message that says what is wrong."""

    def test_mapping_without_source(self):
        with self.assertRaisesRegex(ValidationError, "has no source"):
            self._mapping(self.loc_nj, self.env["stock.location"])

    def test_excluded_location_outside_sources(self):
        with self.assertRaisesRegex(ValidationError, "not inside any of its sources"):
            self._mapping(
                self.loc_tx, self.wh_tx.lot_stock_id, excluded=self.quarantine
            )

    def test_excluding_a_whole_source(self):
        with self.assertRaisesRegex(ValidationError, "not inside any of its sources"):
            self._mapping(self.loc_nj, self.bin_a1, excluded=self.bin_a1)

    def test_two_active_mappings_for_one_location(self):
        self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        with self.assertRaisesRegex(ValidationError, "already has an active mapping"):
            self._mapping(self.loc_nj, self.wh_tx.lot_stock_id)
        # a draft for the same location is how a migration is prepared
        draft = self._mapping(self.loc_nj, self.wh_tx.lot_stock_id, state="draft")
        with self.assertRaisesRegex(ValidationError, "already has an active mapping"):
            draft.action_activate()

    def test_location_counted_twice(self):
        with self.assertRaisesRegex(ValidationError, "twice"):
            self._mapping(self.loc_nj, self.wh_nj.lot_stock_id | self.bin_a1)

    def test_transit_location_cannot_be_a_source(self):
        with self.assertRaisesRegex(ValidationError, "transit stock never counts"):
            self._mapping(self.loc_nj, self.transit)

    def test_buffer_above_100_percent(self):
        with self.assertRaisesRegex(ValidationError, "between 0 and 100"):
            self.env["shopify.buffer.rule"].create(
                {"shop_id": self.shop.id, "buffer_percent": 120}
            )
        with self.assertRaisesRegex(ValidationError, "negative"):
            self.env["shopify.buffer.rule"].create(
                {
                    "shop_id": self.shop.id,
                    "mapping_id": False,
                    "buffer_units": -1,
                    "product_id": self.tee.id,
                }
            )

    def test_old_api_version_refused(self):
        with self.assertRaisesRegex(ValidationError, "too old"):
            self.shop.api_version = "2025-10"
        with self.assertRaisesRegex(ValidationError, "not a Shopify API version"):
            self.shop.api_version = "latest"
        self.shop.api_version = "2026-04"

    def test_shop_domain_normalised_and_checked(self):
        shop = self.env["shopify.shop"].create(
            {"name": "Other", "shop_domain": " Other-Shop.myshopify.com "}
        )
        self.assertEqual(shop.shop_domain, "other-shop.myshopify.com")
        with self.assertRaisesRegex(ValidationError, "permanent"):
            shop.shop_domain = "www.other-shop.com"

    def test_shared_location_is_a_warning_not_an_error(self):
        """A retail store's stock offered at two Shopify locations is allowed."""
        store = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        online = self._mapping(self.loc_pool, self.bin_a1 | self.wh_east.lot_stock_id)
        self.assertIn("3PL Pool", store.shared_location_warning)
        self.assertIn("sold twice", online.shared_location_warning)
        alone = self._mapping(self.loc_tx, self.wh_tx.lot_stock_id)
        self.assertFalse(alone.shared_location_warning)

    def test_mapping_of_another_shop_location(self):
        other_shop = self.env["shopify.shop"].create(
            {"name": "Other", "shop_domain": "other.myshopify.com"}
        )
        with self.assertRaisesRegex(ValidationError, "another shop"):
            self.env["shopify.location.mapping"].create(
                {
                    "shop_id": other_shop.id,
                    "shopify_location_id": self.loc_nj.id,
                    "source_ids": [(0, 0, {"location_id": self.bin_a1.id})],
                }
            )


@tagged("post_install", "-at_install")
class TestConfigTransfer(SyncoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.nj = cls._mapping(
            cls.loc_nj, cls.wh_nj.lot_stock_id, excluded=cls.quarantine
        )
        cls.drop = cls._mapping(
            cls.loc_drop, cls.supplier_a | cls.supplier_b, aggregation="max"
        )
        cls.pool = cls._mapping(
            cls.loc_pool,
            cls.wh_east.lot_stock_id | cls.wh_west.lot_stock_id,
            drift_threshold=2,
            state="draft",
        )
        Rule = cls.env["shopify.buffer.rule"]
        Rule.create(
            {"shop_id": cls.shop.id, "mapping_id": cls.pool.id, "buffer_percent": 5}
        )
        Rule.create(
            {"shop_id": cls.shop.id, "product_id": cls.tee.id, "buffer_units": 2}
        )
        Rule.create(
            {
                "shop_id": cls.shop.id,
                "product_categ_id": cls.categ_apparel.id,
                "buffer_percent": 10,
                "buffer_units": 1,
            }
        )
        cls.Transfer = cls.env["shopify.config.transfer"]

    def _export(self):
        return self.Transfer._export_configuration(self.shop)

    def _import(self, payload, **kw):
        wizard = self.Transfer.create(
            {
                "shop_id": self.shop.id,
                "data": base64.b64encode(json.dumps(payload).encode()),
                **kw,
            }
        )
        return wizard.action_import()

    def test_round_trip(self):
        exported = self._export()
        self.assertEqual(exported["format"], "synco_shopify.configuration")
        self.assertEqual(len(exported["mappings"]), 3)
        nj = exported["mappings"][0]
        self.assertEqual(nj["sources"], ["SNJ/Stock"])
        self.assertEqual(nj["excluded_locations"], ["SNJ/Stock/Quarantine"])
        self._import(exported)
        self.assertEqual(self._export(), exported)
        pool = self.shop.mapping_ids.filtered(
            lambda m: m.shopify_location_id == self.loc_pool
        )
        self.assertEqual((pool.state, pool.drift_threshold), ("draft", 2))
        self.assertEqual(
            pool.source_ids.location_id.warehouse_id.mapped("code"), ["SEA", "SWE"]
        )

    def test_import_as_drafts(self):
        self._import(self._export(), as_draft=True)
        self.assertEqual(set(self.shop.mapping_ids.mapped("state")), {"draft"})

    def test_export_action_downloads_json(self):
        wizard = self.Transfer.create({"shop_id": self.shop.id})
        action = wizard.action_export()
        self.assertEqual(action["type"], "ir.actions.act_url")
        data = json.loads(base64.b64decode(wizard.data))
        self.assertEqual(data, self._export())
        self.assertTrue(wizard.filename.endswith(".json"))

    def test_unknown_keys_refused_and_nothing_changed(self):
        payload = self._export()
        payload["mappings"][0]["agregation"] = "sum"
        payload["buffer_rules"][0]["pct"] = 5
        payload["colour"] = "blue"
        before = self.shop.mapping_ids
        with self.assertRaises(UserError) as caught:
            self._import(payload)
        message = str(caught.exception)
        self.assertIn("mappings[0]: unknown key(s) agregation", message)
        self.assertIn("buffer_rules[0]: unknown key(s) pct", message)
        self.assertIn("file: unknown key(s) colour", message)
        self.assertEqual(self.shop.mapping_ids, before)

    def test_unknown_ids_refused(self):
        payload = self._export()
        payload["mappings"][0]["shopify_location"] = "gid://shopify/Location/999"
        payload["mappings"][1]["sources"][0] = "Nowhere/Stock"
        payload["buffer_rules"][1]["product"] = "NO-SUCH-SKU"
        with self.assertRaises(UserError) as caught:
            self._import(payload)
        message = str(caught.exception)
        self.assertIn(
            "mappings[0].shopify_location: unknown Shopify location "
            "'gid://shopify/Location/999'",
            message,
        )
        self.assertIn("mappings[1].sources[0]: unknown Odoo location", message)
        self.assertIn("buffer_rules[1].product: unknown product 'NO-SUCH-SKU'", message)

    def test_invalid_values_refused(self):
        payload = self._export()
        payload["buffer_rules"][0]["percent"] = 150
        payload["mappings"][0]["aggregation"] = "avg"
        payload["version"] = 9
        with self.assertRaises(UserError) as caught:
            self._import(payload)
        message = str(caught.exception)
        self.assertIn("buffer_rules[0].percent: 150 is outside 0..100", message)
        self.assertIn("mappings[0].aggregation: unknown rule 'avg'", message)
        self.assertIn("version: unsupported version 9", message)

    def test_constraint_violation_rolls_back(self):
        payload = self._export()
        payload["mappings"][0]["sources"].append("SNJ/Stock/Quarantine")
        before = self.shop.mapping_ids
        with mute_logger("odoo.sql_db"), self.assertRaisesRegex(UserError, "twice"):
            self._import(payload)
        self.assertEqual(self.shop.mapping_ids.exists(), before)

    def test_not_json(self):
        wizard = self.Transfer.create(
            {"shop_id": self.shop.id, "data": base64.b64encode(b"{not json")}
        )
        with self.assertRaisesRegex(UserError, "not valid JSON"):
            wizard.action_import()
