"""Fulfilment: fulfilment orders moved between locations, and shipped.

``fulfillmentOrderMove`` and ``fulfillmentCreate`` are refused (``userErrors``,
nothing changes) where Shopify documents a refusal; committed units follow a
move, and leave with a shipment.  A fulfilment order at a location a
fulfilment service runs (``add_location(fulfillment_service=name)``) belongs
to that service's app: this app can neither move nor fulfil it.

A mixin of :class:`~.simulator.Simulator`: its methods run on the simulator;
``apply_*`` are called by the resolvers with the lock held.
"""

import time

from . import state
from .graphql_api import typed_node
from .webhooks import level_payload, order_payload


class FulfilmentMixin:
    """Fulfilment orders and fulfilments: read, reported, moved, shipped."""

    def fulfillment_orders(self, order_id):
        """[{id, location, status, lines: {sku: (total, remaining)}}] of an order."""
        with self.lock:
            _shop, order = self._find_order(order_id)
            return [
                {
                    "id": fo.id,
                    "location": fo.location.name,
                    "status": fo.status,
                    "lines": {
                        fo_line.sku: (fo_line.total, fo_line.remaining_quantity)
                        for fo_line in fo.lines
                    },
                }
                for fo in order.fulfillment_orders
            ]

    def fulfillments(self, order_id):
        """[{id, location, status, tracking, notify, lines: {sku: qty}}]."""
        with self.lock:
            _shop, order = self._find_order(order_id)
            result = []
            for fulfillment in order.fulfillments:
                lines = {}
                for line, quantity in fulfillment.lines:
                    lines[line.sku] = lines.get(line.sku, 0) + quantity
                result.append(
                    {
                        "id": fulfillment.id,
                        "location": fulfillment.location.name,
                        "status": fulfillment.status,
                        "tracking": dict(fulfillment.tracking or {}),
                        "notify_customer": fulfillment.notify_customer,
                        "lines": lines,
                    }
                )
            return result

    def report_progress(self, fulfillment_order_id):
        """The merchant marks a fulfilment order as in progress (not movable)."""
        with self.lock:
            for shop in self.store.shops.values():
                parsed = state.parse_gid(str(fulfillment_order_id))
                fo = shop.fulfillment_orders.get(parsed[1] if parsed else None)
                if fo is not None:
                    fo.progress_reported = True
                    fo.state = "IN_PROGRESS"
                    fo.updated = time.time()
                    return fo
            raise KeyError(f"no fulfillment order {fulfillment_order_id!r}")

    def apply_fulfillment_order_move(self, shop, fo_id, location_id, fo_lines=None):
        """``fulfillmentOrderMove``: the unfulfilled units change location.

        Refused (``userErrors``, nothing changes) as Shopify documents: a
        closed or cancelled fulfilment order, progress reported on it, a
        destination that does not stock an item, that is inactive or does
        not fulfil online orders.  Everything unfulfilled moving, nothing
        fulfilled yet: the fulfilment order itself is reassigned; otherwise
        the moved units form a new fulfilment order at the destination.
        Committed units follow: available goes up where they were and down
        where they go.
        """
        fo = typed_node(shop, fo_id, "FulfillmentOrder")
        location = typed_node(shop, location_id, "Location")
        moving, refusal = self._plan_move(fo, location, fo_lines)
        if refusal:
            message, field, code = refusal
            return {
                "movedFulfillmentOrder": None,
                "originalFulfillmentOrder": None,
                "remainingFulfillmentOrder": None,
                "userErrors": [
                    {"code": code, "field": list(field), "message": message}
                ],
            }
        wanted = {fo_line.number: quantity for fo_line, quantity in moving}
        now = time.time()
        for fo_line, quantity in moving:
            item = fo_line.line.variant.item
            source, target = (
                item.levels.get(fo.location.number),
                item.levels[location.number],
            )
            if source is not None:
                source.committed -= quantity
                source.available += quantity
                source.updated_at = now
            target.available -= quantity
            target.committed += quantity
            target.updated_at = now
        whole = all(
            fo_line.fulfilled == 0 and wanted.get(fo_line.number) == fo_line.total
            for fo_line in fo.lines
        )
        original = fo
        if whole:
            origin = fo.location
            fo.location = location
            fo.updated = now
            moved = fo
        else:
            origin = fo.location
            moved = self._new_fulfillment_order(
                shop,
                fo.order,
                location,
                [(fl.line, q) for fl, q in moving],
                fo.delivery_method or "SHIPPING",
            )
            for fo_line, quantity in moving:
                fo_line.total -= quantity
            if not any(fl.remaining_quantity for fl in fo.lines):
                fo.state = "CLOSED"
            fo.updated = now
        for fo_line, _qty in moving:
            item = fo_line.line.variant.item
            for number in (origin.number, location.number):
                level = item.levels.get(number)
                if level is not None:
                    self._emit(
                        shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, level)
                    )
        return {
            "movedFulfillmentOrder": moved,
            "originalFulfillmentOrder": original,
            "remainingFulfillmentOrder": None,
            "userErrors": [],
        }

    @staticmethod
    def _plan_move(fo, location, fo_lines):
        """([(fulfilment order line, qty)], None), or ([], (message, field, code))."""
        if fo is None:
            return [], ("Fulfillment order does not exist.", ("id",), None)
        if location is None:
            return [], ("Location does not exist.", ("newLocationId",), None)
        if fo.status not in ("OPEN", "IN_PROGRESS"):
            return [], (
                f"Cannot move a fulfillment order with status {fo.status}.",
                ("id",),
                None,
            )
        if fo.location.is_fulfillment_service or location.is_fulfillment_service:
            # only the service's own app handles its fulfilment orders
            return [], (
                "The fulfillment order is assigned to a fulfillment service "
                "location and can't be moved by this app.",
                ("id",),
                None,
            )
        if fo.progress_reported:
            return [], (
                (
                    "Cannot move a fulfillment order that has had progress "
                    "reported. Mark the fulfillment order as open first."
                ),
                ("id",),
                "CANNOT_MOVE_FULFILLMENT_ORDER_WITH_REPORTED_PROGRESS",
            )
        if location is fo.location:
            return [], (
                "The fulfillment order is already assigned to this location.",
                ("newLocationId",),
                None,
            )
        if not location.is_active or not location.fulfills_online_orders:
            return [], (
                f"{location.name} can't fulfill online orders.",
                ("newLocationId",),
                None,
            )
        wanted = {fo_line.number: fo_line.remaining_quantity for fo_line in fo.lines}
        if fo_lines:
            asked = {}
            for given in fo_lines:
                parsed = state.parse_gid(given["id"])
                number = parsed[1] if parsed else None
                if number not in wanted or given["quantity"] > wanted[number]:
                    return [], (
                        "Invalid fulfillment order line item quantity requested.",
                        ("fulfillmentOrderLineItems",),
                        None,
                    )
                asked[number] = given["quantity"]
            wanted = asked
        moving = [
            (fo_line, wanted[fo_line.number])
            for fo_line in fo.lines
            if wanted.get(fo_line.number)
        ]
        unstocked = [
            fo_line.sku
            for fo_line, _qty in moving
            if location.number not in fo_line.line.variant.item.levels
        ]
        if unstocked:
            return [], (
                f"The items {', '.join(unstocked)} are not stocked at {location.name}.",
                ("newLocationId",),
                None,
            )
        return moving, None

    def apply_fulfillment_create(self, shop, data, message=None):
        """``fulfillmentCreate``: units ship; committed (and on hand) go down.

        Every fulfilment order must belong to one order and one location;
        without ``fulfillmentOrderLineItems`` all remaining units of a
        fulfilment order ship.  Asking for more than remains is refused.
        """

        def refused(text, field=("fulfillment",)):
            return {
                "fulfillment": None,
                "userErrors": [{"field": list(field), "message": text}],
            }

        groups = data.get("lineItemsByFulfillmentOrder") or []
        if not groups:
            return refused("Line items by fulfillment order can't be blank.")
        planned = []
        orders, locations = set(), set()
        for index, group in enumerate(groups):
            fo = typed_node(shop, group["fulfillmentOrderId"], "FulfillmentOrder")
            field = ("fulfillment", "lineItemsByFulfillmentOrder", str(index))
            if fo is None:
                return refused("Fulfillment order does not exist.", field)
            if fo.status not in ("OPEN", "IN_PROGRESS"):
                return refused(
                    f"Fulfillment order {fo.id} is {fo.status.lower()} and can't "
                    "be fulfilled.",
                    field,
                )
            if fo.location.is_fulfillment_service:
                return refused(
                    f"Fulfillment order {fo.id} is assigned to "
                    f"{fo.location.fulfillment_service}, a fulfillment service: "
                    "only its app can fulfill it.",
                    field,
                )
            orders.add(fo.order.number)
            locations.add(fo.location.number)
            by_number = {fl.number: fl for fl in fo.lines}
            asked = group.get("fulfillmentOrderLineItems")
            if asked is None:
                items = [(fl, fl.remaining_quantity) for fl in fo.lines]
            else:
                items = []
                for given in asked:
                    parsed = state.parse_gid(given["id"])
                    fo_line = by_number.get(parsed[1] if parsed else None)
                    if fo_line is None:
                        return refused(
                            "Fulfillment order line item does not exist.", field
                        )
                    if given["quantity"] <= 0 or (
                        given["quantity"] > fo_line.remaining_quantity
                    ):
                        return refused(
                            "Invalid fulfillment order line item quantity requested.",
                            field,
                        )
                    items.append((fo_line, given["quantity"]))
            planned.append((fo, [(fl, q) for fl, q in items if q]))
        if len(orders) > 1 or len(locations) > 1:
            return refused(
                "All fulfillment orders in a fulfillment must belong to the same "
                "order and be assigned to the same location."
            )
        if not any(items for _fo, items in planned):
            return refused("Nothing left to fulfill.")
        now = time.time()
        order = planned[0][0].order
        location = planned[0][0].location
        shipped = []
        for fo, items in planned:
            for fo_line, quantity in items:
                fo_line.fulfilled += quantity
                level = fo_line.line.variant.item.levels.get(location.number)
                if level is not None:
                    level.committed -= quantity
                    level.updated_at = now
                shipped.append((fo_line.line, quantity))
            fo.state = (
                "IN_PROGRESS"
                if any(fl.remaining_quantity for fl in fo.lines)
                else "CLOSED"
            )
            fo.updated = now
        tracking = data.get("trackingInfo") or {}
        fulfillment = state.Fulfillment(
            number=self.store.next_id(),
            order=order,
            location=location,
            fulfillment_orders=[fo for fo, _items in planned],
            lines=shipped,
            status="SUCCESS",
            tracking={
                "company": tracking.get("company"),
                "number": tracking.get("number"),
                "url": tracking.get("url"),
            },
            notify_customer=bool(data.get("notifyCustomer")),
            created_at=now,
        )
        order.fulfillments.append(fulfillment)
        shop.fulfillments[fulfillment.number] = fulfillment
        order.updated_at = now
        payload = order_payload(shop, order)
        self._emit(shop, "ORDERS_UPDATED", payload)
        done = all(not line.unfulfilled_quantity for line in order.lines)
        self._emit(
            shop,
            "ORDERS_FULFILLED" if done else "ORDERS_PARTIALLY_FULFILLED",
            payload,
        )
        return {"fulfillment": fulfillment, "userErrors": []}
