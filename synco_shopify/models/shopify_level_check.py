# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The webhook level check: a level Shopify reported, against Odoo's figure.

Mixed into ``shopify.shop`` (``shopify_shop.py`` holds its fields): the
methods run on shop records, ``self`` is a shop.

An ``inventory_levels/update`` webhook never writes stock: it opens,
updates or resolves the level's drift, feeds the alerts, and with
``correct_drift_on_webhook`` pushes Odoo's figure back.
"""

from odoo import models


class ShopifyLevelCheck(models.AbstractModel):
    _name = "shopify.level.check"
    _description = "Shopify Webhook Level Check (shop mixin)"

    def _synco_check_level(self, item_gid, location_gid, available, event=None):
        """Compare a level Shopify reported with Odoo's figure; never writes stock.

        A difference opens or updates the level's drift, agreement resolves
        it (see ``shopify.drift._synco_observe``).

        :return: (event state, message)
        """
        self.ensure_one()
        binding = self.env["shopify.product.binding"].search(
            [("shop_id", "=", self.id), ("shopify_inventory_item_gid", "=", item_gid)],
            limit=1,
        )
        location = self.env["shopify.location"].search(
            [("shop_id", "=", self.id), ("shopify_gid", "=", location_gid)], limit=1
        )
        if not binding or not location:
            return "ignored", self.env._("Item or location not bound.")
        if binding.shopify_bundle:
            return "ignored", self.env._(
                "A Shopify bundle: Shopify computes its stock."
            )
        mapping = location.active_mapping_id
        if not mapping:
            return "ignored", self.env._(
                "No active mapping for %(loc)s.", loc=location.name
            )
        expected = mapping._compute_shopify_available(binding.product_id)[mapping][
            binding.product_id.id
        ]
        correct = self.correct_drift_on_webhook and binding._push_allowed()
        figures = {(binding, location): (expected, available)}
        self.env["shopify.alert"]._synco_check_levels(
            self, read=figures, left=figures, velocity=True
        )
        drift, _resolved = self.env["shopify.drift"]._synco_observe(
            self,
            [(binding, location, expected, available)],
            "webhook",
            correcting=correct,
            event=event,
        )
        if not drift:
            if expected == available:
                return "processed", self.env._(
                    "In line with Odoo (%(qty)s).", qty=available
                )
            return "processed", self.env._(
                "Within the drift threshold at %(loc)s: Shopify %(shopify)s, "
                "Odoo %(odoo)s.",
                loc=location.name,
                shopify=available,
                odoo=expected,
            )
        if correct:
            # Shopify's value is not what we believed: read it again before
            # the compare-and-set write
            levels = (
                self.env["shopify.inventory.level"]
                .sudo()
                .search(
                    [
                        ("binding_id", "=", binding.id),
                        ("shopify_location_id", "=", location.id),
                    ]
                )
            )
            # Shopify offering more than Odoo has: the push takes risk
            # away, it goes first (decreases first, issue 24), also when a
            # push holds the levels and the settle waits for its own
            urgency = binding._synco_correction_urgency(available > expected)
            settled = levels._synco_settle_or_delay(
                {"forget": [location.id]},
                binding,
                self.env._(
                    "Shopify push: %(sku)s drifted at %(loc)s",
                    sku=binding.sku or binding.product_id.display_name,
                    loc=location.name,
                ),
                urgency,
            )
            if settled:
                binding._delay_push(urgency=urgency)
        return "processed", self.env._(
            "Drift at %(loc)s: Shopify %(shopify)s, Odoo %(odoo)s%(fix)s.",
            loc=location.name,
            shopify=available,
            odoo=expected,
            fix=self.env._(", corrective push enqueued") if correct else "",
        )
