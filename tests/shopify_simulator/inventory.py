"""Inventory: levels read and edited, ``inventorySetQuantities`` and
``inventoryActivate``.

``inventorySetQuantities`` is an all-or-nothing compare-and-set: every
quantity must carry ``changeFromQuantity`` (Int, or explicit null to skip the
check); a stale one refuses the whole call with ``CHANGE_FROM_QUANTITY_STALE``.
The ``item_errors`` fault fails chosen items; a bundle's parent item
(:meth:`InventoryMixin.make_bundle`) refuses every write with
``NON_MUTABLE_INVENTORY_ITEM``, as Shopify does.

A mixin of :class:`~.simulator.Simulator`: its methods run on the simulator;
``apply_*`` are called by the resolvers with the lock held.
"""

import time

from . import state
from .graphql_api import typed_node
from .webhooks import level_payload

INVENTORY_REASONS = {
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
}


def _user_error(code, field, message):
    return {"code": code, "field": field, "message": message}


def reason_and_reference_errors(reason, reference):
    """The userErrors of an inventory write's ``reason`` and
    ``referenceDocumentUri`` (every inventory mutation checks both)."""
    errors = []
    if reason not in INVENTORY_REASONS:
        errors.append(
            _user_error(
                "INVALID_REASON",
                ["input", "reason"],
                "The specified reason is invalid.",
            )
        )
    if reference is not None and ":" not in reference.strip(":"):
        errors.append(
            _user_error(
                "INVALID_REFERENCE_DOCUMENT",
                ["input", "referenceDocumentUri"],
                "The specified reference document is invalid.",
            )
        )
    return errors


