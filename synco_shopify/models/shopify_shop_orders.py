# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The order side of a shop: webhooks, routing, drift checks and the poll.

Kept apart from ``shopify_shop.py`` (the inventory side) so each reads on its
own; both define the one ``shopify.shop`` model.
"""

import logging
from datetime import timedelta

import psycopg2
from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, mute_logger

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.shopify import ShopifyError, ShopifyRetryableError, normalize_order
from .locking import CONTENDED, changed_since_snapshot, try_advisory_lock
from .shopify_webhook_event import _parse_datetime

_logger = logging.getLogger(__name__)

WEBHOOK_TOPICS = (
    "orders/create",
    "orders/updated",
    # in WebhookSubscriptionTopic of 2026-04 and 2026-07 (ORDERS_EDITED)
    "orders/edited",
    "orders/cancelled",
    "inventory_levels/update",
)
WEBHOOK_PATH = "/synco_shopify/webhook/%s"
# The poll asks for a little more than what happened since the last one:
# Shopify's updated_at and our clock may disagree, and an import is idempotent.
POLL_OVERLAP = timedelta(minutes=5)
FIRST_POLL_WINDOW = timedelta(days=1)
# Shopify's order search lags a little behind the inventory an order moved
ORDER_SEARCH_LAG = timedelta(seconds=30)
# how long the previous webhook secret stays valid after a change
SECRET_GRACE_PARAM = "synco_shopify.webhook_secret_grace_hours"
SECRET_GRACE_HOURS = 72


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"

    webhook_base_url = fields.Char(
        string="Webhook Base URL",
        help="Public address Shopify calls back, e.g. https://odoo.example.com. "
        "Empty: the database's web.base.url.",
    )
    default_warehouse_id = fields.Many2one(
        "stock.warehouse",
        check_company=True,
        help="Ships the orders no routing rule takes.",
    )
    order_route_ids = fields.One2many(
        "shopify.order.route", "shop_id", string="Order Routing Rules"
    )
    correct_drift_on_webhook = fields.Boolean(
        help="When Shopify reports a level that differs from Odoo's figure, "
        "push Odoo's figure back at once (otherwise the drift is only recorded).",
    )
    orders_polled_until = fields.Datetime(
        copy=False,
        readonly=True,
        help="Orders updated before this moment have been polled.",
    )
    webhook_secret_previous = fields.Char(
        string="Previous Webhook Secret",
        groups="synco_shopify.group_shopify_manager",
        copy=False,
        help="Set when the webhook secret changes: signatures made with it are "
        "still accepted until the end of the grace period.",
    )
    webhook_secret_previous_until = fields.Datetime(
        string="Previous Secret Accepted Until", copy=False
    )
    webhook_previous_secret_hits = fields.Integer(
        string="Webhooks Signed With the Previous Secret",
        readonly=True,
        copy=False,
        help="Deliveries accepted under the previous secret: when it stops "
        "growing, Shopify signs with the new one everywhere.",
    )
    fulfillment_notify_customer = fields.Boolean(
        string="Notify Customers of Shipments",
        default=True,
        help="Fulfilments sent to Shopify when a delivery is validated ask "
        "Shopify to e-mail the customer (with the tracking number).",
    )
    webhook_event_count = fields.Integer(compute="_compute_order_counts")
    shopify_order_count = fields.Integer(compute="_compute_order_counts")

    def write(self, vals):
        """A new webhook secret keeps the old one valid for a grace period."""
        if vals.get("webhook_secret") and "webhook_secret_previous" not in vals:
            hours = int(
                self.env["ir.config_parameter"]
                .sudo()
                .get_param(SECRET_GRACE_PARAM, SECRET_GRACE_HOURS)
            )
            for shop in self:
                old = shop.sudo().webhook_secret
                if old and old != vals["webhook_secret"]:
                    super(ShopifyShop, shop).write(
                        {
                            "webhook_secret_previous": old,
                            "webhook_secret_previous_until": fields.Datetime.now()
                            + timedelta(hours=hours),
                            "webhook_previous_secret_hits": 0,
                        }
                    )
        return super().write(vals)

    def _compute_order_counts(self):
        for fname, model in (
            ("webhook_event_count", "shopify.webhook.event"),
            ("shopify_order_count", "sale.order"),
        ):
            field = "shopify_shop_id" if model == "sale.order" else "shop_id"
            counts = dict(
                self.env[model]
                .sudo()
                ._read_group([(field, "in", self.ids)], [field], ["__count"])
            )
            for shop in self:
                shop[fname] = counts.get(shop, 0)

    def action_view_webhook_events(self):
        return self._open_related("shopify.webhook.event", self.env._("Webhook Events"))

    def action_view_shopify_orders(self):
        action = self._open_related("sale.order", self.env._("Shopify Orders"))
        action["domain"] = [("shopify_shop_id", "=", self.id)]
        action["context"] = {}
        return action

    # ---------------------------------------------------------------- webhooks
    def _webhook_url(self):
        self.ensure_one()
        base = (
            self.webhook_base_url
            or self.env["ir.config_parameter"].sudo().get_param("web.base.url")
            or ""
        ).rstrip("/")
        return base + WEBHOOK_PATH % self.id

    def action_register_webhooks(self):
        """Subscribe the shop's webhooks to our endpoint; idempotent.

        Lists first, deletes our own stale subscriptions (wrong topic or
        format, or an old address of this endpoint) and creates what is
        missing.  Subscriptions of other apps or addresses are left alone.
        """
        self.ensure_one()
        if not self.sudo().webhook_secret:
            raise UserError(
                self.env._(
                    "Set the webhook secret first: unsigned webhooks are refused."
                )
            )
        url = self._webhook_url()
        path = WEBHOOK_PATH % self.id
        created = deleted = 0
        with self._user_api_errors():
            client = self._get_client()
            wanted = {client.webhook_topic(t) for t in WEBHOOK_TOPICS}
            kept = set()
            for sub in client.list_webhooks():
                uri = sub.get("uri") or ""
                if not uri.rstrip("/").endswith(path):
                    continue  # not ours
                topic = sub.get("topic")
                if (
                    uri == url
                    and topic in wanted
                    and topic not in kept
                    and (sub.get("format") or "JSON") == "JSON"
                ):
                    kept.add(topic)
                    continue
                client.delete_webhook(sub["id"])
                deleted += 1
            for topic in sorted(wanted - kept):
                client.create_webhook(topic, url)
                created += 1
        return self._notify(
            self.env._("Webhooks registered"),
            self.env._(
                "%(url)s: %(created)s created, %(kept)s already there, "
                "%(deleted)s stale removed.",
                url=url,
                created=created,
                kept=len(kept),
                deleted=deleted,
            ),
        )

    def action_check_webhooks(self):
        """Show what Shopify will call; re-create what it removed."""
        self.ensure_one()
        url = self._webhook_url()
        with self._user_api_errors():
            client = self._get_client()
            repaired = (
                self._synco_repair_webhooks(client)
                if self.sudo().webhook_secret
                else []
            )
            subs = client.list_webhooks()
        ours = {s["topic"] for s in subs if s.get("uri") == url}
        missing = sorted(
            t for t in WEBHOOK_TOPICS if client.webhook_topic(t) not in ours
        )
        others = [s for s in subs if s.get("uri") != url]
        message = self.env._(
            "%(count)s of %(total)s topics registered at %(url)s.",
            count=len(WEBHOOK_TOPICS) - len(missing),
            total=len(WEBHOOK_TOPICS),
            url=url,
        )
        if missing:
            message += " " + self.env._(
                "Missing: %(topics)s.", topics=", ".join(missing)
            )
        if repaired:
            message += " " + self.env._(
                "Re-created: %(topics)s.", topics=", ".join(repaired)
            )
        if others:
            message += " " + self.env._(
                "Other subscriptions: %(list)s.",
                list=", ".join(f"{s['topic']} → {s.get('uri')}" for s in others),
            )
        return self._notify(
            self.env._("Webhooks"), message, "warning" if missing else "success"
        )

    @api.model
    def _cron_webhook_watchdog(self):
        """Cron (daily): one watchdog job per shop that receives webhooks."""
        shops = self.search([("active", "=", True)]).filtered(
            lambda s: s.sudo().webhook_secret and s.sudo().access_token
        )
        for shop in shops:
            shop.with_delay(
                channel=shop._job_channel(),
                identity_key=f"synco_shopify.webhook_watchdog:{shop.id}",
                description=self.env._(
                    "Shopify webhook watchdog: %(shop)s", shop=shop.name
                ),
            )._synco_webhook_watchdog()
        return len(shops)

    def _synco_webhook_watchdog(self, client=None):
        """Job: re-create the subscriptions Shopify removed; idempotent."""
        self.ensure_one()
        if not self.active or not self.sudo().webhook_secret:
            return self.env._("The shop receives no webhooks.")
        try:
            repaired = self._synco_repair_webhooks(client)
        except ShopifyRetryableError as exc:
            raise RetryableJobError(str(exc), seconds=300) from exc
        if not repaired:
            return self.env._("Every webhook subscription is in place.")
        return self.env._("Re-created: %(topics)s.", topics=", ".join(repaired))

    def _synco_repair_webhooks(self, client=None):
        """Create our missing subscriptions; return the topics re-created.

        Shopify removes a subscription whose deliveries keep failing (an
        outage of the endpoint, a proxy refusing them): from then on only
        the poll brings orders in.  Stale subscriptions are left to
        *Register Webhooks*; this only adds what is missing, and says so on
        the shop's chatter and in the log.
        """
        self.ensure_one()
        client = client or self._get_client()
        url = self._webhook_url()
        ours = {
            sub["topic"]
            for sub in client.list_webhooks()
            if sub.get("uri") == url and (sub.get("format") or "JSON") == "JSON"
        }
        missing = sorted(
            t for t in WEBHOOK_TOPICS if client.webhook_topic(t) not in ours
        )
        for topic in missing:
            client.create_webhook(topic, url)
        if missing:
            message = self.env._(
                "Webhook watchdog: Shopify had no subscription for %(topics)s at "
                "%(url)s (removed after repeated delivery failures, or by hand); "
                "re-created. Orders of the gap come in with the poll.",
                topics=", ".join(missing),
                url=url,
            )
            _logger.warning("Shop %s: %s", self.name, message)
            self.message_post(body=escape(message))
        return missing

    # ----------------------------------------------------------------- routing
    @api.model
    def _synco_country_state(self, shipping):
        """Odoo's country and state for a normalised shipping address."""
        country = self.env["res.country"]
        state = self.env["res.country.state"]
        if shipping.get("country_code"):
            country = country.search(
                [("code", "=", shipping["country_code"].upper())], limit=1
            )
        if country and shipping.get("state_code"):
            state = state.search(
                [
                    ("country_id", "=", country.id),
                    ("code", "=", shipping["state_code"].upper()),
                ],
                limit=1,
            )
        return country, state

    def _synco_assigned_locations(self, data):
        """GIDs of the locations Shopify assigned an order's fulfilment to.

        Read from Shopify for orders that arrived by webhook (the body has
        no fulfilment orders); network trouble is retried by the caller's job.
        """
        self.ensure_one()
        try:
            found = self._get_client().fulfillment_orders(data["gid"])
        except ShopifyRetryableError:
            raise
        except (ShopifyError, UserError) as exc:
            # routing by address still works: don't hold the order for it
            _logger.warning(
                "Shop %s: fulfilment orders of %s unreadable: %s",
                self.name,
                data["gid"],
                exc,
            )
            return []
        if not found:
            return []
        return list(
            dict.fromkeys(
                fo["location_gid"]
                for fo in found["fulfillment_orders"]
                if fo["location_gid"]
            )
        )

    def _synco_route_order(self, data):
        """(warehouse, rule) for a normalised order (see ``normalize_order``)."""
        self.ensure_one()
        shipping = data.get("shipping") or {}
        country, state = self._synco_country_state(shipping)
        for rule in self.order_route_ids:
            if rule._matches(
                country, state, shipping.get("zip"), data.get("location_gids") or ()
            ):
                return rule.warehouse_id, rule
        warehouse = self.default_warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", self.company_id.id)], limit=1
        )
        return warehouse, self.env["shopify.order.route"]

    # ------------------------------------------------------------------- drift
    def _synco_check_level(self, item_gid, location_gid, available, event=None):
        """Compare a level Shopify reported with Odoo's figure; never writes stock.

        A difference opens or updates the level's drift, agreement resolves
        it (see ``shopify.drift._synco_observe``).

        :return: (event state, message)
        """
        self.ensure_one()
        binding = self.env["shopify.product.binding"].search(
            [("shop_id", "=", self.id), ("shopify_inventory_item_gid", "=", item_gid)],
            limit=1,
        )
        location = self.env["shopify.location"].search(
            [("shop_id", "=", self.id), ("shopify_gid", "=", location_gid)], limit=1
        )
        if not binding or not location:
            return "ignored", self.env._("Item or location not bound.")
        mapping = location.active_mapping_id
        if not mapping:
            return "ignored", self.env._(
                "No active mapping for %(loc)s.", loc=location.name
            )
        expected = mapping._compute_shopify_available(binding.product_id)[mapping][
            binding.product_id.id
        ]
        correct = self.correct_drift_on_webhook and binding._push_allowed()
        figures = {(binding, location): (expected, available)}
        self.env["shopify.alert"]._synco_check_levels(
            self, read=figures, left=figures, velocity=True
        )
        drift, _resolved = self.env["shopify.drift"]._synco_observe(
            self,
            [(binding, location, expected, available)],
            "webhook",
            correcting=correct,
            event=event,
        )
        if not drift:
            if expected == available:
                return "processed", self.env._(
                    "In line with Odoo (%(qty)s).", qty=available
                )
            return "processed", self.env._(
                "Within the drift threshold at %(loc)s: Shopify %(shopify)s, "
                "Odoo %(odoo)s.",
                loc=location.name,
                shopify=available,
                odoo=expected,
            )
        if correct:
            # Shopify's value is not what we believed: read it again before
            # the compare-and-set write
            levels = (
                self.env["shopify.inventory.level"]
                .sudo()
                .search(
                    [
                        ("binding_id", "=", binding.id),
                        ("shopify_location_id", "=", location.id),
                    ]
                )
            )
            settled = levels._synco_settle_or_delay(
                {"forget": [location.id]},
                binding,
                self.env._(
                    "Shopify push: %(sku)s drifted at %(loc)s",
                    sku=binding.sku or binding.product_id.display_name,
                    loc=location.name,
                ),
            )
            if settled:
                binding._delay_push()
        return "processed", self.env._(
            "Drift at %(loc)s: Shopify %(shopify)s, Odoo %(odoo)s%(fix)s.",
            loc=location.name,
            shopify=available,
            odoo=expected,
            fix=self.env._(", corrective push enqueued") if correct else "",
        )

    # -------------------------------------------------------------------- poll
    @api.model
    def _cron_poll_orders(self):
        """Cron: one poll job per active shop importing orders."""
        shops = self.search(
            [("policy_reservation", "=", "shopify_triggers_odoo")]
        ).filtered(lambda s: s.sudo().access_token)
        for shop in shops:
            shop._delay_poll_orders()
        return len(shops)

    def _delay_poll_orders(self, eta=None):
        self.ensure_one()
        return self.with_delay(
            eta=eta,
            channel=self._job_channel(),
            identity_key=f"synco_shopify.poll_orders:{self.id}",
            description=self.env._("Shopify order poll: %(shop)s", shop=self.name),
        )._poll_orders()

    def _poll_orders(self, client=None):
        """Job: import the orders updated since the last successful poll.

        Pages through ``orders`` sorted by update time; orders already
        imported are left as they are (a cancellation is applied).  The
        watermark moves only when every page went through.

        An order whose rows another job holds or changed since the poll
        began (the order itself, ``OrderBusy``; the quants or levels its
        import locks; Odoo's own reservation failing to serialize) is left
        for later: rerunning the whole poll for it (every page read again,
        under Shopify's faults and throttling) let a busy shop's webhooks
        change another order before each rerun reached it, and the poll ran
        dozens of times.  The
        watermark then stops at that order and no hold is released (the
        poll did not see every order through): the next poll (scheduled, or
        enqueued by a push holding units) starts there.
        """
        self.ensure_one()
        if not self.active or self.policy_reservation != "shopify_triggers_odoo":
            return self.env._("Orders are not imported for this shop.")
        self._synco_poll_lock()
        started = fields.Datetime.now()
        since = (
            self.orders_polled_until - POLL_OVERLAP
            if self.orders_polled_until
            else started - FIRST_POLL_WINDOW
        )
        SaleOrder = self.env["sale.order"]
        seen = imported = 0
        busy = []  # the update times of the orders left to other jobs
        try:
            client = client or self._get_client()
            for node in client.iter_orders(updated_since=since):
                seen += 1
                data = normalize_order(node)
                try:
                    with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                        _order, _message, created = SaleOrder._synco_shopify_sync(
                            self, data, origin="poll"
                        )
                except (RetryableJobError, *CONTENDED) as exc:
                    if isinstance(exc, RetryableJobError) and not exc.ignore_retry:
                        raise
                    busy.append(_parse_datetime(data.get("updated_at")) or since)
                    continue
                imported += created
        except ShopifyRetryableError as exc:
            raise RetryableJobError(str(exc), seconds=60) from exc
        except psycopg2.IntegrityError as exc:
            raise RetryableJobError(str(exc), seconds=10) from exc
        if busy:
            # the next poll starts at the earliest order left (see POLL_OVERLAP)
            # (no poll enqueued from here: it would run beside this one,
            # both writing the watermark; the next scheduled or held poll)
            self.orders_polled_until = min(started, min(busy) + POLL_OVERLAP)
            _logger.info(
                "%s: %s order(s) left for later; the next poll starts there",
                self.shop_domain,
                len(busy),
            )
            released = 0
        else:
            self.orders_polled_until = started
            released = self._synco_release_unexplained_holds(started)
        self._synco_check_webhook_silence(imported, started)
        return self.env._(
            "%(seen)s orders updated since %(since)s, %(new)s imported by the "
            "poll; %(released)s level(s) held without an order released.",
            seen=seen,
            since=since,
            new=imported,
            released=released,
        )

    def _synco_poll_lock(self):
        """One poll of a shop at a time, each from the watermark the last left.

        A poll enqueued while another runs (by the cron, or by a push
        holding units: the identity key only merges it with a poll not
        started yet) would read the same pages beside it, and the second to
        write the watermark would fail to serialize and run again from the
        start, spending a retry.  It runs again a few seconds later instead,
        spending none; so does a poll whose snapshot predates the last
        poll's commit (the shop's row changed since it began), so that it
        starts from that poll's watermark.
        """
        cr = self.env.cr
        if not try_advisory_lock(cr, "synco_shopify.poll", self.id):
            raise RetryableJobError(
                f"another order poll of {self.shop_domain} is running",
                seconds=5,
                ignore_retry=True,
            )
        where = SQL("id = %s", self.id)
        if changed_since_snapshot(cr, "shopify_shop", where):
            raise RetryableJobError(
                f"{self.shop_domain} changed since this poll began (another "
                "poll's watermark): polling again on fresh data",
                seconds=1,
                ignore_retry=True,
            )

    def _synco_release_unexplained_holds(self, polled_at):
        """Units held for sales no order explains go back on sale.

        Every order Shopify had (up to the lag of its order search) when the
        poll started has been imported, and an import releases its units: a
        hold older than that was no order (a manual edit in Shopify, say).
        Odoo owns quantities, so its figure is pushed again.
        """
        levels = (
            self.env["shopify.inventory.level"]
            .sudo()
            .search(
                [
                    ("shop_id", "=", self.id),
                    ("held_qty", ">", 0),
                    ("held_date", "<", polled_at - ORDER_SEARCH_LAG),
                ]
            )
        )
        if levels and levels._synco_settle_or_delay(
            {"unhold_before": fields.Datetime.to_string(polled_at - ORDER_SEARCH_LAG)},
            levels.binding_id,
            self.env._(
                "Shopify push: held units no order explains (%(shop)s)",
                shop=self.name,
            ),
        ):
            self.env["shopify.product.binding"]._synco_config_changed(
                shops=self, products=levels.product_id
            )
        # holds too recent for this poll to judge get a poll of their own
        # (the one they enqueued may have collapsed into an earlier one)
        recent = (
            self.env["shopify.inventory.level"]
            .sudo()
            .search(
                [("shop_id", "=", self.id), ("held_qty", ">", 0)],
                order="held_date desc",
                limit=1,
            )
        )
        if recent:
            self._delay_poll_orders(
                eta=recent.held_date + ORDER_SEARCH_LAG + timedelta(seconds=5)
            )
        return len(levels)
