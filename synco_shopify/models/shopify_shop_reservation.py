# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The reservation side of a shop: what Odoo may pick for its deliveries.

What counts is what can be reserved: a Shopify order only reserves the stock
its mapping counts (always); with ``reserve_counted_stock_only`` no delivery
out of a mapped location picks a mapping's excluded zones.  The rule itself
lives in ``stock_reservation.py``.
"""

from odoo import fields, models

# shop fields the mapping's reservation index reads
RESERVATION_INDEX_FIELDS = {"active", "reserve_counted_stock_only"}


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"

    reserve_counted_stock_only = fields.Boolean(
        string="Never Pick Excluded Zones",
        default=True,
        help="No reservation out of a mapped location takes stock from the "
        "zones its mappings exclude (quarantine, safety reserve): B2B and "
        "manual deliveries and internal transfers included. A move from the "
        "zone itself is still reserved there. Shopify orders never pick "
        "excluded zones, whatever this setting.",
    )

    def write(self, vals):
        res = super().write(vals)
        if RESERVATION_INDEX_FIELDS & set(vals):
            self.env["shopify.location.mapping"]._invalidate_location_index()
        return res
