# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.fields import Domain


class ShopifyLocationMapping(models.Model):
    _inherit = "shopify.location.mapping"

    @api.model
    def _synco_quant_domain(self):
        """Lots past their removal date don't count.

        Odoo no longer reserves them: for a product tracked by expiration
        date, a move only takes the quants whose removal date is not before
        its date (``with_expiration`` in ``stock.quant._get_gather_domain``),
        so they can't fill a Shopify order either.  Quants without lot or
        removal date, and products that don't use expiration dates, count as
        before.
        """
        return super()._synco_quant_domain() & (
            Domain("removal_date", "=", False)
            | Domain("removal_date", ">=", fields.Datetime.now())
            | Domain("product_id.use_expiration_date", "=", False)
        )
