# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Retention: a run's in-sync detail is kept for days, its story for good.

A daily run over 50 000 variants and 3 locations stores 150 000 lines, of
which 98 % say "in sync": 55 million rows a year for one shop.  Each run keeps
its per-location counts (checked, in sync, drifted, written, failed) and every
line that says something (drifted, written, failed, not stocked...), and a
daily cron deletes the in-sync lines of runs older than the shop's retention.
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"

    reconcile_keep_days = fields.Integer(
        string="Keep In-Sync Lines (days)",
        default=7,
        help="Lines of levels a reconciliation found in sync are deleted after "
        "this many days; drifted, written and failed lines and the counts per "
        "location are kept. 0 keeps everything.",
    )

    @api.model
    def _cron_purge_reconciliation_lines(self):
        """Daily: delete the in-sync lines of runs past their shop's retention.

        One DELETE per shop (hundreds of thousands of rows: no ORM unlink).
        """
        purged = 0
        now = fields.Datetime.now()
        for shop in self.with_context(active_test=False).search(
            [("reconcile_keep_days", ">", 0)]
        ):
            runs = self.env["shopify.reconciliation"].search(
                [
                    ("shop_id", "=", shop.id),
                    ("in_sync_purged", "=", False),
                    ("state", "in", ("done", "failed")),
                    ("date_end", "<", now - timedelta(days=shop.reconcile_keep_days)),
                ]
            )
            if not runs:
                continue
            self.env.cr.execute(
                SQL(
                    "DELETE FROM shopify_reconciliation_line "
                    "WHERE run_id IN %s AND action = 'in_sync'",
                    tuple(runs.ids),
                )
            )
            purged += self.env.cr.rowcount
            runs.in_sync_purged = True
        self.env["shopify.reconciliation.line"].invalidate_model()
        return purged
