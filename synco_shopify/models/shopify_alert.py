# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Alerts: the conditions the guide says must reach a human, as records."""

import logging

import psycopg2
import requests
from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.tools import SQL, mute_logger

from odoo.addons.queue_job.exception import RetryableJobError

from .locking import try_lock_rows

_logger = logging.getLogger(__name__)

KINDS = [
    ("negative_level", "Negative level in Shopify"),
    ("oversell_risk", "Oversell risk"),
    ("velocity_drift", "Drift on a high-velocity product"),
    ("job_failed", "Sync job failed"),
    ("webhook_silence", "Webhooks silent"),
    ("reconciliation_failed", "Reconciliation failed"),
    ("drift_share", "Share of drifted levels"),
    ("write_failed", "Levels not written"),
    ("value_gap", "Inventory value gap"),
    ("buffer_unused", "Buffer never used"),
    ("unreachable", "Shopify unreachable"),
    ("credentials_refused", "Credentials refused"),
    ("app_uninstalled", "App uninstalled"),
    ("counter_oversold", "Counter sale beyond Odoo's stock"),
]
SEVERITIES = [("immediate", "Immediate"), ("weekly", "Weekly")]
STATES = [
    ("open", "Open"),
    ("acknowledged", "Acknowledged"),
    ("resolved", "Resolved"),
]
# new alerts of one batch beyond which the responsible gets one activity on
# the shop instead of one per alert (a reconciliation may open hundreds)
ACTIVITY_PER_ALERT_MAX = 10


def _id(value):
    return getattr(value, "id", value) or False


