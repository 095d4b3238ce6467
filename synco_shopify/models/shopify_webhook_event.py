# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import json
import logging
from datetime import datetime, timezone

import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.shopify import ShopifyRetryableError, normalize_order, to_gid
from .job_errors import retryable_job_error
from .locking import try_advisory_lock, try_lock_rows
from .shopify_push_priority import DECREASE_PRIORITY

_logger = logging.getLogger(__name__)

ORDER_TOPICS = {
    "orders/create",
    "orders/updated",
    "orders/edited",
    "orders/cancelled",
    "orders/paid",
    "orders/fulfilled",
    "orders/partially_fulfilled",
}
LEVEL_TOPICS = {"inventory_levels/update"}


class ShopifyWebhookEvent(models.Model):
    """A webhook as Shopify delivered it, stored before anything is done with it.

    The controller stores the raw body once per ``X-Shopify-Event-Id`` and
    answers at once; a queue job then processes it.  Keeping the raw event
    means a failure can be read, fixed (a missing binding, say) and
    reprocessed, and a duplicate delivery is recognised by the database.
    """

    _name = "shopify.webhook.event"
    _description = "Shopify Webhook Event"
    _order = "id desc"
    _rec_name = "event_id"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True, readonly=True
    )
    topic = fields.Char(required=True, index=True, readonly=True)
    event_id = fields.Char(
        string="Event ID",
        required=True,
        readonly=True,
        help="X-Shopify-Event-Id: the same for every delivery of one event.",
    )
    webhook_id = fields.Char(string="Webhook ID", readonly=True)
    triggered_at = fields.Datetime(readonly=True)
    api_version = fields.Char(string="API Version", readonly=True)
    shop_domain = fields.Char(readonly=True)
    payload = fields.Text(readonly=True, help="The raw body, as received.")
    state = fields.Selection(
        [
            ("received", "Received"),
            ("processed", "Processed"),
            ("failed", "Failed"),
            ("ignored", "Ignored"),
        ],
        required=True,
        default="received",
        index=True,
        readonly=True,
    )
    error_message = fields.Text(readonly=True)
    result = fields.Char(readonly=True)
    processed_date = fields.Datetime(readonly=True)
    attempts = fields.Integer(readonly=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, index="btree_not_null")
    drift_ids = fields.One2many("shopify.drift", "event_id")

    _shop_event_uniq = models.Constraint(
        "UNIQUE (shop_id, event_id)",
        "A Shopify event is stored once per shop.",
    )

    # --------------------------------------------------------------- storing
    @api.model
    def _store(self, shop, headers, body):
        """Insert the event unless it is already known; return it or None.

        ``INSERT ... ON CONFLICT DO NOTHING`` on the (shop, event id) unique
        constraint: two concurrent deliveries of one event (Shopify retries
        after 5 s without an answer) store one row.  The second waits for the
        first to commit, then fails to serialize (repeatable read) and the
        HTTP layer retries the request, which then finds the row.
        """
        event_id = (
            headers.get("X-Shopify-Event-Id")
            or headers.get("X-Shopify-Webhook-Id")
            or hashlib.sha256(body).hexdigest()
        )
        triggered = _parse_datetime(headers.get("X-Shopify-Triggered-At"))
        uid = self.env.uid
        self.env.cr.execute(
            """
            INSERT INTO shopify_webhook_event (
                shop_id, topic, event_id, webhook_id, triggered_at, api_version,
                shop_domain, payload, state, attempts,
                create_uid, create_date, write_uid, write_date
            ) VALUES (
                %s, %s, %s, %s, %s, %s, %s, %s, 'received', 0,
                %s, now() at time zone 'UTC', %s, now() at time zone 'UTC'
            )
            ON CONFLICT (shop_id, event_id) DO NOTHING
            RETURNING id
            """,
            (
                shop.id,
                (headers.get("X-Shopify-Topic") or "").strip().lower()[:100],
                event_id[:255],
                (headers.get("X-Shopify-Webhook-Id") or "")[:255] or None,
                triggered,
                (headers.get("X-Shopify-API-Version") or "")[:20] or None,
                (headers.get("X-Shopify-Shop-Domain") or "")[:255] or None,
                body.decode("utf-8"),
                uid,
                uid,
            ),
            # a concurrent redelivery fails to serialize here and the request
            # is retried: expected, not worth an ERROR line with the payload
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        return self.browse(row[0]) if row else None

    def _delay_process(self, payload=None):
        """Enqueue the processing of this event in its shop's channel.

        A level webhook showing Shopify above what we last wrote or read
        there (``payload``, as the controller parsed it: an edit in
        Shopify's admin, most likely) may offer units Odoo doesn't have:
        with decreases first, its check (and the corrective push it
        enqueues) goes first too, instead of waiting behind the other
        webhooks of a busy shop (issue 24).
        """
        self.ensure_one()
        options = {}
        if payload is not None and self._synco_level_rose(payload):
            options["priority"] = DECREASE_PRIORITY
        return self.with_delay(
            channel=self.shop_id._job_channel(),
            **options,
            identity_key=f"synco_shopify.webhook:{self.id}",
            description=self.env._(
                "Shopify webhook %(topic)s (%(shop)s)",
                topic=self.topic,
                shop=self.shop_id.name,
            ),
        )._job_process()

    def _synco_level_rose(self, payload):
        """Whether this level webhook shows Shopify above our memory of the
        level (one indexed query), with decreases first on: the value we
        last wrote or read, also when an import has since asked to read it
        again (forgotten: the next push reads it first)."""
        if self.topic not in LEVEL_TOPICS or not isinstance(payload, dict):
            return False
        Binding = self.env["shopify.product.binding"]
        if not Binding._synco_decreases_first():
            return False
        try:
            item = to_gid("InventoryItem", payload["inventory_item_id"])
            location = to_gid("Location", payload["location_id"])
            available = int(payload.get("available") or 0)
        except (KeyError, TypeError, ValueError):
            return False  # the job refuses it, at its own pace
        self.env["shopify.inventory.level"].flush_model(
            ["shopify_available", "shopify_known"]
        )
        self.env.cr.execute(
            SQL(
                "SELECT level.shopify_available FROM shopify_inventory_level level "
                "JOIN shopify_product_binding binding ON binding.id = level.binding_id "
                "JOIN shopify_location loc ON loc.id = level.shopify_location_id "
                "WHERE binding.shop_id = %s AND binding.shopify_inventory_item_gid "
                "= %s AND loc.shopify_gid = %s",
                self.shop_id.id,
                item,
                location,
            )
        )
        row = self.env.cr.fetchone()
        return bool(row) and available > row[0]

    # ----------------------------------------------------------------- actions
    def action_reprocess(self):
        """Process the selected events again, now (after fixing a binding, say)."""
        for event in self:
            event.write({"state": "received", "error_message": False})
            event._job_process()
        return True

    # --------------------------------------------------------------------- job
    def _job_process(self):
        """Job: apply the event; idempotent (a processed event is left alone).

        Errors in the data (an order that can't be confirmed) mark the event
        *failed* with the message, for a human to read and reprocess;
        network trouble and concurrent imports of the same order are retried
        by queue_job.
        """
        self.ensure_one()
        if self.state in ("processed", "ignored"):
            return self.env._("Already %(state)s.", state=self.state)
        self.attempts += 1
        try:
            payload = json.loads(self.payload or "{}")
        except ValueError:
            return self._finish("failed", error=self.env._("The body is not JSON."))
        try:
            with self.env.cr.savepoint():
                state, result = self._dispatch(payload)
        except RetryableJobError:
            raise  # its delay, and whether it spends a retry, stand
        except ShopifyRetryableError as exc:
            raise retryable_job_error(exc, 10) from exc
        except psycopg2.IntegrityError as exc:
            # another job imported the same order meanwhile: read it next time
            raise RetryableJobError(str(exc), seconds=5) from exc
        except psycopg2.OperationalError:
            raise
        except Exception as exc:
            _logger.exception("Shopify webhook event %s failed", self.id)
            return self._finish("failed", error=str(exc))
        return self._finish(state, result=result)

    def _finish(self, state, result=None, error=None):
        self.write(
            {
                "state": state,
                "result": (result or "")[:250] or False,
                "error_message": error or False,
                "processed_date": fields.Datetime.now(),
            }
        )
        return error or result

    def _dispatch(self, payload):
        """(state, message) after applying the payload according to its topic."""
        shop = self.shop_id
        if self.topic in ORDER_TOPICS:
            if shop.policy_reservation != "shopify_triggers_odoo":
                return "ignored", self.env._("Orders are not imported for this shop.")
            data = normalize_order(payload)
            order, message, _created = self.env["shopify.order.import"]._sync(
                shop, data, event_at=self.triggered_at
            )
            if order:
                self.sale_order_id = order
            return ("processed" if order else "ignored"), message
        if self.topic in LEVEL_TOPICS:
            return shop._synco_check_level(
                to_gid("InventoryItem", payload["inventory_item_id"]),
                to_gid("Location", payload["location_id"]),
                int(payload.get("available") or 0),
                event=self,
            )
        if self.topic == "app/uninstalled":
            return shop._synco_app_uninstalled()
        return "ignored", self.env._("Topic %(topic)s is not used.", topic=self.topic)

    @api.model
    def _order_lock(self, shop, gid):
        """The jobs of one Shopify order take turns: imports, alignment, fulfilments.

        A transaction-level advisory lock per (shop, Shopify order), then the
        sale order's row when it exists (see ``locking``): a job that finds
        either held, or the order changed since it began, runs again shortly
        on fresh data, without spending a retry.
        """
        if not try_advisory_lock(self.env.cr, "synco_shopify", shop.id, gid):
            # waiting here would leave this transaction on a snapshot older
            # than the other import's commit: run again after it instead,
            # without spending a retry
            raise OrderBusy(
                f"order {gid} is being imported by another job",
                seconds=3,
                ignore_retry=True,
            )
        where = SQL("shopify_shop_id = %s AND shopify_order_gid = %s", shop.id, gid)
        if try_lock_rows(self.env.cr, "sale_order", where) is None:
            raise OrderBusy(
                f"order {gid} is being changed by another job",
                seconds=2,
                ignore_retry=True,
            )


class OrderBusy(RetryableJobError):
    """Another job holds (or changed, since this one began) a Shopify order.

    A job about that order runs again shortly, spending no retry; the order
    poll leaves the order to that job and to its next run instead of
    polling every order again (see ``shopify.shop._job_poll_orders``).
    """


def _parse_datetime(value):
    """Shopify's ISO-8601 (``...T12:00:00.123Z``) -> naive UTC, or None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed.replace(microsecond=0)