class InventoryMixin:
    """Inventory levels: reads, a merchant's edits, the inventory mutations."""

    def levels(self, shop=None):
        with self.lock:
            return self.store.levels(shop)

    def level(self, shop, sku, location_name):
        with self.lock:
            shop = self.store.shop(shop)
            item = shop.item_for(sku)
            level = item.levels.get(shop.location_named(location_name).number)
            return level.as_dict() if level else None

    def set_available(self, shop, sku_or_item, location, quantity):
        """A merchant's manual edit in the Shopify admin (drift)."""
        with self.lock:
            shop = self.store.shop(shop)
            item = shop.item_for(sku_or_item)
            location = shop.location_named(location)
            level = self.store.stock(shop, item, location)
            level.available = int(quantity)
            level.updated_at = time.time()
            self._emit(shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, level))
            return level.as_dict()

    def make_bundle(self, shop, sku):
        """The variant of ``sku`` becomes a bundle's parent: its inventory
        item refuses writes (``NON_MUTABLE_INVENTORY_ITEM``)."""
        with self.lock:
            item = self.store.shop(shop).item_for(sku)
            item.bundle_parent = True
            return item

    def apply_set_quantities(self, shop, data):
        """``inventorySetQuantities``: all-or-nothing compare-and-set."""
        name, reason = data["name"], data["reason"]
        reference = data.get("referenceDocumentUri")
        errors = []
        if name not in ("available", "on_hand"):
            errors.append(
                _user_error(
                    "INVALID_NAME",
                    ["input", "name"],
                    "The quantity name must be either 'available' or 'on_hand'.",
                )
            )
        errors.extend(reason_and_reference_errors(reason, reference))
        planned, seen = [], set()
        for index, quantity in enumerate(data["quantities"]):
            level, problem = self._check_quantity(shop, name, quantity, seen)
            if problem:
                code, field, message = problem
                errors.append(
                    _user_error(
                        code, ["input", "quantities", str(index), field], message
                    )
                )
            else:
                planned.append((level, quantity["quantity"]))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        now = time.time()
        changes = []
        for level, target in planned:
            delta = target - level.quantity(name)
            if not delta:
                continue
            level.available += delta
            level.updated_at = now
            other = "on_hand" if name == "available" else "available"
            for changed in (name, other):
                changes.append(
                    state.Change(
                        name=changed,
                        delta=delta,
                        item=level.item,
                        location=level.location,
                        quantity_after_change=level.quantity(changed),
                    )
                )
            self._emit(shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, level))
        group = state.AdjustmentGroup(
            number=self.store.next_id(),
            reason=reason,
            reference_document_uri=reference,
            changes=changes,
            created_at=now,
        )
        shop.adjustment_groups[group.number] = group
        return {"inventoryAdjustmentGroup": group, "userErrors": []}

    def _check_quantity(self, shop, name, quantity, seen):
        """(level, None) or (None, (code, input field, message)) for one entry."""
        item = typed_node(shop, quantity["inventoryItemId"], "InventoryItem")
        location = typed_node(shop, quantity["locationId"], "Location")
        if item is None:
            return None, (
                "INVALID_INVENTORY_ITEM",
                "inventoryItemId",
                "The specified inventory item could not be found.",
            )
        if location is None:
            return None, (
                "INVALID_LOCATION",
                "locationId",
                "The specified location could not be found.",
            )
        item_errors = self.faults["item_errors"]
        forced = item_errors.get(item.id) or item_errors.get(item.sku)
        if forced:
            return None, (
                forced,
                "inventoryItemId",
                f"Simulated failure ({forced}) for {item.sku}.",
            )
        if getattr(item, "bundle_parent", False):  # (states saved before)
            # Shopify computes a bundle's stock from its components
            return None, (
                "NON_MUTABLE_INVENTORY_ITEM",
                "inventoryItemId",
                "The specified inventory item is not allowed to be adjusted "
                "via API. Example: if the inventory item is a parent bundle.",
            )
        if (item.number, location.number) in seen:
            return None, (
                "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                "inventoryItemId",
                ("The combination of inventoryItemId and locationId must be unique."),
            )
        seen.add((item.number, location.number))
        level = item.levels.get(location.number)
        if level is None:
            return None, (
                "ITEM_NOT_STOCKED_AT_LOCATION",
                "locationId",
                ("The specified inventory item is not stocked at the location."),
            )
        target = quantity["quantity"]
        if target > 1_000_000_000:
            return None, (
                "INVALID_QUANTITY_TOO_HIGH",
                "quantity",
                "The total quantity can't be higher than 1,000,000,000.",
            )
        if target < -1_000_000_000:
            return None, (
                "INVALID_QUANTITY_TOO_LOW",
                "quantity",
                "The total quantity can't be lower than -1,000,000,000.",
            )
        if name == "on_hand" and target < 0:
            return None, (
                "INVALID_QUANTITY_NEGATIVE",
                "quantity",
                "The quantity can't be negative.",
            )
        expected = quantity["changeFromQuantity"]
        if expected is not None and expected != level.quantity(name):
            return None, (
                "CHANGE_FROM_QUANTITY_STALE",
                "changeFromQuantity",
                (
                    "The changeFromQuantity argument no longer matches "
                    "the persisted quantity."
                ),
            )
        return level, None

    def apply_activate(self, shop, item_id, location_id, available, on_hand):
        item = typed_node(shop, item_id, "InventoryItem")
        location = typed_node(shop, location_id, "Location")
        if item is None:
            return {
                "inventoryLevel": None,
                "userErrors": [
                    {
                        "field": ["inventoryItemId"],
                        "message": "Inventory item does not exist",
                    }
                ],
            }
        if location is None:
            return {
                "inventoryLevel": None,
                "userErrors": [
                    {"field": ["locationId"], "message": "Location does not exist"}
                ],
            }
        level = item.levels.get(location.number)
        if level is not None:
            if available is not None:
                return {
                    "inventoryLevel": None,
                    "userErrors": [
                        {
                            "field": ["available"],
                            "message": "Not allowed to set available quantity when the "
                            "item is already active at the location.",
                        }
                    ],
                }
            return {"inventoryLevel": level, "userErrors": []}
        level = self.store.stock(
            shop, item, location, available if available is not None else on_hand or 0
        )
        self._emit(shop, "INVENTORY_LEVELS_CONNECT", level_payload(shop, level))
        return {"inventoryLevel": level, "userErrors": []}
