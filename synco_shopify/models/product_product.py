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

    def _synco_sync_refusals(self):
        """{product: why Synco can't keep its Shopify stock} among these.

        Synco pushes a figure only for what Odoo counts: a storable product
        (*Track Inventory* on).  Bridges extend this: a kit (synco_shopify_mrp)
        counts the kits its components build, whatever its own setting.
        """
        refusals = {}
        for product in self:
            if product.type == "service":
                refusals[product] = self.env._("a service: Odoo keeps no stock of it")
            elif product.type == "combo":
                refusals[product] = self.env._(
                    "a combo: Odoo keeps no stock of it, only of its choices"
                )
            elif not product.is_storable:
                refusals[product] = self.env._(
                    "Track Inventory is off: Odoo counts no stock of it"
                )
        return refusals

    def _synco_syncable_products(self):
        """These products but those ``_synco_sync_refusals`` turns down."""
        refused = self._synco_sync_refusals()
        return self.filtered(lambda product: product not in refused)

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
