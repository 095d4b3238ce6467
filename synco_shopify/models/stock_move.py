# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Moves report the stock they changed, and reserve within Shopify's scope;
receipts out of transit report their state (stock in transit, issue 22).

What counts is what can be reserved: a move puts its reservation scope in
the context around the quant lookup, and ``stock.quant._get_gather_domain``
applies it (the rule, and why, is told there).
"""

from odoo import models
from odoo.fields import Domain

from .stock_quant import CONTEXT_EXCLUDE, CONTEXT_ONLY


class StockMove(models.Model):
    _inherit = "stock.move"

    def write(self, vals):
        res = super().write(vals)
        # Done and cancelled moves have changed (or released) stock at both
        # ends; the quant hooks see the quantities, this sees the moves whose
        # reservation vanished without touching a quant of their own.
        if vals.get("state") in ("done", "cancel"):
            pairs = set()
            for move in self:
                pairs.add((move.product_id.id, move.location_id.id))
                pairs.add((move.product_id.id, move.location_dest_id.id))
            self.env["shopify.product.binding"]._synco_stock_changed(pairs)
        if "state" in vals:
            # a receipt out of transit reserved (its origin left), received
            # or cancelled: its incoming in Shopify follows (issue 22)
            receipts = self.filtered(
                lambda m: m.picking_id and m.location_id.usage == "transit"
            ).picking_id
            if receipts:
                receipts._delay_shopify_transit()
        return res

    # Both reservation paths go through _update_reserved_quantity_vals (a
    # fresh reservation through _update_reserved_quantity, a chained one
    # directly), so the scope is set there, around the quant lookup only.
    def _update_reserved_quantity_vals(
        self,
        need,
        location_id,
        lot_id=None,
        package_id=None,
        owner_id=None,
        strict=True,
    ):
        move = self._synco_reservation_context(location_id)
        return super(StockMove, move)._update_reserved_quantity_vals(
            need, location_id, lot_id, package_id, owner_id, strict
        )

    def _get_available_quantity(
        self,
        location_id,
        lot_id=None,
        package_id=None,
        owner_id=None,
        strict=False,
        allow_negative=False,
    ):
        move = self._synco_reservation_context(location_id)
        return super(StockMove, move)._get_available_quantity(
            location_id, lot_id, package_id, owner_id, strict, allow_negative
        )

    def _synco_reservation_scope(self, location):
        """(excluded location ids, allowed location ids or None) for reserving
        this move from ``location`` (and its children).

        * A Shopify order (its sale order has a shop) reserves only what the
          shop's active mappings covering ``location`` count: sources'
          internal children minus excluded zones.  Always: Shopify already
          sold these units out of that very figure.  A warehouse the shop
          does not map reserves as standard Odoo.
        * Any move, for each shop set to never pick excluded zones, skips the
          excluded zones of its active mappings that lie strictly inside
          ``location``.  A move out of the zone itself (releasing quarantine
          into a bin) names the zone as its source and is honoured.
        """
        self.ensure_one()
        index = self.env["shopify.location.mapping"]._get_reservation_index()
        if not index or not location:
            return frozenset(), None
        path = location.parent_path
        order_shop_id = self.sudo().sale_line_id.order_id.shopify_shop_id.id
        excluded = set()
        allowed = None
        for shop_id, never_pick, source_paths, counted, zones in index:
            if never_pick:
                for zone_path, zone_ids in zones:
                    if zone_path.startswith(path) and zone_path != path:
                        excluded |= zone_ids
            if shop_id == order_shop_id and any(
                source.startswith(path) or path.startswith(source)
                for source in source_paths
            ):
                allowed = (allowed or set()) | counted
        return frozenset(excluded), None if allowed is None else frozenset(allowed)

    def _synco_reservation_context(self, location):
        """This move, with the reservation scope of ``location`` in context."""
        excluded, allowed = self._synco_reservation_scope(location)
        if not excluded and allowed is None:
            return self
        return self.with_context(
            **{
                CONTEXT_EXCLUDE: tuple(sorted(excluded)),
                CONTEXT_ONLY: None if allowed is None else tuple(sorted(allowed)),
            }
        )

    def _synco_out_of_scope_stock(self):
        """{move: [(stock.location, free qty in the product's UoM)]}.

        For the moves still short of their demand: the free stock under each
        move's source that its reservation scope keeps out (excluded zones,
        or for a Shopify order what its mapping does not count).  Standard
        shortages (no stock anywhere) give nothing: Odoo already says so.
        """
        result = {}
        Quant = self.env["stock.quant"].sudo()
        for move in self:
            if (
                move.state not in ("confirmed", "partially_available")
                or not move.product_id.is_storable
                or move.product_uom.compare(move.quantity, move.product_uom_qty) >= 0
            ):
                continue
            excluded, allowed = move._synco_reservation_scope(move.location_id)
            if not excluded and allowed is None:
                continue
            out = Domain.FALSE
            if excluded:
                out |= Domain("location_id", "in", list(excluded))
            if allowed is not None:
                out |= Domain("location_id", "not in", list(allowed))
            groups = Quant._read_group(
                Domain("product_id", "=", move.product_id.id)
                & Domain("location_id", "child_of", move.location_id.id)
                & out,
                ["location_id"],
                ["quantity:sum", "reserved_quantity:sum"],
            )
            uom = move.product_id.uom_id
            lines = [
                (location, quantity - reserved)
                for location, quantity, reserved in groups
                if uom.compare(quantity - reserved, 0) > 0
            ]
            if lines:
                result[move] = lines
        return result

    def _synco_reservation_warning(self):
        """Why these moves are short although the warehouse holds the stock."""
        lines = []
        for move, stock in self._synco_out_of_scope_stock().items():
            blocked = move.product_id.uom_id._compute_quantity(
                sum(qty for _loc, qty in stock), move.product_uom
            )
            values = {
                "product": move.product_id.display_name,
                "reserved": f"{move.quantity:g}",
                "demand": f"{move.product_uom_qty:g}",
                "uom": move.product_uom.name,
                "blocked": f"{blocked:g}",
                "locations": ", ".join(loc.display_name for loc, _q in stock),
            }
            if move.sudo().sale_line_id.order_id.shopify_shop_id:
                lines.append(
                    self.env._(
                        "%(product)s: %(reserved)s of %(demand)s %(uom)s "
                        "reserved; %(blocked)s more sit in %(locations)s, "
                        "which the Shopify mapping does not count: they are "
                        "never picked for Shopify orders.",
                        **values,
                    )
                )
            else:
                lines.append(
                    self.env._(
                        "%(product)s: %(reserved)s of %(demand)s %(uom)s "
                        "reserved; %(blocked)s more sit in %(locations)s, "
                        'excluded from Shopify: the shop setting "Never Pick '
                        'Excluded Zones" keeps them out of every delivery.',
                        **values,
                    )
                )
        return "\n".join(lines)
