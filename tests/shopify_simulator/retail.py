"""The retail store: counter sales (Shopify POS), pickups and counter refunds.

A sale at the counter is an order Shopify POS creates already paid and
fulfilled: ``sourceName`` "pos", ``retailLocation`` the store, usually no
shipping address, one fulfilment order at the store with delivery method
RETAIL, closed by its fulfilment.  The units leave the store's ``available``
and ``on_hand`` at once (nothing is committed).  A refund gives money back
for line items; with restock (``restockType`` RETURN) the units go back on
sale at the refund's location.  ``fulfillmentOrderLineItemsPreparedForPickup``
marks a pickup order ready (Shopify notifies the customer); the pickup is
then recorded as a fulfilment.  Each sends the webhooks Shopify would.

A mixin of :class:`~.simulator.Simulator`: its methods run on the simulator;
``apply_*`` are called by the resolvers with the lock held.
"""

import time
from decimal import Decimal

from . import state
from .graphql_api import typed_node
from .webhooks import level_payload, order_payload, refund_payload


class RetailMixin:
    """Counter sales, counter refunds and pickups."""

    def sell_at_counter(self, shop, lines, location, email=None, customer=None):
        """A sale at ``location``'s till: [(sku, qty)], fulfilled at once.

        Shopify POS sells what the customer holds, whatever the level says:
        ``available`` may go below zero.  Sends ``orders/create``,
        ``orders/paid``, ``orders/fulfilled`` and ``inventory_levels/update``.
        """
        with self.lock:
            shop = self.store.shop(shop)
            store = shop.location_named(location)
            now = time.time()
            number = self.store.next_id()
            order = state.Order(
                number=number,
                order_number=1001 + len(shop.orders),
                email=email,
                phone=None,
                lines=[],
                fulfillment_orders=[],
                fulfillments=[],
                currency=shop.currency,
                created_at=now,
                updated_at=now,
                tags=[],
                shipping_address=None,
                customer=self._customer(customer, email) if email else None,
                source_name="pos",
                retail_location=store,
                refunds=[],
            )
            touched = []
            for sku, quantity in lines:
                item = shop.item_for(sku)
                level = item.levels.get(store.number)
                if level is None:
                    raise ValueError(f"{sku} is not stocked at {store.name}")
                level.available -= quantity
                level.updated_at = now
                touched.append(level)
                order.lines.append(
                    state.LineItem(
                        number=self.store.next_id(),
                        order=order,
                        variant=item.variant,
                        quantity=quantity,
                        removed=0,
                        price=Decimal(item.variant.price),
                        location=store,
                    )
                )
            shop.orders[number] = order
            fo = self._new_fulfillment_order(
                shop,
                order,
                store,
                [(line, line.quantity) for line in order.lines],
                "RETAIL",
            )
            for fo_line in fo.lines:
                fo_line.fulfilled = fo_line.total
            fo.state = "CLOSED"
            fulfillment = state.Fulfillment(
                number=self.store.next_id(),
                order=order,
                location=store,
                fulfillment_orders=[fo],
                lines=[(line, line.quantity) for line in order.lines],
                status="SUCCESS",
                tracking={},
                notify_customer=False,
                created_at=now,
            )
            order.fulfillments.append(fulfillment)
            shop.fulfillments[fulfillment.number] = fulfillment
            payload = order_payload(shop, order)
            for topic in ("ORDERS_CREATE", "ORDERS_PAID", "ORDERS_FULFILLED"):
                self._emit(shop, topic, payload)
            for level in dict.fromkeys(touched):
                self._emit(shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, level))
            return order

    def refund(self, order_id, quantities, restock=True, location=None):
        """Refund {sku: units} of an order, restocked at ``location`` or not.

        With ``restock`` fulfilled units are returned (``restockType``
        RETURN) at ``location`` (a name; default where the line was
        fulfilled): ``available`` rises there; unfulfilled units are
        cancelled (CANCEL) from their fulfilment orders.  Without, nothing
        moves (NO_RESTOCK).  Either way the line's current quantity drops.
        Sends ``refunds/create``, ``orders/updated`` and, on restock,
        ``inventory_levels/update``.
        """
        with self.lock:
            shop, order = self._find_order(order_id)
            now = time.time()
            refund = state.Refund(
                number=self.store.next_id(), order=order, created_at=now, lines=[]
            )
            touched = []
            for line in order.lines:
                units = int(quantities.get(line.sku, 0))
                if not units:
                    continue
                if units > line.current_quantity:
                    raise ValueError(
                        f"{line.sku}: can't refund {units} of {line.current_quantity}"
                    )
                place = shop.location_named(location) if location else line.location
                kind = "NO_RESTOCK"
                if restock:
                    kind = "RETURN" if line.fulfilled_quantity >= units else "CANCEL"
                line.removed = (line.removed or 0) + units
                if kind == "RETURN":
                    level = line.variant.item.levels.get(place.number)
                    if level is None:
                        level = self.store.stock(shop, line.variant.item, place)
                    level.available += units
                    level.updated_at = now
                    touched.append(level)
                elif kind == "CANCEL":
                    touched += self._cancel_units(order, line, units, now)
                refund.lines.append(
                    state.RefundLineItem(
                        number=self.store.next_id(),
                        line=line,
                        quantity=units,
                        restock_type=kind,
                        location=place if kind != "NO_RESTOCK" else None,
                    )
                )
            if order.refunds is None:
                order.refunds = []
            order.refunds.append(refund)
            order.updated_at = now
            self._emit(shop, "REFUNDS_CREATE", refund_payload(shop, refund))
            self._emit(shop, "ORDERS_UPDATED", order_payload(shop, order))
            for level in dict.fromkeys(touched):
                self._emit(shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, level))
            return refund

    @staticmethod
    def _cancel_units(order, line, units, now, stamp=False):
        """Unfulfilled units leave their open fulfilment orders: back on sale.

        :param stamp: mark each open fulfilment order visited as updated (an
            order edit does; a refund leaves them as they were)
        """
        touched = []
        for fo in order.fulfillment_orders:
            if fo.state not in ("OPEN", "IN_PROGRESS") or not units:
                continue
            for fo_line in fo.lines:
                if fo_line.line is not line or not units:
                    continue
                take = min(units, fo_line.total - fo_line.fulfilled)
                fo_line.total -= take
                units -= take
                level = line.variant.item.levels.get(fo.location.number)
                if level is not None and take:
                    level.committed -= take
                    level.available += take
                    level.updated_at = now
                    touched.append(level)
            if stamp:
                fo.updated = now
        return touched

    def apply_prepared_for_pickup(self, shop, data):
        """``fulfillmentOrderLineItemsPreparedForPickup``: ready for pickup.

        Refused (``userErrors``, nothing changes) for an unknown fulfilment
        order, one not open, or one whose delivery method is not PICK_UP.
        """
        groups = data.get("lineItemsByFulfillmentOrder") or []
        planned = []
        for index, group in enumerate(groups):
            fo = typed_node(shop, group["fulfillmentOrderId"], "FulfillmentOrder")
            field = ["input", "lineItemsByFulfillmentOrder", str(index)]
            if fo is None:
                message = "Fulfillment order does not exist."
            elif fo.status not in ("OPEN", "IN_PROGRESS"):
                message = f"Fulfillment order {fo.id} is {fo.status.lower()}."
            elif (fo.delivery_method or "SHIPPING") != "PICK_UP":
                message = "Fulfillment order is not a local pickup order."
            else:
                planned.append(fo)
                continue
            return {"userErrors": [{"code": None, "field": field, "message": message}]}
        now = time.time()
        for fo in planned:
            fo.prepared_for_pickup = True
            fo.updated = now
        return {"userErrors": []}
