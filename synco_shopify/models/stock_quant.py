# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

# Every path that changes sellable stock ends in a quant write: moves done
# (_update_available_quantity), reservations (_update_reserved_quantity),
# inventory counts (_apply_inventory goes through a move).  The raw-SQL
# paths (_merge_quants, zero-quant clean-up) leave the totals unchanged.
TRACKED_FIELDS = {"quantity", "reserved_quantity", "location_id", "product_id"}


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model_create_multi
    def create(self, vals_list):
        quants = super().create(vals_list)
        quants._synco_track()
        return quants

    def write(self, vals):
        tracked = TRACKED_FIELDS & set(vals)
        if tracked and {"location_id", "product_id"} & tracked:
            self._synco_track()  # where the stock leaves from
        res = super().write(vals)
        if tracked:
            self._synco_track()
        return res

    def unlink(self):
        self._synco_track()
        return super().unlink()

    def _synco_track(self):
        pairs = {(q.product_id.id, q.location_id.id) for q in self}
        self.env["shopify.product.binding"]._synco_stock_changed(pairs)
