# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    shopify_line_item_gid = fields.Char(
        string="Shopify Line Item GID",
        readonly=True,
        copy=False,
        help="The Shopify order line this line comes from: fulfilments and "
        "edits are matched on it.",
    )
