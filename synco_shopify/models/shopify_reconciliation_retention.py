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

WRITTEN = ("applied", "stale_resolved", "activated")
FAILED = ("failed", "not_stocked")


class ShopifyReconciliationLocation(models.Model):
    """What one run found at one Shopify location: counts that outlive lines."""

    _name = "shopify.reconciliation.location"
    _description = "Shopify Reconciliation Counts per Location"
    _order = "run_id desc, shopify_location_id"

    run_id = fields.Many2one(
        "shopify.reconciliation", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    shopify_location_id = fields.Many2one("shopify.location", required=True)
    checked_count = fields.Integer(string="Checked")
    in_sync_count = fields.Integer(string="In Sync")
    drifted_count = fields.Integer(string="Drifted")
    written_count = fields.Integer(string="Written")
    failed_count = fields.Integer(string="Failed")


class ShopifyReconciliation(models.Model):
    _inherit = "shopify.reconciliation"

    location_stat_ids = fields.One2many(
        "shopify.reconciliation.location", "run_id", string="Per Location"
    )
    in_sync_purged = fields.Boolean(
        string="In-Sync Lines Purged",
        readonly=True,
        copy=False,
        help="The lines of levels found in sync were deleted after the shop's "
        "retention; the counts per location and every other line are kept.",
    )

    def _store_run_counts(self):
        res = super()._store_run_counts()
        self._store_location_stats()
        return res

    def _store_location_stats(self):
        """Count the run's lines per Shopify location, in one statement."""
        self.ensure_one()
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                "DELETE FROM shopify_reconciliation_location WHERE run_id = %s",
                self.id,
            )
        )
        uid = self.env.uid
        cr.execute(
            SQL(
                """
                INSERT INTO shopify_reconciliation_location (
                    run_id, company_id, shopify_location_id, checked_count,
                    in_sync_count, drifted_count, written_count, failed_count,
                    create_uid, write_uid, create_date, write_date
                )
                SELECT %(run)s, %(company)s, shopify_location_id,
                       count(*) FILTER (WHERE action NOT IN ('unmapped', 'snapshot')),
                       count(*) FILTER (WHERE action = 'in_sync'),
                       count(*) FILTER (WHERE delta <> 0),
                       count(*) FILTER (WHERE outcome IN %(written)s),
                       count(*) FILTER (WHERE outcome IN %(failed)s),
                       %(uid)s, %(uid)s,
                       now() at time zone 'utc', now() at time zone 'utc'
                  FROM shopify_reconciliation_line
                 WHERE run_id = %(run)s
                 GROUP BY shopify_location_id
                """,
                run=self.id,
                company=self.company_id.id,
                written=WRITTEN,
                failed=FAILED,
                uid=uid,
            )
        )
        self.invalidate_recordset(["location_stat_ids"])


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
