# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Retention: a run's in-sync detail is kept for days, its story for good.

A daily run over 50 000 variants and 3 locations checks 150 000 levels, of
which 98 % are in sync: 55 million rows a year for one shop, if each had a
line.  Each run keeps its per-location counts (checked, in sync, drifted,
written, failed) and every line that says something (drifted, written,
failed, not stocked...).  The in-sync levels are counted without a line
unless the shop keeps them (``reconcile_keep_in_sync_lines``); then a daily
cron deletes the in-sync lines of runs older than the shop's retention.
"""

from odoo import api, fields, models
from odoo.tools import SQL


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

    @api.model
    def _synco_count(self, run, counts):
        """Store the counts of ``run`` per Shopify location, in one statement.

        :param counts: ``lib/reconciliation.location_counts`` of every row
            of the run, lines stored or not (the in-sync levels a run
            counts without a line are only here and on the run)
        """
        run.ensure_one()
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                "DELETE FROM shopify_reconciliation_location WHERE run_id = %s",
                run.id,
            )
        )
        if counts:
            location_ids = list(counts)
            columns = list(zip(*(counts[loc] for loc in location_ids), strict=True))
            cr.execute(
                SQL(
                    """
                    INSERT INTO shopify_reconciliation_location (
                        run_id, company_id, shopify_location_id, checked_count,
                        in_sync_count, drifted_count, written_count,
                        failed_count, create_uid, write_uid, create_date,
                        write_date
                    )
                    SELECT %(run)s, %(company)s, c.*, %(uid)s, %(uid)s,
                           now() at time zone 'utc', now() at time zone 'utc'
                      FROM unnest(%(locations)s::int[], %(checked)s::int[],
                                  %(in_sync)s::int[], %(drifted)s::int[],
                                  %(written)s::int[], %(failed)s::int[]) AS c
                    """,
                    run=run.id,
                    company=run.company_id.id or None,
                    uid=self.env.uid,
                    locations=location_ids,
                    checked=list(columns[0]),
                    in_sync=list(columns[1]),
                    drifted=list(columns[2]),
                    written=list(columns[3]),
                    failed=list(columns[4]),
                )
            )
        run.invalidate_recordset(["location_stat_ids"])
