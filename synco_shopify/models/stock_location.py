# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

INDEX_FIELDS = {"location_id", "usage", "active"}


class StockLocation(models.Model):
    _inherit = "stock.location"

    # A bin created under a mapped warehouse, or moved out of it, changes
    # which locations each mapping counts.
    @api.model_create_multi
    def create(self, vals_list):
        locations = super().create(vals_list)
        self.env["shopify.location.mapping"]._invalidate_location_index()
        return locations

    def write(self, vals):
        res = super().write(vals)
        if INDEX_FIELDS & set(vals):
            self.env["shopify.location.mapping"]._invalidate_location_index()
        return res
