"""Webhook subscriptions: created, removed, and the events sent to them.

Payloads and the retrying sender are in ``webhooks``; here the simulator
emits events to the subscriptions of a topic, drops some on the
``drop_webhooks`` fault, and removes a subscription whose deliveries keep
failing, as Shopify does.

A mixin of :class:`~.simulator.Simulator`: its methods run on the simulator.
"""

import time
import uuid

from . import state

# failed deliveries (each after every retry) that remove a subscription
REMOVE_SUBSCRIPTION_AFTER = 3


class WebhookSubscriptionsMixin:
    """Subscriptions and deliveries of the simulated shops."""

    # -- webhooks ---------------------------------------------------------------------

    def _emit(self, shop, topic, payload):
        event_id = str(uuid.uuid4())
        for subscription in list(shop.webhooks.values()):
            if subscription.topic == topic:
                self.webhooks.enqueue(
                    shop,
                    subscription,
                    topic,
                    payload,
                    event_id,
                    drop=self._drop_webhook(),
                )

    def _drop_webhook(self):
        if self.faults["drop_next_webhooks"] > 0:
            self.faults["drop_next_webhooks"] -= 1
            return True
        return self.random.random() < self.faults["drop_webhooks"]

    def deliveries(self):
        with self.lock:
            return list(self.webhooks.deliveries)

    def wait_for_deliveries(self, timeout=10.0):
        return self.webhooks.wait_idle(timeout)

    def set_webhook_retry(self, schedule=None, timeout=None):
        if schedule is not None:
            self.webhooks.retry_schedule = tuple(schedule)
        if timeout is not None:
            self.webhooks.timeout = timeout

    def _delivery_failed(self, delivery):
        """Shopify gave up on a delivery; enough of them remove the subscription."""
        with self.lock:
            key = (delivery["shop"], delivery["subscription_id"])
            self._failures[key] += 1
            if self._failures[key] < self.remove_subscription_after:
                return
            shop = self.store.shops.get(delivery["shop"])
            if shop is None:
                return
            parsed = state.parse_gid(delivery["subscription_id"])
            if parsed and shop.webhooks.pop(parsed[1], None) is not None:
                self._failures.pop(key, None)

    def delete_webhook_subscriptions(self, shop=None, topic=None):
        """Shopify removes subscriptions that kept failing; returns how many."""
        with self.lock:
            shop = self.store.shop(shop)
            doomed = [
                number
                for number, webhook in shop.webhooks.items()
                if topic is None or webhook.topic == topic
            ]
            for number in doomed:
                del shop.webhooks[number]
            return len(doomed)

    def apply_webhook_create(self, shop, version, topic, data):
        uri = data.get("uri") or data.get("callbackUrl")
        if not uri:
            return {
                "webhookSubscription": None,
                "userErrors": [
                    {
                        "field": ["webhookSubscription", "uri"],
                        "message": "Address can't be blank",
                    }
                ],
            }
        for existing in shop.webhooks.values():
            if existing.topic == topic and existing.uri == uri:
                return {
                    "webhookSubscription": None,
                    "userErrors": [
                        {
                            "field": ["webhookSubscription", "callbackUrl"],
                            "message": "Address for this topic has already been taken",
                        }
                    ],
                }
        now = time.time()
        webhook = state.WebhookSubscription(
            number=self.store.next_id(),
            topic=topic,
            uri=uri,
            format=data.get("format") or "JSON",
            include_fields=data.get("includeFields") or [],
            filter=data.get("filter"),
            name=data.get("name"),
            api_version=version,
            created_at=now,
            updated_at=now,
        )
        shop.webhooks[webhook.number] = webhook
        return {"webhookSubscription": webhook, "userErrors": []}
