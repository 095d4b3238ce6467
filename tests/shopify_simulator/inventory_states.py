"""Inventory states: ``inventoryAdjustQuantities`` and ``inventoryMoveQuantities``.

As Shopify documents them (2026-04 and later):

* both are all-or-nothing: a refused change refuses the call (``userErrors``
  with the change's input path, nothing applied);
* every change carries ``changeFromQuantity`` (explicit ``null`` skips the
  check; a missing one is a top-level ``BAD_REQUEST``, like
  ``inventorySetQuantities``); a stale one is ``CHANGE_FROM_QUANTITY_STALE``;
* every name but ``available`` needs a ``ledgerDocumentUri``
  (``INVALID_QUANTITY_DOCUMENT``), ``available`` refuses one
  (``INVALID_AVAILABLE_DOCUMENT``), and a ledger URI must be a URI with a
  scheme (``INVALID_LEDGER_DOCUMENT``) not of the ``gid://shopify/`` form
  (``INTERNAL_LEDGER_DOCUMENT``);
* the names that can be changed are ``available``, ``damaged``,
  ``quality_control``, ``reserved`` and ``safety_stock``
  (``INVALID_QUANTITY_NAME`` otherwise: ``committed`` follows orders,
  ``on_hand`` is a sum, ``incoming`` follows transfers);
* an adjustment changes the named state and so ``on_hand``; a move takes
  units from one state to another at one location (``DIFFERENT_LOCATIONS``,
  ``SAME_QUANTITY_NAME``) and leaves ``on_hand`` alone.

A mixin of :class:`~.simulator.Simulator`; ``apply_*`` are called by the
resolvers (``mutations.py``) with the lock held.
"""

import time

from . import state
from .graphql_api import typed_node
from .inventory import _user_error, reason_and_reference_errors
from .webhooks import level_payload

CHANGEABLE_NAMES = (
    "available",
    "damaged",
    "quality_control",
    "reserved",
    "safety_stock",
)


def ledger_problem(name, uri):
    """(code, message) when ``uri`` is no ledger document for ``name``."""
    if name == "available":
        if uri is not None:
            return (
                "INVALID_AVAILABLE_DOCUMENT",
                "A ledger document URI is not allowed when adjusting available.",
            )
        return None
    if not uri:
        return (
            "INVALID_QUANTITY_DOCUMENT",
            "A ledger document URI is required except when adjusting available.",
        )
    if uri.lower().startswith("gid://shopify/"):
        return (
            "INTERNAL_LEDGER_DOCUMENT",
            "Internal (gid://shopify/) ledger documents are not allowed to be "
            "adjusted via API.",
        )
    scheme, _sep, rest = uri.partition(":")
    if not scheme or not rest.strip("/"):
        return ("INVALID_LEDGER_DOCUMENT", "The specified ledger document is invalid.")
    return None


def _name_problem(name):
    if name not in CHANGEABLE_NAMES:
        return ("INVALID_QUANTITY_NAME", "The specified quantity name is invalid.")
    return None


