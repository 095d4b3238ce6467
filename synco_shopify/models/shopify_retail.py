# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The retail store that shares its stock online (issue 25).

A service without records of its own, as ``shopify.order.import``: its
methods take the sale order or the delivery they work on.

* A counter sale (Shopify POS) left the store at the till: its delivery is
  done at once, from the store's counted stock (:meth:`_complete_counter_sale`);
  a sale beyond what Odoo counts there goes below zero where Odoo allows it
  and opens an alert: a count is due.
* A refund with restock at the counter puts the units back into the store,
  as a return of the done delivery (:meth:`_apply_refunds`); without
  restock nothing goes back.
* A pickup order's delivery validated in Odoo tells Shopify the order is
  ready for pickup before it is fulfilled (:meth:`_prepare_pickup`).
"""

import logging
from collections import defaultdict

from markupsafe import escape

from odoo import api, models
from odoo.tools import float_compare

from ..lib.shopify import ShopifyError, ShopifyRetryableError, graphql_refunds
from .job_errors import retryable_job_error

_logger = logging.getLogger(__name__)

#: restock types that put units back on sale (``RefundLineItemRestockType``)
RETURNED = ("RETURN", "LEGACY_RESTOCK")


class ShopifyRetail(models.AbstractModel):
    _name = "shopify.retail"
    _description = "Shopify Retail Store"

    # ------------------------------------------------------------ counter
    @api.model
    def _store_mapping(self, order):
        """The active mapping of the order's warehouse (the store's)."""
        return order.shopify_shop_id.mapping_ids.filtered(
            lambda m: (
                m.state == "active"
                and order.warehouse_id in m.source_ids.location_id.warehouse_id
            )
        ).sorted("id")[:1]

    @api.model
    def _complete_counter_sale(self, order):
        """Done at once: the goods left over the counter.

        Each move takes the store's counted stock (the mapping's locations,
        its excluded zones left alone), and what Odoo does not have there
        from the warehouse's stock location, which goes below zero.  The
        delivery is validated without backorder; Shopify, which fulfilled
        the order at the till, is sent nothing (``shopify.fulfillment``).
        :return: {product: units sold beyond Odoo's counted stock}
        """
        mapping = self._store_mapping(order)
        counted = set()
        if mapping:
            for ids in mapping._get_source_location_ids().values():
                counted |= ids
        pickings = order.picking_ids.filtered(
            lambda p: (
                p.state not in ("done", "cancel")
                and p.location_dest_id.usage == "customer"
            )
        )
        Quant = self.env["stock.quant"].sudo()
        short = defaultdict(float)
        for move in pickings.move_ids.filtered(lambda m: m.state != "cancel"):
            move._do_unreserve()
            need = move.product_uom._compute_quantity(
                move.product_uom_qty, move.product_id.uom_id
            )
            rounding = move.product_id.uom_id.rounding
            quants = Quant.search(
                [
                    ("product_id", "=", move.product_id.id),
                    ("location_id", "child_of", move.location_id.id),
                    ("location_id.usage", "=", "internal"),
                    ("quantity", ">", 0),
                ],
                order="location_id, id",
            )
            lines = []
            for quant in quants:
                if counted and quant.location_id.id not in counted:
                    continue
                take = min(need, quant.quantity - quant.reserved_quantity)
                if float_compare(take, 0, precision_rounding=rounding) <= 0:
                    continue
                lines.append((quant.location_id, quant.lot_id, take))
                need -= take
                if float_compare(need, 0, precision_rounding=rounding) <= 0:
                    break
            if float_compare(need, 0, precision_rounding=rounding) > 0:
                lines.append((move.location_id, self.env["stock.lot"], need))
                short[move.product_id] += need
            move.write(
                {
                    "move_line_ids": [(5, 0, 0)]
                    + [
                        (
                            0,
                            0,
                            {
                                "product_id": move.product_id.id,
                                "product_uom_id": move.product_id.uom_id.id,
                                "location_id": location.id,
                                "location_dest_id": move.location_dest_id.id,
                                "lot_id": lot.id or False,
                                "quantity": quantity,
                                "picking_id": move.picking_id.id,
                            },
                        )
                        for location, lot, quantity in lines
                    ],
                    "picked": True,
                }
            )
        if pickings:
            pickings.with_context(cancel_backorder=True)._action_done()
        if short:
            self._counter_oversold(order, mapping, short)
        store = mapping.shopify_location_id
        order.write(
            {
                "shopify_location_state": "aligned",
                "shopify_location_id": store.id,
                "shopify_location_message": self.env._(
                    "Sold at the counter of %(store)s: delivered at once.",
                    store=store.name or order.warehouse_id.name,
                ),
            }
        )
        return short

    @api.model
    def _counter_oversold(self, order, mapping, short):
        """The store sold what Odoo did not know it had: a count is due."""
        shop = order.shopify_shop_id
        found = {}
        for product, units in short.items():
            message = self.env._(
                "%(order)s sold %(units)s more %(product)s at %(store)s than Odoo "
                "counts there: the store's stock in Odoo is below zero. Count "
                "the store's %(product)s.",
                order=order.shopify_order_name,
                units=units,
                product=product.display_name,
                store=mapping.shopify_location_id.name or order.warehouse_id.name,
            )
            found[(product, mapping.shopify_location_id, None)] = {
                "message": message,
                "shopify_qty": -units,
            }
            order.message_post(body=escape(message))
        self.env["shopify.alert"]._synco_report(shop, "counter_oversold", found)

    # ------------------------------------------------------------ refunds
    @api.model
    def _refunds(self, order, data):
        """The order's refunds, normalised: from the payload, else read."""
        if data.get("refunds") is not None:
            return data["refunds"]
        try:
            nodes = order.shopify_shop_id._get_client().order_refunds(
                order.shopify_order_gid
            )
        except ShopifyRetryableError as exc:
            raise retryable_job_error(exc, 30) from exc
        except ShopifyError as exc:
            _logger.warning(
                "Refunds of %s unreadable: %s", order.shopify_order_name, exc
            )
            return []
        return graphql_refunds(nodes or [])

    @api.model
    def _restocked(self, refunds):
        """({line GID: units restocked}, {line GID: restock location GID})."""
        restocked, where = defaultdict(int), {}
        for refund in refunds:
            for line in refund["lines"]:
                if line["restock_type"] in RETURNED and line["line_gid"]:
                    restocked[line["line_gid"]] += line["quantity"]
                    where[line["line_gid"]] = line["location_gid"]
        return restocked, where

    @api.model
    def _counter_lines(self, shop, data):
        """A counter sale's lines as sold: ordered minus what was returned.

        Shopify's current quantity also drops for a refund without restock,
        whose goods left all the same: Odoo delivers what left the store.
        """
        if data.get("refunds") is None:
            order = self.env["sale.order"].new(
                {"shopify_shop_id": shop.id, "shopify_order_gid": data["gid"]}
            )
            data = dict(data, refunds=self._refunds(order, data))
        restocked, _where = self._restocked(data["refunds"])
        lines = [
            dict(
                line,
                current_quantity=max(
                    0, line["quantity"] - restocked.get(line["gid"], 0)
                ),
            )
            for line in data["lines"]
        ]
        return dict(data, lines=lines)

    @api.model
    def _apply_refunds(self, order, shop, data):
        """Refunds with restock of delivered units: returns into the store.

        Idempotent: what Shopify restocked per line (RETURN) is compared with
        what Odoo already took back from the customer; only the difference
        is returned, as a return of the done delivery validated at once,
        into the warehouse mapped to the refund's location (else where the
        delivery left from).  Refunds without restock change no stock.
        """
        restocked, where = self._restocked(self._refunds(order, data))
        ordered = {line["gid"]: line["quantity"] for line in data["lines"]}
        returned = []
        for sale_line in order.order_line.filtered("shopify_line_item_gid"):
            gid = sale_line.shopify_line_item_gid
            if gid not in ordered:
                continue
            out_moves = sale_line.move_ids.filtered(
                lambda m: m.state == "done" and m.location_dest_id.usage == "customer"
            )
            out = sum(out_moves.mapped("product_qty"))
            back = sum(
                m.product_qty for m in out_moves.returned_move_ids if m.state == "done"
            )
            # what left for good: ordered minus what came back in Shopify
            todo = (out - back) - (ordered[gid] - restocked.get(gid, 0))
            if todo <= 0:
                continue
            back_now = self._return(
                order, sale_line, todo, where.get(sale_line.shopify_line_item_gid)
            )
            returned += back_now
            # refunded and back in stock: no longer sold (a refund without
            # restock leaves the line: the goods are gone)
            sale_line.product_uom_qty = max(
                sale_line.qty_delivered,
                sale_line.product_uom_qty - sum(q for _p, q in back_now),
            )
        if not returned:
            return self.env._("Order already imported; nothing to return.")
        message = self.env._(
            "Returned at the counter (refund with restock): %(lines)s.",
            lines=", ".join(f"{p.display_name} × {q:g}" for p, q in returned),
        )
        order.message_post(body=escape(message))
        return message

    @api.model
    def _return(self, order, sale_line, units, location_gid):
        """Return ``units`` of ``sale_line`` from its done deliveries, done now."""
        shop = order.shopify_shop_id
        warehouse = location_gid and shop._synco_store_warehouse(
            location_gid, stores_only=False
        )
        returned = []
        moves = sale_line.move_ids.filtered(
            lambda m: m.state == "done" and m.location_dest_id.usage == "customer"
        )
        for move in moves.sorted("id", reverse=True):
            if units <= 0:
                break
            already = sum(
                m.product_qty for m in move.returned_move_ids if m.state == "done"
            )
            take = min(units, move.product_qty - already)
            if take <= 0:
                continue
            wizard = self.env["stock.return.picking"].create(
                {"picking_id": move.picking_id.id}
            )
            for line in wizard.product_return_moves:
                line.quantity = take if line.move_id == move else 0
            picking = wizard._create_return()
            if warehouse:
                picking.write({"location_dest_id": warehouse.lot_stock_id.id})
                picking.move_ids.write({"location_dest_id": warehouse.lot_stock_id.id})
            for return_move in picking.move_ids:
                return_move.move_line_ids.unlink()
                return_move.write(
                    {
                        "move_line_ids": [
                            (
                                0,
                                0,
                                {
                                    "product_id": return_move.product_id.id,
                                    "product_uom_id": return_move.product_uom.id,
                                    "location_id": return_move.location_id.id,
                                    "location_dest_id": (
                                        return_move.location_dest_id.id
                                    ),
                                    "quantity": return_move.product_uom_qty,
                                    "picking_id": picking.id,
                                },
                            )
                        ],
                        "picked": True,
                    }
                )
            picking.with_context(
                cancel_backorder=True, synco_counter_return=True
            )._action_done()
            units -= take
            returned.append((move.product_id, take))
        return returned

    # ------------------------------------------------------------ pickup
    @api.model
    def _prepare_pickup(self, picking, data, groups, client):
        """Tell Shopify the pickup order is ready, before it is fulfilled.

        ``fulfillmentOrderLineItemsPreparedForPickup`` on the open PICK_UP
        fulfilment orders this delivery fulfils (Shopify notifies the
        customer); a refusal is posted and the fulfilment still goes.
        """
        methods = {fo["id"]: fo.get("method") for fo in data["fulfillment_orders"]}
        ids = [
            fo_id
            for lines_by_fo in groups.values()
            for fo_id in lines_by_fo
            if methods.get(fo_id) == "PICK_UP"
        ]
        if not ids:
            return False
        try:
            client.prepared_for_pickup(ids)
        except ShopifyRetryableError:
            raise
        except ShopifyError as exc:
            picking.message_post(
                body=escape(
                    self.env._(
                        "Shopify refused to mark the order ready for pickup: "
                        "%(error)s. The pickup is still recorded.",
                        error=exc,
                    )
                )
            )
            return False
        return True
