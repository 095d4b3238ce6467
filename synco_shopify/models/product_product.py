# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    synco_binding_count = fields.Integer(
        string="Shopify Bindings",
        compute="_compute_synco_binding_count",
        groups="stock.group_stock_user",
    )

    def _compute_synco_binding_count(self):
        groups = dict(
            self.env["shopify.product.binding"]
            .sudo()
            ._read_group(
                [("product_id.product_tmpl_id", "in", self.ids)],
                ["product_id"],
                ["__count"],
            )
        )
        for template in self:
            template.synco_binding_count = sum(
                count
                for product, count in groups.items()
                if product.product_tmpl_id == template
            )

    def action_synco_shopify_figures(self):
        return self.product_variant_ids.action_synco_shopify_figures()


class ProductProduct(models.Model):
    _inherit = "product.product"

    def action_synco_shopify_figures(self):
        """Each Shopify location of these products: Odoo's figure, Shopify's
        last known one, the last push, and "why this number?" for each."""
        bindings = (
            self.env["shopify.product.binding"]
            .sudo()
            .search([("product_id", "in", self.ids)])
        )
        pairs = []
        for binding in bindings:
            locations = binding.shop_id.mapping_ids.shopify_location_id
            locations |= binding.level_ids.shopify_location_id
            pairs += [(binding.product_id, location) for location in locations]
        return self.env["shopify.figure.explanation"]._synco_open(
            pairs, title=self.env._("Shopify Figures"), as_list=True
        )
