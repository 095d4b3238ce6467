# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Full reconciliation: the backstop that keeps drift from piling up.

A run computes what every bound product should show at every mapped Shopify
location, reads what Shopify shows, and writes the differences (compare-and-
set, ≤ 250 per call).  Its lines are the drift report; a dry run is the same
computation with no write, which is also how a migration is reviewed.
"""

import logging
import time

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.shopify import ShopifyError, ShopifyRetryableError

_logger = logging.getLogger(__name__)

ACTIONS = [
    ("in_sync", "In sync"),
    ("push", "Drift corrected"),
    ("within_threshold", "Within threshold"),
    ("not_stocked", "Not stocked in Shopify"),
    ("unmapped", "Skipped: location not mapped"),
    ("frozen", "Skipped: shop frozen"),
    ("snapshot", "Snapshot"),
]
OUTCOMES = [
    ("none", "No write"),
    ("dry_run", "Dry run: not written"),
    ("applied", "Written"),
    ("stale_resolved", "Written after a concurrent change"),
    ("activated", "Stocked and written"),
    ("unchanged", "Already right"),
    ("held", "Held: Shopify sale not in Odoo yet"),
    ("not_stocked", "Not stocked"),
    ("failed", "Failed"),
]
# reading expectations product by product would defeat the grouped read; a
# whole catalogue at once would hold every quant group in memory
PRODUCT_CHUNK = 10000
LINE_CHUNK = 5000


class ShopifyReconciliation(models.Model):
    _name = "shopify.reconciliation"
    _description = "Shopify Reconciliation Run"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(required=True, default="/", copy=False)
    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True)
    mode = fields.Selection(
        [("reconcile", "Reconcile"), ("snapshot", "Snapshot of Shopify")],
        required=True,
        default="reconcile",
    )
    dry_run = fields.Boolean(help="Compute and report only: nothing is written.")
    schedule_date = fields.Date(
        readonly=True,
        copy=False,
        index=True,
        help="The shop's local day this scheduled run is for: one per day.",
    )
    overdue_alerted = fields.Boolean(readonly=True, copy=False)
    trigger = fields.Selection(
        [("cron", "Scheduled"), ("manual", "Manual"), ("migration", "Migration")],
        default="manual",
        required=True,
    )
    mapping_ids = fields.Many2many(
        "shopify.location.mapping",
        string="Mappings",
        help="The mappings reconciled; by default the shop's active ones.",
    )
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        default="pending",
        required=True,
        tracking=True,
    )
    date_start = fields.Datetime(string="Started", readonly=True)
    date_end = fields.Datetime(string="Finished", readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True)
    line_ids = fields.One2many("shopify.reconciliation.line", "run_id")
    checked_count = fields.Integer(string="Checked", readonly=True)
    drifted_count = fields.Integer(string="Drifted", readonly=True)
    pushed_count = fields.Integer(string="Pushed", readonly=True)
    failed_count = fields.Integer(string="Failed", readonly=True)
    drift_percent = fields.Float(
        string="Drift (%)", readonly=True, aggregator="avg", digits=(16, 2)
    )
    api_calls = fields.Integer(readonly=True)
    api_cost = fields.Float(readonly=True)
    message = fields.Text(readonly=True)
    job_uuid = fields.Char(readonly=True, copy=False, index=True)
    queue_job_id = fields.Many2one(
        "queue.job", compute="_compute_queue_job_id", string="Job"
    )

    # one scheduled run per shop and local day, whichever cron tick gets it
    _schedule_uniq = models.UniqueIndex(
        "(shop_id, schedule_date) WHERE schedule_date IS NOT NULL",
        "This day's scheduled reconciliation already exists.",
    )

    def _compute_queue_job_id(self):
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search([("uuid", "in", [u for u in self.mapped("job_uuid") if u])])
        )
        by_uuid = {job.uuid: job for job in jobs}
        for run in self:
            run.queue_job_id = by_uuid.get(run.job_uuid, False)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"].next_by_code("shopify.reconciliation")
                    or "/"
                )
        return super().create(vals_list)

    def action_open_job(self):
        self.ensure_one()
        if not self.queue_job_id:
            raise UserError(self.env._("This run has no queue job (it ran inline)."))
        return {
            "type": "ir.actions.act_window",
            "res_model": "queue.job",
            "res_id": self.queue_job_id.id,
            "view_mode": "form",
        }

    def action_open_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "synco_shopify.shopify_reconciliation_line_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {"search_default_drifted": 1}
        return action

    def action_rerun(self):
        """Run again, as a new run with the same parameters."""
        self.ensure_one()
        run = self.copy({"state": "pending", "trigger": "manual"})
        run._enqueue()
        return run._open_form()

    def _open_form(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
        }

    def _enqueue(self):
        self.ensure_one()
        job = self.with_delay(
            channel=self.shop_id._job_channel(),
            identity_key=f"synco_shopify.reconcile:{self.id}",
            description=self.env._(
                "Shopify reconciliation %(name)s (%(shop)s)",
                name=self.name,
                shop=self.shop_id.name,
            ),
        )._job_run()
        self.job_uuid = job.uuid
        return job

    # --------------------------------------------------------------------- run
    def _job_run(self):
        """Job: run this reconciliation (again, if it was interrupted).

        A run interrupted half-way simply starts over: its lines are
        recomputed from scratch and the writes it made are found in sync.
        """
        self.ensure_one()
        if self.state == "done":
            return self.env._("Already done.")
        try:
            self._execute()
        except ShopifyRetryableError as exc:
            # queue_job retries with the function's pattern; the run restarts
            raise RetryableJobError(
                str(exc), seconds=int(exc.retry_after or 60)
            ) from exc
        except ShopifyError as exc:
            # permanent: keep the run as the record of the failure, and alert
            self.env.cr.rollback()
            self.write({"state": "failed", "message": str(exc)[:2000]})
            self.env["shopify.alert"]._synco_report(
                self.shop_id,
                "reconciliation_failed",
                {
                    (None, None, None): {
                        "reconciliation_id": self.id,
                        "message": self.env._(
                            "Reconciliation %(name)s failed: %(error)s",
                            name=self.name,
                            error=exc,
                        ),
                    }
                },
            )
            return str(exc)
        return self.message

    def _execute(self):
        started = time.monotonic()
        # a run restarted after an interruption starts over (bulk, like the
        # insert: a catalogue run has hundreds of thousands of lines)
        self.env.cr.execute(
            SQL("DELETE FROM shopify_reconciliation_line WHERE run_id = %s", self.id)
        )
        self.invalidate_recordset(["line_ids"])
        self.write(
            {"state": "running", "date_start": fields.Datetime.now(), "message": False}
        )
        shop = self.shop_id
        mappings = self.mapping_ids or shop.mapping_ids.filtered(
            lambda m: m.state == "active"
        )
        client = shop._get_client()
        calls_before = client.stats.calls
        cost_before = client.stats.actual_cost
        bindings = shop.binding_ids.filtered("active")
        current = client.read_all_levels()
        if self.mode == "snapshot":
            rows = self._snapshot_rows(bindings, current)
            push = {}
        else:
            ordered = self._import_orders_first(shop, client)
            rows, push, known = self._diff(shop, mappings, bindings, current)
            # levels read before an order this run imported: the push reads
            # them again (from the older figure, the sale would count twice)
            known = {
                key: value
                for key, value in known.items()
                if key[0].product_id not in ordered
            }
        if push and not self.dry_run and not shop.sync_frozen:
            result = shop._push_levels(
                push,
                reason="cycle_count_available",
                known=known,
                client=client,
                observe=False,
            )
            self._apply_outcomes(rows, result)
        if self.mode == "reconcile" and not self.dry_run:
            self._remember_levels_in_sync(rows)
            self._observe_drift(rows)
        self._store_lines(rows)
        stats = self._totals(rows)
        stats.update(
            state="done",
            date_end=fields.Datetime.now(),
            duration=time.monotonic() - started,
            api_calls=client.stats.calls - calls_before,
            api_cost=client.stats.actual_cost - cost_before,
        )
        stats["message"] = self.env._(
            "%(checked)s levels checked, %(drifted)s drifted (%(pct).2f %%), "
            "%(pushed)s written, %(failed)s failed; %(calls)s Shopify calls.",
            checked=stats["checked_count"],
            drifted=stats["drifted_count"],
            pct=stats["drift_percent"],
            pushed=stats["pushed_count"],
            failed=stats["failed_count"],
            calls=stats["api_calls"],
        )
        self.write(stats)
        self._check_alerts(rows)

    def _snapshot_rows(self, bindings, current):
        """Shopify's levels as they are, before anything changes (migration)."""
        by_item = {b.shopify_inventory_item_gid: b for b in bindings}
        locations = {
            loc.shopify_gid: loc
            for loc in self.shop_id.with_context(active_test=False).location_ids
        }
        rows = []
        for (item, location_gid), available in current.items():
            binding = by_item.get(item)
            location = locations.get(location_gid)
            if binding and location:
                rows.append(_Row(binding, location, None, None, available, "snapshot"))
        return rows

    def _import_orders_first(self, shop, client):
        """Import the orders Shopify has and Odoo doesn't, before computing.

        Otherwise the units committed to them in Shopify would be offered
        again.  A dry run imports nothing (it writes nothing); a poll that
        fails leaves the sales held (see ``_push_levels``) and the run goes
        on.

        :return: the products of the orders imported
        """
        Product = self.env["product.product"]
        if self.dry_run or not shop._synco_holds_sales():
            return Product
        SaleOrder = self.env["sale.order"]
        last = SaleOrder.search([], order="id desc", limit=1).id or 0
        try:
            with self.env.cr.savepoint():
                shop._poll_orders(client=client)
        except (RetryableJobError, ShopifyError) as exc:
            _logger.warning(
                "%s: orders not polled before reconciliation %s: %s",
                shop.shop_domain,
                self.name,
                exc,
            )
            return Product
        return SaleOrder.search(
            [("shopify_shop_id", "=", shop.id), ("id", ">", last)]
        ).order_line.product_id

    def _diff(self, shop, mappings, bindings, current):
        rows, push, known = [], {}, {}
        held = {
            (level.binding_id.id, level.shopify_location_id.id): level.held_qty
            for level in self.env["shopify.inventory.level"]
            .sudo()
            .search([("shop_id", "=", shop.id), ("held_qty", ">", 0)])
        }
        frozen = shop.sync_frozen
        mapped_locations = {m.shopify_location_id.shopify_gid for m in mappings}
        locations = {
            loc.shopify_gid: loc
            for loc in shop.with_context(active_test=False).location_ids
        }
        unmapped_by_item = {}
        for (item, location_gid), available in current.items():
            if location_gid not in mapped_locations and location_gid in locations:
                unmapped_by_item.setdefault(item, []).append((location_gid, available))
        for start in range(0, len(bindings), PRODUCT_CHUNK):
            chunk = bindings[start : start + PRODUCT_CHUNK]
            expected = mappings._compute_shopify_available(chunk.product_id)
            for binding in chunk:
                item = binding.shopify_inventory_item_gid
                pid = binding.product_id.id
                for mapping in mappings:
                    location = mapping.shopify_location_id
                    # units held for Shopify sales Odoo has no order for
                    want = max(
                        0,
                        expected[mapping][pid] - held.get((binding.id, location.id), 0),
                    )
                    before = current.get((item, location.shopify_gid))
                    if before is None:
                        action = "not_stocked"
                    elif before == want:
                        action = "in_sync"
                    elif abs(want - before) <= mapping.drift_threshold:
                        action = "within_threshold"
                    elif frozen:
                        action = "frozen"
                    else:
                        action = "push"
                    row = _Row(binding, location, mapping, want, before, action)
                    rows.append(row)
                    if action in ("push", "not_stocked"):
                        push.setdefault(binding, {})[location] = expected[mapping][pid]
                        known[binding, location] = before
                        row.outcome = "dry_run" if self.dry_run else "none"
                for location_gid, available in unmapped_by_item.get(item, ()):
                    rows.append(
                        _Row(
                            binding,
                            locations[location_gid],
                            None,
                            None,
                            available,
                            "unmapped",
                        )
                    )
        return rows, push, known

    def _apply_outcomes(self, rows, result):
        for row in rows:
            outcome = result.outcomes.get((row.binding, row.location))
            if outcome:
                row.outcome, row.message = outcome

    def _remember_levels_in_sync(self, rows):
        """Remember Shopify's figure of the levels found as Odoo wants them.

        A push or a run whose worker died after Shopify applied its write (a
        server killed mid-job) leaves its transaction rolled back: Odoo still
        remembers the older figure, and the next push would compare-and-set
        from it and take the difference for a Shopify sale (a false hold).
        The run has just read every level; those that agree with Odoo are
        remembered as read, without evidence of any sale.
        """
        seen = {
            (row.binding.id, row.location.id): row.before
            for row in rows
            if row.action == "in_sync"
        }
        if not seen:
            return
        levels = (
            self.env["shopify.inventory.level"]
            .sudo()
            .search_fetch(
                [("shop_id", "=", self.shop_id.id)],
                [
                    "binding_id",
                    "shopify_location_id",
                    "shopify_available",
                    "shopify_known",
                ],
            )
        )
        stale = {}
        for level in levels:
            value = seen.get((level.binding_id.id, level.shopify_location_id.id))
            if value is not None and (
                not level.shopify_known or level.shopify_available != value
            ):
                stale.setdefault(value, []).append(level.id)
        Level = self.env["shopify.inventory.level"].sudo()
        for value, ids in stale.items():
            Level.browse(ids).write({"shopify_available": value, "shopify_known": True})

    def _observe_drift(self, rows):
        """Open, update or resolve drift records from what this run saw.

        A level written (or found right) by the run now agrees; one left as it
        was (within the threshold, which the drift entry point also counts as
        agreeing; a frozen shop; a failed write) is compared as Shopify showed
        it.  A level Shopify doesn't stock has no figure to compare.  Dry runs
        and snapshots change nothing, drift records included.
        """
        written = ("applied", "stale_resolved", "activated", "unchanged")

        def observations():
            for row in rows:
                if not row.mapping:
                    continue  # unmapped location
                if row.outcome in written:
                    yield row.binding, row.location, row.expected, row.expected
                else:
                    yield row.binding, row.location, row.expected, row.before

        self.env["shopify.drift"]._synco_observe(
            self.shop_id, observations(), "reconciliation"
        )

    def _store_lines(self, rows):
        """Insert the lines in bulk: a catalogue run has hundreds of thousands."""
        self.env.flush_all()
        cr = self.env.cr
        uid = self.env.uid
        columns = (
            "run_id, binding_id, product_id, shopify_location_id, mapping_id, "
            "expected, shopify_before, delta, action, outcome, message, "
            "create_uid, write_uid, create_date, write_date"
        )
        for start in range(0, len(rows), LINE_CHUNK):
            values = [
                (
                    self.id,
                    row.binding.id,
                    row.binding.product_id.id,
                    row.location.id,
                    row.mapping.id if row.mapping else None,
                    row.expected,
                    row.before,
                    row.delta,
                    row.action,
                    row.outcome,
                    row.message,
                    uid,
                    uid,
                )
                for row in rows[start : start + LINE_CHUNK]
            ]
            cr.execute(
                SQL(
                    "INSERT INTO shopify_reconciliation_line (%s) VALUES %s",
                    SQL(columns),
                    SQL(", ").join(
                        SQL(
                            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                            "now() at time zone 'utc', now() at time zone 'utc')",
                            *value,
                        )
                        for value in values
                    ),
                )
            )
        self.env["shopify.reconciliation.line"].invalidate_model()
        self.invalidate_recordset(["line_ids"])

    def _totals(self, rows):
        checked = [r for r in rows if r.action not in ("unmapped", "snapshot")]
        drifted = [r for r in checked if r.delta]
        pushed = [
            r for r in rows if r.outcome in ("applied", "stale_resolved", "activated")
        ]
        failed = [r for r in rows if r.outcome in ("failed", "not_stocked")]
        return {
            "checked_count": len(checked),
            "drifted_count": len(drifted),
            "pushed_count": len(pushed),
            "failed_count": len(failed),
            "drift_percent": 100.0 * len(drifted) / len(checked) if checked else 0.0,
        }

    def _check_alerts(self, rows):
        """The guide's immediate alerts, as ``shopify.alert`` records.

        Per level: negative in Shopify and high-velocity drift (as Shopify
        showed them, even when this run corrected them: they are evidence of
        a failure), oversell risk (as the run leaves them).  Per run: the
        share of drifted levels (dry runs included, as before) and the levels
        not written.  Each is resolved by the next run that no longer finds
        it.  Dry runs and snapshots compute with mappings that may not be
        live: of the level checks, only a negative level, which is Shopify's
        own figure, counts there.
        """
        shop = self.shop_id
        Alert = self.env["shopify.alert"]
        live = self.mode == "reconcile" and not self.dry_run
        written = ("applied", "stale_resolved", "activated", "unchanged")
        read, left = {}, {}
        for row in rows:
            if row.before is None:
                continue
            if not live or not row.mapping:
                read[row.binding, row.location] = (None, row.before)
                continue
            read[row.binding, row.location] = (row.expected, row.before)
            after = row.expected if row.outcome in written else row.before
            left[row.binding, row.location] = (row.expected, after)
        Alert._synco_check_levels(shop, read=read, left=left, velocity=live)
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


