# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Stock that sits in a mapped warehouse but that no mapping counts.

A mapping that counts only some bins of a warehouse says nothing about the
units in the warehouse's other locations: stock put straight in ``WH/Stock``
or received there never reaches Shopify, and Shopify shows 0 for products the
warehouse holds.  The mapping and the shop say so, with the quantity, the
locations and the receipt destinations involved.

Excluded subtrees are left out: excluding quarantine is a decision, not an
oversight.  So is stock another active mapping of the shop counts (a
warehouse split between two Shopify locations).
"""

from odoo import fields, models

from .shopify_uncounted_stock import _set_uncounted, _uncounted_quants_action


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"

    uncounted_qty = fields.Float(
        string="Uncounted Units",
        compute="_compute_uncounted",
        digits="Product Unit",
        help="Free units in the warehouses of the active mappings that no "
        "active mapping counts, excluded locations apart.",
    )
    uncounted_product_count = fields.Integer(
        string="Uncounted Products", compute="_compute_uncounted"
    )
    uncounted_location_ids = fields.Many2many(
        "stock.location",
        string="Uncounted Locations",
        compute="_compute_uncounted",
    )
    uncounted_receipt_location_ids = fields.Many2many(
        "stock.location",
        string="Uncounted Receipt Destinations",
        compute="_compute_uncounted",
    )
    uncounted_warning = fields.Text(compute="_compute_uncounted")

    def _compute_uncounted(self):
        for shop in self:
            location_ids, receipts = set(), self.env["stock.location"]
            for mapping in shop.mapping_ids.filtered(lambda m: m.state == "active"):
                ids, dests = mapping._synco_uncounted_locations()
                location_ids |= ids
                receipts |= dests
            _set_uncounted(
                shop, location_ids, receipts, self.env._("no active mapping")
            )

    def action_view_uncounted_quants(self):
        return _uncounted_quants_action(self)
