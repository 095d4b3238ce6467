# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class ShopifyFigureExplainedMixin(models.AbstractModel):
    """Records that name a product at a Shopify location open its figure."""

    _name = "shopify.figure.explained.mixin"
    _description = "Opens Why This Number?"

    def action_synco_explain(self):
        return self.env["shopify.figure.explanation"]._synco_open(
            [(rec.product_id, rec.shopify_location_id) for rec in self]
        )


class ShopifyInventoryLevel(models.Model):
    _name = "shopify.inventory.level"
    _inherit = ["shopify.inventory.level", "shopify.figure.explained.mixin"]


class ShopifyReconciliationLine(models.Model):
    _name = "shopify.reconciliation.line"
    _inherit = ["shopify.reconciliation.line", "shopify.figure.explained.mixin"]


class ShopifyDrift(models.Model):
    _name = "shopify.drift"
    _inherit = ["shopify.drift", "shopify.figure.explained.mixin"]