class ShopifyAlert(models.Model):
    """A condition that must reach a human, from its first sighting to its end.

    There is at most one unresolved alert per (shop, kind, product, Shopify
    location, subject), kept by a partial unique index on ``dedup_key``: a
    repeat updates it (figures, occurrences, last seen) and tells nobody
    again.  A check that finds the condition gone resolves it.  An
    *acknowledged* alert keeps being updated silently until it resolves; if
    the condition then comes back, a new alert opens and notifies.

    Every check goes through :meth:`_synco_report`.
    """

    _name = "shopify.alert"
    _description = "Shopify Alert"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_last_seen desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    kind = fields.Selection(KINDS, required=True, readonly=True, index=True)
    severity = fields.Selection(
        SEVERITIES, required=True, default="immediate", readonly=True, index=True
    )
    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    product_id = fields.Many2one(
        "product.product", ondelete="cascade", readonly=True, index=True
    )
    shopify_location_id = fields.Many2one(
        "shopify.location", ondelete="cascade", readonly=True
    )
    subject = fields.Char(
        readonly=True,
        help="What the alert is about when it is neither a product nor a "
        "location: the job function of a failed job, for instance.",
    )
    dedup_key = fields.Char(readonly=True, index=True, copy=False)
    state = fields.Selection(
        STATES, required=True, default="open", index=True, tracking=True
    )
    message = fields.Text(readonly=True)
    odoo_qty = fields.Float(string="Odoo Figure", readonly=True)
    shopify_qty = fields.Float(string="Shopify Figure", readonly=True)
    drift_percent = fields.Float(string="Drift (%)", readonly=True, digits=(16, 1))
    value_gap = fields.Float(readonly=True)
    velocity = fields.Float(
        string="Velocity (units/day)", readonly=True, digits=(16, 1)
    )
    date_first_seen = fields.Datetime(
        string="First Seen", default=fields.Datetime.now, required=True, readonly=True
    )
    date_last_seen = fields.Datetime(
        string="Last Seen", default=fields.Datetime.now, readonly=True, index=True
    )
    date_resolved = fields.Datetime(string="Resolved On", readonly=True)
    occurrences = fields.Integer(default=1, readonly=True)
    acknowledged_by_id = fields.Many2one("res.users", readonly=True)
    queue_job_ids = fields.Many2many(
        "queue.job", string="Failed Jobs", readonly=True, copy=False
    )
    reconciliation_id = fields.Many2one(
        "shopify.reconciliation", ondelete="set null", readonly=True
    )
    buffer_rule_id = fields.Many2one(
        "shopify.buffer.rule", ondelete="set null", readonly=True
    )

    _unresolved_unique = models.UniqueIndex(
        "(shop_id, dedup_key) WHERE state != 'resolved'",
        "One unresolved alert per shop, kind, product, location and subject.",
    )

    @api.depends("kind", "product_id", "shopify_location_id", "subject")
    def _compute_name(self):
        labels = dict(KINDS)
        for alert in self:
            parts = [labels.get(alert.kind, "")]
            if alert.product_id:
                parts.append(alert.product_id.display_name)
            if alert.shopify_location_id:
                parts.append(alert.shopify_location_id.name)
            if alert.subject:
                parts.append(alert.subject)
            alert.name = " · ".join(p for p in parts if p)

    # ---------------------------------------------------------------- actions
    def action_acknowledge(self):
        """Silence: updated quietly until it resolves (and opens anew if the
        condition comes back)."""
        self.filtered(lambda a: a.state == "open").write(
            {"state": "acknowledged", "acknowledged_by_id": self.env.uid}
        )
        self.activity_ids.action_feedback(
            feedback=self.env._("Acknowledged by %(user)s", user=self.env.user.name)
        )

    def action_reopen(self):
        self.filtered(lambda a: a.state == "acknowledged").write(
            {"state": "open", "acknowledged_by_id": False}
        )

    # --------------------------------------------------------------- reporting
    @api.model
    def _synco_key(self, kind, product=None, location=None, subject=None):
        return f"{kind}/{_id(product) or 0}/{_id(location) or 0}/{subject or ''}"

    @api.model
    def _synco_report(self, shop, kind, found, scope=None, severity="immediate"):
        """Record what one check found: the one way into alerts.

        :param shop: the ``shopify.shop`` checked
        :param kind: one of :data:`KINDS`
        :param found: {(product, shopify.location, subject): vals} for every
            occurrence of the condition; product and location as records, ids
            or ``None``, ``vals`` the figures (``odoo_qty``, ``shopify_qty``,
            ``drift_percent``, ``velocity``, ``message``, ``queue_job_ids``...)
        :param scope: the keys the check looked at, in the same form; the
            unresolved alerts of this kind in scope and not found are resolved.
            ``"all"``: the check looked at everything (a reconciliation run);
            ``None``: resolve nothing.
        :return: ``(opened, updated, resolved)`` alert recordsets

        A repeat of an unresolved alert updates it (figures, occurrences + 1,
        last seen) and notifies nobody; a new one notifies the shop
        (:meth:`_synco_notify_opened`).  Cost: one search of the shop's
        unresolved alerts of this kind, one create, one write per repeat.
        """
        Alert = self.sudo()
        keyed = {
            self._synco_key(kind, *key): (key, vals) for key, vals in found.items()
        }
        unresolved = Alert.search(
            [
                ("shop_id", "=", shop.id),
                ("kind", "=", kind),
                ("state", "!=", "resolved"),
            ]
        )
        by_key = {alert.dedup_key: alert for alert in unresolved}
        now = fields.Datetime.now()
        resolved = Alert.browse()
        if scope == "all":
            resolved = unresolved.filtered(lambda a: a.dedup_key not in keyed)
        elif scope is not None and unresolved:
            in_scope = {self._synco_key(kind, *key) for key in scope}
            resolved = unresolved.filtered(
                lambda a: a.dedup_key in in_scope and a.dedup_key not in keyed
            )
        # the alerts to change, those no other transaction is changing
        touched = resolved | unresolved.filtered(lambda a: a.dedup_key in keyed)
        free = self._synco_lock_free(touched)
        resolved &= free
        updated = Alert.browse()
        new_vals = []
        for dedup_key, ((product, location, subject), vals) in keyed.items():
            alert = by_key.get(dedup_key)
            vals = dict(vals, date_last_seen=now)
            if alert and alert not in free:
                continue  # another check is updating it right now
            if alert:
                vals["occurrences"] = alert.occurrences + 1
                if "queue_job_ids" in vals:
                    vals["queue_job_ids"] = [(4, i) for i in vals["queue_job_ids"]]
                alert.write(vals)
                updated |= alert
            else:
                if "queue_job_ids" in vals:
                    vals["queue_job_ids"] = [(6, 0, vals["queue_job_ids"])]
                new_vals.append(
                    {
                        "shop_id": shop.id,
                        "kind": kind,
                        "severity": severity,
                        "product_id": _id(product),
                        "shopify_location_id": _id(location),
                        "subject": subject or False,
                        "dedup_key": dedup_key,
                        "date_first_seen": now,
                        **vals,
                    }
                )
        if resolved:
            resolved.write({"state": "resolved", "date_resolved": now})
            resolved.activity_ids.unlink()
        opened = Alert.browse()
        if new_vals:
            try:
                with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                    opened = Alert.with_context(mail_create_nolog=True).create(new_vals)
            except psycopg2.errors.UniqueViolation as exc:
                # a concurrent check opened the same alert: run again, it
                # will update it
                raise RetryableJobError(
                    "Alert opened by a concurrent check; retrying.", seconds=1
                ) from exc
            opened._synco_notify_opened()
        return opened, updated, resolved

    def _synco_lock_free(self, alerts):
        """Lock these alerts, leaving out those another transaction holds or
        changed since ours began: ours would fail to serialize on them.

        A webhook storm runs many checks of one shop at once; two resolving
        the same alert is one serialization failure (and a rerun of a job,
        Shopify calls included) for a change the other one makes anyway.
        The one left out is updated or resolved by the next check.
        """
        if not alerts:
            return alerts
        where = SQL("id IN %s", tuple(alerts.ids))
        ids = try_lock_rows(self.env.cr, self._table, where)
        if ids is None:  # one of them is busy: the others one by one
            ids = [
                alert.id
                for alert in alerts
                if try_lock_rows(self.env.cr, self._table, SQL("id = %s", alert.id))
            ]
        return alerts.browse(ids)

    def _synco_notify_opened(self):
        """Tell the shop's people about alerts that just opened.

        Immediate alerts: a post on the shop's chatter (one per batch, with
        the first ten) and an activity for the shop's alert responsible (one
        per alert, or one on the shop for a large batch).  Weekly findings
        go to the digest instead.
        """
        for shop in self.shop_id:
            alerts = self.filtered(
                lambda a, s=shop: a.shop_id == s and a.severity == "immediate"
            )
            if not alerts:
                continue
            for alert in alerts:
                _logger.warning(
                    "Shopify shop %s: alert %s", shop.shop_domain, alert.name
                )
            items = Markup("").join(
                Markup('<li><a href="/odoo/shopify.alert/%s">%s</a>%s</li>')
                % (
                    alert.id,
                    alert.name,
                    Markup(": ") + escape(alert.message) if alert.message else "",
                )
                for alert in alerts[:10]
            )
            more = (
                Markup("<p>%s</p>")
                % self.env._("… and %(count)s more.", count=len(alerts) - 10)
                if len(alerts) > 10
                else ""
            )
            shop.message_post(
                body=Markup("<p>%s</p><ul>%s</ul>%s")
                % (
                    self.env._("%(count)s new Shopify alert(s)", count=len(alerts)),
                    items,
                    more,
                )
            )
            alerts._synco_post_slack_after_commit()
            user = shop.alert_user_id
            if not user:
                continue
            if len(alerts) > ACTIVITY_PER_ALERT_MAX:
                shop.activity_schedule(
                    "mail.mail_activity_data_warning",
                    summary=self.env._(
                        "%(count)s new Shopify alerts", count=len(alerts)
                    ),
                    user_id=user.id,
                )
                continue
            for alert in alerts:
                alert.activity_schedule(
                    "mail.mail_activity_data_warning",
                    summary=alert.name,
                    note=alert.message or "",
                    user_id=user.id,
                )

    # ------------------------------------------------------------ level checks
    @api.model
    def _synco_check_levels(
        self,
        shop,
        read=None,
        left=None,
        velocity=False,
        agreed=None,
        agreed_left=False,
    ):
        """The immediate checks on Shopify levels, wherever levels flow.

        :param read: {(binding, shopify.location): (Odoo figure, Shopify
            figure)} as Shopify showed them when read (a reconciliation, a
            push read, a webhook): negative levels, and with ``velocity`` the
            drift of high-velocity products, are evidence even when the
            caller then corrects them;
        :param left: the same, as the caller leaves them (after its writes):
            Shopify offering what Odoo's figure says is 0 is oversell risk.

        :param agreed: [(product id, shopify.location id)] of more levels
            whose two figures agree (a reconciliation's levels in sync): they
            find nothing, and resolve the negative level alerts at their
            keys, and with ``agreed_left`` the oversell risk ones too.

        Each check resolves, among the keys it was given, the alerts it no
        longer finds (the keys are only listed when there are unresolved
        alerts of the kind to look at).
        """
        read = read or {}
        left = left or {}
        agreed = agreed or []
        product_of = self._synco_products_of(set(read) | set(left))

        def scope(keys, also):
            yield from ((product_of[_id(b)], loc, None) for b, loc in keys)
            yield from ((product, loc, None) for product, loc in also)

        if read or agreed:
            negative = {
                (product_of[_id(b)], loc, None): {
                    "odoo_qty": odoo,
                    "shopify_qty": shopify,
                    "message": self.env._(
                        "Shopify shows %(qty)s at %(loc)s.", qty=shopify, loc=loc.name
                    ),
                }
                for (b, loc), (odoo, shopify) in read.items()
                if shopify is not None and shopify < 0
            }
            self._synco_report(
                shop,
                "negative_level",
                negative,
                scope=scope(read, agreed),
            )
        if left or (agreed and agreed_left):
            oversell = {
                (product_of[_id(b)], loc, None): {
                    "odoo_qty": odoo,
                    "shopify_qty": shopify,
                    "message": self.env._(
                        "Shopify offers %(qty)s at %(loc)s; Odoo has none.",
                        qty=shopify,
                        loc=loc.name,
                    ),
                }
                for (b, loc), (odoo, shopify) in left.items()
                if odoo is not None and shopify is not None and odoo <= 0 < shopify
            }
            self._synco_report(
                shop,
                "oversell_risk",
                oversell,
                scope=scope(left, agreed if agreed_left else ()),
            )
        if read and velocity:
            self._synco_check_velocity(shop, read, product_of)

    @api.model
    def _synco_products_of(self, keys):
        """{binding id: product id} for the bindings of ``keys``, in one query
        (a reconciliation passes every level of the catalogue)."""
        binding_ids = list({_id(binding) for binding, _location in keys})
        if not binding_ids:
            return {}
        self.env["shopify.product.binding"].flush_model(["product_id"])
        self.env.cr.execute(
            SQL(
                "SELECT id, product_id FROM shopify_product_binding WHERE id = ANY(%s)",
                binding_ids,
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _synco_check_velocity(self, shop, read, product_of):
        """Drift above the shop's limit on products that sell fast there.

        Velocity is only computed for the levels that drifted beyond the limit
        (one grouped read for all of them), never for the whole catalogue.
        """
        limit = shop.velocity_drift_percent
        candidates = {}
        for (binding, location), (odoo, shopify) in read.items():
            if odoo is None or shopify is None:
                continue
            pct = 100.0 * abs(shopify - odoo) / max(odoo, 1)
            if pct > limit:
                candidates[binding, location] = (odoo, shopify, pct)
        found = {}
        if candidates:
            mappings = {
                m.shopify_location_id: m
                for m in shop.mapping_ids
                if m.state == "active"
            }
            products = self.env["product.product"].browse(
                {product_of[_id(b)] for b, _loc in candidates}
            )
            speeds = (
                self.env["shopify.location.mapping"]
                .union(*mappings.values())
                ._synco_velocity(products, shop.velocity_days)
            )
            for (binding, location), (odoo, shopify, pct) in candidates.items():
                mapping = mappings.get(location)
                if not mapping:
                    continue
                product_id = product_of[_id(binding)]
                speed = speeds[mapping].get(product_id, 0.0)
                if speed >= shop.high_velocity_threshold:
                    found[product_id, location, None] = {
                        "odoo_qty": odoo,
                        "shopify_qty": shopify,
                        "drift_percent": pct,
                        "velocity": speed,
                        "message": self.env._(
                            "Shopify %(shopify)s vs Odoo %(odoo)s at %(loc)s "
                            "(%(pct).0f %%) on a product selling %(speed).1f "
                            "a day.",
                            shopify=shopify,
                            odoo=odoo,
                            loc=location.name,
                            pct=pct,
                            speed=speed,
                        ),
                    }
        self._synco_report(
            shop,
            "velocity_drift",
            found,
            scope=[(product_of[_id(b)], loc, None) for b, loc in read],
        )

    def _synco_post_slack_after_commit(self):
        """Post the new alerts of one shop to its Slack channel, once the
        transaction that opened them is committed (never for a rollback, and
        no network call while rows are locked).  A failure is logged: the
        alert, the activity and the chatter post already tell people."""
        shop = self.shop_id.sudo()
        url = shop.slack_webhook_url
        if not url:
            return
        lines = [f"• {alert.name}: {alert.message or ''}" for alert in self[:10]]
        if len(self) > 10:
            lines.append(f"… and {len(self) - 10} more")
        payload = {
            "text": f"{len(self)} new Synco alert(s) for {shop.name}",
            "blocks": [
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": f"*:rotating_light: {len(self)} new alert(s) for "
                        f"{shop.name}*\n" + "\n".join(lines),
                    },
                }
            ],
        }
        domain = shop.shop_domain

        def post():
            try:
                response = requests.post(url, json=payload, timeout=10)
                response.raise_for_status()
            except requests.RequestException as exc:
                _logger.warning("Slack alert post for %s failed: %s", domain, exc)

        self.env.cr.postcommit.add(post)
