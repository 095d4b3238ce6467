# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The import of Shopify orders into Odoo's sale orders.

A service without records of its own: its methods take the shop, the
normalised order (``lib.shopify.normalize_order``) and the sale order they
work on.  A webhook event (``shopify.webhook.event``) and the order poll
(``shopify.shop``) both bring an order in through :meth:`_sync`; creation,
edits and refunds before shipment, cancellation, the customer and the
pricelist follow from there.  The order's levels are settled here too:
Shopify already counted the sale, Odoo's reservation now does.
"""

import json
import logging

import psycopg2
from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.tools import SQL, float_compare, mute_logger

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.shopify import delivery_kind
from .locking import lock_rows
from .shopify_webhook_event import _parse_datetime

_logger = logging.getLogger(__name__)


class ShopifyOrderImport(models.AbstractModel):
    _name = "shopify.order.import"
    _description = "Shopify Order Import"

    # ------------------------------------------------------------------ import
    @api.model
    def _sync(self, shop, data, origin="webhook", event_at=None):
        """Bring Odoo in line with one Shopify order; idempotent.

        :param data: a normalised order (``lib.shopify.normalize_order``)
        :param event_at: when Shopify triggered the event (the webhook's
            ``X-Shopify-Triggered-At``); else the order's ``updated_at``
        :return: (sale order or empty, message, whether it was created now)

        A new order is created, and confirmed when every line is bound (Odoo
        then reserves the stock in the routed warehouse).  A known order
        takes a cancellation, edits and refunds before shipment (see
        ``_apply_edits``), and an order held in exception is
        tried again (its bindings may exist now).  Data older than what the
        order already holds (a late redelivery) is not applied.
        """
        stamp = event_at or _parse_datetime(data.get("updated_at"))
        importer = self.with_company(shop.company_id)
        orders = importer.env["sale.order"]
        self.env["shopify.webhook.event"]._order_lock(shop, data["gid"])
        order = orders.search(
            [
                ("shopify_shop_id", "=", shop.id),
                ("shopify_order_gid", "=", data["gid"]),
            ]
        )
        if order:
            if stamp and order.shopify_updated_at and stamp < order.shopify_updated_at:
                return (
                    order,
                    self.env._(
                        "Older than the data already applied (%(stamp)s < "
                        "%(held)s): not applied.",
                        stamp=stamp,
                        held=order.shopify_updated_at,
                    ),
                    False,
                )
            if stamp:
                order.shopify_updated_at = stamp
            if data["cancelled"]:
                return order, importer._cancel(order, stamp), False
            if order.shopify_state == "exception" and order.state == "draft":
                return order, importer._fill(order, shop, data), False
            if order.state == "sale" and order.shopify_state == "imported":
                if order._synco_handed_over():  # refunds at the counter
                    retail = importer.env["shopify.retail"]
                    return order, retail._apply_refunds(order, shop, data), False
                return order, importer._apply_edits(order, shop, data, stamp), False
            return order, self.env._("Order already imported."), False
        if data["cancelled"]:
            return orders, self.env._("Cancelled before import: nothing to do."), False
        if shop._synco_needs_fulfillment_orders(data):
            # a webhook body has no fulfilment orders: read them, so rules on
            # Shopify's assigned location and the delivery methods route
            # webhook orders as polled ones
            gids, methods = shop._synco_read_fulfillment_orders(data)
            data = dict(
                data,
                location_gids=data.get("location_gids") or gids,
                fulfillment_methods=methods,
            )
        left_out = shop._synco_fulfillment_service_left_out(data)
        if left_out:
            return orders, left_out, False
        if delivery_kind(data)[0] == "retail":  # sold as it left the counter
            data = importer.env["shopify.retail"]._counter_lines(shop, data)
        warehouse, route = shop._synco_route_order(data)
        customer = importer.env["shopify.order.customer"]
        partner, shipping = customer._partner(shop, data)
        order = importer._create_order(
            {
                "partner_id": partner.id,
                "partner_invoice_id": partner.id,
                "partner_shipping_id": shipping.id,
                "company_id": shop.company_id.id,
                "warehouse_id": warehouse.id,
                "pricelist_id": customer._pricelist(shop, data).id,
                "client_order_ref": data["name"],
                "origin": f"Shopify {data['name']}",
                "shopify_shop_id": shop.id,
                "shopify_order_gid": data["gid"],
                "shopify_order_id": data["id"],
                "shopify_order_name": data["name"],
                "shopify_route_id": route.id,
                "shopify_delivery_method": delivery_kind(data)[0],
                "shopify_origin": origin,
                "shopify_updated_at": stamp,
            }
        )
        return order, importer._fill(order, shop, data), True

    @api.model
    def _create_order(self, values):
        """Create the sale order of a Shopify order, unless another job did.

        Two imports of one order (its ``orders/create`` and an
        ``orders/updated``, a redelivery, the poll) take turns on the
        order's lock, but the second one's snapshot may predate the first
        one's commit: it sees no order and its insert hits the unique
        order GID.  That is no error: the job runs again on fresh data,
        without spending one of its retries.
        """
        try:
            with self.env.cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                return self.env["sale.order"].create(values)
        except (
            psycopg2.errors.SerializationFailure,
            psycopg2.errors.UniqueViolation,
        ) as exc:
            raise RetryableJobError(
                f"order {values['shopify_order_gid']} was imported by a "
                "concurrent job; importing again on fresh data",
                seconds=1,
                ignore_retry=True,
            ) from exc

    @api.model
    def _lock_quants(self, order):
        """Lock the quants the confirmation may reserve, or run again shortly.

        Two imports of orders for the same product, side by side, both
        reserve on its quants: the second used to wait on the first, then
        fail to serialize in Odoo's reservation (logged as an error with its
        SQL) and run again, Shopify calls included, spending a retry.  The
        quants of the order's products in its warehouse's internal locations
        are locked first, without waiting (``locking.lock_rows``).  Edits
        and cancellations take the same lock before they unreserve.
        """
        products = order.order_line.product_id.filtered("is_storable")
        if not products:
            return
        where = SQL("product_id IN %s", tuple(products.ids))
        if order.warehouse_id:
            where = SQL(
                "%s AND location_id IN (SELECT id FROM stock_location "
                "WHERE warehouse_id = %s AND usage = 'internal')",
                where,
                order.warehouse_id.id,
            )
        lock_rows(
            self.env.cr,
            "stock_quant",
            where,
            f"the stock of order {order.shopify_order_gid} is being reserved "
            "by another job",
        )

    @api.model
    def _fill(self, order, shop, data):
        """Create the lines (again) and confirm, or hold the order in exception."""
        order.ensure_one()
        order.order_line.unlink()
        lines, unknown = self._lines(shop, data)
        order.write({"order_line": [(0, 0, vals) for vals in lines]})
        if unknown:
            message = self.env._(
                "Shopify order %(name)s has lines without product binding: "
                "%(lines)s. Bind the products, then reprocess the webhook event "
                "(or wait for the next poll).",
                name=data["name"],
                lines=", ".join(
                    f"{line['sku'] or line['variant_gid'] or line['title']} "
                    f"× {line['quantity']:g}"
                    for line in unknown
                ),
            )
            order.write({"shopify_state": "exception", "shopify_message": message})
            order.message_post(
                body=Markup("<p>%s</p><pre>%s</pre>")
                % (message, json.dumps(data["lines"], indent=1))
            )
            return message
        self._lock_quants(order)
        order.action_confirm()
        if order.shopify_delivery_method == "retail":
            # sold at the counter: the goods left, nothing to align
            self.env["shopify.retail"]._complete_counter_sale(order)
            self._forget_levels(order, data)
        else:
            self._forget_levels(order, data)
            order.shopify_location_state = "pending"
            order._delay_shopify_align_location()
        if order.synco_reservation_warning:
            order.message_post(
                body=Markup("<br/>").join(order.synco_reservation_warning.splitlines())
            )
        order.write({"shopify_state": "imported", "shopify_message": False})
        return self.env._(
            "Imported and confirmed in %(warehouse)s.",
            warehouse=order.warehouse_id.name,
        )

    @api.model
    def _lines(self, shop, data):
        """(sale line values, unbound Shopify lines): by variant GID, then SKU."""
        Binding = self.env["shopify.product.binding"]
        bindings = Binding.search(
            [
                ("shop_id", "=", shop.id),
                "|",
                (
                    "shopify_variant_gid",
                    "in",
                    [
                        line["variant_gid"]
                        for line in data["lines"]
                        if line["variant_gid"]
                    ],
                ),
                ("sku", "in", [line["sku"] for line in data["lines"] if line["sku"]]),
            ]
        )
        by_variant = {
            b.shopify_variant_gid: b for b in bindings if b.shopify_variant_gid
        }
        by_sku = {b.sku: b for b in bindings if b.sku}
        lines, unknown = [], []
        for line in data["lines"]:
            quantity = line.get("current_quantity", line["quantity"])
            if not quantity:
                continue  # removed by an edit or refunded before import
            binding = by_variant.get(line["variant_gid"]) or by_sku.get(line["sku"])
            if not binding:
                unknown.append(line)
                continue
            lines.append(
                {
                    "shopify_line_item_gid": line["gid"],
                    "product_id": binding.product_id.id,
                    "product_uom_qty": quantity,
                    "price_unit": float(line["price"]),
                    "technical_price_unit": float(line["price"]),
                    # Shopify's prices are what the customer pays; its taxes
                    # are Shopify's business, not recomputed here
                    "tax_ids": [(6, 0, [])],
                }
            )
        return lines, unknown

    # ------------------------------------------------------------------ levels
    @api.model
    def _forget_levels(self, order, data=None):
        """Shopify already counted this sale: read its levels before the push.

        Shopify took the units when the order was placed; Odoo's figure now
        falls too.  The push reads the level first; a new order (``data``)
        takes its units out of what we remember where Shopify took them
        (``account``): the rest of a drop is a sale Odoo lacks, held, never
        written over.  A sale held already is released (as by a cancel).
        """
        quantities = {}
        for line in order.order_line:
            quantities[line.product_id.id] = (
                quantities.get(line.product_id.id, 0) + line.product_uom_qty
            )
        settle = {
            "forget": True,
            "release": [[product, units] for product, units in quantities.items()],
            "prefer": self._routed_locations(order).ids,
        }
        if data is not None:
            settle["account"] = order.shopify_shop_id._synco_taken(data, quantities)
            settle["release_at"] = [a[1] for a in settle["account"] if a[1]]
            taken = {a[1] for a in settle["account"]}
            if len(taken) == 1 and None not in taken:
                # where Shopify holds it, for a cancellation or an edit
                # before the alignment reads it again
                order.shopify_location_id = taken.pop()
        return self._settle_levels(order, settle)

    @api.model
    def _settle_levels(self, order, settle, locations=None):
        """Settle the levels of the order's products, now or in a push.

        See ``shopify.inventory.level._synco_settle_or_delay``: settled now
        unless a push holds them (this import would otherwise wait for it
        and fail to serialize once it commits).

        :param locations: only the levels at these Shopify locations
        :return: True when settled now
        """
        order.ensure_one()
        domain = [
            ("shop_id", "=", order.shopify_shop_id.id),
            ("product_id", "in", order.order_line.product_id.ids),
        ]
        levels = (
            self.env["shopify.inventory.level"]
            .sudo()
            .search(
                domain
                + ([("shopify_location_id", "in", locations.ids)] if locations else [])
            )
        )
        return levels._synco_settle_or_delay(
            settle,
            self._order_bindings(order),
            self.env._(
                "Shopify push after %(order)s (%(shop)s)",
                order=order.shopify_order_name or order.name,
                shop=order.shopify_shop_id.name,
            ),
        )

    @api.model
    def _order_bindings(self, order):
        """The pushable bindings of the order's products in its shop."""
        Binding = self.env["shopify.product.binding"].sudo()
        return Binding.search(
            [
                ("shop_id", "=", order.shopify_shop_id.id),
                ("product_id", "in", order.order_line.product_id.ids),
            ]
            + Binding._synco_pushable_domain()
        )

    @api.model
    def _routed_locations(self, order):
        """The Shopify locations mapped to the order's warehouse (active)."""
        order.ensure_one()
        return (
            order.shopify_shop_id.mapping_ids.filtered(
                lambda m: (
                    m.state == "active"
                    and order.warehouse_id in m.source_ids.location_id.warehouse_id
                )
            )
            .sorted("id")
            .shopify_location_id
        )

    # ------------------------------------------------------------------ edits
    @api.model
    def _apply_edits(self, order, shop, data, stamp=None):
        """Edits and refunds before shipment: lines follow Shopify's quantities.

        Each Shopify line's current quantity (after edits, removals and
        refunds with restock) becomes the Odoo line's ordered quantity:
        lowering it lowers the delivery and its reservation (the next push
        shows the freed units), raising it reserves more, a line added in
        Shopify is added.  Nothing Odoo already shipped is changed: a line
        lowered below its delivered quantity stops there, and the order is
        flagged with a message.  What Shopify gave back or took at the
        order's location is taken into the levels' memory (``_account_changed``;
        ``stamp``: when Shopify made the edit).
        """
        order.ensure_one()
        by_gid = {
            line.shopify_line_item_gid: line
            for line in order.order_line
            if line.shopify_line_item_gid
        }
        if not self._edited(by_gid, data):
            # the usual redelivery or poll: no quant is locked for nothing
            # (a poll passing over dozens of orders held them all to its end)
            return self.env._("Order already imported; no line changed.")
        # lowering a line unreserves, raising it reserves: lock the quants
        # first, as an import does, instead of failing to serialize in Odoo's
        # reservation beside another job
        self._lock_quants(order)
        changes, flags, added = [], [], []
        moved = {}  # {product id: units Shopify took (negative: gave back)}
        for shopify_line in data["lines"]:
            current = shopify_line.get("current_quantity", shopify_line["quantity"])
            line = by_gid.get(shopify_line["gid"])
            if line is None:
                if current > 0:
                    added.append(dict(shopify_line, quantity=current))
                continue
            if (
                float_compare(
                    current,
                    line.product_uom_qty,
                    precision_rounding=line.product_uom_id.rounding,
                )
                == 0
            ):
                continue
            product = line.product_id.id
            moved[product] = moved.get(product, 0) + current - line.product_uom_qty
            wanted = current
            if current < line.qty_delivered:
                wanted = line.qty_delivered
                flags.append(
                    self.env._(
                        "%(product)s: Shopify now asks %(current)s but Odoo "
                        "already shipped %(shipped)s",
                        product=line.product_id.display_name,
                        current=current,
                        shipped=line.qty_delivered,
                    )
                )
            if wanted != line.product_uom_qty:
                changes.append(
                    f"{line.product_id.display_name}: "
                    f"{line.product_uom_qty:g} → {wanted:g}"
                )
                line.product_uom_qty = wanted
        if added:
            values, unknown = self._lines(shop, dict(data, lines=added))
            if values:
                order.write({"order_line": [(0, 0, vals) for vals in values]})
                for vals in values:
                    product = vals["product_id"]
                    moved[product] = moved.get(product, 0) + vals["product_uom_qty"]
                changes += [
                    self.env._(
                        "added %(sku)s × %(qty)s", sku=line["sku"], qty=line["quantity"]
                    )
                    for line in added
                    if line not in unknown
                ]
            for line in unknown:
                flags.append(
                    self.env._(
                        "added line %(sku)s has no product binding",
                        sku=line["sku"] or line["title"],
                    )
                )
        if not changes and not flags:
            return self.env._("Order already imported; no line changed.")
        message = self.env._(
            "Edited in Shopify: %(changes)s.", changes="; ".join(changes) or "-"
        )
        if flags:
            message += " " + self.env._(
                "Not applied, check by hand: %(flags)s.", flags="; ".join(flags)
            )
            order.shopify_message = message
        order.message_post(body=escape(message))
        if changes:
            # Shopify restocked the removed units: read its levels again
            self._account_changed(order, moved, stamp)
        return message

    @api.model
    def _edited(self, by_gid, data):
        """Whether a Shopify line's current quantity differs from Odoo's
        line ({line item GID: sale line}), or a line was added."""
        for shopify_line in data["lines"]:
            current = shopify_line.get("current_quantity", shopify_line["quantity"])
            line = by_gid.get(shopify_line["gid"])
            if line is None:
                if current > 0:
                    return True
            elif (
                float_compare(
                    current,
                    line.product_uom_qty,
                    precision_rounding=line.product_uom_id.rounding,
                )
                != 0
            ):
                return True
        return False

    @api.model
    def _account_changed(self, order, moved, stamp=None):
        """Shopify changed an imported order's units: read its levels again
        before the push, and take the change into what we remember.

        A cancellation or an edit that removes units gives them back at the
        order's location (``committed`` to ``available``); an edit adding
        units takes them.  Between two reads of a level that change nets
        against a sale whose order Odoo lacks (``committed`` unchanged: an
        edit, written over): taken in where Shopify holds the order
        (``sale.order.shopify_location_id``), the next read judges only the
        rest.  A read since ``stamp`` (when Shopify made the change) saw it
        already: those levels are left (``_synco_settle``'s ``account``).
        Not restocked, the units leave ``on_hand`` instead of returning to
        ``available``: the drop that follows is no sale (``committed`` did
        not rise) and Odoo's figure is written, as it should.

        :param moved: {product id: units Shopify took (negative: gave back)}
        """
        settle = {"forget": True}
        location = order.shopify_location_id
        if location and any(moved.values()):
            when = [fields.Datetime.to_string(stamp)] if stamp else []
            settle["account"] = [
                [product, location.id, units, units, *when]
                for product, units in moved.items()
                if units
            ]
        return self._settle_levels(order, settle)

    # ---------------------------------------------------------- cancellation
    @api.model
    def _cancel(self, order, stamp=None):
        """Shopify cancelled the order: release what Odoo still holds.

        Before any delivery the order and its pickings are cancelled (the
        reservation goes with them); after a partial one the remaining
        transfers are cancelled and the order is flagged.  A confirmed
        order's units Shopify gave back are taken into the levels' memory
        (``_account_changed``; ``stamp``: when Shopify cancelled it); an
        order held in exception never released its held units: released
        now.
        """
        order.ensure_one()
        if order.state == "cancel" or order.shopify_state in (
            "cancelled",
            "partially_cancelled",
        ):
            return self.env._("Already cancelled.")
        # the cancellation unreserves: the quants first, as an import does
        self._lock_quants(order)
        given = {} if order.state == "sale" else None
        if given is not None:
            for line in order.order_line:
                left = max(0, line.product_uom_qty - line.qty_delivered)
                given[line.product_id.id] = given.get(line.product_id.id, 0) - left
        delivered = order.picking_ids.filtered(lambda p: p.state == "done")
        if not delivered:
            order._action_cancel()
            self._cancel_levels(order, given, stamp)
            order.shopify_state = "cancelled"
            message = self.env._("Cancelled in Shopify: order and transfers cancelled.")
            order.message_post(body=escape(message))
            return message
        remaining = order.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        )
        remaining.action_cancel()
        self._cancel_levels(order, given, stamp)
        message = self.env._(
            "Cancelled in Shopify after a partial delivery (%(done)s): the "
            "remaining transfers %(rest)s are cancelled; check the delivered "
            "goods and the refund.",
            done=", ".join(delivered.mapped("name")),
            rest=", ".join(remaining.mapped("name")) or "-",
        )
        order.write(
            {"shopify_state": "partially_cancelled", "shopify_message": message}
        )
        order.message_post(body=escape(message))
        return message

    @api.model
    def _cancel_levels(self, order, given, stamp):
        """The levels after a cancellation: a confirmed order (``given``:
        {product id: units given back, negative}) released its holds when
        imported, releasing now would offer another order's; one held in
        exception (``given`` None) still holds its own."""
        if given is not None:
            return self._account_changed(order, given, stamp)
        return self._forget_levels(order)
