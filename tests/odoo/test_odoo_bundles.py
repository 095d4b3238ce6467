"""Shopify bundles: a write to a bundle's parent item is refused per item
(``NON_MUTABLE_INVENTORY_ITEM``); the rest of the call is written, the bundle
reported once and never pushed again."""

from odoo.tests import tagged

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import SimulatorCase


@tagged("post_install", "-at_install")
class TestBundles(SimulatorCase):
    def _catalogue(self, count):
        skus = self.sim.seed_catalogue(
            DEMO_DOMAIN,
            count,
            locations=["New Jersey Warehouse", "Texas Warehouse"],
            available=0,
            sku_prefix="BND-",
        )
        self.env["product.product"].create(
            [{"name": sku, "default_code": sku, "is_storable": True} for sku in skus]
        )
        self.shop.action_bind_products()
        by_sku = {b.sku: b for b in self.shop.binding_ids}
        return [by_sku[sku] for sku in skus]

    def _groups(self):
        """Levels each applied call changed, in order."""
        shop = self.sim.shop(DEMO_DOMAIN)
        return [
            len([c for c in group.changes if c.name == "available"])
            for _n, group in sorted(shop.adjustment_groups.items())
        ]

    def test_a_bundle_in_a_batch_of_250(self):
        bindings = self._catalogue(125)
        bundle = bindings[60]
        self.sim.make_bundle(DEMO_DOMAIN, bundle.sku)
        # 250 levels: the bundle at New Jersey, 124 products at both
        # locations, and the tee at New Jersey
        targets = {b: {self.loc_nj: 5, self.loc_tx: 7} for b in bindings}
        targets[bundle] = {self.loc_nj: 5}
        targets[self.bindings["SYN-TEE-BLK-M"]] = {self.loc_nj: 9}
        self.assertEqual(sum(len(v) for v in targets.values()), 250)
        known = {(b, loc): 0 for b, per in targets.items() for loc in per}
        known[self.bindings["SYN-TEE-BLK-M"], self.loc_nj] = 50
        self.sim.clear_log()
        groups_before = len(self._groups())
        result = self.shop._push_levels(targets, known=known)
        writes = [w["quantities"] for w in self.writes()]
        # Shopify refuses the call naming the bundle (all or nothing), the
        # 249 others go again without it, in one call
        self.assertEqual(writes, [250, 249])
        self.assertEqual(self._groups()[groups_before:], [249])
        self.assertEqual((result.pushed, result.failed, result.bundles), (249, 0, 1))
        self.assertEqual(self.shopify(bindings[0].sku, "Texas Warehouse"), 7)
        self.assertEqual(self.shopify("SYN-TEE-BLK-M", "New Jersey Warehouse"), 9)
        self.assertTrue(bundle.shopify_bundle)
        level = bundle.level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_nj
        )
        self.assertEqual(level.last_outcome, "bundle")
        reports = self.shop.message_ids.filtered(
            lambda m: "A Shopify bundle" in (m.body or "")
        )
        self.assertEqual(len(reports), 1)
        self.assertIn(bundle.sku, reports.body)
        # not retried: neither by the next push of the batch's products nor by
        # a push of the bundle itself
        self.sim.clear_log()
        summary = bundle._job_push_inventory()
        self.assertIn("Nothing to push", summary)
        self.shop._push_levels(
            {b: {self.loc_nj: 6} for b in bindings[55:65] if not b.shopify_bundle}
        )
        sent = [w["quantities"] for w in self.writes()]
        self.assertEqual(sent, [9])
        self.assertFalse(
            self.env["shopify.product.binding"].search(
                self.env["shopify.product.binding"]._synco_pushable_domain()
                + [("id", "=", bundle.id)]
            )
        )
        # a level webhook of the bundle (Shopify recomputed it) is no drift
        state, message = self.shop._synco_check_level(
            bundle.shopify_inventory_item_gid, self.loc_nj.shopify_gid, 2
        )
        self.assertEqual(state, "ignored")
        self.assertIn("Shopify computes its stock", message)
        self.assertFalse(
            self.env["shopify.drift"].search([("binding_id", "=", bundle.id)])
        )
        # nor by reconciliation, which leaves it to Shopify
        rows = self.env["shopify.reconciliation"]._binding_rows(self.shop)
        self.assertNotIn(bundle.id, [row[0] for row in rows])
        self.assertIn(bindings[0].id, [row[0] for row in rows])
        self.assertEqual(
            len(
                self.shop.message_ids.filtered(
                    lambda m: "A Shopify bundle" in (m.body or "")
                )
            ),
            1,
        )
