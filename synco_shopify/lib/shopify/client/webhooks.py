"""Webhook subscriptions of :class:`~.ShopifyClient`.

Subscribing, listing and deleting; the HMAC check of what the webhooks
deliver is :mod:`..webhook`'s.
"""

import re

from .. import documents as docs


class WebhookMixin:
    """Webhook subscription calls of :class:`~.ShopifyClient`."""

    @staticmethod
    def webhook_topic(topic):
        """``orders/create`` or ``ORDERS_CREATE`` -> ``ORDERS_CREATE``."""
        return re.sub(r"[/.\s-]", "_", topic.strip()).upper()

    def create_webhook(self, topic, callback_url):
        """Subscribe ``callback_url`` (sent as ``uri``) to ``topic``."""
        data = self.execute(
            docs.WEBHOOK_SUBSCRIPTION_CREATE,
            {
                "topic": self.webhook_topic(topic),
                "webhookSubscription": {"uri": callback_url, "format": "JSON"},
            },
        ).data
        payload = data.get("webhookSubscriptionCreate") or {}
        self._raise_user_errors(payload, "webhookSubscriptionCreate")
        return payload.get("webhookSubscription")

    def list_webhooks(self):
        """Every webhook subscription of the app on this shop."""
        return list(
            self._paginate(docs.WEBHOOK_SUBSCRIPTIONS, {}, ("webhookSubscriptions",))
        )

    def delete_webhook(self, webhook_id):
        """Delete a subscription; returns the deleted id."""
        data = self.execute(
            docs.WEBHOOK_SUBSCRIPTION_DELETE, {"id": str(webhook_id)}
        ).data
        payload = data.get("webhookSubscriptionDelete") or {}
        self._raise_user_errors(payload, "webhookSubscriptionDelete")
        return payload.get("deletedWebhookSubscriptionId")
