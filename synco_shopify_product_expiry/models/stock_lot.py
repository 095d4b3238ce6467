# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import api, fields, models


class StockLot(models.Model):
    _inherit = "stock.lot"

    @api.model
    def _synco_cron_push_expired_lots(self):
        """Push the products whose lots passed their removal date since the
        last run (the last day on the first one).

        Nothing writes stock when a lot expires, so no stock event pushes
        the units that stopped counting.  This only enqueues, at commit, a
        push per product and shop, batched; the daily reconciliation remains
        the backstop for a missed run.
        """
        now = fields.Datetime.now()
        since = self.env.context.get("lastcall") or now - timedelta(days=1)
        lots = self.sudo().search(
            [
                ("removal_date", ">=", since),
                ("removal_date", "<", now),
                ("product_id.use_expiration_date", "=", True),
                ("quant_ids.location_id.usage", "in", ("internal", "supplier")),
            ]
        )
        if lots:
            self.env["shopify.product.binding"]._synco_config_changed(
                products=lots.product_id
            )
