"""Inventory transfers and shipments (Admin API 2025-07 and later).

What each step does to the levels, as Shopify documents it:

* a transfer is created ``DRAFT``: "The inventory included in the draft
  transfer isn't reserved" (nothing moves);
* ``READY_TO_SHIP`` (``inventoryTransferCreateAsReadyToShip``,
  ``inventoryTransferMarkAsReadyToShip``): "The inventory that you're
  transferring is reserved at the origin location": origin ``available``
  down, ``reserved`` up;
* a shipment in transit (``inventoryShipmentCreateInTransit``, or
  ``inventoryShipmentCreate`` then ``inventoryShipmentMarkInTransit``): its
  units show as ``incoming`` at the destination ("Incoming inventory is
  surfaced at its destination location"; Shopify activates the item there,
  hence ``ACTIVATION_FAILED``) and leave the origin: what the transfer
  reserved there first, ``available`` for the rest; ``on_hand`` drops.  The
  transfer is ``IN_PROGRESS``.  A transfer without an origin (a supplier's,
  whose origin "is not a location") takes nothing anywhere;
* receiving (``inventoryShipmentReceive``): "When you accept an item in your
  transfer, the available quantity is added ... When you reject an item ...
  it does not adjust your inventory quantity", and incoming falls by what
  was received "regardless of whether you mark them as Accepted or
  Rejected".  The shipment is ``PARTIALLY_RECEIVED`` then ``RECEIVED``; the
  transfer ``TRANSFERRED`` once everything was shipped and received;
* ``inventoryTransferCancel``: "Your reserved items are made available at the
  origin location" (refused once a shipment exists, ``SHIPMENT_EXISTS``);
  ``inventoryShipmentDelete``: "Only draft shipments can be deleted".

Creations and receipts carry ``@idempotent`` (required since 2026-04); the
state changes without an idempotency key in their description
(mark ready, mark in transit, cancel, delete) don't take one.  A mixin of
:class:`~.simulator.Simulator`; the resolvers call ``apply_*`` with the lock
held.
"""

import time

from . import state
from .mutations import idempotent
from .paging import connection
from .schema import TYPE_NAMES, resolver, typed_node


def _user_error(code, field, message):
    return {"code": code, "field": field, "message": message}


class InventoryTransfer(state.Record):
    __slots__ = (
        "date_created",
        "destination",
        "line_items",
        "name",
        "note",
        "number",
        "origin",
        "reference_name",
        "shipments",
        "status",
        "tags",
    )

    @property
    def total_quantity(self):
        return sum(line.total_quantity for line in self.line_items)

    @property
    def received_quantity(self):
        return sum(s.total_received_quantity for s in self.shipments)


class InventoryTransferLineItem(state.Record):
    __slots__ = ("inventory_item", "number", "picked", "reserved", "shipped", "total")

    @property
    def total_quantity(self):
        return self.total

    @property
    def shipped_quantity(self):
        return self.shipped

    @property
    def picked_for_shipment_quantity(self):
        return self.picked

    @property
    def shippable_quantity(self):
        return self.total - self.shipped - self.picked

    processable_quantity = shippable_quantity

    @property
    def title(self):
        return self.inventory_item.variant.product.title


class InventoryShipment(state.Record):
    __slots__ = (
        "date_created",
        "date_received",
        "date_shipped",
        "line_items",
        "name",
        "number",
        "status",
        "transfer",
    )

    @property
    def line_item_total_quantity(self):
        return sum(line.quantity for line in self.line_items)

    @property
    def total_accepted_quantity(self):
        return sum(line.accepted_quantity for line in self.line_items)

    @property
    def total_rejected_quantity(self):
        return sum(line.rejected_quantity for line in self.line_items)

    @property
    def total_received_quantity(self):
        return self.total_accepted_quantity + self.total_rejected_quantity


class InventoryShipmentLineItem(state.Record):
    __slots__ = (
        "accepted_quantity",
        "inventory_item",
        "number",
        "quantity",
        "rejected_quantity",
    )

    @property
    def unreceived_quantity(self):
        return self.quantity - self.accepted_quantity - self.rejected_quantity


