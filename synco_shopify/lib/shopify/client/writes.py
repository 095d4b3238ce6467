"""Compare-and-set inventory writes of :class:`~.ShopifyClient`.

``inventorySetQuantities`` with ``changeFromQuantity`` and an ``@idempotent``
key, 250 quantities per call, and the re-read-and-recompute path for
``CHANGE_FROM_QUANTITY_STALE`` that never overwrites a concurrent change
(:meth:`InventoryWriteMixin.set_available`); ``inventoryActivate`` stocks an
item at a location.  The bulk writes of :mod:`.bulk` settle their lines with
the same outcomes and send what is left through the same rounds.
"""

import dataclasses
import uuid
from dataclasses import dataclass

from .. import documents as docs
from ..common import chunks, to_gid
from ..errors import ShopifyError, UserError
from .inventory import _available_of
from .results import ItemOutcome, Outcome, QuantityChange, SetQuantitiesResult

MAX_QUANTITIES_PER_CALL = 250

# inventorySetQuantities userError codes
STALE = "CHANGE_FROM_QUANTITY_STALE"
NOT_STOCKED = "ITEM_NOT_STOCKED_AT_LOCATION"
NON_MUTABLE = "NON_MUTABLE_INVENTORY_ITEM"  # e.g. a bundle's parent item
IDEMPOTENCY_CONCURRENT = "IDEMPOTENCY_CONCURRENT_REQUEST"
IDEMPOTENCY_PREVIOUS_FAILED = "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"


@dataclass
class _Pending:
    """A quantity on its way through set_available's rounds."""

    index: int
    change: QuantityChange
    quantity: int
    change_from: int | None
    stale: bool = False
    current: int | None = None


