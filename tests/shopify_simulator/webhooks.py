"""Webhook payloads (Shopify's REST-style JSON) and the background sender.

Shopify delivers webhooks asynchronously, signs the raw body with the app's
secret (``X-Shopify-Hmac-Sha256`` = base64 HMAC-SHA256) and retries failed
deliveries (non-2xx or no answer within 5 s) 8 times over 4 hours, keeping the
same ``X-Shopify-Webhook-Id``.  ``WebhookSender`` reproduces that with one
daemon thread and a due-time heap; the retry schedule is configurable so tests
can use fractions of a second (``SHOPIFY_RETRY_SCHEDULE`` is the real one).
Every delivery is recorded (status, attempts, response codes) for tests.
"""

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import uuid
from datetime import datetime, timezone

import requests

from .state import local_iso

# Shopify: 8 retries spread over 4 hours (seconds after the previous attempt).
SHOPIFY_RETRY_SCHEDULE = (60, 120, 240, 480, 960, 1920, 3840, 7680)
FAST_RETRY_SCHEDULE = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4)


def topic_path(topic):
    """``INVENTORY_LEVELS_UPDATE`` -> ``inventory_levels/update``."""
    resource, _, action = topic.lower().rpartition("_")
    return f"{resource}/{action}"


def sign(secret, body):
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _address(address):
    address = address or {}
    return {
        "first_name": address.get("firstName"),
        "last_name": address.get("lastName"),
        "name": address.get("name"),
        "company": address.get("company"),
        "address1": address.get("address1"),
        "address2": address.get("address2"),
        "city": address.get("city"),
        "province": address.get("province"),
        "province_code": address.get("provinceCode"),
        "country": address.get("country"),
        "country_code": address.get("countryCodeV2"),
        "zip": address.get("zip"),
        "phone": address.get("phone"),
    }


def order_payload(shop, order):
    """The ``orders/*`` webhook body for ``order``."""
    tz = shop.timezone
    total = f"{order.total:.2f}"
    customer = order.customer or {}
    return {
        "id": order.number,
        "admin_graphql_api_id": order.id,
        "name": order.name,
        "order_number": order.order_number,
        "number": order.order_number - 1000,
        "email": order.email,
        "contact_email": order.email,
        "phone": order.phone,
        "created_at": local_iso(order.created_at, tz),
        "updated_at": local_iso(order.updated_at, tz),
        "processed_at": local_iso(order.created_at, tz),
        "cancelled_at": local_iso(order.cancelled_at, tz),
        "cancel_reason": (order.cancel_reason or "").lower() or None,
        "closed_at": local_iso(order.cancelled_at, tz),
        "currency": order.currency,
        "presentment_currency": order.currency,
        "total_price": total,
        "subtotal_price": total,
        "total_tax": "0.00",
        "financial_status": "voided" if order.cancelled_at else "paid",
        "fulfillment_status": _fulfillment_status(order),
        # POS orders: the store where the sale was made
        "location_id": order.retail_location.number if order.retail_location else None,
        "test": False,
        "source_name": order.source_name or "web",
        "tags": ", ".join(order.tags or []),
        "note": order.note,
        "customer": {
            "id": customer.get("number"),
            "admin_graphql_api_id": customer.get("id"),
            "email": customer.get("email"),
            "first_name": customer.get("firstName"),
            "last_name": customer.get("lastName"),
            "phone": customer.get("phone"),
        }
        if customer
        else None,
        "shipping_address": _address(order.shipping_address),
        "billing_address": _address(order.shipping_address),
        "line_items": [
            {
                "id": line.number,
                "admin_graphql_api_id": f"gid://shopify/LineItem/{line.number}",
                "variant_id": line.variant.number,
                "product_id": line.variant.product.number,
                "sku": line.sku,
                "title": line.title,
                "variant_title": line.variant_title,
                "name": line.name,
                "vendor": line.variant.product.vendor,
                "quantity": line.quantity,
                "current_quantity": line.current_quantity,
                "fulfillable_quantity": line.unfulfilled_quantity,
                "price": f"{line.price:.2f}",
                "requires_shipping": True,
                "fulfillment_service": "manual",
                "fulfillment_status": (
                    "fulfilled"
                    if line.fulfilled_quantity and not line.unfulfilled_quantity
                    else "partial"
                    if line.fulfilled_quantity
                    else None
                ),
            }
            for line in order.lines
        ],
        "fulfillments": [
            {
                "id": fulfillment.number,
                "admin_graphql_api_id": fulfillment.id,
                "location_id": fulfillment.location.number,
                "name": fulfillment.name,
                "status": fulfillment.status.lower(),
                "tracking_company": (fulfillment.tracking or {}).get("company"),
                "tracking_number": (fulfillment.tracking or {}).get("number"),
                "tracking_url": (fulfillment.tracking or {}).get("url"),
                "line_items": [
                    {"id": line.number, "quantity": quantity}
                    for line, quantity in fulfillment.lines
                ],
            }
            for fulfillment in order.fulfillments or ()
        ],
        "refunds": [_refund(shop, refund) for refund in order.refunds or ()],
    }


