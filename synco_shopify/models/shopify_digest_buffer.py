# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The weekly buffer utilisation check, in the digest and as weekly alerts."""

from odoo import api, fields, models

from .shopify_buffer_usage import FULL_WEEK
from .shopify_digest import TOP


class ShopifyDigest(models.Model):
    _inherit = "shopify.digest"

    buffer_days = fields.Integer(
        string="Buffer Snapshot Days",
        readonly=True,
        help="Days of the last seven with a buffer usage snapshot. A day "
        "without one counts neither as used nor as unused.",
    )
    buffer_rule_count = fields.Integer(string="Buffer Rules Checked", readonly=True)
    buffer_unused_count = fields.Integer(
        string="Buffers Never Used",
        readonly=True,
        help="Rules recorded on all seven days whose products never came within "
        "the buffer of zero: possibly too large.",
    )
    buffer_hidden_units = fields.Float(
        string="Units Hidden by Unused Buffers",
        readonly=True,
        digits=(16, 1),
        help="Units the never-used rules withheld from Shopify, per day on average.",
    )

    @api.model
    def _synco_build(self, shop, day=None):
        digest = super()._synco_build(shop, day)
        digest._synco_check_buffers(day or fields.Date.context_today(shop))
        return digest

    def _synco_check_buffers(self, day):
        """Buffer utilisation over the seven days up to ``day``.

        Stores the counts and the top list (never-used rules first, then the
        least used, the most units withheld first) on the digest, and opens,
        updates or resolves a weekly alert per never-used rule.
        """
        self.ensure_one()
        days, figures = self.env["shopify.buffer.usage"]._synco_week(self.shop_id, day)
        unused = [f for f in figures if f["never_used"]]
        top = sorted(
            (f for f in figures if f["withheld"] > 0),
            key=lambda f: (
                not f["never_used"],
                f["near_days"] / f["days"],
                -f["withheld"],
            ),
        )[:TOP]
        self.write(
            {
                "buffer_days": days,
                "buffer_rule_count": len(figures),
                "buffer_unused_count": len(unused),
                "buffer_hidden_units": sum(f["withheld"] for f in unused),
                "line_ids": [(0, 0, self._synco_buffer_line(f)) for f in top],
            }
        )
        self._synco_buffer_alerts(figures)

    def _synco_buffer_line(self, figures):
        rule = figures["rule"]
        return {
            "kind": "buffer",
            "buffer_rule_id": rule.id,
            "product_id": rule.product_id.id,
            "shopify_location_id": rule.mapping_id.shopify_location_id.id,
            "days_observed": figures["days"],
            "days_near_zero": figures["near_days"],
            "near_zero_percent": figures["near_percent"],
            "units_withheld": figures["withheld"],
            "never_used": figures["never_used"],
        }

    def _synco_buffer_alerts(self, figures):
        """A weekly alert per rule never used over a full week of snapshots.

        Resolved once the rule is seen near zero, or when it is gone
        (deleted, archived); left as it is while the week lacks snapshots.
        """
        shop = self.shop_id
        Alert = self.env["shopify.alert"]
        found, scope = {}, []
        for f in figures:
            rule = f["rule"]
            key = rule._synco_alert_key()
            if f["days"] >= FULL_WEEK or f["near_days"]:
                scope.append(key)
            if f["never_used"]:
                found[key] = {
                    "buffer_rule_id": rule.id,
                    "message": self.env._(
                        "%(rule)s: never within its buffer of zero over "
                        "%(days)s days; it withholds %(units).1f units a day on "
                        "average. Possibly too large.",
                        rule=rule.display_name,
                        days=f["days"],
                        units=f["withheld"],
                    ),
                }
        gone = Alert.sudo().search(
            [
                ("shop_id", "=", shop.id),
                ("kind", "=", "buffer_unused"),
                ("state", "!=", "resolved"),
                "|",
                ("buffer_rule_id", "=", False),
                ("buffer_rule_id.active", "=", False),
            ]
        )
        scope += [(a.product_id, a.shopify_location_id, a.subject) for a in gone]
        Alert._synco_report(
            shop, "buffer_unused", found, scope=scope, severity="weekly"
        )

    def _synco_slack_buffer_blocks(self):
        """The buffer check as Block Kit blocks (none without snapshots)."""
        self.ensure_one()
        if not self.buffer_days:
            return []
        lines = [
            f"• {line.buffer_rule_id.display_name}: near zero on "
            f"{line.days_near_zero}/{line.days_observed} days, "
            f"{line.units_withheld:,.1f} units withheld a day"
            + (" — *never used*" if line.never_used else "")
            for line in self.lines_of("buffer")
        ]
        summary = (
            f"*Buffer utilisation* ({self.buffer_days}/7 days recorded): "
            f"{self.buffer_unused_count} of {self.buffer_rule_count} rule(s) never "
            f"used, hiding {self.buffer_hidden_units:,.1f} units a day"
        )
        return [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "\n".join([summary, *lines])},
            }
        ]

    def _synco_slack_payload(self):
        payload = super()._synco_slack_payload()
        payload["blocks"] += self._synco_slack_buffer_blocks()
        return payload


class ShopifyDigestLine(models.Model):
    _inherit = "shopify.digest.line"

    buffer_rule_id = fields.Many2one("shopify.buffer.rule", ondelete="cascade")
    days_observed = fields.Integer(string="Days Recorded")
    days_near_zero = fields.Integer(
        help="Days on which at least one product of the rule came within the "
        "buffer of zero."
    )
    near_zero_percent = fields.Float(
        string="Near Zero (% of observations)",
        digits=(16, 1),
        help="Share of the rule's product × location × day observations near zero.",
    )
    units_withheld = fields.Float(string="Units Withheld (per day)", digits=(16, 1))
    never_used = fields.Boolean()


class ShopifyBufferRule(models.Model):
    _inherit = "shopify.buffer.rule"

    def _synco_alert_key(self):
        """(product, Shopify location, subject) of this rule's alerts: its scope,
        which stays the same when its percentage or units are edited."""
        self.ensure_one()
        return (
            self.product_id or None,
            self.mapping_id.shopify_location_id or None,
            self.product_categ_id.display_name or None,
        )
