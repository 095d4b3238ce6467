# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The shop's side of reconciliation: schedule, alerts and the migration path."""

import datetime
import logging

import psycopg2
import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import mute_logger

from odoo.addons.base.models.res_partner import _tz_get

_logger = logging.getLogger(__name__)
# a scheduled run not done this long after its hour raises an alert
OVERDUE_AFTER = datetime.timedelta(hours=3)


class ShopifyShop(models.Model):
    _name = "shopify.shop"
    _inherit = ["shopify.shop", "mail.thread", "mail.activity.mixin"]

    tz = fields.Selection(
        _tz_get,
        string="Timezone",
        default=lambda self: self.env.user.tz or "UTC",
        help="The shop's timezone: the reconciliation hour is read in it.",
    )
    reconcile_enabled = fields.Boolean(string="Daily Reconciliation", default=True)
    reconcile_hour = fields.Float(
        string="Reconciliation Time",
        default=2.0,
        help="Local time of the daily full reconciliation (02:00 by default).",
    )
    last_reconcile_date = fields.Date(
        compute="_compute_last_reconcile_date",
        help="Local date of the last scheduled run.",
    )
    drift_alert_percent = fields.Float(
        string="Drift Alert (%)",
        default=20.0,
        help="A run in which more levels than this had drifted raises an alert.",
    )
    alert_user_id = fields.Many2one(
        "res.users",
        string="Alert Responsible",
        help="Gets an activity on every alert (failed run, negative stock in "
        "Shopify, drift above the limit).",
    )
    reconciliation_ids = fields.One2many("shopify.reconciliation", "shop_id")
    reconciliation_count = fields.Integer(compute="_compute_reconciliation_count")
    migration_state = fields.Selection(
        [
            ("none", "Not migrating"),
            ("frozen", "1. Frozen, Shopify snapshotted"),
            ("dry_run", "2. Draft mappings dry-run"),
            ("activated", "3. Activated and reconciled"),
        ],
        default="none",
        required=True,
        copy=False,
        tracking=True,
    )

    @api.constrains("reconcile_hour")
    def _check_reconcile_hour(self):
        for shop in self:
            if not 0 <= shop.reconcile_hour < 24:
                raise UserError(self.env._("The reconciliation time must be 0-24 h."))

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
        run still not done three hours after its hour raises an alert, once.
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
            if (
                run
                and run.state in ("pending", "running")
                and local >= due + OVERDUE_AFTER
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
        cron tick just did (then nothing)."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                run = self._create_run(trigger="cron", schedule_date=day)
        except psycopg2.errors.UniqueViolation:
            return self.env["shopify.reconciliation"]
        run._delay_run()
        return run

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

    # -------------------------------------------------------------- migration
    def action_migration_freeze(self):
        """Step 1: stop every write and keep Shopify's levels as they are."""
        self.ensure_one()
        self.write({"sync_frozen": True, "migration_state": "frozen"})
        run = self._create_run(dry_run=True, trigger="migration", mode="snapshot")
        run._job_run()
        return run._open_form()

    def action_migration_dry_run(self):
        """Step 3: what the draft (and active) mappings would write."""
        self.ensure_one()
        self._check_migrating("frozen", "dry_run")
        mappings = self.mapping_ids.filtered(lambda m: m.state in ("draft", "active"))
        if not mappings.filtered(lambda m: m.state == "draft"):
            raise UserError(
                self.env._(
                    "Create the new mappings as drafts first (step 2): the dry "
                    "run shows what they would write."
                )
            )
        run = self._create_run(dry_run=True, mappings=mappings, trigger="migration")
        run._job_run()
        self.migration_state = "dry_run"
        return run._open_form()

    def action_migration_activate(self):
        """Step 5: activate the drafts, resume, and run the first reconciliation."""
        self.ensure_one()
        self._check_migrating("dry_run")
        drafts = self.mapping_ids.filtered(lambda m: m.state == "draft")
        replaced = self.mapping_ids.filtered(
            lambda m: (
                m.state == "active"
                and m.shopify_location_id in drafts.shopify_location_id
            )
        )
        replaced.action_pause()
        drafts.action_activate()
        self.write({"sync_frozen": False, "migration_state": "activated"})
        run = self._create_run(trigger="migration")
        run._delay_run()
        return run._open_form()

    def action_migration_done(self):
        self.migration_state = "none"

    def _check_migrating(self, *states):
        if self.migration_state not in states:
            raise UserError(
                self.env._(
                    "Follow the migration steps in order: this step is not "
                    "available now (%(state)s).",
                    state=dict(self._fields["migration_state"].selection).get(
                        self.migration_state
                    ),
                )
            )
