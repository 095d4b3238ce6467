# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Full reconciliation: the backstop that keeps drift from piling up.

A run computes what every bound product should show at every mapped Shopify
location, reads what Shopify shows, and writes the differences (compare-and-
set, ≤ 250 per call).  Its lines are the drift report; a dry run is the same
computation with no write, which is also how a migration is reviewed.

The arithmetic (rows, the diff, the counts) is ``lib/reconciliation.py``.
A run keeps its counts per location for good, and a line for each level a
merchant reads (drifted, written, held, failed, not stocked...).  The levels
found in sync are counted, with no line, unless the shop keeps them (then
for its retention, ``shopify.reconciliation.location``).
"""

import logging
import time
from array import array

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib import reconciliation as engine
from ..lib.shopify import ShopifyError, ShopifyRetryableError
from .job_errors import retryable_job_error

_logger = logging.getLogger(__name__)

# grouped reads of this many products: not one by one, not every quant at once
PRODUCT_CHUNK = 10000
LINE_CHUNK = 5000


class ShopifyReconciliation(models.Model):
    _name = "shopify.reconciliation"
    _description = "Shopify Reconciliation Run"
    _inherit = ["mail.thread", "shopify.reconciliation.aftermath"]
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
    date_scheduled = fields.Datetime(  # issue 23: overdue counts from here
        string="Scheduled At", readonly=True, copy=False
    )
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
    in_sync_count = fields.Integer(string="In Sync", readonly=True)
    in_sync_lines = fields.Boolean(
        string="In-Sync Lines Stored",
        readonly=True,
        copy=False,
        help="Whether the levels found in sync got a line each (the shop's "
        "Keep In-Sync Lines); without, they are counted on the run and per "
        "location.",
    )
    drifted_count = fields.Integer(string="Drifted", readonly=True)
    pushed_count = fields.Integer(string="Pushed", readonly=True)
    failed_count = fields.Integer(string="Failed", readonly=True)
    drift_percent = fields.Float(
        string="Drift (%)", readonly=True, aggregator="avg", digits=(16, 2)
    )
    api_calls = fields.Integer(readonly=True)
    api_cost = fields.Float(readonly=True)
    message = fields.Text(readonly=True)
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
        run._delay_run()
        return run._open_form()

    def _open_form(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
        }

    def _delay_run(self):
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
            with engine.long_lived_frozen():
                self._execute()
        except ShopifyRetryableError as exc:
            # queue_job retries with the function's pattern; the run restarts
            raise retryable_job_error(exc, 60) from exc
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
        """Read every Shopify level, then reconcile the catalogue by chunks.

        The bulk read of Shopify's levels is started first: while Shopify
        prepares its file, Odoo computes its own figures, ``PRODUCT_CHUNK``
        products at a time, into one compact array per mapping.  Shopify's
        levels are then streamed into one compact array per location (a
        million levels take a few megabytes each, not a million dicts).
        The orders Odoo lacks are imported next, and the figures their
        reservations moved computed again.  The bindings are then taken
        ``PRODUCT_CHUNK`` at a time: differences, corrections, drift, alerts
        and lines of one chunk are done and dropped before the next, so
        memory does not grow with the catalogue.
        """
        started = time.monotonic()
        # a run restarted after an interruption starts over (bulk, like the
        # insert: a catalogue run has hundreds of thousands of lines)
        self.env.cr.execute(
            SQL("DELETE FROM shopify_reconciliation_line WHERE run_id = %s", self.id)
        )
        self.invalidate_recordset(["line_ids"])
        shop = self.shop_id
        keep_in_sync = shop.reconcile_keep_in_sync_lines
        self.write(
            {
                "state": "running",
                "date_start": fields.Datetime.now(),
                "message": False,
                "in_sync_lines": keep_in_sync,
            }
        )
        mappings = self.mapping_ids or shop.mapping_ids.filtered(
            lambda m: m.state == "active"
        )
        client = shop._get_client()
        calls_before = client.stats.calls
        cost_before = client.stats.actual_cost
        waited_before = dict(client.stats.waited)
        phases = engine.Phases()
        with phases("bindings"):
            bindings = self._binding_rows(shop)
        levels = engine.Levels(
            [item for _bid, _pid, item in bindings],
            shop.with_context(active_test=False).location_ids,
        )
        with phases("levels read"):
            # Shopify prepares its file while Odoo computes its own figures,
            # and the file is read on a thread as soon as it is ready
            loader = engine.LevelsLoader(levels, client.start_levels_read())
        expected = {}
        try:
            if self.mode != "snapshot":
                with phases("availability"):
                    expected = self._expected_figures(
                        mappings, bindings, tick=loader.tick
                    )
            with phases("levels read"):
                loader.finish()
        finally:
            loader.stop()
        if loader.thread is not None:
            phases.beside["levels read"] = loader.seconds
        ordered = self.env["product.product"]
        with phases("orders"):
            if self.mode == "reconcile":
                Binding = self.env["shopify.product.binding"]
                changed = Binding._synco_stock_changes()
                ordered = self._import_orders_first(shop, client)
                # the figures the imported orders' reservations moved
                moved = Binding._synco_products_moved(
                    {pid for pid, _loc in Binding._synco_stock_changes() - changed}
                    | set(ordered.ids)
                )
                if moved:
                    self._expected_figures(mappings, bindings, moved, expected)
            held = self._held_levels(shop)
        counts = {}  # per Shopify location, every row's (lines kept or not)
        for start in range(0, len(bindings), PRODUCT_CHUNK):
            chunk = bindings[start : start + PRODUCT_CHUNK]
            if self.mode == "snapshot":
                # Shopify's levels as they are, before anything changes
                rows, in_sync = engine.snapshot_rows(chunk, start, levels), None
            else:
                rows, in_sync = self._reconcile_chunk(
                    shop,
                    client,
                    mappings,
                    chunk,
                    start,
                    (levels, expected, held),
                    ordered,
                    phases,
                )
            with phases("lines copied"):
                engine.location_counts(rows, counts, in_sync)
                self.env["shopify.reconciliation.line"]._synco_copy(
                    self, engine.lines_kept(rows, keep_in_sync, in_sync)
                )
            self.env.invalidate_all()  # the chunk's records: let go
        totals = engine.counts_totals(counts)
        stats = {
            "checked_count": totals["checked"],
            "in_sync_count": totals["in_sync"],
            "drifted_count": totals["drifted"],
            "pushed_count": totals["pushed"],
            "failed_count": totals["failed"],
            "drift_percent": (
                100.0 * totals["drifted"] / totals["checked"]
                if totals["checked"]
                else 0.0
            ),
            "state": "done",
            "date_end": fields.Datetime.now(),
            "duration": time.monotonic() - started,
            "api_calls": client.stats.calls - calls_before,
            "api_cost": client.stats.actual_cost - cost_before,
        }
        stats["message"] = self.env._(
            "%(checked)s levels checked, %(in_sync)s in sync, %(drifted)s "
            "drifted (%(pct).2f %%), %(pushed)s written, %(failed)s failed; "
            "%(calls)s Shopify calls.",
            checked=stats["checked_count"],
            in_sync=stats["in_sync_count"],
            drifted=stats["drifted_count"],
            pct=stats["drift_percent"],
            pushed=stats["pushed_count"],
            failed=stats["failed_count"],
            calls=stats["api_calls"],
        )
        self.write(stats)
        with phases("run counts and alerts"):
            # what a run keeps of its lines beyond them (see retention)
            self.env["shopify.reconciliation.location"]._synco_count(self, counts)
            self._check_run_alerts()
        phases.waited = {
            kind: seconds - waited_before.get(kind, 0.0)
            for kind, seconds in client.stats.waited.items()
        }
        self._log_phases(phases)

    def _log_phases(self, phases):
        """Where the run's time went, in the log (benchmarks read it here)."""
        _logger.info("%s: %s", self.name, phases)

    def _binding_rows(self, shop):
        """[(binding id, product id, inventory item gid)] of the shop's active
        bindings, as plain values: a catalogue has hundreds of thousands.
        Shopify bundles are left out: Shopify computes their stock."""
        self.env["shopify.product.binding"].flush_model(
            ["shop_id", "product_id", "shopify_inventory_item_gid", "active"]
            + ["shopify_bundle"]
        )
        return self.env.execute_query(
            SQL(
                "SELECT id, product_id, shopify_inventory_item_gid "
                "FROM shopify_product_binding WHERE shop_id = %s AND active "
                "AND NOT COALESCE(shopify_bundle, FALSE) ORDER BY id",
                shop.id,
            )
        )

    def _held_levels(self, shop):
        """{(binding id, shopify.location id): units held for Shopify sales}."""
        return {
            (level.binding_id.id, level.shopify_location_id.id): level.held_qty
            for level in self.env["shopify.inventory.level"]
            .sudo()
            .search([("shop_id", "=", shop.id), ("held_qty", ">", 0)])
        }

    def _reconcile_chunk(
        self, shop, client, mappings, chunk, offset, figures, ordered, phases
    ):
        """Compare, correct and record one chunk of bindings: its rows, and
        its levels found in sync (``engine.InSync``: no row each).

        :param figures: (Shopify's levels, Odoo's expected figures, units
            held), see ``_diff``
        """
        with phases("diff"):
            in_sync = engine.InSync()
            rows, push, known = self._diff(
                shop, mappings, chunk, offset, *figures, in_sync=in_sync
            )
        # levels read before an order this run imported: the push reads
        # them again (from the older figure, the sale would count twice)
        ordered_ids = set(ordered.ids)
        known = {
            key: value
            for key, value in known.items()
            if key[0].product_id.id not in ordered_ids
        }
        if push and not self.dry_run and not shop.sync_frozen:
            with phases("writes"):
                result = shop._push_levels(
                    push,
                    reason="cycle_count_available",
                    known=known,
                    client=client,
                    observe=False,
                )
                self._apply_outcomes(rows, result)
        if not self.dry_run and not shop.sync_frozen:
            with phases("writes"):
                self.env["shopify.withheld.stock"]._synco_sync_bindings(
                    shop, client, mappings, [bid for bid, _pid, _item in chunk]
                )
        if not self.dry_run:
            with phases("levels in sync"):
                self._remember_levels_in_sync(rows, in_sync)
            with phases("drift"):
                self._observe_drift(rows, in_sync)
        with phases("level alerts"):
            self._check_level_alerts(rows, in_sync)
        return rows, in_sync

    def _import_orders_first(self, shop, client):
        """Import the orders Shopify has and Odoo doesn't, before comparing.

        Otherwise the units committed to them in Shopify would be offered
        again.  The poll comes after Shopify's levels were read: a sale
        placed after it is then seen by the writes' compare-and-set (and
        held), never read as if Shopify's level had been set so.  A dry run
        imports nothing (it writes nothing); a poll that fails leaves the
        sales held (see ``_push_levels``) and the run goes on.

        :return: the products of the orders imported
        """
        Product = self.env["product.product"]
        if self.dry_run or not shop._synco_holds_sales():
            return Product
        SaleOrder = self.env["sale.order"]
        last = SaleOrder.search([], order="id desc", limit=1).id or 0
        try:
            with self.env.cr.savepoint():
                shop._job_poll_orders(client=client, settle_in_push=False)
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

    def _expected_figures(
        self, mappings, bindings, products=None, columns=None, tick=None
    ):
        """Odoo's figure of every binding at every mapping.

        :param products: only these product ids (figures computed again
            into ``columns``, after orders were imported)
        :param tick: called after each chunk (``engine.LevelsLoader.tick``)
        :return: {mapping: array of figures by binding position}, computed
            ``PRODUCT_CHUNK`` products at a time (8 bytes a level)
        """
        if columns is None:
            size = len(bindings)
            columns = {mapping: array("q", bytes(8 * size)) for mapping in mappings}
        positions = [
            (position, product_id)
            for position, (_bid, product_id, _item) in enumerate(bindings)
            if products is None or product_id in products
        ]
        Product = self.env["product.product"]
        for start in range(0, len(positions), PRODUCT_CHUNK):
            chunk = positions[start : start + PRODUCT_CHUNK]
            expected = mappings._compute_shopify_available(
                Product.browse([product_id for _position, product_id in chunk])
            )
            for mapping, column in columns.items():
                figures = expected[mapping]
                for position, product_id in chunk:
                    column[position] = figures[product_id]
            self.env.invalidate_all()  # the chunk's products: let go
            if tick is not None:
                tick()
        return columns

    def _diff(
        self, shop, mappings, chunk, offset, levels, expected, held, in_sync=None
    ):
        """Rows of one chunk of bindings, and what to write.

        :param levels: Shopify's levels (``engine.Levels``)
        :param expected: Odoo's figures, ``_expected_figures``
        :param held: {(binding id, shopify.location id): units held}
        :return: (rows, push, known): ``push`` {binding: {location: Odoo's
            figure}} and ``known`` {(binding, location): Shopify's level} for
            the levels to correct, as ``shop._push_levels`` takes them
        """
        targets = [
            (
                mapping,
                mapping.shopify_location_id,
                levels.column(mapping.shopify_location_id),
                mapping.drift_threshold,
                expected[mapping],
            )
            for mapping in mappings
        ]
        unmapped = levels.stocked_elsewhere(m.shopify_location_id for m in mappings)
        rows, push_ids, known_ids = engine.diff(
            chunk,
            offset,
            targets,
            unmapped,
            held,
            shop.sync_frozen,
            self.dry_run,
            committed=levels.committed,
            in_sync=in_sync,
        )
        # one recordset, so that reading a field of one binding reads them
        # all in one query (a browse per binding read them one by one)
        bindings = self.env["shopify.product.binding"].browse(list(push_ids))
        by_id = {binding.id: binding for binding in bindings}
        push = {by_id[bid]: to_push for bid, to_push in push_ids.items()}
        known = {(by_id[bid], loc): level for (bid, loc), level in known_ids.items()}
        return rows, push, known
