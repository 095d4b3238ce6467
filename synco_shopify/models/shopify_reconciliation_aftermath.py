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
from ..lib.shopify import committed_of


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

    def _remember_levels_in_sync(self, rows, in_sync=None):
        """Remember Shopify's figure of the levels found as Odoo wants them:
        a write whose transaction died would otherwise look like a sale
        (``shopify.inventory.level._synco_remember_in_sync``).

        :param in_sync: the chunk's ``engine.InSync`` (the rows have none)
        """
        columns = in_sync.levels() if in_sync is not None else ([], [], [], [])
        for binding, location, value in engine.in_sync_levels(rows):
            for column, item in zip(
                columns,
                (binding, location, int(value), committed_of(value)),
                strict=True,
            ):
                column.append(item)
        self.env["shopify.inventory.level"]._synco_remember_in_sync(
            self.shop_id, *columns
        )

    def _observe_drift(self, rows, in_sync=None):
        """Open, update or resolve drift records from what this run saw.

        A level written (or found right) by the run now agrees; one left as it
        was (within the threshold, which the drift entry point also counts as
        agreeing; a frozen shop; a failed write) is compared as Shopify showed
        it.  A level Shopify doesn't stock has no figure to compare.  Dry runs
        and snapshots change nothing, drift records included.
        """
        self.env["shopify.drift"]._synco_observe(
            self.shop_id,
            engine.drift_observations(rows),
            "reconciliation",
            agreed=in_sync.keys() if in_sync is not None else None,
        )

    def _check_level_alerts(self, rows, in_sync=None):
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
        # the levels in sync open nothing (never negative, nothing offered
        # beyond Odoo's figure, no drift): they only resolve
        agreed = None
        if in_sync is not None and len(in_sync):
            agreed = list(zip(in_sync.product, in_sync.location, strict=True))
        self.env["shopify.alert"]._synco_check_levels(
            self.shop_id,
            read=read,
            left=left,
            velocity=live,
            agreed=agreed,
            agreed_left=live,
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