class InventoryWriteMixin:
    """Compare-and-set writes of :class:`~.ShopifyClient`."""

    def set_available(
        self,
        changes,
        *,
        reason="correction",
        reference_uri,
        on_stale=None,
        max_stale_rounds=5,
    ):
        """Set ``available`` quantities with compare-and-set, 250 per call.

        Every quantity carries ``changeFromQuantity`` (``null`` when the
        change's ``change_from`` is None) and every call one
        ``@idempotent`` key: generated per call and reused by the client's
        retries of that same call, so a write that Shopify applied before the
        connection dropped is not applied a second time.

        ``CHANGE_FROM_QUANTITY_STALE`` (Shopify changed the level since the
        caller read it) rejects the whole call.  The stale items are re-read
        and ``on_stale(change, current_available)`` gives the new target
        (``None`` drops the item); ``change`` is the quantity/change_from that
        was just refused.  Without ``on_stale`` the target keeps Shopify's
        concurrent change: ``wanted + (current - change_from)``, floored at 0.
        Overwriting with ``wanted`` would erase the units Shopify sold (or
        received) meanwhile, which Odoo has not seen yet and will account for
        when its own order/webhook arrives.  The call is then resent with
        ``changeFromQuantity = current`` under a *new* key (the input
        changed), together with the non-stale items of the rejected call.
        Items refused for another reason (e.g. not stocked, or
        ``NON_MUTABLE_INVENTORY_ITEM``: a bundle's parent, whose stock
        Shopify computes from its components) are reported, never resent,
        and the rest of their call is resent.

        Returns a :class:`SetQuantitiesResult` with one :class:`ItemOutcome`
        per change, in input order.  Retryable transport errors that outlast
        the retries propagate as :class:`ShopifyRetryableError` (the
        remaining batches are then not sent; re-running the job re-reads);
        the exception's ``partial_result`` holds the outcomes settled so far.
        """
        return self._set_in_batches(
            changes, reason, reference_uri, on_stale, max_stale_rounds
        )

    def _set_in_batches(
        self, changes, reason, reference_uri, on_stale, max_stale_rounds, first=None
    ):
        """The write of :meth:`set_available` and :meth:`set_available_bulk`:
        the changes validated, sent 250 per call until each has an outcome,
        and on a failure the outcomes settled so far on the exception.

        :param first: ``first(pending, outcomes, result)`` settles what it
            can before the calls (a bulk operation) and returns the items
            left for them
        """
        pending = _pending_changes(changes, reference_uri)
        result = SetQuantitiesResult()
        outcomes = {}
        before = dataclasses.replace(self.stats)
        try:
            if first is not None:
                pending = first(pending, outcomes, result)
            for batch in chunks(pending, MAX_QUANTITIES_PER_CALL):
                self._set_batch(
                    list(batch),
                    reason,
                    reference_uri,
                    on_stale,
                    max_stale_rounds,
                    outcomes,
                    result,
                )
        except ShopifyError as exc:
            # what was settled before the failure, for logs and the job layer
            exc.partial_result = self._finish(result, outcomes, changes, before)
            raise
        return self._finish(result, outcomes, changes, before)

    def _finish(self, result, outcomes, changes, before):
        result.outcomes = [
            dataclasses.replace(outcome, change=changes[index])
            for index, outcome in sorted(outcomes.items())
        ]
        result.calls = self.stats.calls - before.calls
        result.requested_cost = self.stats.requested_cost - before.requested_cost
        result.actual_cost = self.stats.actual_cost - before.actual_cost
        return result

    def _set_batch(
        self, items, reason, reference_uri, on_stale, max_rounds, outcomes, result
    ):
        """Send one batch (<= 250) until every item has an outcome."""
        key = str(uuid.uuid4())
        stale_rounds = 0
        key_retries = 0
        while items:
            payload = self._send_quantities(items, reason, reference_uri, key)
            errors = [
                UserError.from_payload(e, "quantities")
                for e in payload.get("userErrors") or ()
            ]
            general, per_item = _split_user_errors(errors, len(items))
            codes = {e.code for e in general}
            if IDEMPOTENCY_CONCURRENT in codes and key_retries < self.max_retries:
                # an earlier attempt with this key is still being processed
                key_retries += 1
                self._pause(self._backoff(key_retries))
                continue
            if IDEMPOTENCY_PREVIOUS_FAILED in codes and not key_retries:
                # the earlier attempt failed as a whole: nothing applied, new key
                key_retries += 1
                key = str(uuid.uuid4())
                continue
            if not errors or payload.get("inventoryAdjustmentGroup") is not None:
                # Applied.  Errors alongside an adjustment group would mean a
                # partial success (not how inventorySetQuantities behaves
                # today): only the named items are reported as failed.
                for i, p in enumerate(items):
                    if i in per_item:
                        self._fail(outcomes, p, per_item[i])
                    else:
                        self._outcome(outcomes, p, Outcome.APPLIED)
                return
            if general or not per_item:
                for p in items:
                    self._fail(outcomes, p, general[0] if general else errors[0])
                return
            retry = [p for i, p in enumerate(items) if i not in per_item]
            stale = []
            for i, error in per_item.items():
                if error.code == STALE:
                    stale.append((items[i], error))
                else:
                    self._fail(outcomes, items[i], error)
            if stale:
                stale_rounds += 1
                result.stale_rounds += 1
                if stale_rounds > max_rounds:
                    for p, error in stale:
                        self._fail(outcomes, p, error)
                else:
                    retry.extend(self._resolve_stale(stale, on_stale, outcomes))
            items = sorted(retry, key=lambda p: p.index)
            key = str(uuid.uuid4())  # the input changed: a new key

    def _send_quantities(self, items, reason, reference_uri, key):
        variables = {
            "idempotencyKey": key,
            "input": _quantities_input(reason, reference_uri, items),
        }
        # no size hint: a mutation costs the same whatever its input size
        data = self.execute(docs.INVENTORY_SET_QUANTITIES, variables).data
        return data.get("inventorySetQuantities") or {}

    def _resolve_stale(self, stale, on_stale, outcomes):
        """Re-read stale items and compute their new target (see set_available)."""
        current = self.read_available(
            [p.change.inventory_item_id for p, _e in stale],
            list(dict.fromkeys(p.change.location_id for p, _e in stale)),
        )
        retry = []
        for p, error in stale:
            now = current.get((p.change.inventory_item_id, p.change.location_id))
            p.current = now
            if now is None:
                self._outcome(
                    outcomes,
                    p,
                    Outcome.NOT_STOCKED,
                    NOT_STOCKED,
                    "not stocked any more",
                )
                continue
            refused = dataclasses.replace(
                p.change, quantity=p.quantity, change_from=p.change_from
            )
            if on_stale is not None:
                target = on_stale(refused, now)
            else:
                target = max(0, p.quantity + (now - (p.change_from or 0)))
            if target is None:
                self._outcome(outcomes, p, Outcome.DROPPED, error.code, error.message)
                continue
            p.quantity = int(target)
            p.change_from = now
            p.stale = True
            retry.append(p)
        return retry

    @staticmethod
    def _outcome(outcomes, p, status, code=None, message=None):
        if status == Outcome.APPLIED and p.stale:
            status = Outcome.STALE_RESOLVED
        outcomes[p.index] = ItemOutcome(
            p.index,
            p.change,
            status,
            quantity=p.quantity,
            change_from=p.change_from,
            current=p.current,
            code=code,
            message=message,
        )

    def _fail(self, outcomes, p, error):
        status = {
            NOT_STOCKED: Outcome.NOT_STOCKED,
            NON_MUTABLE: Outcome.NON_MUTABLE,
        }.get(error.code, Outcome.FAILED)
        self._outcome(outcomes, p, status, error.code, error.message)

    def activate(self, inventory_item_id, location_id, available=None):
        """Stock an item at a location (``inventoryActivate``).

        For a mapping that says the item belongs at the location while
        Shopify answered ``ITEM_NOT_STOCKED_AT_LOCATION``.  Returns
        ``{"inventory_level_id", "available"}``; userErrors raise
        :class:`ShopifyUserErrors`.
        """
        variables = {
            "inventoryItemId": to_gid("InventoryItem", inventory_item_id),
            "locationId": to_gid("Location", location_id),
            "available": available,
            "idempotencyKey": str(uuid.uuid4()),
        }
        data = self.execute(docs.INVENTORY_ACTIVATE, variables).data
        payload = data.get("inventoryActivate") or {}
        self._raise_user_errors(payload, "inventoryActivate")
        level = payload.get("inventoryLevel") or {}
        return {
            "inventory_level_id": level.get("id"),
            "available": _available_of(level.get("quantities")),
        }


