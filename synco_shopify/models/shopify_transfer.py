# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Stock in transit shown as ``incoming`` in Shopify (issue 22).

Odoo moves stock between warehouses through a transit location: a transfer
out of warehouse A into transit, then a receipt from transit into B (Odoo's
inter-warehouse resupply chains the two).  Between them the units count
nowhere: Synco pushes A's figure without them and B's without them yet.
With the shop's *Show Stock in Transit as Incoming*, the units a receipt
into a mapped location holds in transit show as ``incoming`` at that
location in Shopify, and stop showing once Odoo receives (or cancels) them.

Shopify shows ``incoming`` through inventory transfers and their shipments;
Synco takes only the steps that leave ``available`` alone (why:
``lib/shopify/client/transfers.py``): a transfer without origin and a
shipment created in transit when units reach transit, receipts ``REJECTED``
when they leave it.  One record here is one such Shopify transfer; a receipt
whose units in transit grow later (its origin shipped in two goes) gets a
second one.  The records make a job's work idempotent: it compares what the
receipt holds in transit with what its records still show and sends only the
difference, under idempotency keys derived from the receipt and that
difference, so a retry or a restart never creates a second transfer.  (A
job that dies after Shopify made a transfer and before Odoo stored it gets
that transfer back on its retry, provided what the receipt holds in transit
did not change meanwhile: the keys digest what is sent.)
"""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib.shopify.errors import ShopifyAuthError, ShopifyUserErrors
from .job_errors import shopify_retry


class ShopifyTransfer(models.Model):
    _name = "shopify.transfer"
    _description = "Shopify Transfer (stock in transit)"
    _order = "picking_id, sequence"
    _check_company_auto = True

    shop_id = fields.Many2one(
        "shopify.shop", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True)
    picking_id = fields.Many2one(
        "stock.picking",
        string="Receipt",
        required=True,
        ondelete="cascade",
        index=True,
        help="The receipt out of a transit location whose units this shows.",
    )
    sequence = fields.Integer(default=1, readonly=True)
    shopify_location_id = fields.Many2one(
        "shopify.location", string="Destination", required=True, ondelete="cascade"
    )
    transfer_gid = fields.Char(string="Shopify Transfer ID", readonly=True)
    shipment_gid = fields.Char(string="Shopify Shipment ID", readonly=True)
    # {inventory item gid: [product id, units shipped, units still incoming]}
    quantities = fields.Json(readonly=True)
    incoming_qty = fields.Integer(
        string="Still Incoming", compute="_compute_incoming_qty", store=True
    )
    state = fields.Selection(
        [("in_transit", "In transit"), ("done", "Received or cancelled")],
        default="in_transit",
        required=True,
        readonly=True,
    )

    _picking_sequence_uniq = models.Constraint(
        "UNIQUE (shop_id, picking_id, sequence)",
        "A receipt's Shopify transfers are numbered once.",
    )

    @api.depends("quantities")
    def _compute_incoming_qty(self):
        for record in self:
            record.incoming_qty = sum(
                shown for _p, _shipped, shown in (record.quantities or {}).values()
            )

    # ------------------------------------------------------------ what Odoo holds
    @api.model
    def _receipt_in_transit(self, picking):
        """{product: units} the open moves of ``picking`` out of a transit
        location hold there (reserved, in the product's UoM, whole units).

        A receipt holds its units in transit once its origin left (Odoo
        reserves them there); done or cancelled, it holds none.
        """
        result = {}
        if picking.state in ("done", "cancel"):
            return result
        for move in picking.move_ids:
            if (
                move.state in ("draft", "cancel", "done")
                or move.location_id.usage != "transit"
                or not move.product_id.is_storable
            ):
                continue
            quantity = move.product_uom._compute_quantity(
                move.quantity, move.product_id.uom_id
            )
            result[move.product_id] = result.get(move.product_id, 0) + quantity
        return {product: int(qty) for product, qty in result.items() if int(qty) > 0}

    @api.model
    def _destination(self, shop, picking):
        """The Shopify location whose active mapping counts where ``picking``
        delivers (its destination, or its moves' final one), or None."""
        mappings = shop.mapping_ids.filtered(lambda m: m.state == "active")
        candidates = picking.location_dest_id | picking.move_ids.location_dest_id
        candidates |= picking.move_ids.location_final_id
        for location in candidates:
            for mapping in mappings:
                if location.id in mapping._get_counted_location_ids():
                    return mapping.shopify_location_id
        return None

    # ---------------------------------------------------------------- the job
    @api.model
    def _align(self, shop, picking, client=None):
        """Make Shopify's incoming for ``picking`` what it holds in transit.

        Less held than shown (units received, a receipt cancelled, the option
        switched off): the difference is received ``REJECTED`` on this
        receipt's shipments, oldest first.  More held than shown: one new
        transfer and shipment in transit for the difference.
        :return: {inventory item gid: units still incoming} after the call
        """
        domain = [("shop_id", "=", shop.id), ("picking_id", "=", picking.id)]
        records = self.search(domain)
        wanted = self._wanted(shop, picking)
        open_records = records.filtered(lambda r: r.state == "in_transit")
        if not open_records and not wanted:
            return {}
        client = client or shop._get_client()
        with shopify_retry():
            shown = open_records._reject_beyond(client, wanted)
            missing = {
                item: (product_id, qty - shown.get(item, 0))
                for item, (product_id, qty) in wanted.items()
                if qty > shown.get(item, 0)
            }
            if missing:
                sequence = max(records.mapped("sequence") or [0]) + 1
                destination = self._destination(shop, picking)
                self._ship(shop, picking, destination, missing, sequence, client)
        result = {}
        for record in self.search(domain):
            for item, (_p, _s, left) in (record.quantities or {}).items():
                if left:
                    result[item] = result.get(item, 0) + left
        return result

    @api.model
    def _wanted(self, shop, picking):
        """{inventory item gid: (product id, units)} ``picking`` should show
        as incoming: nothing unless the shop shows stock in transit and a
        mapping of the shop counts where the receipt delivers."""
        if not (shop.active and shop.show_transit_incoming):
            return {}
        if not self._destination(shop, picking):
            return {}
        held = self._receipt_in_transit(picking)
        bindings = self.env["shopify.product.binding"].search(
            [
                ("shop_id", "=", shop.id),
                ("product_id", "in", [product.id for product in held]),
                ("shopify_inventory_item_gid", "!=", False),
                ("shopify_bundle", "=", False),
            ]
        )
        item_of = {b.product_id: b.shopify_inventory_item_gid for b in bindings}
        return {
            item_of[product]: (product.id, qty)
            for product, qty in held.items()
            if product in item_of
        }

    def _reject_beyond(self, client, wanted):
        """Receive as rejected what these records show beyond ``wanted``;
        {item gid: units still shown} after."""
        shown = {}
        for record in self:
            shipment = record._call(client.read_shipment, record.shipment_gid)
            quantities = dict(record.quantities or {})
            unreceived = shipment.unreceived() if shipment else {}
            reject = {}
            for item, (product_id, shipped, _was) in quantities.items():
                left = unreceived.get(item, 0)
                room = wanted.get(item, (None, 0))[1] - shown.get(item, 0)
                keep = max(0, min(left, room))
                if left > keep:
                    reject[item] = left - keep
                quantities[item] = [product_id, shipped, left]
            if reject:
                shipment = record._call(
                    client.reject_incoming,
                    shipment,
                    reject,
                    key=record._key("receive"),
                )
                unreceived = shipment.unreceived()
                for item, entry in quantities.items():
                    entry[2] = unreceived.get(item, 0)
            for item, (_p, _s, left) in quantities.items():
                shown[item] = shown.get(item, 0) + left
            record.write(
                {
                    "quantities": quantities,
                    "state": "in_transit"
                    if any(left for _p, _s, left in quantities.values())
                    else "done",
                }
            )
        return shown

    @api.model
    def _ship(self, shop, picking, destination, missing, sequence, client):
        record = self.new(
            {
                "shop_id": shop.id,
                "picking_id": picking.id,
                "sequence": sequence,
                "shopify_location_id": destination.id,
            }
        )
        origin = picking.move_ids.move_orig_ids.location_id.warehouse_id
        transfer_gid, shipment = record._call(
            client.ship_incoming,
            destination.shopify_gid,
            {item: qty for item, (_p, qty) in missing.items()},
            key=record._key("ship"),
            reference_name=picking.name,
            note=self.env._(
                "Odoo %(picking)s: stock in transit%(origin)s. Synco receives it "
                "when Odoo does; please don't receive it here.",
                picking=picking.name,
                origin=self.env._(" from %(wh)s", wh=origin[:1].name) if origin else "",
            ),
        )
        unreceived = shipment.unreceived()
        return self.create(
            {
                "shop_id": shop.id,
                "picking_id": picking.id,
                "sequence": sequence,
                "shopify_location_id": destination.id,
                "transfer_gid": transfer_gid,
                "shipment_gid": shipment.id,
                "quantities": {
                    item: [product_id, qty, unreceived.get(item, 0)]
                    for item, (product_id, qty) in missing.items()
                },
            }
        )

    def _key(self, step):
        """The idempotency prefix of this record's ``step``: the database,
        shop, receipt and sequence (the client adds a digest of the input)."""
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        return (
            f"synco-{uuid[:8]}-transit-{self.shop_id.id}-{self.picking_id.id}-"
            f"{self.sequence}-{step}"
        )

    def _call(self, method, *args, **kwargs):
        """A client call whose refusal becomes a clear error on the receipt."""
        try:
            return method(*args, **kwargs)
        except ShopifyAuthError as exc:
            raise UserError(
                self.env._(
                    "Shopify refused to show %(picking)s as incoming: %(error)s. "
                    "Stock in transit needs the inventory transfer and shipment "
                    "access scopes: reconnect the shop to grant them.",
                    picking=self.picking_id.name,
                    error=exc.message,
                )
            ) from exc
        except ShopifyUserErrors as exc:
            raise UserError(
                self.env._(
                    "Shopify refused to show %(picking)s as incoming at %(location)s: "
                    "%(error)s",
                    picking=self.picking_id.name,
                    location=self.shopify_location_id.display_name,
                    error=exc.message,
                )
            ) from exc
