# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What a reconciliation run does with what it found, chunk by chunk.

Mixed into ``shopify.reconciliation`` (``shopify_reconciliation.py`` holds
its fields and the run itself): the methods run on a run record.  The
writes' outcomes on the rows, the levels found in sync remembered, drift
records, the level alerts and the run's own alerts.
"""

from odoo import models

from ..lib import reconciliation as engine


class ShopifyReconciliationAftermath(models.AbstractModel):
    _name = "shopify.reconciliation.aftermath"
    _description = "Shopify Reconciliation: What a Run Found (run mixin)"

    def _apply_outcomes(self, rows, result):
        Binding = self.env["shopify.product.binding"]
        for row in rows:
            if row.action not in ("push", "not_stocked"):
                continue
            outcome = result.outcomes.get((Binding.browse(row.binding), row.location))
            if outcome:
                row.outcome, row.message = outcome

    def _remember_levels_in_sync(self, rows):
        """Remember Shopify's figure of the levels found as Odoo wants them:
        a write whose transaction died would otherwise look like a sale
        (``shopify.inventory.level._synco_remember_in_sync``)."""
        self.env["shopify.inventory.level"]._synco_remember_in_sync(
            self.shop_id, engine.in_sync_levels(rows)
        )

    def _observe_drift(self, rows):
        """Open, update or resolve drift records from what this run saw.

        A level written (or found right) by the run now agrees; one left as it
        was (within the threshold, which the drift entry point also counts as
        agreeing; a frozen shop; a failed write) is compared as Shopify showed
        it.  A level Shopify doesn't stock has no figure to compare.  Dry runs
        and snapshots change nothing, drift records included.
        """
        self.env["shopify.drift"]._synco_observe(
            self.shop_id, engine.drift_observations(rows), "reconciliation"
        )

    def _check_level_alerts(self, rows):
        """The guide's immediate alerts on levels, for these rows (a chunk).

        Negative in Shopify and high-velocity drift (as Shopify showed them,
        even when this run corrected them: they are evidence of a failure),
        oversell risk (as the run leaves them).  Each is resolved by the next
        run that no longer finds it.  Dry runs and snapshots compute with
        mappings that may not be live: of the level checks, only a negative
        level, which is Shopify's own figure, counts there.
        """
        live = self.mode == "reconcile" and not self.dry_run
        read, left = engine.level_figures(rows, live)
        self.env["shopify.alert"]._synco_check_levels(
            self.shop_id, read=read, left=left, velocity=live
        )

    def _check_run_alerts(self):
        """The run's own alerts: the share of drifted levels (dry runs
        included) and the levels not written; a done run resolves a failed
        one's alert."""
        shop = self.shop_id
        Alert = self.env["shopify.alert"]
        live = self.mode == "reconcile" and not self.dry_run
        Alert._synco_report(shop, "reconciliation_failed", {}, scope="all")
        if self.mode != "reconcile":
            return
        run = {"reconciliation_id": self.id}
        drift = {}
        if self.drift_percent > shop.drift_alert_percent:
            drift[None, None, None] = dict(
                run,
                drift_percent=self.drift_percent,
                message=self.env._(
                    "Reconciliation %(name)s: %(pct).1f %% of the levels had "
                    "drifted (alert above %(limit).1f %%).",
                    name=self.name,
                    pct=self.drift_percent,
                    limit=shop.drift_alert_percent,
                ),
            )
        Alert._synco_report(shop, "drift_share", drift, scope="all")
        if not live:
            return
        failed = {}
        if self.failed_count:
            failed[None, None, None] = dict(
                run,
                message=self.env._(
                    "Reconciliation %(name)s: %(count)s level(s) could not be written.",
                    name=self.name,
                    count=self.failed_count,
                ),
            )
        Alert._synco_report(shop, "write_failed", failed, scope="all")
