# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Reconciliation scheduling: the daily runs, their alerts and retention.

Mixed into ``shopify.shop`` (``shopify_shop.py`` holds its fields): the
methods run on shop records, ``self`` is a shop.

The runs themselves are ``shopify.reconciliation`` records.  With each day's
scheduled run comes the day's buffer usage snapshot
(``shopify.buffer.usage``); daily crons purge the in-sync lines of old runs
and old snapshots, each shop after its own retention.
"""

import datetime
import logging
from datetime import timedelta

import psycopg2
import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, mute_logger

_logger = logging.getLogger(__name__)
# a scheduled run not done this long after its hour raises an alert
OVERDUE_AFTER = datetime.timedelta(hours=3)


class ShopifyReconciliationSchedule(models.AbstractModel):
    _name = "shopify.reconciliation.schedule"
    _description = "Shopify Reconciliation Schedule (shop mixin)"

    def _compute_last_reconcile_date(self):
        # read from the runs, never written on the shop: a job writing the
        # shop row (the order poll's watermark) can't collide with the cron
        dates = dict(
            self.env["shopify.reconciliation"]._read_group(
                [("shop_id", "in", self.ids), ("schedule_date", "!=", False)],
                ["shop_id"],
                ["schedule_date:max"],
            )
        )
        for shop in self:
            shop.last_reconcile_date = dates.get(shop, False)

    def _compute_reconciliation_count(self):
        counts = dict(
            self.env["shopify.reconciliation"]._read_group(
                [("shop_id", "in", self.ids)], ["shop_id"], ["__count"]
            )
        )
        for shop in self:
            shop.reconciliation_count = counts.get(shop, 0)

    # ---------------------------------------------------------------- actions
    def action_reconcile(self):
        return self._start_reconciliation(dry_run=False)

    def action_dry_run(self):
        return self._start_reconciliation(dry_run=True)

    def action_view_reconciliations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "synco_shopify.shopify_reconciliation_action"
        )
        action["domain"] = [("shop_id", "=", self.id)]
        action["context"] = {"default_shop_id": self.id}
        return action

    def _start_reconciliation(self, dry_run, mappings=None, trigger="manual"):
        self.ensure_one()
        if not dry_run and self.sync_frozen:
            raise UserError(
                self.env._(
                    "%(shop)s is frozen: nothing can be written to Shopify. Run "
                    "a dry run, or resume the shop first.",
                    shop=self.name,
                )
            )
        run = self._create_run(dry_run=dry_run, mappings=mappings, trigger=trigger)
        run._delay_run()
        return run._open_form()

    def _create_run(self, dry_run=False, mappings=None, trigger="manual", **vals):
        return self.env["shopify.reconciliation"].create(
            {
                "shop_id": self.id,
                "dry_run": dry_run,
                "trigger": trigger,
                "mapping_ids": [(6, 0, mappings.ids)] if mappings else [],
                **vals,
            }
        )

    # ------------------------------------------------------------------- cron
    @api.model
    def _cron_schedule_reconciliations(self):
        """Hourly: enqueue today's run of each shop whose local hour has come.

        Only enqueues (one run per shop and local day, kept unique by the
        runs themselves, so nothing is written on the shop's row that a job
        could be writing too).  A day whose hour passed while the cron did
        not run (a server down at 02:00) is caught up on the next tick; a
        run still not done three hours after it was due *while the server
        was up* (its hour, or the catch-up's tick if later) raises an alert,
        once: a server started at 14:00 catches up without a false alarm.
        Frozen shops are skipped.
        """
        now = fields.Datetime.now()
        shops = self.search(
            [
                ("reconcile_enabled", "=", True),
                ("sync_frozen", "=", False),
                ("policy_inventory", "=", "odoo_to_shopify"),
            ]
        )
        Run = self.env["shopify.reconciliation"]
        for shop in shops:
            local = pytz.utc.localize(now).astimezone(pytz.timezone(shop.tz or "UTC"))
            due = local.replace(
                hour=int(shop.reconcile_hour),
                minute=int(shop.reconcile_hour % 1 * 60),
                second=0,
                microsecond=0,
            )
            if local < due:
                continue
            run = Run.search(
                [("shop_id", "=", shop.id), ("schedule_date", "=", local.date())],
                limit=1,
            )
            if not run:
                run = shop._schedule_run(local.date())
            due_utc = due.astimezone(pytz.utc).replace(tzinfo=None)
            if (
                run
                and run.state in ("pending", "running")
                and now >= max(due_utc, run.date_scheduled or due_utc) + OVERDUE_AFTER
                and not run.overdue_alerted
            ):
                run.overdue_alerted = True
                shop._alert(
                    self.env._(
                        "Reconciliation %(name)s of %(day)s is overdue: due at "
                        "%(due)s, still %(state)s. Check the job queue.",
                        name=run.name,
                        day=local.date(),
                        due=due.strftime("%H:%M"),
                        state=run.state,
                    )
                )

    def _schedule_run(self, day):
        """Create and enqueue the scheduled run of ``day``, unless another
        cron tick just did (then nothing).

        With it, the day's buffer usage snapshot, as a job of its own: it
        needs no Shopify call, so a run that fails on Shopify's side does not
        cost the day its snapshot.
        """
        self.ensure_one()
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                run = self._create_run(
                    trigger="cron",
                    schedule_date=day,
                    date_scheduled=fields.Datetime.now(),
                )
        except psycopg2.errors.UniqueViolation:
            return self.env["shopify.reconciliation"]
        run._delay_run()
        self._delay_record_buffer_usage(day)
        return run

    def _delay_record_buffer_usage(self, day):
        self.ensure_one()
        return self.with_delay(
            channel=self._job_channel(),
            identity_key=f"synco_shopify.buffer_usage:{self.id}:{day}",
            description=self.env._(
                "Shopify buffer usage (%(shop)s, %(day)s)", shop=self.name, day=day
            ),
        )._job_record_buffer_usage(fields.Date.to_string(day))

    def _job_record_buffer_usage(self, day):
        """Job: record the buffer usage of this shop for ``day`` (ISO date)."""
        self.ensure_one()
        records = self.env["shopify.buffer.usage"]._synco_record(
            self, fields.Date.to_date(day)
        )
        return f"{len(records)} buffer usage record(s) for {day}"

    # ----------------------------------------------------------------- alerts
    def _alert(self, message):
        """Tell the operations team: chatter, activity, log."""
        self.ensure_one()
        _logger.warning("Shopify shop %s: %s", self.shop_domain, message)
        self.message_post(body=message)
        if self.alert_user_id:
            self.activity_schedule(
                "mail.mail_activity_data_warning",
                summary=self.env._("Shopify sync alert"),
                note=message,
                user_id=self.alert_user_id.id,
            )

    # -------------------------------------------------------------- retention
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

    @api.model
    def _cron_purge_buffer_usage(self):
        """Daily: delete the buffer usage snapshots past each shop's retention
        (one DELETE per shop)."""
        purged = 0
        today = fields.Date.today()
        for shop in self.with_context(active_test=False).search(
            [("buffer_usage_keep_weeks", ">", 0)]
        ):
            self.env.cr.execute(
                SQL(
                    "DELETE FROM shopify_buffer_usage WHERE shop_id = %s AND date < %s",
                    shop.id,
                    today - timedelta(weeks=shop.buffer_usage_keep_weeks),
                )
            )
            purged += self.env.cr.rowcount
        self.env["shopify.buffer.usage"].invalidate_model()
        return purged
