# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The weekly checks and their digest, by e-mail and Slack.

The checks: the inventory value each side shows, the sales Shopify
suppresses and the oversells it risks, and the buffer rules' utilisation.
"""

import logging
import time
from datetime import timedelta

import requests

from odoo import api, fields, models
from odoo.tools import SQL

from .shopify_buffer_usage import FULL_WEEK

_logger = logging.getLogger(__name__)

TOP = 10
SLACK_ATTEMPTS = 3
SLACK_TIMEOUT = 10


class ShopifyDigest(models.Model):
    """One shop's week: the guide's weekly checks, as figures and top lists.

    Computed from the pushed levels (``shopify.inventory.level``: Odoo's
    figure as last pushed, and Shopify's as last written or read, which the
    daily reconciliation refreshes), a few grouped SQL queries whatever the
    catalogue size.  Sent as an HTML e-mail (a QWeb mail template, through
    Odoo's mail queue) and, when the shop has one, to a Slack incoming
    webhook.  A Slack failure is retried, then recorded on the digest: it
    never loses the digest.
    """

    _name = "shopify.digest"
    _description = "Shopify Weekly Digest"
    _inherit = ["mail.thread"]
    _order = "week_start desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    week_start = fields.Date(required=True, readonly=True, help="Monday of the week.")
    date_computed = fields.Datetime(readonly=True)
    levels_checked = fields.Integer(readonly=True)
    value_odoo = fields.Monetary(string="Value in Odoo", readonly=True)
    value_shopify = fields.Monetary(string="Value in Shopify", readonly=True)
    value_gap = fields.Monetary(
        readonly=True, help="Shopify's value minus Odoo's (units × cost)."
    )
    value_gap_percent = fields.Float(
        string="Value Gap (%)", readonly=True, digits=(16, 2)
    )
    value_gap_trend = fields.Float(
        string="Gap Trend (points)",
        readonly=True,
        digits=(16, 2),
        help="This week's gap % minus last week's: a growing gap is systematic drift.",
    )
    suppressed_count = fields.Integer(
        string="Suppressed Sales",
        readonly=True,
        help="Levels at 0 in Shopify while Odoo's figure is positive.",
    )
    oversell_count = fields.Integer(
        string="Oversell Risks",
        readonly=True,
        help="Levels offered in Shopify while Odoo's figure is 0.",
    )
    alerts_opened = fields.Integer(readonly=True, help="Immediate alerts of the week.")
    alerts_open = fields.Integer(string="Alerts Still Open", readonly=True)
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
    line_ids = fields.One2many("shopify.digest.line", "digest_id", readonly=True)
    mail_id = fields.Many2one("mail.mail", string="E-mail", readonly=True)
    slack_state = fields.Selection(
        [("none", "Not posted"), ("sent", "Posted"), ("failed", "Failed")],
        default="none",
        readonly=True,
    )
    slack_attempts = fields.Integer(readonly=True)
    slack_error = fields.Text(readonly=True)

    _shop_week_uniq = models.Constraint(
        "UNIQUE (shop_id, week_start)", "One digest per shop and week."
    )

    @api.depends("shop_id.name", "week_start")
    def _compute_name(self):
        for digest in self:
            digest.name = self.env._(
                "%(shop)s: week of %(week)s",
                shop=digest.shop_id.name or "",
                week=digest.week_start or "",
            )

    # ---------------------------------------------------------------- helpers
    def format_number(self, value, suffix="", signed=False):
        """For the templates: 1,234.50 (signed: +1,234.50), then ``suffix``."""
        return f"{value or 0.0:{'+' if signed else ''},.2f}{suffix}"

    def lines_of(self, kind):
        """For the templates: the top lines of one kind."""
        return self.line_ids.filtered(lambda line: line.kind == kind)

    # -------------------------------------------------------------- computing
    @api.model
    def _synco_week_start(self, day):
        return day - timedelta(days=day.weekday())

    @api.model
    def _synco_build(self, shop, day=None):
        """Compute (or recompute) the digest of ``shop`` for the week of ``day``.

        A bounded number of queries: one grouped read per location, one per
        top list with its count, whatever the number of products.
        """
        shop = shop.sudo()
        day = day or fields.Date.context_today(shop)
        week_start = self._synco_week_start(day)
        digest = self.sudo().search(
            [("shop_id", "=", shop.id), ("week_start", "=", week_start)]
        )
        if not digest:
            digest = self.sudo().create({"shop_id": shop.id, "week_start": week_start})
        self.env.flush_all()
        cost = SQL(
            "COALESCE((pp.standard_price ->> %s)::float, 0.0)", str(shop.company_id.id)
        )
        base = SQL(
            "FROM shopify_inventory_level l "
            "JOIN product_product pp ON pp.id = l.product_id "
            "WHERE l.shop_id = %s AND l.shopify_known",
            shop.id,
        )
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT l.shopify_location_id, COUNT(*), "
                "SUM(GREATEST(l.expected_qty, 0) * %(cost)s), "
                "SUM(GREATEST(l.shopify_available, 0) * %(cost)s) "
                "%(base)s GROUP BY l.shopify_location_id",
                cost=cost,
                base=base,
            )
        )
        per_location = cr.fetchall()
        lines = [
            {
                "kind": "location",
                "shopify_location_id": location_id,
                "value_odoo": odoo,
                "value_shopify": shopify,
                "gap_percent": _gap_percent(odoo, shopify),
            }
            for location_id, _count, odoo, shopify in per_location
        ]
        counts = {}
        for kind, condition, order in (
            (
                "suppressed",
                SQL("l.expected_qty > 0 AND l.shopify_available <= 0"),
                SQL("l.expected_qty * %s DESC, l.expected_qty DESC", cost),
            ),
            (
                "oversell",
                SQL("l.shopify_available > 0 AND l.expected_qty <= 0"),
                SQL("l.shopify_available * %s DESC, l.shopify_available DESC", cost),
            ),
        ):
            cr.execute(
                SQL(
                    "SELECT l.product_id, l.shopify_location_id, l.expected_qty, "
                    "l.shopify_available, l.expected_qty * %(cost)s, "
                    "l.shopify_available * %(cost)s, COUNT(*) OVER () "
                    "%(base)s AND %(condition)s ORDER BY %(order)s, l.id LIMIT %(top)s",
                    cost=cost,
                    base=base,
                    condition=condition,
                    order=order,
                    top=TOP,
                )
            )
            rows = cr.fetchall()
            counts[kind] = rows[0][6] if rows else 0
            lines += [
                {
                    "kind": kind,
                    "product_id": row[0],
                    "shopify_location_id": row[1],
                    "odoo_qty": row[2],
                    "shopify_qty": row[3],
                    "value_odoo": row[4],
                    "value_shopify": row[5],
                }
                for row in rows
            ]
        value_odoo = sum(row[2] or 0.0 for row in per_location)
        value_shopify = sum(row[3] or 0.0 for row in per_location)
        gap_percent = _gap_percent(value_odoo, value_shopify)
        previous = self.sudo().search(
            [("shop_id", "=", shop.id), ("week_start", "<", week_start)],
            order="week_start desc",
            limit=1,
        )
        Alert = self.env["shopify.alert"].sudo()
        week_begin = fields.Datetime.to_datetime(week_start)
        alerts_opened = Alert.search_count(
            [
                ("shop_id", "=", shop.id),
                ("severity", "=", "immediate"),
                ("date_first_seen", ">=", week_begin),
            ]
        )
        alerts_open = Alert.search_count(
            [("shop_id", "=", shop.id), ("state", "!=", "resolved")]
        )
        digest.line_ids.unlink()
        digest.write(
            {
                "date_computed": fields.Datetime.now(),
                "levels_checked": sum(row[1] for row in per_location),
                "value_odoo": value_odoo,
                "value_shopify": value_shopify,
                "value_gap": value_shopify - value_odoo,
                "value_gap_percent": gap_percent,
                "value_gap_trend": gap_percent - previous.value_gap_percent
                if previous
                else 0.0,
                "suppressed_count": counts["suppressed"],
                "oversell_count": counts["oversell"],
                "alerts_opened": alerts_opened,
                "alerts_open": alerts_open,
                "line_ids": [(0, 0, vals) for vals in lines],
            }
        )
        digest._synco_weekly_alerts()
        digest._synco_check_buffers(day)
        return digest

    def _synco_weekly_alerts(self):
        """The weekly findings that need a record of their own: a value gap
        above the shop's limit (weekly severity, in the digest)."""
        self.ensure_one()
        shop = self.shop_id
        found = {}
        if abs(self.value_gap_percent) > shop.value_gap_alert_percent:
            found[None, None, None] = {
                "value_gap": self.value_gap,
                "drift_percent": self.value_gap_percent,
                "message": self.env._(
                    "Inventory value: Odoo %(odoo).2f, Shopify %(shopify).2f "
                    "(%(gap).2f %%, alert above %(limit).1f %%).",
                    odoo=self.value_odoo,
                    shopify=self.value_shopify,
                    gap=self.value_gap_percent,
                    limit=shop.value_gap_alert_percent,
                ),
            }
        self.env["shopify.alert"]._synco_report(
            shop, "value_gap", found, scope="all", severity="weekly"
        )

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

    # ---------------------------------------------------------------- sending
    def _synco_send(self):
        """E-mail to the shop's digest recipients, and Slack if configured."""
        for digest in self:
            digest._synco_send_mail()
            digest._synco_post_slack()

    def _synco_send_mail(self):
        self.ensure_one()
        partners = self.shop_id.digest_partner_ids
        if not partners:
            return
        template = self.env.ref("synco_shopify.mail_template_shopify_digest")
        mail_id = template.sudo().send_mail(
            self.id,
            email_values={"recipient_ids": [(6, 0, partners.ids)]},
        )
        self.mail_id = mail_id

    def _synco_slack_payload(self):
        """The digest as a Slack Block Kit message."""
        self.ensure_one()
        currency = self.currency_id.name or ""

        def money(value):
            return f"{value:,.2f} {currency}".strip()

        def top(kind, title):
            lines = self.lines_of(kind)
            if not lines:
                return []
            text = "\n".join(
                f"• {line.product_id.display_name} @ "
                f"{line.shopify_location_id.name}: Odoo {line.odoo_qty}, "
                f"Shopify {line.shopify_qty}"
                for line in lines
            )
            return [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"*{title}*\n{text}"},
                }
            ]

        blocks = [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": f"Synco digest: {self.name}"},
            },
            {
                "type": "section",
                "fields": [
                    {
                        "type": "mrkdwn",
                        "text": f"*Value in Odoo*\n{money(self.value_odoo)}",
                    },
                    {
                        "type": "mrkdwn",
                        "text": f"*Value in Shopify*\n{money(self.value_shopify)}",
                    },
                    {
                        "type": "mrkdwn",
                        "text": f"*Gap*\n{self.value_gap_percent:+.2f} % "
                        f"({self.value_gap_trend:+.2f} pts vs last week)",
                    },
                    {
                        "type": "mrkdwn",
                        "text": f"*Alerts*\n{self.alerts_opened} opened, "
                        f"{self.alerts_open} open",
                    },
                    {
                        "type": "mrkdwn",
                        "text": f"*Oversell risks*\n{self.oversell_count}",
                    },
                    {
                        "type": "mrkdwn",
                        "text": f"*Suppressed sales*\n{self.suppressed_count}",
                    },
                ],
            },
            *top("oversell", "Oversell risk (Shopify offers, Odoo has none)"),
            *top("suppressed", "Suppressed sales (Shopify 0, Odoo has stock)"),
        ]
        blocks += self._synco_slack_buffer_blocks()
        return {"text": f"Synco digest: {self.name}", "blocks": blocks}

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

    def _synco_post_slack(self):
        """Post to the shop's Slack incoming webhook; retried, never fatal."""
        self.ensure_one()
        url = self.shop_id.sudo().slack_webhook_url
        if not url:
            return
        payload = self._synco_slack_payload()
        error = None
        attempts = 0
        for attempt in range(SLACK_ATTEMPTS):
            attempts = attempt + 1
            try:
                response = requests.post(url, json=payload, timeout=SLACK_TIMEOUT)
            except requests.RequestException as exc:
                error = str(exc)
            else:
                if response.ok:
                    error = None
                    break
                error = f"HTTP {response.status_code}: {response.text[:500]}"
            if attempts < SLACK_ATTEMPTS:
                time.sleep(0.2 * attempts)
        if error:
            _logger.warning(
                "Slack digest of %s failed after %s attempt(s): %s",
                self.shop_id.shop_domain,
                attempts,
                error,
            )
            self.write(
                {
                    "slack_state": "failed",
                    "slack_attempts": attempts,
                    "slack_error": error,
                }
            )
            self.message_post(
                body=self.env._(
                    "Slack post failed after %(count)s attempt(s): %(error)s",
                    count=attempts,
                    error=error,
                )
            )
        else:
            self.write(
                {
                    "slack_state": "sent",
                    "slack_attempts": attempts,
                    "slack_error": False,
                }
            )

    def action_retry_slack(self):
        for digest in self:
            digest._synco_post_slack()

    def action_send(self):
        self._synco_send()


def _gap_percent(odoo, shopify):
    odoo = odoo or 0.0
    shopify = shopify or 0.0
    if not odoo:
        return 100.0 if shopify else 0.0
    return 100.0 * (shopify - odoo) / odoo