class InventoryStatesMixin:
    """The named states of a level, adjusted and moved."""

    def _check_call(self, data, errors):
        errors.extend(
            reason_and_reference_errors(
                data["reason"], data.get("referenceDocumentUri")
            )
        )

    def _terminal_level(self, shop, item_id, terminal, path, errors):
        """The level of one end of a change, or None (an error appended)."""
        item = typed_node(shop, item_id, "InventoryItem")
        location = typed_node(shop, terminal["locationId"], "Location")
        if item is None:
            errors.append(
                _user_error(
                    "INVALID_INVENTORY_ITEM",
                    [*path, "inventoryItemId"],
                    "The specified inventory item could not be found.",
                )
            )
            return None
        if location is None:
            errors.append(
                _user_error(
                    "INVALID_LOCATION",
                    [*path, "locationId"],
                    "The specified location could not be found.",
                )
            )
            return None
        level = item.levels.get(location.number)
        if level is None:
            errors.append(
                _user_error(
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                    [*path, "locationId"],
                    "The specified inventory item is not stocked at the location.",
                )
            )
        return level

    def _check_terminal(self, level, name, terminal, path, errors):
        """Name, ledger document and compare-and-set of one end of a change."""
        problem = _name_problem(name) or ledger_problem(
            name, terminal.get("ledgerDocumentUri")
        )
        if problem:
            field = (
                "name" if problem[0] == "INVALID_QUANTITY_NAME" else "ledgerDocumentUri"
            )
            errors.append(_user_error(problem[0], [*path, field], problem[1]))
            return
        expected = terminal["changeFromQuantity"]
        if (
            level is not None
            and expected is not None
            and expected != level.quantity(name)
        ):
            errors.append(
                _user_error(
                    "CHANGE_FROM_QUANTITY_STALE",
                    [*path, "changeFromQuantity"],
                    "The changeFromQuantity argument no longer matches the "
                    "persisted quantity.",
                )
            )

    def apply_adjust_quantities(self, shop, data):
        """``inventoryAdjustQuantities``: deltas of one named state."""
        name = data["name"]
        errors = []
        self._check_call(data, errors)
        planned = []
        for index, change in enumerate(data["changes"]):
            path = ["input", "changes", str(index)]
            level = self._terminal_level(
                shop, change["inventoryItemId"], change, path, errors
            )
            before = len(errors)
            self._check_terminal(level, name, change, path, errors)
            if level is not None and len(errors) == before:
                planned.append(
                    (level, change["delta"], change.get("ledgerDocumentUri"))
                )
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes = []
        for level, delta, ledger in planned:
            if not delta:
                continue
            level.change(name, delta)
            names = [name] if name == "reserved" else [name, "on_hand"]
            changes += self._changes(level, names, delta, ledger)
        return self._group(shop, data, changes)

    def apply_move_quantities(self, shop, data):
        """``inventoryMoveQuantities``: units from one state to another."""
        errors = []
        self._check_call(data, errors)
        planned = []
        for index, change in enumerate(data["changes"]):
            path = ["input", "changes", str(index)]
            source, target = change["from"], change["to"]
            if source["locationId"] != target["locationId"]:
                errors.append(
                    _user_error(
                        "DIFFERENT_LOCATIONS",
                        path,
                        "The quantities can't be moved between different locations.",
                    )
                )
                continue
            if source["name"] == target["name"]:
                errors.append(
                    _user_error(
                        "SAME_QUANTITY_NAME",
                        path,
                        "The quantity names for each change can't be the same.",
                    )
                )
                continue
            if change["quantity"] < 0:
                errors.append(
                    _user_error(
                        "INVALID_QUANTITY_NEGATIVE",
                        [*path, "quantity"],
                        "The quantity can't be negative.",
                    )
                )
                continue
            level = self._terminal_level(
                shop, change["inventoryItemId"], source, [*path, "from"], errors
            )
            before = len(errors)
            self._check_terminal(level, source["name"], source, [*path, "from"], errors)
            self._check_terminal(level, target["name"], target, [*path, "to"], errors)
            if level is not None and len(errors) == before:
                planned.append((level, change["quantity"], source, target))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes = []
        for level, quantity, source, target in planned:
            if not quantity:
                continue
            level.change(source["name"], -quantity)
            level.change(target["name"], quantity)
            changes += self._changes(
                level, [source["name"]], -quantity, source.get("ledgerDocumentUri")
            )
            changes += self._changes(
                level, [target["name"]], quantity, target.get("ledgerDocumentUri")
            )
        return self._group(shop, data, changes)

    def _changes(self, level, names, delta, ledger):
        level.updated_at = time.time()
        return [
            state.Change(
                name=name,
                delta=delta,
                item=level.item,
                location=level.location,
                quantity_after_change=level.quantity(name),
                ledger_document_uri=ledger,
            )
            for name in names
        ]

    def _group(self, shop, data, changes):
        now = time.time()
        group = state.AdjustmentGroup(
            number=self.store.next_id(),
            reason=data["reason"],
            reference_document_uri=data.get("referenceDocumentUri"),
            changes=changes,
            created_at=now,
        )
        shop.adjustment_groups[group.number] = group
        for level in {(c.item.number, c.location.number): c for c in changes}.values():
            lvl = level.item.levels[level.location.number]
            self._emit(shop, "INVENTORY_LEVELS_UPDATE", level_payload(shop, lvl))
        return {"inventoryAdjustmentGroup": group, "userErrors": []}

    def move_states(self, shop, sku, location, source, target, quantity):
        """A merchant moves units between states in Shopify's admin."""
        with self.lock:
            shop = self.store.shop(shop)
            level = shop.item_for(sku).levels[shop.location_named(location).number]
            level.change(source, -quantity)
            level.change(target, quantity)
            return level.as_dict()
