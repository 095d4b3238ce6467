# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The shop's side of monitoring: thresholds, alert counts, job failures."""

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
    alert_ids = fields.One2many("shopify.alert", "shop_id")
    alert_immediate_count = fields.Integer(
        string="Open Immediate Alerts", compute="_compute_alert_counts"
    )
    alert_weekly_count = fields.Integer(
        string="Open Weekly Findings", compute="_compute_alert_counts"
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