def _quantities_input(reason, reference_uri, items):
    """``InventorySetQuantitiesInput`` for ``items`` (_Pending), compare-and-set."""
    return {
        "name": "available",
        "reason": reason,
        "referenceDocumentUri": reference_uri,
        "quantities": [
            {
                "inventoryItemId": p.change.inventory_item_id,
                "locationId": p.change.location_id,
                "quantity": p.quantity,
                "changeFromQuantity": p.change_from,
            }
            for p in items
        ],
    }


def _pending_changes(changes, reference_uri):
    """Validate and normalise the changes of a write -> [_Pending]."""
    if not reference_uri:
        raise ValueError("reference_uri is required (audit trail in Shopify)")
    pending = []
    seen = set()
    for index, change in enumerate(changes):
        item = to_gid("InventoryItem", change.inventory_item_id)
        location = to_gid("Location", change.location_id)
        if (item, location) in seen:
            raise ValueError(
                f"duplicate quantity for {item} at {location}: merge them first"
            )
        seen.add((item, location))
        if change.quantity is None or int(change.quantity) != change.quantity:
            raise ValueError(f"quantity must be an integer: {change!r}")
        norm = dataclasses.replace(change, inventory_item_id=item, location_id=location)
        pending.append(_Pending(index, norm, int(change.quantity), change.change_from))
    return pending


def _split_user_errors(errors, count):
    """(errors about the whole call, {item position: first error of that item})."""
    general = []
    per_item = {}
    for error in errors:
        if error.item_index is not None and 0 <= error.item_index < count:
            per_item.setdefault(error.item_index, error)
        else:
            general.append(error)
    return general, per_item