for _cls in (
    InventoryTransfer,
    InventoryTransferLineItem,
    InventoryShipment,
    InventoryShipmentLineItem,
):
    TYPE_NAMES[_cls] = _cls.__name__


def _snapshot(location):
    if location is None:
        return None
    return {
        "address": location.address,
        "location": location,
        "name": location.name,
        "snapshottedAt": state.iso(location.updated_at),
    }


class TransfersMixin:
    """Transfers, their shipments and what each step does to the levels."""

    def _transfers(self, shop):
        # a shop pickled before transfers were simulated has none
        if getattr(shop, "transfers", None) is None:
            shop.transfers, shop.shipments = {}, {}
        return shop.transfers

    def transfer_of(self, shop, number):
        """The transfer ``number`` of ``shop`` (tests)."""
        with self.lock:
            return self._transfers(self.store.shop(shop)).get(number)

    def _create_transfer(self, shop, data, ready):
        errors = []
        locations = {}
        for key in ("originLocationId", "destinationLocationId"):
            if data.get(key) is None:
                locations[key] = None
                continue
            location = typed_node(shop, data[key], "Location")
            if location is None:
                errors.append(
                    _user_error(
                        "LOCATION_NOT_FOUND",
                        ["input", key],
                        "The location selected can't be found.",
                    )
                )
            elif not location.is_active:
                errors.append(
                    _user_error(
                        "LOCATION_NOT_ACTIVE",
                        ["input", key],
                        "The location selected is not active.",
                    )
                )
            locations[key] = location
        origin, destination = locations.values()
        if origin is not None and origin is destination:
            errors.append(
                _user_error(
                    "TRANSFER_ORIGIN_CANNOT_BE_THE_SAME_AS_DESTINATION",
                    ["input", "destinationLocationId"],
                    "The origin location cannot be the same as the destination "
                    "location.",
                )
            )
        lines = self._line_inputs(shop, data["lineItems"], errors, ["input"])
        if errors:
            return {"inventoryTransfer": None, "userErrors": errors}
        self._transfers(shop)
        number = self.store.next_id()
        transfer = InventoryTransfer(
            number=number,
            name=f"#T{number:04d}",
            origin=origin,
            destination=destination,
            line_items=[
                InventoryTransferLineItem(
                    number=self.store.next_id(),
                    inventory_item=item,
                    total=quantity,
                    shipped=0,
                    picked=0,
                    reserved=0,
                )
                for item, quantity in lines
            ],
            shipments=[],
            status="DRAFT",
            note=data.get("note"),
            tags=list(data.get("tags") or ()),
            reference_name=data.get("referenceName"),
            date_created=state.iso(time.time()),
        )
        shop.transfers[number] = transfer
        if ready:
            self._mark_ready(transfer)
        return {"inventoryTransfer": transfer, "userErrors": []}

    def _line_inputs(self, shop, line_inputs, errors, path):
        """[(item, quantity)] of ``lineItems``; errors appended."""
        lines, seen = [], set()
        for index, line in enumerate(line_inputs):
            where = [*path, "lineItems", str(index)]
            item = typed_node(shop, line["inventoryItemId"], "InventoryItem")
            if item is None:
                errors.append(
                    _user_error("ITEM_NOT_FOUND", where, "The item was not found.")
                )
            elif not item.tracked:
                errors.append(
                    _user_error(
                        "UNTRACKED_ITEM", where, "The item does not track inventory."
                    )
                )
            elif item.number in seen:
                errors.append(
                    _user_error(
                        "DUPLICATE_ITEM", where, "A single item can't be listed twice."
                    )
                )
            elif line["quantity"] <= 0:
                errors.append(
                    _user_error("INVALID_QUANTITY", where, "The quantity is invalid.")
                )
            else:
                seen.add(item.number)
                lines.append((item, line["quantity"]))
        return lines

    def _mark_ready(self, transfer):
        transfer.status = "READY_TO_SHIP"
        if transfer.origin is None:
            return
        for line in transfer.line_items:
            level = self.store.stock(None, line.inventory_item, transfer.origin)
            quantity = line.total - line.shipped - line.reserved
            level.change("available", -quantity)
            level.change("reserved", quantity)
            line.reserved += quantity
            level.updated_at = time.time()

    def apply_transfer_create(self, shop, data, ready=False):
        return self._create_transfer(shop, data, ready)

    def _create_ready_to_ship(self, shop, data):
        return self._create_transfer(shop, data, True)

    def _create_draft_shipment(self, shop, data):
        return self.apply_shipment_create(shop, data, in_transit=False)

    def _create_shipment_in_transit(self, shop, data):
        return self.apply_shipment_create(shop, data, in_transit=True)

    def apply_transfer_mark_ready(self, shop, transfer_id):
        transfer = typed_node(shop, transfer_id, "InventoryTransfer")
        if transfer is None:
            return self._transfer_error("TRANSFER_NOT_FOUND")
        if transfer.status != "DRAFT":
            return self._transfer_error("INVALID_TRANSFER_STATUS")
        self._mark_ready(transfer)
        return {"inventoryTransfer": transfer, "userErrors": []}

    def apply_transfer_cancel(self, shop, transfer_id):
        transfer = typed_node(shop, transfer_id, "InventoryTransfer")
        if transfer is None:
            return self._transfer_error("TRANSFER_NOT_FOUND")
        if transfer.shipments:
            return self._transfer_error("SHIPMENT_EXISTS")
        if transfer.status not in ("DRAFT", "READY_TO_SHIP"):
            return self._transfer_error("INVALID_TRANSFER_STATUS")
        for line in transfer.line_items:
            if line.reserved:
                level = self.store.stock(None, line.inventory_item, transfer.origin)
                level.change("reserved", -line.reserved)
                level.change("available", line.reserved)
                level.updated_at = time.time()
                line.reserved = 0
        transfer.status = "CANCELED"
        return {"inventoryTransfer": transfer, "userErrors": []}

    def apply_transfer_delete(self, shop, transfer_id):
        transfer = typed_node(shop, transfer_id, "InventoryTransfer")
        if transfer is None:
            return self._transfer_error("TRANSFER_NOT_FOUND", "deletedId")
        if transfer.status not in ("DRAFT", "CANCELED") or transfer.shipments:
            return self._transfer_error("INVALID_TRANSFER_STATUS", "deletedId")
        del shop.transfers[transfer.number]
        return {"deletedId": transfer.id, "userErrors": []}

    @staticmethod
    def _transfer_error(code, payload="inventoryTransfer"):
        messages = {
            "TRANSFER_NOT_FOUND": "The transfer was not found.",
            "INVALID_TRANSFER_STATUS": "Current transfer status does not support "
            "this operation.",
            "SHIPMENT_EXISTS": "Shipment already exists for the transfer.",
        }
        return {
            payload: None,
            "userErrors": [_user_error(code, ["id"], messages[code])],
        }

    @staticmethod
    def _shipment_error(code, field=("id",), payload="inventoryShipment"):
        messages = {
            "SHIPMENT_NOT_FOUND": "The shipment was not found.",
            "INVALID_SHIPMENT_STATUS": "Current shipment status does not support "
            "this operation.",
            "INVALID_QUANTITY": "The quantity is invalid.",
            "ITEM_NOT_FOUND": "The item was not found.",
            "TRANSFER_NOT_FOUND": "The transfer was not found.",
            "INVALID_TRANSFER_STATUS": "Current transfer status does not support "
            "this operation.",
            "ITEMS_EMPTY": "The list of line items is empty.",
            "INVALID_ITEM": "One or more items are not valid.",
        }
        error = _user_error(code, list(field), messages[code])
        return {payload: None, "userErrors": [error]}

    def apply_shipment_create(self, shop, data, in_transit):
        transfer = typed_node(shop, data["movementId"], "InventoryTransfer")
        if transfer is None:
            return self._shipment_error("TRANSFER_NOT_FOUND", ["input", "movementId"])
        if transfer.status in ("CANCELED", "TRANSFERRED"):
            return self._shipment_error(
                "INVALID_TRANSFER_STATUS", ["input", "movementId"]
            )
        if not data["lineItems"]:
            return self._shipment_error("ITEMS_EMPTY", ["input", "lineItems"])
        errors = []
        lines = self._line_inputs(shop, data["lineItems"], errors, ["input"])
        by_item = {line.inventory_item.number: line for line in transfer.line_items}
        for index, (item, quantity) in enumerate(lines):
            line = by_item.get(item.number)
            where = ["input", "lineItems", str(index)]
            if line is None:
                errors.append(
                    _user_error(
                        "INVALID_ITEM", where, "One or more items are not valid."
                    )
                )
            elif quantity > line.shippable_quantity:
                errors.append(
                    _user_error("INVALID_QUANTITY", where, "The quantity is invalid.")
                )
        if errors:
            return {"inventoryShipment": None, "userErrors": errors}
        number = self.store.next_id()
        shipment = InventoryShipment(
            number=number,
            name=f"{transfer.name}-{len(transfer.shipments) + 1}",
            transfer=transfer,
            status="DRAFT",
            line_items=[
                InventoryShipmentLineItem(
                    number=self.store.next_id(),
                    inventory_item=item,
                    quantity=quantity,
                    accepted_quantity=0,
                    rejected_quantity=0,
                )
                for item, quantity in lines
            ],
            date_created=state.iso(time.time()),
        )
        for item, quantity in lines:
            by_item[item.number].picked += quantity
        transfer.shipments.append(shipment)
        self._transfers(shop)
        shop.shipments[number] = shipment
        if in_transit:
            self._ship(shipment)
        return {"inventoryShipment": shipment, "userErrors": []}

    def _ship(self, shipment):
        transfer = shipment.transfer
        by_item = {line.inventory_item.number: line for line in transfer.line_items}
        now = time.time()
        for shipped in shipment.line_items:
            line = by_item[shipped.inventory_item.number]
            quantity = shipped.quantity
            line.picked -= quantity
            line.shipped += quantity
            if transfer.origin is not None:
                origin = self.store.stock(None, line.inventory_item, transfer.origin)
                from_reserved = min(line.reserved, quantity)
                line.reserved -= from_reserved
                origin.change("reserved", -from_reserved)
                origin.change("available", -(quantity - from_reserved))
                origin.updated_at = now
            if transfer.destination is not None:
                destination = self.store.stock(
                    None, line.inventory_item, transfer.destination
                )
                destination.change("incoming", quantity)
                destination.updated_at = now
        shipment.status = "IN_TRANSIT"
        shipment.date_shipped = state.iso(now)
        transfer.status = "IN_PROGRESS"

    def apply_shipment_mark_in_transit(self, shop, shipment_id):
        shipment = typed_node(shop, shipment_id, "InventoryShipment")
        if shipment is None:
            return self._shipment_error("SHIPMENT_NOT_FOUND")
        if shipment.status != "DRAFT":
            return self._shipment_error("INVALID_SHIPMENT_STATUS")
        self._ship(shipment)
        return {"inventoryShipment": shipment, "userErrors": []}

    def apply_shipment_delete(self, shop, shipment_id):
        shipment = typed_node(shop, shipment_id, "InventoryShipment")
        if shipment is None:
            return self._shipment_error("SHIPMENT_NOT_FOUND", payload="id")
        if shipment.status != "DRAFT":
            return self._shipment_error("INVALID_SHIPMENT_STATUS", payload="id")
        transfer = shipment.transfer
        by_item = {line.inventory_item.number: line for line in transfer.line_items}
        for line in shipment.line_items:
            by_item[line.inventory_item.number].picked -= line.quantity
        transfer.shipments.remove(shipment)
        del shop.shipments[shipment.number]
        return {"id": shipment.id, "userErrors": []}

    def apply_shipment_receive(self, shop, shipment_id, line_items, bulk_action):
        shipment = typed_node(shop, shipment_id, "InventoryShipment")
        if shipment is None:
            return self._shipment_error("SHIPMENT_NOT_FOUND")
        if shipment.status not in ("IN_TRANSIT", "PARTIALLY_RECEIVED"):
            return self._shipment_error("INVALID_SHIPMENT_STATUS")
        by_gid = {line.id: line for line in shipment.line_items}
        receipts = []
        if bulk_action:
            receipts = [
                (line, line.unreceived_quantity, bulk_action)
                for line in shipment.line_items
                if line.unreceived_quantity
            ]
        for index, entry in enumerate(line_items or ()):
            line = by_gid.get(entry["shipmentLineItemId"])
            where = ["lineItems", str(index)]
            if line is None:
                return self._shipment_error("ITEM_NOT_FOUND", [*where, "id"])
            quantity = entry["quantity"]
            if quantity <= 0 or quantity > line.unreceived_quantity:
                return self._shipment_error("INVALID_QUANTITY", [*where, "quantity"])
            receipts.append((line, quantity, entry["reason"]))
        now = time.time()
        destination = shipment.transfer.destination
        for line, quantity, reason in receipts:
            if destination is not None:
                level = self.store.stock(None, line.inventory_item, destination)
                level.change("incoming", -quantity)
                if reason == "ACCEPTED":
                    level.change("available", quantity)
                level.updated_at = now
            if reason == "ACCEPTED":
                line.accepted_quantity += quantity
            else:
                line.rejected_quantity += quantity
        if receipts and shipment.date_received is None:
            shipment.date_received = state.iso(now)
        unreceived = sum(line.unreceived_quantity for line in shipment.line_items)
        shipment.status = "PARTIALLY_RECEIVED" if unreceived else "RECEIVED"
        transfer = shipment.transfer
        if all(s.status == "RECEIVED" for s in transfer.shipments) and all(
            line.shipped == line.total for line in transfer.line_items
        ):
            transfer.status = "TRANSFERRED"
        return {"inventoryShipment": shipment, "userErrors": []}


