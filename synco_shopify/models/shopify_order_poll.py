# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The order poll: what the webhooks missed, imported on a schedule.

Mixed into ``shopify.shop`` (``shopify_shop.py`` holds its fields): the
methods run on shop records, ``self`` is a shop.

Webhooks bring orders at once; the poll (every 15 minutes, and soon after a
push held units for a sale Odoo has no order for) imports every order
updated since the last one, and releases the holds no order explains.
"""

import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL, mute_logger

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.shopify import ShopifyRetryableError, normalize_order
from .job_errors import retryable_job_error
from .locking import CONTENDED, changed_since_snapshot, try_advisory_lock
from .shopify_webhook_event import _parse_datetime

_logger = logging.getLogger(__name__)

# The poll asks for a little more than what happened since the last one:
# Shopify's updated_at and our clock may disagree, and an import is idempotent.
POLL_OVERLAP = timedelta(minutes=5)
FIRST_POLL_WINDOW = timedelta(days=1)
# Shopify's order search lags a little behind the inventory an order moved
ORDER_SEARCH_LAG = timedelta(seconds=30)


class ShopifyOrderPoll(models.AbstractModel):
    _name = "shopify.order.poll"
    _description = "Shopify Order Poll (shop mixin)"

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

    # -------------------------------------------------------------------- poll
    @api.model
    def _cron_poll_orders(self):
        """Cron: one poll job per active shop importing orders."""
        shops = self.search(
            [("policy_reservation", "=", "shopify_triggers_odoo")]
        ).filtered(lambda s: s.sudo().access_token or s.sudo().client_secret)
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
        )._job_poll_orders()

    def _job_poll_orders(self, client=None, settle_in_push=True):
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

        ``settle_in_push``: the levels each import settles are left to a
        push of their own (see below); a reconciliation, which reads and
        writes those levels right after its poll, settles them in place.
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
        # the levels each import settles are left to a push of their own:
        # locked here, they would stay locked until the last page is read,
        # and every push of those products (decreases first too) would wait
        importer = self.env["shopify.order.import"].with_context(
            synco_settle_in_push=settle_in_push
        )
        seen = imported = 0
        busy = []  # the update times of the orders left to other jobs
        try:
            client = client or self._get_client()
            for node in client.iter_orders(updated_since=since):
                seen += 1
                data = normalize_order(node)
                try:
                    with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                        _order, _message, created = importer._sync(
                            self, data, origin="poll"
                        )
                except (RetryableJobError, *CONTENDED) as exc:
                    if isinstance(exc, RetryableJobError) and not exc.ignore_retry:
                        raise
                    busy.append(_parse_datetime(data.get("updated_at")) or since)
                    continue
                imported += created
        except ShopifyRetryableError as exc:
            raise retryable_job_error(exc, 60) from exc
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
        Odoo owns quantities, so its figure is pushed again.  Units of an
        order held in exception (a line without binding) stay held: Shopify
        promised them to a customer, and confirming or cancelling the order
        releases them.
        """
        limit = polled_at - ORDER_SEARCH_LAG
        keep = self._synco_units_in_exception()
        levels = (
            self.env["shopify.inventory.level"]
            .sudo()
            .search(
                [
                    ("shop_id", "=", self.id),
                    ("held_qty", ">", 0),
                    ("held_date", "<", limit),
                ]
            )
        )
        held = {}
        for level in levels:
            held[level.product_id.id] = (
                held.get(level.product_id.id, 0) + level.held_qty
            )
        explained = {p: keep[p] for p in held if keep.get(p)}
        levels = levels.filtered(
            lambda lvl: held[lvl.product_id.id] > explained.get(lvl.product_id.id, 0)
        )
        if levels and levels._synco_settle_or_delay(
            {
                "unhold_before": fields.Datetime.to_string(limit),
                "keep": [[product, units] for product, units in explained.items()],
            },
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
                [
                    ("shop_id", "=", self.id),
                    ("held_qty", ">", 0),
                    ("held_date", ">=", limit),
                ],
                order="held_date desc",
                limit=1,
            )
        )
        if recent:
            self._delay_poll_orders(
                eta=recent.held_date + ORDER_SEARCH_LAG + timedelta(seconds=5)
            )
        return len(levels)

    def _synco_units_in_exception(self):
        """{product id: units} of this shop's orders held in exception.

        Shopify took their units when they were placed; Odoo reserves them
        only once every line is bound and the order confirmed.
        """
        self.ensure_one()
        groups = (
            self.env["sale.order.line"]
            .sudo()
            ._read_group(
                [
                    ("order_id.shopify_shop_id", "=", self.id),
                    ("order_id.shopify_state", "=", "exception"),
                    ("order_id.state", "=", "draft"),
                ],
                ["product_id"],
                ["product_uom_qty:sum"],
            )
        )
        return {product.id: round(units) for product, units in groups}
