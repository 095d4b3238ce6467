# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models

LINE_KINDS = [
    ("location", "Value per location"),
    ("suppressed", "Suppressed sale"),
    ("oversell", "Oversell risk"),
    ("buffer", "Buffer utilisation"),
]


class ShopifyDigestLine(models.Model):
    _name = "shopify.digest.line"
    _description = "Shopify Weekly Digest Line"
    _order = "digest_id, kind, id"

    digest_id = fields.Many2one(
        "shopify.digest", required=True, ondelete="cascade", index=True
    )
    currency_id = fields.Many2one(related="digest_id.currency_id")
    kind = fields.Selection(LINE_KINDS, required=True)
    product_id = fields.Many2one("product.product", ondelete="cascade")
    shopify_location_id = fields.Many2one("shopify.location", ondelete="cascade")
    odoo_qty = fields.Integer(string="Odoo Figure")
    shopify_qty = fields.Integer(string="Shopify Figure")
    value_odoo = fields.Monetary()
    value_shopify = fields.Monetary()
    gap_percent = fields.Float(string="Gap (%)", digits=(16, 2))
    # the buffer utilisation lines: one rule over the week
    buffer_rule_id = fields.Many2one("shopify.buffer.rule", ondelete="cascade")
    days_observed = fields.Integer(string="Days Recorded")
    days_near_zero = fields.Integer(
        help="Days on which at least one product of the rule came within the "
        "buffer of zero."
    )
    near_zero_percent = fields.Float(
        string="Near Zero (% of observations)",
        digits=(16, 1),
        help="Share of the rule's product × location × day observations near zero.",
    )
    units_withheld = fields.Float(string="Units Withheld (per day)", digits=(16, 1))
    never_used = fields.Boolean()
