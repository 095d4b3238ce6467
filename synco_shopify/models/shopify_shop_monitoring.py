# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The shop's side of monitoring: thresholds, alert counts, job failures."""

import datetime
from datetime import timedelta

import pytz

from odoo import api, fields, models

JOB_CHANNEL_PREFIX = "root.synco_shopify.shop_"


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"

    velocity_days = fields.Integer(
        string="Velocity Window (days)",
        default=28,
        help="Sales velocity is the units delivered to customers from a "
        "mapping's counted locations over this many days, per day.",
    )
    high_velocity_threshold = fields.Float(
        string="High Velocity (units/day)",
        default=50.0,
        help="A product selling at least this many units a day at a mapping "
        "is watched for drift (the guide's example: 50 a day).",
    )
    velocity_drift_percent = fields.Float(
        string="High-Velocity Drift Alert (%)",
        default=20.0,
        help="|Shopify − Odoo| / max(Odoo, 1) above this, on a high-velocity "
        "product, alerts at once (the guide: 20 %).",
    )
    webhook_silence_hours = fields.Integer(
        string="Webhook Silence Alert (hours)",
        default=24,
        help="No webhook received for this long while the order poll keeps "
        "importing orders alerts at once: webhooks are lost or unregistered.",
    )
    last_webhook_date = fields.Datetime(
        string="Last Webhook", compute="_compute_last_webhook_date"
    )
    value_gap_alert_percent = fields.Float(
        string="Value Gap Alert (%)",
        default=2.0,
        help="The weekly check flags an inventory value gap between Odoo and "
        "Shopify above this (the guide: a gap growing beyond 1-2 % is "
        "systematic drift).",
    )
    digest_enabled = fields.Boolean(string="Weekly Digest", default=True)
    digest_weekday = fields.Selection(
        [
            ("0", "Monday"),
            ("1", "Tuesday"),
            ("2", "Wednesday"),
            ("3", "Thursday"),
            ("4", "Friday"),
            ("5", "Saturday"),
            ("6", "Sunday"),
        ],
        string="Digest Day",
        default="0",
        required=True,
        help="Local day of the weekly checks and digest (Monday by default).",
    )
    digest_hour = fields.Float(
        string="Digest Time",
        default=8.0,
        help="Local time of the weekly checks and digest (08:00 by default).",
    )
    last_digest_date = fields.Date(
        readonly=True, copy=False, help="Local date of the last scheduled digest."
    )
    digest_partner_ids = fields.Many2many(
        "res.partner",
        "shopify_shop_digest_partner_rel",
        string="Digest Recipients",
        help="Receive the weekly digest by e-mail.",
    )
    slack_webhook_url = fields.Char(
        string="Slack Webhook URL",
        groups="synco_shopify.group_shopify_manager",
        copy=False,
        help="A Slack incoming-webhook URL (https://hooks.slack.com/services/"
        "...): the weekly digest is posted there too.",
    )
    digest_ids = fields.One2many("shopify.digest", "shop_id")
    alert_ids = fields.One2many("shopify.alert", "shop_id")
    alert_immediate_count = fields.Integer(
        string="Open Immediate Alerts", compute="_compute_alert_counts"
    )
    alert_weekly_count = fields.Integer(
        string="Open Weekly Findings", compute="_compute_alert_counts"
    )

    last_reconciliation_id = fields.Many2one(
        "shopify.reconciliation", compute="_compute_overview"
    )
    last_reconciliation_date = fields.Datetime(compute="_compute_overview")
    last_reconciliation_drift = fields.Float(
        string="Last Drift (%)", compute="_compute_overview", digits=(16, 1)
    )
    last_reconciliation_state = fields.Char(compute="_compute_overview")
    failed_job_count = fields.Integer(string="Failed Jobs", compute="_compute_overview")
    push_last_hour_count = fields.Integer(
        string="Pushes (last hour)", compute="_compute_overview"
    )

    def _compute_alert_counts(self):
        counts = {
            (shop.id, severity): count
            for shop, severity, count in self.env["shopify.alert"]._read_group(
                [("shop_id", "in", self.ids), ("state", "!=", "resolved")],
                ["shop_id", "severity"],
                ["__count"],
            )
        }
        for shop in self:
            shop.alert_immediate_count = counts.get((shop.id, "immediate"), 0)
            shop.alert_weekly_count = counts.get((shop.id, "weekly"), 0)

    def _compute_overview(self):
        """The overview's figures, for every shop in a few grouped reads."""
        Run = self.env["shopify.reconciliation"]
        last_ids = dict(
            Run._read_group(
                [
                    ("shop_id", "in", self.ids),
                    ("mode", "=", "reconcile"),
                    ("state", "in", ("done", "failed")),
                ],
                ["shop_id"],
                ["id:max"],
            )
        )
        runs = {shop.id: Run.browse(run_id) for shop, run_id in last_ids.items()}
        Job = self.env["queue.job"].sudo()
        channels = {shop._job_channel(): shop.id for shop in self}
        failed = {
            channels.get(channel): count
            for channel, count in Job._read_group(
                [("channel", "in", list(channels)), ("state", "=", "failed")],
                ["channel"],
                ["__count"],
            )
        }
        since = fields.Datetime.now() - timedelta(hours=1)
        pushes = {
            channels.get(channel): count
            for channel, count in Job._read_group(
                [
                    ("channel", "in", list(channels)),
                    ("state", "=", "done"),
                    ("method_name", "=", "_push_inventory"),
                    ("date_done", ">=", since),
                ],
                ["channel"],
                ["__count"],
            )
        }
        for shop in self:
            run = runs.get(shop.id, self.env["shopify.reconciliation"])
            shop.last_reconciliation_id = run
            shop.last_reconciliation_date = run.date_end or run.date_start
            shop.last_reconciliation_drift = run.drift_percent
            shop.last_reconciliation_state = run.state or False
            shop.failed_job_count = failed.get(shop.id, 0)
            shop.push_last_hour_count = pushes.get(shop.id, 0)

    def _compute_last_webhook_date(self):
        last = dict(
            self.env["shopify.webhook.event"]
            .sudo()
            ._read_group(
                [("shop_id", "in", self.ids)], ["shop_id"], ["create_date:max"]
            )
        )
        for shop in self:
            shop.last_webhook_date = last.get(shop, False)

    def action_view_failed_jobs(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Failed Jobs"),
            "res_model": "queue.job",
            "view_mode": "list,form",
            "domain": [("channel", "=", self._job_channel()), ("state", "=", "failed")],
        }

    def action_view_alerts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "synco_shopify.shopify_alert_action"
        )
        action["domain"] = [("shop_id", "=", self.id)]
        action["context"] = {"search_default_unresolved": 1}
        return action

    @api.model
    def _synco_shop_of_channel(self, channel):
        """The shop whose job channel this is, or an empty recordset."""
        if not channel or not channel.startswith(JOB_CHANNEL_PREFIX):
            return self.browse()
        suffix = channel[len(JOB_CHANNEL_PREFIX) :]
        if not suffix.isdigit():
            return self.browse()
        return self.sudo().browse(int(suffix)).exists()

    def _synco_check_webhook_silence(self, imported, now):
        """After a poll: orders arrive, webhooks don't.

        Opens the alert when the poll imported orders (so Shopify has sales
        its webhooks did not bring) and no webhook came for the shop's limit;
        resolves it once webhooks arrive again.
        """
        self.ensure_one()
        self.invalidate_recordset(["last_webhook_date"])
        last = self.sudo().last_webhook_date
        since = now - timedelta(hours=self.webhook_silence_hours)
        Alert = self.env["shopify.alert"]
        if last and last >= since:
            Alert._synco_report(self, "webhook_silence", {}, scope="all")
        elif imported:
            Alert._synco_report(
                self,
                "webhook_silence",
                {
                    (None, None, None): {
                        "message": self.env._(
                            "The order poll imported %(count)s order(s) but no "
                            "webhook arrived since %(last)s: check the webhook "
                            "subscriptions (Check Webhooks).",
                            count=imported,
                            last=last or self.env._("ever"),
                        )
                    }
                },
            )

    # ------------------------------------------------------------------ digest
    def action_send_digest_now(self):
        """Compute this week's checks and send the digest at once."""
        self.ensure_one()
        digest = self._synco_run_digest()
        return {
            "type": "ir.actions.act_window",
            "res_model": "shopify.digest",
            "res_id": digest.id,
            "view_mode": "form",
        }

    def action_view_digests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "synco_shopify.shopify_digest_action"
        )
        action["domain"] = [("shop_id", "=", self.id)]
        return action

    def _job_weekly_digest(self):
        """Job: the weekly checks of this shop, its digest, and its sending."""
        self.ensure_one()
        digest = self._synco_run_digest()
        return digest.name

    def _synco_run_digest(self):
        digest = self.env["shopify.digest"]._synco_build(self)
        digest._synco_send()
        return digest

    @api.model
    def _cron_schedule_digests(self):
        """Hourly: enqueue this week's digest of each shop whose local day and
        hour have come (one job per shop and week), like the reconciliations.
        """
        now = fields.Datetime.now()
        for shop in self.search([("digest_enabled", "=", True)]):
            local = pytz.utc.localize(now).astimezone(pytz.timezone(shop.tz or "UTC"))
            hour = datetime.time(int(shop.digest_hour), int(shop.digest_hour % 1 * 60))
            if local.weekday() != int(shop.digest_weekday) or local.time() < hour:
                continue
            if shop.last_digest_date == local.date():
                continue
            shop.last_digest_date = local.date()
            shop.with_delay(
                channel=shop._job_channel(),
                identity_key=f"synco_shopify.digest:{shop.id}:{local.date()}",
                description=self.env._(
                    "Shopify weekly digest (%(shop)s)", shop=shop.name
                ),
            )._job_weekly_digest()