def _refund(shop, refund):
    return {
        "id": refund.number,
        "admin_graphql_api_id": refund.id,
        "order_id": refund.order.number,
        "created_at": local_iso(refund.created_at, shop.timezone),
        "processed_at": local_iso(refund.created_at, shop.timezone),
        "restock": any(r.restock_type != "NO_RESTOCK" for r in refund.lines),
        "refund_line_items": [
            {
                "id": r.number,
                "line_item_id": r.line.number,
                "quantity": r.quantity,
                "restock_type": r.restock_type.lower(),
                "location_id": r.location.number if r.location else None,
                "line_item": {
                    "id": r.line.number,
                    "admin_graphql_api_id": f"gid://shopify/LineItem/{r.line.number}",
                    "variant_id": r.line.variant.number,
                    "sku": r.line.sku,
                    "quantity": r.line.quantity,
                },
            }
            for r in refund.lines
        ],
    }


def refund_payload(shop, refund):
    """The ``refunds/create`` webhook body for ``refund``."""
    return _refund(shop, refund)


def _fulfillment_status(order):
    """REST's order ``fulfillment_status``: None, "partial" or "fulfilled"."""
    lines = [line for line in order.lines if line.current_quantity]
    if not lines or not any(line.fulfilled_quantity for line in lines):
        return None
    if all(not line.unfulfilled_quantity for line in lines):
        return "fulfilled"
    return "partial"


def level_payload(shop, level):
    """The ``inventory_levels/update`` webhook body."""
    return {
        "inventory_item_id": level.item.number,
        "location_id": level.location.number,
        "available": level.available,
        "updated_at": local_iso(level.updated_at, shop.timezone),
        "admin_graphql_api_id": level.id,
    }


class WebhookSender:
    """Background delivery of webhooks with retries; records every delivery."""

    def __init__(self, retry_schedule=FAST_RETRY_SCHEDULE, timeout=5.0, on_failed=None):
        self.retry_schedule = tuple(retry_schedule)
        self.timeout = timeout
        # called (outside the sender's lock) with a delivery Shopify gave up on
        self.on_failed = on_failed
        self.deliveries = []
        self._heap = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self._busy = 0
        self._thread = threading.Thread(
            target=self._run, name="sim-webhooks", daemon=True
        )
        self._thread.start()

    def enqueue(self, shop, subscription, topic, payload, event_id, drop=False):
        body = json.dumps(payload).encode()
        delivery = {
            "webhook_id": str(uuid.uuid4()),
            "event_id": event_id,
            "shop": shop.domain,
            "topic": topic,
            "uri": subscription.uri,
            "subscription_id": subscription.id,
            "payload": payload,
            "status": "dropped" if drop else "pending",
            "attempts": 0,
            "responses": [],
            "created_at": time.time(),
            "delivered_at": None,
        }
        triggered = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        delivery["headers"] = {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": topic_path(topic),
            "X-Shopify-Hmac-Sha256": sign(shop.webhook_secret, body),
            "X-Shopify-Shop-Domain": shop.domain,
            "X-Shopify-API-Version": subscription.api_version,
            "X-Shopify-Webhook-Id": delivery["webhook_id"],
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Triggered-At": triggered.replace("+00:00", "Z"),
        }
        with self._cond:
            self.deliveries.append(delivery)
            if not drop:
                self._push(time.monotonic(), delivery, body)
        return delivery

    def _push(self, due, delivery, body):
        heapq.heappush(self._heap, (due, next(self._order), delivery, body))
        self._cond.notify_all()

    def _run(self):
        while True:
            with self._cond:
                while not self._stopping and (
                    not self._heap or self._heap[0][0] > time.monotonic()
                ):
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._stopping:
                    return
                _, _, delivery, body = heapq.heappop(self._heap)
                self._busy += 1
            try:
                self._attempt(delivery, body)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _attempt(self, delivery, body):
        delivery["attempts"] += 1
        try:
            response = requests.post(
                delivery["uri"],
                data=body,
                headers=delivery["headers"],
                timeout=self.timeout,
            )
            code = response.status_code
        except requests.RequestException as exc:
            code = type(exc).__name__
        delivery["responses"].append(code)
        gave_up = False
        with self._cond:
            if isinstance(code, int) and 200 <= code < 300:
                delivery["status"] = "delivered"
                delivery["delivered_at"] = time.time()
            elif delivery["attempts"] > len(self.retry_schedule):
                delivery["status"] = "failed"
                gave_up = True
            else:
                delay = self.retry_schedule[delivery["attempts"] - 1]
                self._push(time.monotonic() + delay, delivery, body)
        if gave_up and self.on_failed is not None:
            self.on_failed(delivery)

    def wait_idle(self, timeout=10.0):
        """Block until nothing is pending; True if that happened in time."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def clear(self):
        with self._cond:
            self._heap.clear()
            self.deliveries.clear()

    def stop(self):
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout=5)
