# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

import psycopg2

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SyncoCase


@tagged("post_install", "-at_install")
class TestDrift(SyncoCase):
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
        cls.map_pool = cls._mapping(
            cls.loc_pool,
            cls.wh_east.lot_stock_id | cls.wh_west.lot_stock_id,
            drift_threshold=2,
        )
        cls.Drift = cls.env["shopify.drift"]

    def drifts(self, **domain):
        return self.Drift.search(
            [("shop_id", "=", self.shop.id)]
            + [(name, "=", value) for name, value in domain.items()]
        )

    def observe(self, observations, source="webhook", **kw):
        return self.Drift._synco_observe(self.shop, observations, source, **kw)

    def test_repeat_observation_updates_instead_of_duplicating(self):
        unresolved, resolved = self.observe([(self.tee_binding, self.loc_nj, 40, 33)])
        self.assertFalse(resolved)
        self.assertEqual(len(unresolved), 1)
        first_seen = unresolved.date_detected
        # ids work as well as records
        again, _resolved = self.observe(
            [(self.tee_binding.id, self.loc_nj.id, 40, 31)], source="reconciliation"
        )
        self.assertEqual(again, unresolved)
        drift = self.drifts()
        self.assertEqual(len(drift), 1)
        self.assertEqual(
            (
                drift.expected_qty,
                drift.shopify_qty,
                drift.difference,
                drift.occurrences,
                drift.state,
                drift.detected_by,
                drift.product_id,
            ),
            (40, 31, -9, 2, "open", "webhook", self.tee),
        )
        self.assertEqual(drift.date_detected, first_seen)
        self.assertGreaterEqual(drift.date_last_seen, first_seen)
        # a corrective push enqueued by the caller shows in the state
        self.observe([(self.tee_binding, self.loc_nj, 40, 31)], correcting=True)
        self.assertEqual((drift.state, drift.occurrences), ("correcting", 3))

    def test_agreement_resolves_with_duration(self):
        drift, _resolved = self.observe([(self.tee_binding, self.loc_nj, 40, 33)])
        drift.date_detected = fields.Datetime.now() - timedelta(minutes=90)
        # an agreement elsewhere leaves it alone
        self.observe([(self.mug_binding, self.loc_nj, 5, 5)], source="push")
        self.assertEqual(drift.state, "open")
        unresolved, resolved = self.observe(
            [(self.tee_binding, self.loc_nj, 40, 40)], source="push"
        )
        self.assertFalse(unresolved)
        self.assertEqual(resolved, drift)
        self.assertEqual((drift.state, drift.resolved_by), ("resolved", "push"))
        self.assertTrue(drift.date_resolved)
        self.assertAlmostEqual(drift.duration, 1.5, delta=0.05)
        # agreement creates nothing; a new difference is a new drift
        self.assertEqual(len(self.drifts()), 1)
        new, _resolved = self.observe([(self.tee_binding, self.loc_nj, 40, 38)])
        self.assertNotEqual(new, drift)
        self.assertEqual(new.occurrences, 1)
        self.assertEqual(len(self.drifts(state="open")), 1)
        self.assertEqual(len(self.drifts(state="resolved")), 1)

    def test_within_threshold_counts_as_agreement(self):
        # the pool's mapping tolerates 2 units
        self.observe([(self.tee_binding, self.loc_pool, 30, 32)])
        self.assertFalse(self.drifts())
        drift, _resolved = self.observe([(self.tee_binding, self.loc_pool, 30, 33)])
        self.assertEqual(drift.difference, 3)
        self.observe([(self.tee_binding, self.loc_pool, 30, 28)], "reconciliation")
        self.assertEqual(
            (drift.state, drift.resolved_by), ("resolved", "reconciliation")
        )

    def test_bulk_observations(self):
        self.observe([(self.tee_binding, self.loc_nj, 10, 9)])
        unresolved, resolved = self.observe(
            [
                (self.tee_binding, self.loc_nj, 10, 10),  # resolves
                (self.tee_binding, self.loc_tx, 4, None),  # not stocked: skipped
                (self.mug_binding, self.loc_nj, 7, 7),  # agrees, nothing to do
                (self.mug_binding, self.loc_tx, 3, 0),  # new drift
                (self.mug_binding, self.loc_pool, 20, 1),
                (self.mug_binding, self.loc_pool, 20, 20),  # the last one wins
            ],
            source="reconciliation",
        )
        self.assertEqual(len(resolved), 1)
        self.assertEqual(
            unresolved.mapped(lambda d: (d.binding_id, d.shopify_location_id)),
            [(self.mug_binding, self.loc_tx)],
        )
        self.assertEqual(len(self.drifts()), 2)

    def test_one_unresolved_drift_per_level(self):
        self.observe([(self.tee_binding, self.loc_nj, 40, 33)])
        vals = {
            "shop_id": self.shop.id,
            "binding_id": self.tee_binding.id,
            "shopify_location_id": self.loc_nj.id,
        }
        with (
            self.assertRaises(psycopg2.IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.Drift.create(vals).flush_recordset()
        # resolved drift doesn't count
        self.observe([(self.tee_binding, self.loc_nj, 40, 40)])
        self.Drift.create(dict(vals, state="resolved")).flush_recordset()
        self.Drift.create(vals).flush_recordset()
        self.assertEqual(len(self.drifts()), 3)

    def test_webhook_path(self):
        self.shop.correct_drift_on_webhook = False
        self._stock(self.tee, self.wh_nj.lot_stock_id, 40)
        item = self.tee_binding.shopify_inventory_item_gid
        check = self.shop._synco_check_level
        with trap_jobs() as trap:
            check(item, self.loc_nj.shopify_gid, 33)
            state, message = check(item, self.loc_nj.shopify_gid, 34)
        self.assertEqual(state, "processed")
        self.assertIn("Drift", message)
        self.assertFalse(trap.enqueued_jobs)
        drift = self.drifts()
        self.assertEqual(
            (drift.occurrences, drift.shopify_qty, drift.state, drift.detected_by),
            (2, 34, "open", "webhook"),
        )
        # with correction on, the same drift becomes "correcting"
        self.shop.correct_drift_on_webhook = True
        with trap_jobs() as trap:
            check(item, self.loc_nj.shopify_gid, 34)
        self.assertEqual(len(trap.enqueued_jobs), 1)
        self.assertEqual((self.drifts(), drift.state), (drift, "correcting"))
        # the corrective push landed: Shopify reports Odoo's figure
        state, message = check(item, self.loc_nj.shopify_gid, 40)
        self.assertIn("In line", message)
        self.assertEqual(
            (drift.state, drift.resolved_by, drift.occurrences),
            ("resolved", "webhook", 3),
        )
        self.assertEqual(len(self.drifts()), 1)
