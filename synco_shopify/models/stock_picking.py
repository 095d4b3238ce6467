# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    synco_reservation_warning = fields.Text(
        string="Reservation Warning",
        compute="_compute_synco_reservation_warning",
        help="Stock the warehouse holds but this transfer may not reserve: "
        "zones its Shopify mappings exclude.",
    )

    @api.depends("move_ids.state", "move_ids.quantity", "move_ids.location_id")
    def _compute_synco_reservation_warning(self):
        for picking in self:
            picking.synco_reservation_warning = (
                picking.move_ids._synco_reservation_warning() or False
            )
