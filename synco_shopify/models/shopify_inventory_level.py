# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ShopifyInventoryLevel(models.Model):
    """What we last told Shopify for one product at one Shopify location.

    ``shopify_available`` is the value Shopify is believed to hold: it is the
    ``changeFromQuantity`` of the next write, so a concurrent change made in
    Shopify is detected (compare-and-set) instead of overwritten.
    """

    _name = "shopify.inventory.level"
    _description = "Shopify Inventory Level"
    _order = "binding_id, shopify_location_id"
    _rec_name = "binding_id"

    binding_id = fields.Many2one(
        "shopify.product.binding", required=True, ondelete="cascade", index=True
    )
    shop_id = fields.Many2one(related="binding_id.shop_id", store=True, index=True)
    product_id = fields.Many2one(related="binding_id.product_id", store=True)
    shopify_location_id = fields.Many2one(
        "shopify.location", required=True, ondelete="cascade", index=True
    )
    expected_qty = fields.Integer(
        string="Expected", help="What Odoo's stock says Shopify should show."
    )
    shopify_available = fields.Integer(
        help="The value Shopify held after our last write or read.",
    )
    shopify_known = fields.Boolean(
        help="Whether Shopify's value has been read or written at least once."
    )
    last_push_date = fields.Datetime(string="Last Push")
    last_outcome = fields.Selection(
        [
            ("applied", "Applied"),
            ("stale_resolved", "Applied after a concurrent change"),
            ("activated", "Stocked at the location, then applied"),
            ("unchanged", "Unchanged"),
            ("not_stocked", "Not stocked at the location"),
            ("failed", "Failed"),
        ],
        readonly=True,
    )
    last_message = fields.Char(readonly=True)

    _binding_location_uniq = models.Constraint(
        "UNIQUE (binding_id, shopify_location_id)",
        "One level per product and Shopify location.",
    )
