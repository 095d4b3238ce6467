"""Fulfilment orders and fulfilments: the client's order-shipping calls.

One module per area, as the modules of the :mod:`.client` package;
``ShopifyClient`` mixes :class:`FulfillmentMixin` in and provides
``execute`` and ``_raise_user_errors``.  No Odoo imports.

Shopify assigns each order's units to fulfilment orders, one per location.
Odoo moves them where it ships from (``fulfillmentOrderMove``) and reports
what it shipped (``fulfillmentCreate``).  Neither mutation documents
``@idempotent`` support (checked in the 2026-04 and 2026-07 schemas), so
callers read first (:meth:`FulfillmentMixin.fulfillment_orders`) and only
send what is still to do: a retry after a lost answer sends nothing.  For
the same reason the client does not retry them by itself (``retries=0``):
the caller's job is retried, and reads first.
"""

from . import documents as docs

#: fulfilment order statuses that can still ship or move
ACTIVE_STATUSES = ("OPEN", "IN_PROGRESS")


class FulfillmentMixin:
    """Fulfilment calls of :class:`~.client.ShopifyClient`."""

    def fulfillment_orders(self, order_gid, *, first=5, lines_first=50):
        """An order's fulfilment orders, flattened; None if Shopify has no order.

        Returns ``{"id", "name", "cancelled", "fulfillment_orders": [{"id",
        "status", "method" (delivery method type), "location_gid", "lines":
        [{"id", "line_item_gid", "sku", "total", "remaining"}]}],
        "line_items": {gid: {"quantity", "current", "fulfilled"}}}``.
        Up to 5 fulfilment orders of 50 lines each: an order split over more
        locations or lines is read partly.
        """
        data = self.execute(
            docs.ORDER_FULFILLMENT_ORDERS,
            {"id": order_gid, "first": first, "linesFirst": lines_first},
        ).data
        order = data.get("order")
        if not order:
            return None
        result = {
            "id": order["id"],
            "name": order.get("name"),
            "cancelled": bool(order.get("cancelledAt")),
            "fulfillment_orders": [],
            "line_items": {},
        }
        for node in (order.get("fulfillmentOrders") or {}).get("nodes") or ():
            location = (node.get("assignedLocation") or {}).get("location") or {}
            lines = []
            for fo_line in (node.get("lineItems") or {}).get("nodes") or ():
                item = fo_line.get("lineItem") or {}
                current = item.get("currentQuantity") or 0
                result["line_items"][item.get("id")] = {
                    "quantity": item.get("quantity") or 0,
                    "current": current,
                    "fulfilled": current - (item.get("unfulfilledQuantity") or 0),
                }
                lines.append(
                    {
                        "id": fo_line["id"],
                        "line_item_gid": item.get("id"),
                        "sku": item.get("sku"),
                        "total": fo_line.get("totalQuantity") or 0,
                        "remaining": fo_line.get("remainingQuantity") or 0,
                    }
                )
            result["fulfillment_orders"].append(
                {
                    "id": node["id"],
                    "status": node.get("status"),
                    "method": (node.get("deliveryMethod") or {}).get("methodType"),
                    "location_gid": location.get("id"),
                    "lines": lines,
                }
            )
        return result

    def move_fulfillment_order(self, fulfillment_order_gid, location_gid):
        """Reassign a fulfilment order's unfulfilled units to ``location_gid``.

        Returns ``{"id", "status", "location_gid"}`` of the moved fulfilment
        order; a refusal raises :class:`~.errors.ShopifyUserErrors`.
        """
        data = self.execute(
            docs.FULFILLMENT_ORDER_MOVE,
            {"id": fulfillment_order_gid, "newLocationId": location_gid},
            retries=0,
        ).data
        payload = data.get("fulfillmentOrderMove") or {}
        self._raise_user_errors(payload, "fulfillmentOrderMove")
        moved = payload.get("movedFulfillmentOrder") or {}
        location = (moved.get("assignedLocation") or {}).get("location") or {}
        return {
            "id": moved.get("id"),
            "status": moved.get("status"),
            "location_gid": location.get("id"),
        }

    def create_fulfillment(
        self, lines_by_fulfillment_order, *, tracking=None, notify_customer=False
    ):
        """Ship units: ``{fulfilment order gid: [(fo line gid, quantity)]}``.

        ``tracking`` holds ``company``, ``number`` and ``url`` (any may be
        empty).  The fulfilment orders must share one order and location.
        Returns ``{"id", "name", "status", "total_quantity"}``; a refusal
        raises :class:`~.errors.ShopifyUserErrors`.
        """
        groups = [
            {
                "fulfillmentOrderId": fo_gid,
                "fulfillmentOrderLineItems": [
                    {"id": line_gid, "quantity": int(quantity)}
                    for line_gid, quantity in lines
                ],
            }
            for fo_gid, lines in lines_by_fulfillment_order.items()
            if lines
        ]
        fulfillment = {
            "lineItemsByFulfillmentOrder": groups,
            "notifyCustomer": bool(notify_customer),
        }
        tracking = {k: v for k, v in (tracking or {}).items() if v}
        if tracking:
            fulfillment["trackingInfo"] = tracking
        data = self.execute(
            docs.FULFILLMENT_CREATE,
            {"fulfillment": fulfillment},
            size=sum(len(g["fulfillmentOrderLineItems"]) for g in groups),
            retries=0,
        ).data
        payload = data.get("fulfillmentCreate") or {}
        self._raise_user_errors(payload, "fulfillmentCreate")
        created = payload.get("fulfillment") or {}
        return {
            "id": created.get("id"),
            "name": created.get("name"),
            "status": created.get("status"),
            "total_quantity": created.get("totalQuantity"),
        }

    def prepared_for_pickup(self, fulfillment_order_gids):
        """Mark pickup fulfilment orders ready (Shopify tells the customer).

        A refusal raises :class:`~.errors.ShopifyUserErrors`; not retried by
        the client (the mutation documents no ``@idempotent`` support).
        """
        data = self.execute(
            docs.FULFILLMENT_ORDER_PREPARED_FOR_PICKUP,
            {
                "input": {
                    "lineItemsByFulfillmentOrder": [
                        {"fulfillmentOrderId": gid} for gid in fulfillment_order_gids
                    ]
                }
            },
            retries=0,
        ).data
        payload = data.get("fulfillmentOrderLineItemsPreparedForPickup") or {}
        self._raise_user_errors(payload, "fulfillmentOrderLineItemsPreparedForPickup")
        return True

    def order_refunds(self, order_gid, *, first=10, lines_first=20):
        """An order's refunds as ``Refund`` nodes; None if Shopify has no order."""
        data = self.execute(
            docs.ORDER_REFUNDS,
            {"id": order_gid, "first": first, "linesFirst": lines_first},
        ).data
        order = data.get("order")
        return None if not order else order.get("refunds") or []
