# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The shop's side of monitoring: overview figures, alerts, job failures.

Mixed into ``shopify.shop`` (``shopify_shop.py`` holds its fields): the
methods run on shop records, ``self`` is a shop.

The thresholds are the shop's fields; the alerts are ``shopify.alert``
records.  After each order poll, :meth:`_synco_check_webhook_silence`
tells whether webhooks stopped arriving.  The stock no mapping counts is
worked out in ``shopify_uncounted_stock.py``, as for a mapping.
"""

from datetime import timedelta

from odoo import api, fields, models

from .shopify_uncounted_stock import _set_uncounted, _uncounted_quants_action

JOB_CHANNEL_PREFIX = "root.synco_shopify.shop_"


class ShopifyMonitoring(models.AbstractModel):
    _name = "shopify.monitoring"
    _description = "Shopify Shop Monitoring (shop mixin)"

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
                    ("method_name", "=", "_job_push_inventory"),
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

    def _compute_uncounted(self):
        for shop in self:
            location_ids, receipts = set(), self.env["stock.location"]
            for mapping in shop.mapping_ids.filtered(lambda m: m.state == "active"):
                ids, dests = mapping._synco_uncounted_locations()
                location_ids |= ids
                receipts |= dests
            _set_uncounted(
                shop, location_ids, receipts, self.env._("no active mapping")
            )

    def action_view_uncounted_quants(self):
        return _uncounted_quants_action(self)

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
