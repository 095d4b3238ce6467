"""Orders: placed, cancelled and edited as a customer or merchant would.

An order commits its units where it is routed (Shopify's default routing,
unless a location is given) and gets one open fulfilment order per location;
a cancellation or an edit puts the unshipped units back on sale.  Each sends
the webhooks Shopify would.

A mixin of :class:`~.simulator.Simulator`: its methods run on the simulator.
"""

import re
import time
import uuid
from decimal import Decimal

from . import state
from .webhooks import level_payload, order_payload


def _camel_keys(values):
    """``{"first_name": ..}`` -> ``{"firstName": ..}`` (REST keys accepted too)."""
    return {
        re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), key): value
        for key, value in (values or {}).items()
    }


class OrdersMixin:
    """Orders of the simulated shops, and their fulfilment orders."""

    def create_order(
        self,
        shop,
        lines,
        shipping_address=None,
        location=None,
        email="customer@example.com",
        customer=None,
        delivery_method="SHIPPING",
    ):
        """A customer buys ``lines`` [(sku, qty)]: available -> committed.

        ``delivery_method`` is the fulfilment orders' ``deliveryMethod``
        ``methodType``: SHIPPING, PICK_UP (collected at ``location``) or
        LOCAL (delivered by the store at ``location``).  Each line is taken
        from ``location`` (a name or GID, or {sku: name or GID} per line, a
        line left out routed as below) when given, else routed like
        Shopify's default: the first active location (by ID) that fulfills
        online orders and has the units, then any active location
        with them, else the first stocked one (overselling).  Sends
        ``orders/create`` and ``inventory_levels/update`` webhooks.
        """
        with self.lock:
            shop = self.store.shop(shop)
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
                cancelled_at=None,
                cancel_reason=None,
                note=None,
                tags=[],
                shipping_address=self._mailing_address(shipping_address),
                customer=self._customer(customer, email),
                source_name="web",
                refunds=[],
            )
            touched = []
            for sku, quantity in lines:
                item = shop.item_for(sku)
                where = location.get(sku) if isinstance(location, dict) else location
                level = self._pick_level(shop, item, quantity, where)
                level.available -= quantity
                level.committed += quantity
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
                        location=level.location,
                    )
                )
            shop.orders[number] = order
            self._assign_fulfillment_orders(shop, order, delivery_method)
            self._emit(shop, "ORDERS_CREATE", order_payload(shop, order))
            for level in dict.fromkeys(touched):
                self._emit(shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, level))
            return order

    def _assign_fulfillment_orders(self, shop, order, delivery_method="SHIPPING"):
        by_location = {}
        for line in order.lines:
            by_location.setdefault(line.location.number, []).append(line)
        for lines in by_location.values():
            self._new_fulfillment_order(
                shop,
                order,
                lines[0].location,
                [(line, line.quantity) for line in lines],
                delivery_method,
            )

    def _new_fulfillment_order(
        self, shop, order, location, quantities, delivery_method="SHIPPING"
    ):
        """An open fulfilment order at ``location`` for [(line item, quantity)]."""
        fulfillment_order = state.FulfillmentOrder(
            number=self.store.next_id(),
            order=order,
            location=location,
            delivery_method=delivery_method,
            state="OPEN",
            progress_reported=False,
            lines=[
                state.FulfillmentOrderLineItem(
                    number=self.store.next_id(), line=line, total=qty, fulfilled=0
                )
                for line, qty in quantities
            ],
        )
        order.fulfillment_orders.append(fulfillment_order)
        shop.fulfillment_orders[fulfillment_order.number] = fulfillment_order
        return fulfillment_order

    def cancel_order(self, order_id, reason="CUSTOMER"):
        """Cancel with restock: committed -> available; marks ``cancelledAt``."""
        with self.lock:
            shop, order = self._find_order(order_id)
            if order.cancelled_at:
                raise ValueError(f"order {order.name} is already cancelled")
            now = time.time()
            order.cancelled_at = order.updated_at = now
            order.cancel_reason = reason
            touched = []
            for fulfillment_order in order.fulfillment_orders:
                if fulfillment_order.state not in ("OPEN", "IN_PROGRESS"):
                    continue
                for fo_line in fulfillment_order.lines:
                    # what is not shipped yet goes back on sale where it sat
                    quantity = fo_line.total - fo_line.fulfilled
                    level = fo_line.line.variant.item.levels.get(
                        fulfillment_order.location.number
                    )
                    if level is None or not quantity:
                        continue
                    level.committed -= quantity
                    level.available += quantity
                    level.updated_at = now
                    touched.append(level)
            payload = order_payload(shop, order)
            self._emit(shop, "ORDERS_CANCELLED", payload)
            self._emit(shop, "ORDERS_UPDATED", payload)
            for level in dict.fromkeys(touched):
                self._emit(shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, level))
            return order

    def edit_order(self, order_id, quantities):
        """Lower line quantities before shipment ({sku: new quantity}).

        Like an order edit (or a refund with restock of unshipped units):
        the removed units leave the open fulfilment orders and go back on
        sale at their location; ``orders/edited`` and ``orders/updated``
        are sent.  Shipped units can't be removed.
        """
        with self.lock:
            shop, order = self._find_order(order_id)
            now = time.time()
            touched = []
            for line in order.lines:
                if line.sku not in quantities:
                    continue
                wanted = int(quantities[line.sku])
                remove = line.current_quantity - wanted
                if remove < 0 or wanted < line.fulfilled_quantity:
                    raise ValueError(
                        f"{line.sku}: can't go from {line.current_quantity} to "
                        f"{wanted} ({line.fulfilled_quantity} fulfilled)"
                    )
                line.removed = (line.removed or 0) + remove
                touched += self._cancel_units(order, line, remove, now, stamp=True)
            order.updated_at = now
            payload = order_payload(shop, order)
            self._emit(shop, "ORDERS_EDITED", payload)
            self._emit(shop, "ORDERS_UPDATED", payload)
            for level in dict.fromkeys(touched):
                self._emit(shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, level))
            return order

    def _find_order(self, order_id):
        if isinstance(order_id, state.Order):
            order_id = order_id.number
        parsed = state.parse_gid(str(order_id))
        number = parsed[1] if parsed else int(order_id)
        for shop in self.store.shops.values():
            if number in shop.orders:
                return shop, shop.orders[number]
        raise KeyError(f"no order {order_id!r}")

    @staticmethod
    def _pick_level(shop, item, quantity, location_name):
        if location_name is not None:
            location = shop.location_named(location_name)
            level = item.levels.get(location.number)
            if level is None:
                raise ValueError(f"{item.sku} is not stocked at {location.name}")
            return level
        stocked = [
            item.levels[n]
            for n in sorted(item.levels)
            if item.levels[n].location.is_active
        ]
        if not stocked:
            raise ValueError(f"{item.sku} is not stocked at any active location")
        # Shopify's default routing: a location fulfilling online orders that
        # has the stock, then any location with stock, else oversell the first
        preferred = sorted(
            stocked, key=lambda lv: not lv.location.fulfills_online_orders
        )
        for level in preferred:
            if level.available >= quantity:
                return level
        return stocked[0]

    @staticmethod
    def _mailing_address(address):
        """A MailingAddress dict from GraphQL-style or REST-style keys."""
        address = _camel_keys(address)
        if "countryCode" in address:
            address.setdefault("countryCodeV2", address.pop("countryCode"))
        for key in (
            "firstName",
            "lastName",
            "company",
            "address1",
            "address2",
            "city",
            "province",
            "provinceCode",
            "country",
            "countryCodeV2",
            "zip",
            "phone",
        ):
            address.setdefault(key, None)
        address.setdefault(
            "name",
            " ".join(p for p in (address["firstName"], address["lastName"]) if p)
            or None,
        )
        address.setdefault("id", state.gid("MailingAddress", uuid.uuid4().int % 10**12))
        return address

    def _customer(self, customer, email):
        customer = _camel_keys(customer)
        number = customer.get("number") or self.store.next_id()
        customer.setdefault("email", email)
        customer.setdefault("firstName", None)
        customer.setdefault("lastName", None)
        customer.setdefault("phone", None)
        customer.update(
            number=number,
            id=state.gid("Customer", number),
            legacyResourceId=str(number),
        )
        customer.setdefault(
            "displayName",
            " ".join(p for p in (customer["firstName"], customer["lastName"]) if p)
            or email,
        )
        return customer