class _Row:
    """One (product, Shopify location) of a run, before it becomes a line."""

    __slots__ = (
        "action",
        "before",
        "binding",
        "expected",
        "location",
        "mapping",
        "message",
        "outcome",
    )

    def __init__(self, binding, location, mapping, expected, before, action):
        self.binding = binding
        self.location = location
        self.mapping = mapping
        self.expected = expected
        self.before = before
        self.action = action
        self.outcome = "none"
        self.message = None

    @property
    def delta(self):
        if self.expected is None or self.before is None:
            return None
        return self.expected - self.before


class ShopifyReconciliationLine(models.Model):
    _name = "shopify.reconciliation.line"
    _description = "Shopify Reconciliation Line"
    _order = "run_id desc, id"

    run_id = fields.Many2one(
        "shopify.reconciliation", required=True, ondelete="cascade", index=True
    )
    shop_id = fields.Many2one(related="run_id.shop_id")
    binding_id = fields.Many2one("shopify.product.binding", ondelete="cascade")
    product_id = fields.Many2one("product.product", index=True)
    sku = fields.Char(related="binding_id.sku", string="SKU")
    shopify_location_id = fields.Many2one("shopify.location", index=True)
    mapping_id = fields.Many2one("shopify.location.mapping", ondelete="set null")
    expected = fields.Integer(help="Odoo's figure for Shopify.")
    shopify_before = fields.Integer()
    delta = fields.Integer(help="Expected minus what Shopify showed.")
    action = fields.Selection(ACTIONS, index=True)
    outcome = fields.Selection(OUTCOMES)
    message = fields.Char()
