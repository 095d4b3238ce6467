# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

# which descendants of a source location hold sellable stock
COUNTED_USAGE = {"internal": "internal", "view": "internal", "supplier": "supplier"}


class ShopifyLocationMappingSource(models.Model):
    """One stock source of a mapping: a location subtree whose quants count."""

    _name = "shopify.location.mapping.source"
    _description = "Shopify Location Mapping Source"
    _order = "mapping_id, sequence, id"

    mapping_id = fields.Many2one(
        "shopify.location.mapping", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        help="Choosing a warehouse counts its stock location and its children.",
    )
    location_id = fields.Many2one(
        "stock.location",
        required=True,
        ondelete="restrict",
        domain="[('usage', 'in', ('internal', 'view', 'supplier'))]",
        help="Internal location (children included) or drop-ship supplier "
        "location whose stock feeds the Shopify location.",
    )
    location_usage = fields.Selection(related="location_id.usage")

    @api.model_create_multi
    def create(self, vals_list):
        # a warehouse alone stands for its stock location (imports, RPC, demo)
        for vals in vals_list:
            if vals.get("warehouse_id") and not vals.get("location_id"):
                warehouse = self.env["stock.warehouse"].browse(vals["warehouse_id"])
                vals["location_id"] = warehouse.lot_stock_id.id
        sources = super().create(vals_list)
        self.env["shopify.location.mapping"]._invalidate_location_index()
        sources.mapping_id._synco_push_figures()
        return sources

    def write(self, vals):
        mappings = self.mapping_id
        res = super().write(vals)
        self.env["shopify.location.mapping"]._invalidate_location_index()
        (mappings | self.mapping_id)._synco_push_figures()
        return res

    def unlink(self):
        mappings = self.mapping_id
        res = super().unlink()
        self.env["shopify.location.mapping"]._invalidate_location_index()
        mappings.exists()._synco_push_figures()
        return res

    @api.onchange("warehouse_id")
    def _onchange_warehouse_id(self):
        if self.warehouse_id:
            self.location_id = self.warehouse_id.lot_stock_id

    @api.constrains("location_id")
    def _check_location_usage(self):
        for source in self:
            if source.location_id.usage not in COUNTED_USAGE:
                raise ValidationError(
                    self.env._(
                        "%(location)s can't feed Shopify: only internal, view "
                        "and supplier (drop-ship) locations can be sources; "
                        "transit stock never counts until it is received.",
                        location=source.location_id.display_name,
                    )
                )

    @api.depends("location_id", "warehouse_id")
    def _compute_display_name(self):
        for source in self:
            source.display_name = source.location_id.display_name or ""
