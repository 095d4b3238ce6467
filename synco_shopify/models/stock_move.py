# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def write(self, vals):
        res = super().write(vals)
        # Done and cancelled moves have changed (or released) stock at both
        # ends; the quant hooks see the quantities, this sees the moves whose
        # reservation vanished without touching a quant of their own.
        if vals.get("state") in ("done", "cancel"):
            pairs = set()
            for move in self:
                pairs.add((move.product_id.id, move.location_id.id))
                pairs.add((move.product_id.id, move.location_dest_id.id))
            self.env["shopify.product.binding"]._synco_stock_changed(pairs)
        return res
