"""Stock in transit shown as ``incoming``: transfers and shipments (issue 22).

Shopify shows units on their way to a location as ``incoming`` there while
a shipment of an inventory transfer is in transit.  Its other steps move
``available``, which Synco writes from Odoo's figures and nothing else may:

* ready to ship (``inventoryTransferCreateAsReadyToShip`` /
  ``inventoryTransferMarkAsReadyToShip``) reserves the units at the origin;
* a shipment leaving takes them out of the origin's stock;
* a receipt ``ACCEPTED`` adds them to the destination's ``available``.

So Synco takes only the steps that touch ``incoming`` alone:
:meth:`TransfersMixin.ship_incoming` creates a draft transfer *without an
origin* (Odoo's shipment already left the origin's figure) and a shipment
created in transit; :meth:`TransfersMixin.reject_incoming` receives units
``REJECTED``, which lowers ``incoming`` and adds nothing to ``available``
(Odoo's receipt does, through the push).  Every creation and receipt
carries an ``@idempotent`` key the caller derives from what it sends, so a
retry after a lost answer gets Shopify's first answer back, not a second
transfer.  ``inventoryTransferDelete`` takes no key (Shopify documents
none): it only removes a draft this module created and could not ship.
"""

import hashlib
import json
from dataclasses import dataclass

from .. import documents as docs
from ..common import to_gid
from ..errors import ShopifyUserErrors, UserError

MAX_LINES = 250


@dataclass(frozen=True)
class ShipmentLine:
    id: str
    inventory_item_id: str
    quantity: int
    unreceived: int


@dataclass(frozen=True)
class Shipment:
    id: str
    status: str
    lines: tuple

    def unreceived(self):
        """{inventory item gid: units not received yet}."""
        result = {}
        for line in self.lines:
            result[line.inventory_item_id] = (
                result.get(line.inventory_item_id, 0) + line.unreceived
            )
        return result


def _shipment(node):
    if not node:
        return None
    lines = tuple(
        ShipmentLine(
            id=line["id"],
            inventory_item_id=(line.get("inventoryItem") or {}).get("id"),
            quantity=line["quantity"],
            unreceived=line["unreceivedQuantity"],
        )
        for line in ((node.get("lineItems") or {}).get("nodes") or ())
    )
    return Shipment(id=node["id"], status=node["status"], lines=lines)


def idempotency_key(prefix, *parts):
    """``prefix`` and a digest of ``parts``: the same input, the same key."""
    digest = hashlib.sha256(
        json.dumps(parts, sort_keys=True, default=str).encode()
    ).hexdigest()[:32]
    return f"{prefix}-{digest}"


def _raise_user_errors(payload, what, list_name="lineItems"):
    errors = [
        UserError.from_payload(e, list_name) for e in payload.get("userErrors") or ()
    ]
    if errors:
        raise ShopifyUserErrors(
            f"Shopify refused the {what}: "
            + "; ".join(f"{e.message} ({e.code})" for e in errors),
            errors,
        )


class TransfersMixin:
    """Transfers and shipments of :class:`~.ShopifyClient`, incoming only."""

    def ship_incoming(
        self, destination_id, quantities, *, key, reference_name=None, note=None
    ):
        """Show ``quantities`` as incoming at ``destination_id``.

        A draft transfer without origin, then a shipment of all of it
        created in transit.  If Shopify refuses the shipment, the draft is
        deleted and the refusal raised: nothing half-made stays in Shopify.

        :param quantities: {inventory item id or gid: units > 0}, at most 250
        :param key: this shipment's own idempotency prefix (stable across
            retries of the same Odoo step)
        :return: (transfer gid, :class:`Shipment`)
        :raises ShopifyUserErrors: Shopify refused the transfer or shipment
        """
        lines = [
            {"inventoryItemId": to_gid("InventoryItem", item), "quantity": int(qty)}
            for item, qty in sorted(quantities.items())
        ]
        if not lines or any(line["quantity"] <= 0 for line in lines):
            raise ValueError(f"positive quantities are required, got {quantities}")
        if len(lines) > MAX_LINES:
            raise ValueError(f"at most {MAX_LINES} items per shipment")
        transfer_input = {
            "destinationLocationId": to_gid("Location", destination_id),
            "lineItems": lines,
        }
        if reference_name:
            transfer_input["referenceName"] = reference_name
        if note:
            transfer_input["note"] = note
        data = self.execute(
            docs.INVENTORY_TRANSFER_CREATE,
            {
                "input": transfer_input,
                "idempotencyKey": idempotency_key(key, "transfer", transfer_input),
            },
            size=len(lines),
        ).data
        payload = data.get("inventoryTransferCreate") or {}
        _raise_user_errors(payload, "transfer")
        transfer_id = payload["inventoryTransfer"]["id"]
        shipment_input = {"movementId": transfer_id, "lineItems": lines}
        data = self.execute(
            docs.INVENTORY_SHIPMENT_CREATE_IN_TRANSIT,
            {
                "input": shipment_input,
                "idempotencyKey": idempotency_key(key, "shipment", shipment_input),
            },
            size=len(lines),
        ).data
        payload = data.get("inventoryShipmentCreateInTransit") or {}
        try:
            _raise_user_errors(payload, "shipment in transit")
        except ShopifyUserErrors:
            self.delete_draft_transfer(transfer_id)
            raise
        return transfer_id, _shipment(payload["inventoryShipment"])

    def delete_draft_transfer(self, transfer_id):
        """Delete a draft transfer; True when Shopify deleted it."""
        data = self.execute(
            docs.INVENTORY_TRANSFER_DELETE, {"id": transfer_id}, retries=0
        ).data
        payload = data.get("inventoryTransferDelete") or {}
        return bool(payload.get("deletedId")) and not payload.get("userErrors")

    def read_shipment(self, shipment_id):
        """The :class:`Shipment` ``shipment_id``, or None if Shopify has none."""
        data = self.execute(docs.INVENTORY_SHIPMENT, {"id": shipment_id}).data
        return _shipment(data.get("inventoryShipment"))

    def reject_incoming(self, shipment, quantities, *, key):
        """Receive units of ``shipment`` as ``REJECTED``: ``incoming`` falls,
        ``available`` does not move.

        :param shipment: a :class:`Shipment` as just read (its unreceived
            quantities bound what is sent, and key the call)
        :param quantities: {inventory item gid: units to stop showing}
        :return: the :class:`Shipment` after the receipt
        """
        receive = []
        for line in shipment.lines:
            wanted = min(quantities.get(line.inventory_item_id, 0), line.unreceived)
            if wanted > 0:
                receive.append(
                    {
                        "shipmentLineItemId": line.id,
                        "quantity": wanted,
                        "reason": "REJECTED",
                    }
                )
                quantities = {
                    **quantities,
                    line.inventory_item_id: quantities[line.inventory_item_id] - wanted,
                }
        if not receive:
            return shipment
        before = [(line.id, line.unreceived) for line in shipment.lines]
        data = self.execute(
            docs.INVENTORY_SHIPMENT_RECEIVE,
            {
                "id": shipment.id,
                "lineItems": receive,
                "idempotencyKey": idempotency_key(key, shipment.id, before, receive),
            },
            size=len(receive),
        ).data
        payload = data.get("inventoryShipmentReceive") or {}
        _raise_user_errors(payload, "receipt")
        return _shipment(payload["inventoryShipment"])
