# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ShopifyDrift(models.Model):
    """Shopify reported a level that differs from Odoo's figure.

    Odoo owns quantities, so an ``inventory_levels/update`` webhook never
    writes Odoo stock: it is compared with what the mapping computes, and a
    difference is recorded here (and corrected by a push when the shop says
    so).  A Shopify sale not imported yet shows up here briefly too.
    """

    _name = "shopify.drift"
    _description = "Shopify Inventory Drift"
    _order = "id desc"
    _rec_name = "binding_id"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True, readonly=True
    )
    binding_id = fields.Many2one(
        "shopify.product.binding", required=True, ondelete="cascade", readonly=True
    )
    product_id = fields.Many2one(related="binding_id.product_id", store=True)
    shopify_location_id = fields.Many2one(
        "shopify.location", required=True, ondelete="cascade", readonly=True
    )
    expected_qty = fields.Integer(
        string="Odoo Figure", readonly=True, help="What Odoo's stock says."
    )
    shopify_qty = fields.Integer(
        string="Shopify Available", readonly=True, help="What Shopify reported."
    )
    difference = fields.Integer(readonly=True, help="Shopify minus Odoo.")
    state = fields.Selection(
        [
            ("open", "Open"),
            ("correcting", "Corrective push enqueued"),
        ],
        required=True,
        default="open",
        readonly=True,
    )
    event_id = fields.Many2one(
        "shopify.webhook.event", ondelete="set null", readonly=True
    )
