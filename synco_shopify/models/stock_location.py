# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

INDEX_FIELDS = {"location_id", "usage", "active"}


class StockLocation(models.Model):
    _inherit = "stock.location"

    # issue 22: withheld stock shown in Shopify
    shopify_withheld_state = fields.Selection(
        [("quality_control", "Quality control"), ("damaged", "Damaged")],
        string="Shopify State When Excluded",
        default="quality_control",
        help="As a mapping's excluded zone whose mapping shows withheld stock "
        "in Shopify, this location's units are shown in this Unavailable state.",
    )

    # A bin created under a mapped warehouse, or moved out of it, changes
    # which locations each mapping counts.
    @api.model_create_multi
    def create(self, vals_list):
        locations = super().create(vals_list)
        self.env["shopify.location.mapping"]._invalidate_location_index()
        return locations

    def write(self, vals):
        if not INDEX_FIELDS & set(vals):
            return super().write(vals)
        Mapping = self.env["shopify.location.mapping"]
        counted_before = self._synco_counted_subtree()
        res = super().write(vals)
        Mapping._invalidate_location_index()
        # a bin moved into or out of a mapped subtree: its stock now counts
        # somewhere else, or nowhere
        if counted_before or self._synco_counted_subtree():
            quants = (
                self.env["stock.quant"]
                .sudo()
                ._read_group([("location_id", "child_of", self.ids)], ["product_id"])
            )
            products = self.env["product.product"].union(*(p for (p,) in quants))
            self.env["shopify.product.binding"]._synco_config_changed(products=products)
        return res

    def _synco_counted_subtree(self):
        """Whether an active mapping counts any location of these subtrees."""
        index = self.env["shopify.location.mapping"]._get_location_index()
        if not index or not self:
            return False
        subtree = (
            self.sudo()
            .with_context(active_test=False)
            .search([("id", "child_of", self.ids)])
        )
        return any(location.id in index for location in subtree)
