# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class ShopifyFigureExplainedMixin(models.AbstractModel):
    """Records that name a product at a Shopify location open its figure.

    Listed in ``_inherit`` by the inventory levels, the reconciliation lines
    and the drifts: each has a ``product_id`` and a ``shopify_location_id``.
    """

    _name = "shopify.figure.explained.mixin"
    _description = "Opens Why This Number?"

    def action_synco_explain(self):
        return self.env["shopify.figure.explanation"]._synco_open(
            [(rec.product_id, rec.shopify_location_id) for rec in self]
        )
