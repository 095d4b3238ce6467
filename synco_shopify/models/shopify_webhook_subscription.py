# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The webhooks Shopify calls: their address, registration, check and watchdog.

Mixed into ``shopify.shop`` (``shopify_shop.py`` holds its fields): the
methods run on shop records, ``self`` is a shop.

The events themselves are ``shopify.webhook.event`` records; the secrets
and the grace period of a replaced one are the shop's fields.
"""

import logging
from datetime import timedelta

from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib.shopify import ShopifyRetryableError
from .job_errors import retryable_job_error

_logger = logging.getLogger(__name__)

WEBHOOK_TOPICS = (
    "orders/create",
    "orders/updated",
    # in WebhookSubscriptionTopic of 2026-04 and 2026-07 (ORDERS_EDITED)
    "orders/edited",
    "orders/cancelled",
    "inventory_levels/update",
    # the app removed: freeze and say so (issue 21)
    "app/uninstalled",
)
WEBHOOK_PATH = "/synco_shopify/webhook/%s"
# how long the previous webhook secret stays valid after a change
SECRET_GRACE_PARAM = "synco_shopify.webhook_secret_grace_hours"
SECRET_GRACE_HOURS = 72


class ShopifyWebhookSubscription(models.AbstractModel):
    _name = "shopify.webhook.subscription"
    _description = "Shopify Webhook Subscriptions (shop mixin)"

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
        if not self._synco_webhook_key():
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
            lambda s: s._synco_webhook_key()
            and (s.sudo().access_token or s.sudo().client_secret)
        )
        for shop in shops:
            shop._delay_webhook_watchdog()
        return len(shops)

    def _delay_webhook_watchdog(self):
        self.ensure_one()
        return self.with_delay(
            channel=self._job_channel(),
            identity_key=f"synco_shopify.webhook_watchdog:{self.id}",
            description=self.env._(
                "Shopify webhook watchdog: %(shop)s", shop=self.name
            ),
        )._job_webhook_watchdog()

    def _job_webhook_watchdog(self, client=None):
        """Job: re-create the subscriptions Shopify removed; idempotent."""
        self.ensure_one()
        if not self.active or not self.sudo().webhook_secret:
            return self.env._("The shop receives no webhooks.")
        try:
            repaired = self._synco_repair_webhooks(client)
        except ShopifyRetryableError as exc:
            raise retryable_job_error(exc, 300) from exc
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

    def _synco_keep_previous_secret(self, secret, field="webhook_secret"):
        """A new webhook secret keeps the old one valid for a grace period.

        Called by ``write`` before it stores ``secret``.
        """
        hours = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(SECRET_GRACE_PARAM, SECRET_GRACE_HOURS)
        )
        for shop in self:
            old = shop.sudo()[field]
            if field == "client_secret" and shop.connect_method == "admin_token":
                continue  # not the webhook key of a legacy app
            if old and old != secret:
                shop.write(
                    {
                        "webhook_secret_previous": old,
                        "webhook_secret_previous_until": fields.Datetime.now()
                        + timedelta(hours=hours),
                        "webhook_previous_secret_hits": 0,
                    }
                )
