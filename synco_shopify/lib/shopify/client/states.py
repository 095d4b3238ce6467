"""Unavailable inventory states of :class:`~.ShopifyClient` (issue 22).

Units Odoo withholds from sale (excluded zones, a buffer) can be shown in
Shopify as ``quality_control``, ``damaged`` or ``safety_stock``: they stay
in ``on_hand`` and Shopify's admin lists them as "Unavailable".
:meth:`StatesMixin.set_states` brings named states to target quantities with
``inventoryAdjustQuantities``: one call per state name and 250 changes, every
change compare-and-set (``changeFromQuantity``) with a ledger document URI,
every call one ``@idempotent`` key reused by the client's retries.  A call
refused as stale is re-read and sent again from what Shopify holds (the
targets are Odoo's: a concurrent change of these states is written over).
"""

import dataclasses
import uuid
from dataclasses import dataclass

from .. import documents as docs
from ..common import chunks, to_gid
from ..errors import UserError

MAX_CHANGES_PER_CALL = 250
# the states Synco sets; available is the compare-and-set of writes.py
WITHHELD_STATES = ("quality_control", "damaged", "safety_stock")
STALE = "CHANGE_FROM_QUANTITY_STALE"


@dataclass(frozen=True)
class StateTarget:
    """Bring ``name`` of an item at a location to ``quantity``.

    ``change_from`` is the quantity the caller believes Shopify holds (the
    compare-and-set); ``ledger_uri`` the ledger document of the change, a
    URI that is not ``gid://shopify/...``.
    """

    inventory_item_id: str
    location_id: str
    name: str
    quantity: int
    change_from: int
    ledger_uri: str


@dataclass
class StateOutcome:
    target: StateTarget
    ok: bool
    quantity: int | None = None  # what Shopify holds after the write
    message: str | None = None


def check_ledger_uri(uri):
    """A ledger document URI Shopify accepts for a state other than available."""
    if not uri or ":" not in uri.strip(":"):
        raise ValueError(f"a ledger document URI is required, got {uri!r}")
    if uri.lower().startswith("gid://shopify/"):
        raise ValueError(f"a ledger document URI can't be a Shopify gid: {uri}")
    return uri


class StatesMixin:
    """``inventoryAdjustQuantities`` of the withheld states."""

    def set_states(self, targets, *, reason="other", reference_uri, max_rounds=3):
        """Bring every target's state to its quantity; one outcome each.

        :param targets: :class:`StateTarget` (at most one per item, location
            and name)
        :return: [:class:`StateOutcome`] in the order of ``targets``
        """
        if not reference_uri:
            raise ValueError("reference_uri is required (audit trail in Shopify)")
        outcomes = {}
        by_name = {}
        for index, target in enumerate(targets):
            if target.name not in WITHHELD_STATES:
                raise ValueError(f"not a withheld state: {target.name!r}")
            check_ledger_uri(target.ledger_uri)
            target = dataclasses.replace(
                target,
                inventory_item_id=to_gid("InventoryItem", target.inventory_item_id),
                location_id=to_gid("Location", target.location_id),
            )
            by_name.setdefault(target.name, []).append((index, target))
        for name, items in by_name.items():
            for batch in chunks(items, MAX_CHANGES_PER_CALL):
                self._set_state_batch(
                    name, list(batch), reason, reference_uri, max_rounds, outcomes
                )
        return [outcomes[index] for index in range(len(targets))]

    def _set_state_batch(self, name, items, reason, reference_uri, rounds, outcomes):
        current = {index: target.change_from for index, target in items}
        for _round in range(rounds):
            todo = [
                (index, target)
                for index, target in items
                if current[index] is not None and current[index] != target.quantity
            ]
            for index, target in items:
                if current[index] is None:
                    outcomes[index] = StateOutcome(
                        target, False, message="not stocked at the location"
                    )
                elif current[index] == target.quantity:
                    outcomes[index] = StateOutcome(target, True, target.quantity)
            if not todo:
                return
            payload = self._send_adjust(name, todo, current, reason, reference_uri)
            errors = [
                UserError.from_payload(e, "changes")
                for e in payload.get("userErrors") or ()
            ]
            if not errors:
                for index, target in todo:
                    outcomes[index] = StateOutcome(target, True, target.quantity)
                return
            if any(e.code != STALE for e in errors):
                message = "; ".join(e.message for e in errors)
                for index, target in todo:
                    outcomes[index] = StateOutcome(target, False, message=message)
                return
            # Shopify holds something else: read it, send again from there
            read = self.read_states(
                [t.inventory_item_id for _i, t in todo],
                list(dict.fromkeys(t.location_id for _i, t in todo)),
                [name],
            )
            for index, target in todo:
                states = read.get((target.inventory_item_id, target.location_id))
                current[index] = None if states is None else states.get(name, 0)
        for index, target in items:
            outcomes.setdefault(
                index, StateOutcome(target, False, message="still stale, not written")
            )

    def _send_adjust(self, name, todo, current, reason, reference_uri):
        variables = {
            "idempotencyKey": str(uuid.uuid4()),
            "input": {
                "name": name,
                "reason": reason,
                "referenceDocumentUri": reference_uri,
                "changes": [
                    {
                        "inventoryItemId": target.inventory_item_id,
                        "locationId": target.location_id,
                        "delta": target.quantity - current[index],
                        "changeFromQuantity": current[index],
                        "ledgerDocumentUri": target.ledger_uri,
                    }
                    for index, target in todo
                ],
            },
        }
        data = self.execute(docs.INVENTORY_ADJUST_QUANTITIES, variables).data
        return data.get("inventoryAdjustQuantities") or {}

    def read_states(self, item_ids, location_ids, names):
        """{(item gid, location gid): {name: quantity}} of the pairs stocked.

        Items are read a few per call, each with the first 50 locations
        that stock it (an item stocked at more is read as not stocked at
        the others: the write then reports it).
        """
        items = list(dict.fromkeys(to_gid("InventoryItem", i) for i in item_ids))
        wanted = {to_gid("Location", i) for i in location_ids}
        result = {}
        for batch in chunks(items, 3):
            data = self.execute(
                docs.INVENTORY_LEVEL_STATES,
                {"ids": list(batch), "levelsFirst": 50, "names": list(names)},
                size=len(batch),
            ).data
            for node in data.get("nodes") or ():
                if not node or not node.get("id"):
                    continue
                for level in (node.get("inventoryLevels") or {}).get("nodes") or ():
                    location_id = (level.get("location") or {}).get("id")
                    if location_id in wanted:
                        result[node["id"], location_id] = {
                            q.get("name"): q.get("quantity")
                            for q in level.get("quantities") or ()
                        }
        return result