# -- resolvers --------------------------------------------------------------------


@resolver("QueryRoot", "inventoryTransfer")
def _transfer(_root, info, id):
    return typed_node(info.context.shop, id, "InventoryTransfer")


@resolver("QueryRoot", "inventoryShipment")
def _shipment(_root, info, id):
    return typed_node(info.context.shop, id, "InventoryShipment")


@resolver("InventoryTransfer", "origin")
def _origin(transfer, _info):
    return _snapshot(transfer.origin)


@resolver("InventoryTransfer", "destination")
def _destination(transfer, _info):
    return _snapshot(transfer.destination)


@resolver("InventoryTransfer", "lineItems")
def _transfer_lines(transfer, info, **args):
    return connection(info, transfer.line_items, args)


@resolver("InventoryTransfer", "shipments")
def _transfer_shipments(transfer, info, **args):
    return connection(info, transfer.shipments, args)


@resolver("InventoryShipment", "lineItems")
def _shipment_lines(shipment, info, **args):
    return connection(info, shipment.line_items, args)


def _mutation(name, method, *names, key=True):
    def resolve(_root, info, **args):
        return getattr(info.context.sim, method)(
            info.context.shop, *(args.get(n) for n in names)
        )

    resolver("Mutation", name)(idempotent(resolve) if key else resolve)


_mutation("inventoryTransferCreate", "apply_transfer_create", "input")
_mutation("inventoryTransferCreateAsReadyToShip", "_create_ready_to_ship", "input")
_mutation(
    "inventoryTransferMarkAsReadyToShip", "apply_transfer_mark_ready", "id", key=False
)
_mutation("inventoryTransferCancel", "apply_transfer_cancel", "id", key=False)
_mutation("inventoryTransferDelete", "apply_transfer_delete", "id", key=False)
_mutation("inventoryShipmentCreate", "_create_draft_shipment", "input")
_mutation("inventoryShipmentCreateInTransit", "_create_shipment_in_transit", "input")
_mutation(
    "inventoryShipmentMarkInTransit", "apply_shipment_mark_in_transit", "id", key=False
)
_mutation("inventoryShipmentDelete", "apply_shipment_delete", "id", key=False)
_mutation(
    "inventoryShipmentReceive",
    "apply_shipment_receive",
    "id",
    "lineItems",
    "bulkReceiveAction",
)
