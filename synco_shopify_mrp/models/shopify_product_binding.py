# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

PRECOMMIT_KEY = "synco_shopify_mrp.changed_components"


class ShopifyProductBinding(models.Model):
    _inherit = "shopify.product.binding"

    @api.model
    def _synco_stock_changed(self, pairs):
        """A component's stock moved: so did the figures of the kits holding it.

        Stock hooks call this for every quant they write, so the kits are
        looked up once per transaction, at commit, for all the products that
        changed (one search of phantom BoM lines per nesting level).  That
        hook is registered before the one that enqueues the pushes, which
        therefore sees the kits' pairs too; every kit is added, bound or not:
        the push hook keeps the bound ones.
        """
        if pairs and not self.env.context.get("synco_shopify_no_tracking"):
            precommit = self.env.cr.precommit
            if PRECOMMIT_KEY not in precommit.data:
                precommit.data[PRECOMMIT_KEY] = set()
                precommit.add(self.sudo()._synco_add_kit_pairs)
            precommit.data[PRECOMMIT_KEY].update(pairs)
        return super()._synco_stock_changed(pairs)

    @api.model
    def _synco_products_moved(self, product_ids):
        """And the kits holding them, nested kits included."""
        moved = super()._synco_products_moved(product_ids)
        if moved:
            kits_of = self.env["mrp.bom"]._synco_kits_containing(list(moved))
            moved.update(kit for kits in kits_of.values() for kit in kits)
        return moved

    def _synco_add_kit_pairs(self):
        pairs = self.env.cr.precommit.data.pop(PRECOMMIT_KEY, set())
        if not pairs:
            return
        kits_of = self.env["mrp.bom"]._synco_kits_containing(
            list({product_id for product_id, _location in pairs})
        )
        kit_pairs = {
            (kit_id, location_id)
            for product_id, location_id in pairs
            for kit_id in kits_of.get(product_id, ())
        }
        if kit_pairs:
            # past this override: the kits' pairs need no kit lookup of their
            # own, their ancestors are already in kits_of
            super()._synco_stock_changed(kit_pairs)
